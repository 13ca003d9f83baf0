import { buildReport, renderSummary } from '../../../actions/verify-failover/src/summary.js'
import type { Check } from '../../../actions/verify-failover/src/plan.js'

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
    expect(md).toContain('## Failover check: api.example.com A')
    expect(md).toContain('❌ Failed: 1 of 2 checks passed')
    expect(md).toContain('| Runner probe | eu-west-1 | ❌ fail | HTTP status 503 \\| down |')
    expect(md).toContain('x-axis ["us-east-1", "eu-west-1"]')
    expect(md).toContain('bar [100, 0]')
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
    expect(md).toContain('### Drill: us-east-1')
    expect(md).toContain('| 3 | 2.5 | 10.0.0.1 | 10.0.1.1 | changed |')
    expect(md).toContain('gantt')
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
