import { buildReport, renderSummary } from '../../../actions/verify-failover/src/summary.js'
import type { Check } from '../../../actions/verify-failover/src/checks.js'

const checks: Check[] = [
  {
    category: 'configuration',
    name: 'TTL',
    subject: 'us-east-1',
    passed: true,
    detail: '60 s (max-ttl 60 s)',
  },
  {
    category: 'probe',
    name: 'Runner probe',
    subject: 'eu-west-1',
    passed: false,
    detail: 'HTTP status 503 | down',
  },
]
const parts = {
  hostedZoneId: 'Z1',
  recordName: 'api.example.com.',
  recordType: 'A',
  regions: ['us-east-1', 'eu-west-1'],
  healthyRegions: ['us-east-1'],
  checkers: [
    { region: 'us-east-1', successes: 16, total: 16 },
    { region: 'eu-west-1', successes: 0, total: 16 },
  ],
  checks,
  simulation: [],
}

describe('summary', () => {
  it('reports failure when any check failed and renders one row per check', () => {
    const report = buildReport(parts)
    expect(report.passed).toBe(false)
    expect(report.drill).toBeUndefined()
    const md = renderSummary(report)
    expect(md.split('\n')[0]).toBe(
      '## ❌ Failover check of `api.example.com` A failed: 1 of 2 checks failed, first Runner probe (eu-west-1).',
    )
    // The failed check comes first; the whole list after it.
    const failedAt = md.indexOf('### Failed checks')
    expect(failedAt).toBeGreaterThan(0)
    expect(md.indexOf('| Runner probe | eu-west-1 | ❌ fail | HTTP status 503 \\| down |')).toBeGreaterThan(
      failedAt,
    )
    expect(md).toContain('Healthy regions: us-east-1 of us-east-1, eu-west-1.')
    expect(md).toContain('x-axis ["us-east-1", "eu-west-1"]')
    expect(md).toContain('bar "healthy" [100, 0]')
  })
  it('adds the drill table and its timeline', () => {
    const report = buildReport(
      { ...parts, checks: [checks[0]!] },
      {
        region: 'us-east-1',
        result: {
          checks: [],
          bars: [{ section: 'Drill', label: 'Failover', startMs: 1000, endMs: 4000 }],
          failoverSeconds: 3,
          recoverySeconds: 2.5,
          baseline: ['10.0.0.1'],
          duringFailover: ['10.0.1.1'],
          restore: 'changed',
        },
      },
    )
    expect(report.passed).toBe(true)
    expect(report.drill).toMatchObject({ failoverSeconds: 3, recoverySeconds: 2.5, restore: 'changed' })
    const md = renderSummary(report, [{ section: 'Drill', label: 'Failover', startMs: 1000, endMs: 4000 }])
    expect(md).toMatch(
      /^## ✅ Failover check of `api.example.com` A passed: all 1 checks passed; the drill of us-east-1 failed over in 3 s and recovered in 2.5 s\./,
    )
    expect(md).toContain('### Drill: us-east-1')
    expect(md).toContain('| 3 | — | 2.5 | 10.0.0.1 | 10.0.1.1 | changed |')
    expect(md).toContain('gantt')
    expect(md).toContain('Failover :b0, 0, 3000')
    // Checkers that all report the same say nothing a chart would add.
    expect(md).toContain('xychart-beta')
  })
  it('puts the drill before a long all-pass list, folds the list and draws no bar chart of equal values', () => {
    const many: Check[] = Array.from({ length: 12 }, (_, i) => ({ ...checks[0]!, subject: `r${i}` }))
    const bars = [
      { section: 'Drill', label: 'Failover', startMs: 1000, endMs: 4000, state: 'crit' as const },
      { section: 'Drill', label: 'Recovery', startMs: 4000, endMs: 6000, state: 'done' as const },
    ]
    const passedDrill: Check = {
      category: 'drill',
      name: 'Failover',
      subject: 'us-east-1',
      passed: true,
      detail: 'ok',
    }
    const report = buildReport(
      {
        ...parts,
        checks: [...many, passedDrill],
        checkers: parts.checkers.map((c) => ({ ...c, successes: 16 })),
      },
      {
        region: 'us-east-1',
        result: {
          checks: [],
          bars,
          failoverSeconds: 3,
          recoverySeconds: 2,
          baseline: [],
          duringFailover: [],
        },
      },
    )
    const md = renderSummary(report, bars)
    expect(md.indexOf('### Drill: us-east-1')).toBeLessThan(
      md.indexOf('<details><summary>All checks (13)</summary>'),
    )
    // A passing drill draws no red bar.
    expect(md).not.toContain(':crit')
    expect(md).toContain('Failover :done, b0, 0, 3000')
    expect(md).not.toContain('xychart-beta')
  })
  it('keeps the red bar of a drill that failed', () => {
    const bars = [{ section: 'Drill', label: 'Failover', startMs: 0, endMs: 9000, state: 'crit' as const }]
    const failedDrill: Check = {
      category: 'drill',
      name: 'Failover',
      subject: 'us-east-1',
      passed: false,
      detail: 'no',
    }
    const report = buildReport(
      { ...parts, checks: [failedDrill] },
      { region: 'us-east-1', result: { checks: [], bars, baseline: [], duringFailover: [] } },
    )
    expect(renderSummary(report, bars)).toContain('Failover :crit, b0, 0, 9000')
  })

  it('names the targets it did not probe and the regions whose health is not known', () => {
    const md = renderSummary(
      buildReport({
        ...parts,
        notProbed: [
          {
            region: 'eu-west-1',
            target: 'tcp://169.254.169.254:80',
            reason: '169.254.169.254 is the instance metadata service address',
          },
        ],
        unknownHealth: ['ap-southeast-2'],
      }),
    )
    expect(md).toContain(
      'Not probed from the runner (`allow-private-targets` is false): eu-west-1 tcp://169.254.169.254:80 (169.254.169.254 is the instance metadata service address).',
    )
    expect(md).toContain(
      'Alias target health not known for ap-southeast-2: Route 53 evaluates those targets itself; they are not counted in `min-healthy`.',
    )
    expect(renderSummary(buildReport(parts))).not.toMatch(/Not probed|not known/)
  })
})
