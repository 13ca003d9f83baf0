import type { Settings, TargetResult } from '../../../actions/deploy-multi-region/src/model.js'
import { summaryMarkdown } from '../../../actions/deploy-multi-region/src/summary.js'

const settings = {
  stackName: 'orders',
  mode: 'deploy',
  canaryRegions: ['us-east-1'],
  regions: ['us-east-1', 'eu-west-1', 'ap-south-1'],
  template: { kind: 'file', path: '/ws/t.yaml', input: 't.yaml', body: '', bytes: 0 },
  maxParallel: 3,
  failureTolerance: 1,
  onFailure: 'ROLLBACK',
} as unknown as Settings
const results: TargetResult[] = [
  {
    region: 'us-east-1',
    status: 'updated',
    outputs: {},
    changes: [{ action: 'Modify', logicalId: 'Queue', type: 'AWS::SQS::Queue', replacement: 'False' }],
    durationMs: 1500,
    startedAt: 1000,
    endedAt: 2500,
    stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/orders/1',
  },
  {
    region: 'eu-west-1',
    status: 'failed',
    outputs: {},
    changes: [{ action: 'Add', logicalId: 'Queue', type: 'AWS::SQS::Queue' }],
    durationMs: 900,
    reason: 'stack ROLLBACK_COMPLETE: Queue | bad',
    startedAt: 2600,
    endedAt: 3500,
  },
  {
    region: 'ap-south-1',
    status: 'skipped',
    outputs: {},
    changes: [],
    durationMs: 0,
    reason: 'more than 0 target(s) failed',
  },
]

const FAILED = { fail: true, text: '1 target(s) failed, more than the failure tolerance of 0.' }

