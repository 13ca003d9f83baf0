import type { RegionResult } from '../../../actions/deploy-multi-region/src/deploy-region.js'
import type { Settings } from '../../../actions/deploy-multi-region/src/input-helper.js'
import { summaryMarkdown } from '../../../actions/deploy-multi-region/src/summary.js'

const settings = { stackName: 'orders', planOnly: false, canaryRegions: ['us-east-1'] } as unknown as Settings
const results: RegionResult[] = [
  {
    region: 'us-east-1',
    status: 'updated',
    outputs: {},
    changes: [{ action: 'Modify', logicalId: 'Queue', type: 'AWS::SQS::Queue', replacement: 'False' }],
    durationMs: 1500,
    startedAt: 1000,
    endedAt: 2500,
  },
  {
    region: 'eu-west-1',
    status: 'failed',
    outputs: {},
    changes: [],
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
    reason: 'more than 0 region(s) failed',
  },
]

describe('summaryMarkdown', () => {
  it('has a row per region and a gantt of the regions that ran', () => {
    const md = summaryMarkdown(settings, results, '1 region(s) failed.')
    expect(md).toContain('## Deploy of stack `orders`')
    expect(md).toContain('| Region | Status | Duration | Changes | Reason |')
    expect(md).toContain('| us-east-1 | updated | 1.5 s | 1 |  |')
    expect(md).toContain('| eu-west-1 | failed | 0.9 s | 0 | stack ROLLBACK_COMPLETE: Queue \\| bad |')
    expect(md).toContain('section canary')
    expect(md).toMatch(/eu-west-1 failed :crit, b1, 1600, 2500/)
    expect(md).not.toMatch(/ap-south-1 skipped :/)
    expect(md).not.toContain('Resource changes')
  })
  it('lists the resource changes of a preview', () => {
    const md = summaryMarkdown({ ...settings, planOnly: true }, results, 'Planned.')
    expect(md).toContain('## Plan for stack `orders`')
    expect(md).toContain('| Modify | Queue | AWS::SQS::Queue | False |')
  })
})
