/**
 * The jq programs pr-gate.yml uses to turn the actions' JSON outputs into the sticky
 * comments' markdown (actions/pr-comment/render/).
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

const DIR = join(process.cwd(), 'actions', 'pr-comment', 'render')
const jq = spawnSync('jq', ['--version'])
const withJq = !jq.error && jq.status === 0 ? it : it.skip

function render(program: string, input: unknown): string {
  const result = spawnSync('jq', ['-r', '-L', DIR, '-f', join(DIR, `${program}.jq`)], {
    input: JSON.stringify(input),
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(result.stderr)
  return result.stdout
}

describe('comment renderers', () => {
  withJq('plan: one row per region with change counts, and each region’s changes', () => {
    const text = render('plan', [
      {
        region: 'us-east-1',
        status: 'planned',
        changes: [
          { action: 'Add', logicalId: 'Queue', resourceType: 'AWS::SQS::Queue', replacement: 'False' },
          {
            action: 'Modify',
            logicalId: 'Api|v2',
            resourceType: 'AWS::ApiGateway::RestApi',
            replacement: 'True',
          },
        ],
      },
      { region: 'eu-west-1', status: 'failed', reason: 'Template format error', changes: [] },
    ])
    expect(text).toContain('| us-east-1 | planned | 1 | 1 | 0 | 1 |')
    expect(text).toContain('| eu-west-1 | failed (Template format error) | 0 | 0 | 0 | 0 |')
    expect(text).toContain('<details><summary>us-east-1: 2 change(s)</summary>')
    expect(text).toContain('| Modify | Api\\|v2 | AWS::ApiGateway::RestApi | True |')
    expect(text).not.toContain('eu-west-1: 0 change')
  })

  withJq('plan: accepts the AWS spellings of change fields', () => {
    const text = render('plan', [
      {
        region: 'us-east-1',
        status: 'planned',
        changes: [{ Action: 'Remove', LogicalResourceId: 'Old', ResourceType: 'AWS::SNS::Topic' }],
      },
    ])
    expect(text).toContain('| us-east-1 | planned | 0 | 0 | 1 | 0 |')
    expect(text).toContain('| Remove | Old | AWS::SNS::Topic |  |')
  })

  withJq('plan: changes that replace or remove stateful resources come first, marked', () => {
    const text = render('plan', [
      {
        region: 'us-east-1',
        status: 'failed',
        reason: 'blocked',
        changes: [
          {
            action: 'Modify',
            logicalId: 'Orders',
            type: 'AWS::DynamoDB::Table',
            replacement: 'True',
            guard: 'blocked',
          },
          {
            action: 'Remove',
            logicalId: 'Logs',
            type: 'AWS::S3::Bucket',
            guard: 'allowed',
            nestedPath: ['Data'],
          },
        ],
      },
    ])
    expect(text).toContain('| ⛔ blocked | us-east-1 | Orders | AWS::DynamoDB::Table | Replacement True |')
    expect(text).toContain('| ⚠️ allowed | us-east-1 | Data/Logs | AWS::S3::Bucket | Remove |')
    expect(text.indexOf('Replaces or removes')).toBeLessThan(text.indexOf('| Region |'))
    expect(text).toContain('| Modify | Orders | AWS::DynamoDB::Table | True ⛔ blocked |')
  })

  withJq('failover: a row per check with its verdict', () => {
    const text = render('failover', {
      checks: [
        { category: 'configuration', name: 'TTL', subject: 'us-east-1', passed: true, detail: 'ttl 60' },
        {
          category: 'configuration',
          name: 'Health check',
          subject: 'eu-west-1',
          passed: false,
          detail: 'none',
        },
      ],
    })
    expect(text).toContain('| TTL | us-east-1 | pass | ttl 60 |')
    expect(text).toContain('| Health check | eu-west-1 | **FAIL** | none |')
  })

  withJq(
    'benchmark: median, p95, spread, baseline, change, p-value and verdict per query; scan findings',
    () => {
      const text = render('benchmark', {
        regressions: ['q1_scan'],
        findings: [{ query: 'q2_join', message: 'bytes scanned 4x the baseline' }],
        queries: [
          {
            name: 'q1_scan',
            verdict: 'regressed',
            medianMs: 812.34,
            p95Ms: 900,
            madMs: 12.5,
            baselineMedianMs: 640,
            change: 0.2693,
            pValue: 0.008,
          },
          {
            name: 'q2_join',
            verdict: 'new',
            medianMs: 20,
            p95Ms: 21,
            madMs: 0.4,
            baselineMedianMs: null,
            change: null,
            pValue: null,
          },
        ],
      })
      expect(text).toContain('| q1_scan | 812.3 ms | 900 ms | 12.5 ms | 640 ms | +26.9% | 0.01 | regressed |')
      expect(text).toContain('| q2_join | 20 ms | 21 ms | 0.4 ms |  |  |  | new |')
      expect(text).toContain('- q2_join: bytes scanned 4x the baseline')
    },
  )

  withJq('benchmark: plan changes and scans grown past max-scan-growth, each per query', () => {
    const text = render('benchmark', {
      planChanges: [
        {
          query: 'q2',
          description: 'the Spectrum scan of spectrum.sales lost its partition loop | all read',
        },
        { query: 'q3', description: "the filter changed to (x <> '<b>@team</b>')" },
      ],
      scanGrowth: [{ query: 'q2', message: 'bytes scanned rose from 10 to 20' }],
      queries: [{ name: 'q2', verdict: 'unchanged', medianMs: 10 }],
    })
    expect(text).toContain(
      '**Plan changes**\n\n- q2: the Spectrum scan of spectrum.sales lost its partition loop \\| all read',
    )
    expect(text).toContain("- q3: the filter changed to (x &lt;&gt; '&lt;b&gt;@\u200bteam&lt;/b&gt;')")
    expect(text).toContain('**Scans grown past max-scan-growth**\n\n- q2: bytes scanned rose from 10 to 20')
  })

  withJq('benchmark: accepts a change already in percent', () => {
    const text = render('benchmark', {
      queries: [
        {
          name: 'q',
          median: 10,
          p95: 11,
          mad: 1,
          baselineMedian: 12,
          changePercent: -16.7,
          verdict: 'faster',
        },
      ],
    })
    expect(text).toContain('| q | 10 ms | 11 ms | 1 ms | 12 ms | -16.7% |  | faster |')
  })

  withJq('fall back to the raw JSON for shapes they do not know', () => {
    expect(render('failover', { something: 'else' })).toContain('```json')
    expect(render('benchmark', 'text')).toContain('```json')
  })
})