describe('summaryMarkdown', () => {
  it('starts with the outcome and the one cause, then the regions with console links', () => {
    const md = summaryMarkdown(settings, results, FAILED)
    expect(md.split('\n')[0]).toBe(
      '## ❌ Deploy of stack `orders` failed: 1 of 3 target(s) failed (failure tolerance 1): stack ROLLBACK_COMPLETE: Queue | bad.',
    )
    expect(md).toContain(
      '<sub>Inputs: `template` t.yaml · `regions` us-east-1, eu-west-1, ap-south-1 · `canary-regions` us-east-1 · `max-parallel` 3 · `failure-tolerance` 1 · `on-failure` ROLLBACK</sub>',
    )
    expect(md).toContain('| Region | Status | Duration | Changes | Stack | Why skipped |')
    expect(md).toContain(
      '| us-east-1 (canary) | updated | 1.5 s | 1 | [console](https://us-east-1.console.aws.amazon.com/cloudformation/home?region=us-east-1#/stacks/stackinfo?stackId=arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack%2Forders%2F1) |  |',
    )
  })
  it('counts the changes of a region that failed after its change set listed them', () => {
    const md = summaryMarkdown(settings, results, FAILED)
    expect(md).toContain('| eu-west-1 | failed | 0.9 s | 1 | — |  |')
    expect(md).toContain('**eu-west-1: 1 change(s)**')
    expect(md).toContain('| Add | Queue | AWS::SQS::Queue | — |')
  })
  it('shows no duration for a region that never started, and says why', () => {
    const md = summaryMarkdown(settings, results, FAILED)
    expect(md).toContain('| ap-south-1 | skipped | — | — | — | more than 0 target(s) failed |')
  })
  it('draws the regions that ran on an elapsed-time axis', () => {
    const md = summaryMarkdown(settings, results, FAILED)
    expect(md).toContain('section canary')
    expect(md).toMatch(/eu-west-1 failed :crit, b1, 1600, 2500/)
    expect(md).toContain('axisFormat %s')
    expect(md).toContain('tickInterval 1000millisecond')
    expect(md).not.toMatch(/ap-south-1 skipped :/)
  })
  it('lists regions failing for different reasons once per reason, under the outcome', () => {
    const three = [
      results[1]!,
      { ...results[1]!, region: 'eu-north-1' },
      { ...results[1]!, region: 'eu-south-1', reason: 'other' },
    ]
    const md = summaryMarkdown(settings, three, FAILED)
    expect(md).toContain('| eu-west-1, eu-north-1 | stack ROLLBACK_COMPLETE: Queue \\| bad |')
    expect(md).toContain('| eu-south-1 | other |')
    expect(md.indexOf('| Failed in | Reason |')).toBeLessThan(md.indexOf('| Region | Status |'))
  })
  it('shows each region’s stack outputs, keys down and regions across', () => {
    const ok = [
      { ...results[0]!, outputs: { ApiId: 'a1', Url: 'https://x' } },
      { ...results[0]!, region: 'eu-west-1', outputs: { ApiId: 'b2', Url: 'https://y' } },
    ]
    const md = summaryMarkdown(settings, ok, { fail: false, text: 'All 2 target(s) done: 2 updated.' })
    expect(md).toMatch(/^## ✅ Deploy of stack `orders` passed: All 2 target\(s\) done: 2 updated\./)
    expect(md).toContain(
      '| Output | us-east-1 | eu-west-1 |\n| --- | --- | --- |\n| `ApiId` | a1 | b2 |\n| `Url` | https://x | https://y |',
    )
    expect(md).toContain('**every region: 1 change(s)**')
    expect(md).not.toContain('Why skipped')
  })
  it('lists the resource changes of a preview', () => {
    const md = summaryMarkdown({ ...settings, mode: 'plan-only' }, [{ ...results[0]!, status: 'planned' }], {
      fail: false,
      text: 'All 1 target(s) done: 1 planned.',
    })
    expect(md).toMatch(/^## ✅ Plan for stack `orders` passed/)
    expect(md).toContain('### Resource changes (preview: the change sets were deleted)')
    expect(md).toContain('| Modify | Queue | AWS::SQS::Queue | False |')
  })
  it('collapses a long change list', () => {
    const many = Array.from({ length: 14 }, (_, i) => ({
      action: 'Add',
      logicalId: `R${i}`,
      type: 'AWS::SNS::Topic',
    }))
    const md = summaryMarkdown(settings, [{ ...results[0]!, changes: many }], { fail: false, text: 'ok' })
    expect(md).toContain('<details><summary>us-east-1: 14 change(s)</summary>')
  })

  it('lists changes that replace or remove stateful resources first, marked with the guard', () => {
    const guarded: TargetResult[] = ['us-east-1', 'eu-west-1', 'ap-south-1'].map((region) => ({
      region,
      status: region === 'eu-west-1' ? 'failed' : 'planned',
      outputs: {},
      changes: [
        {
          action: 'Modify',
          logicalId: 'Orders',
          type: 'AWS::DynamoDB::Table',
          replacement: 'True',
          guard: 'blocked',
        },
        { action: 'Modify', logicalId: 'Queue', type: 'AWS::SQS::Queue', replacement: 'False' },
      ],
      durationMs: 100,
      reason: region === 'eu-west-1' ? 'blocked' : undefined,
    }))
    const text = summaryMarkdown({ ...settings, mode: 'plan-only' }, guarded, 'x')
    expect(text).toContain(
      '| ⛔ blocked | `Orders` | AWS::DynamoDB::Table | Replacement True | every region |',
    )
    expect(text.indexOf('Replaces or removes stateful resources')).toBeLessThan(text.indexOf('| Region |'))
    expect(text).toContain('| Modify | Orders | AWS::DynamoDB::Table | True ⛔ blocked |')
  })
})

describe('summaryMarkdown over several accounts', () => {
  const target = (account: string, region: string, status: TargetResult['status']): TargetResult => ({
    account,
    region,
    status,
    outputs: {},
    changes: [],
    durationMs: 1000,
    ...(status === 'failed' ? { reason: `cannot assume the role in ${account}` } : {}),
  })
  const many = [
    target('111111111111', 'us-east-1', 'created'),
    target('111111111111', 'eu-west-1', 'created'),
    target('222222222222', 'us-east-1', 'failed'),
    target('222222222222', 'eu-west-1', 'failed'),
  ]
  const md = summaryMarkdown(
    { ...settings, canaryRegions: [], accounts: ['111111111111', '222222222222'] } as unknown as Settings,
    many,
    { fail: false, text: '2 target(s) failed, within the failure tolerance of 2.' },
  )

  it('has one outcome line for the run, then a section per account', () => {
    expect(md.match(/^## /gm)).toHaveLength(1)
    expect(md).toContain('### Account 111111111111: 2 done')
    expect(md).toContain('### Account 222222222222: 2 of 2 failed')
    expect(md.indexOf('### Account 111111111111')).toBeLessThan(md.indexOf('### Account 222222222222'))
  })

  it("lists each account's regions in its own section", () => {
    expect(md).toMatch(/### Account 222222222222[^#]*\| us-east-1 \| failed/)
    expect(md).toMatch(/### Account 111111111111[^#]*\| eu-west-1 \| created/)
  })
})
