import { reasonCategory, renderSummary } from '../../../actions/prune-snapshots/src/summary.js'
import type { Plan, PlannedSnapshot } from '../../../actions/prune-snapshots/src/plan.js'

const entry = (over: Partial<PlannedSnapshot>): PlannedSnapshot => ({
  region: 'eu-west-1',
  snapshotId: 'snap-1',
  group: 'vol-1',
  startTime: '2026-11-26T00:00:00.000Z',
  state: 'completed',
  decision: 'keep',
  reasons: ['keep-last 7 (#1 newest)'],
  ...over,
})

describe('reasonCategory', () => {
  it('shortens rule reasons', () => {
    expect(reasonCategory(entry({}))).toBe('keep-last')
    expect(reasonCategory(entry({ reasons: ['has the protect tag DoNotDelete'] }))).toBe('protect tag')
    expect(reasonCategory(entry({ reasons: ['locked'] }))).toBe('locked')
  })
})

describe('renderSummary', () => {
  const plan: Plan = {
    accountId: '123456789012',
    now: '2026-11-26T12:00:00.000Z',
    snapshots: [
      entry({ snapshotId: 'snap-1' }),
      entry({ snapshotId: 'snap-2', decision: 'delete', reasons: ['not kept by any retention rule'] }),
      entry({ region: 'us-east-1', snapshotId: 'snap-3', reasons: ['locked'] }),
    ],
    copies: [],
  }
  it('has a table per region and says when nothing was changed', () => {
    const text = renderSummary({
      plan,
      outcome: 'dry-run',
      planPath: '/tmp/plan.json',
      regions: ['eu-west-1', 'us-east-1'],
      deletions: new Map(),
      copies: [],
      failedRegions: new Map(),
      recycleBin: new Map([['us-east-1', [{ identifier: 'rule-1', retentionDays: 7 }]]]),
      maxDelete: 100,
    })
    expect(text).toContain('**Dry run: nothing was changed.**')
    expect(text).toContain('| eu-west-1 | 2 | 1 | 1 | 0 | 0 | 0 | 0 |')
    expect(text).toContain('### us-east-1')
    expect(text).toContain('| locked | 1 |')
    expect(text).toContain('rule rule-1 retains deleted snapshots for 7 days')
    expect(text).toContain('xychart-beta')
  })
})
