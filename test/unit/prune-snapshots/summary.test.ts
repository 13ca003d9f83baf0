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
  const base = {
    plan,
    outcome: 'dry-run' as const,
    planPath: '/home/runner/work/_temp/prune-snapshots-plan-1.json',
    regions: ['eu-west-1', 'us-east-1'],
    deletions: new Map(),
    copies: [],
    failedRegions: new Map<string, string>(),
    recycleBin: new Map([['us-east-1', [{ identifier: 'rule-1', retentionDays: 7 }]]]),
    maxDelete: 100,
    settings: {
      policy: { keepLast: 7, keepDaily: 14 },
      regions: ['eu-west-1', 'us-east-1'],
      filters: [{ key: 'Backup', value: 'nightly' }],
      volumeIds: [],
      protectTag: 'DoNotDelete',
      drPolicy: {},
      maxDelete: 100,
      dryRun: true,
    },
  }
  it('says first that nothing was changed, then states the policy, filters and scope once', () => {
    const text = renderSummary(base)
    expect(text.split('\n')[0]).toBe(
      '## ✅ Prune of EBS snapshots passed: Dry run: nothing was changed; the policy would delete 1 of 3 snapshots.',
    )
    expect(text).toContain(
      '<sub>Inputs: `policy` keep-last 7, keep-daily 14 · `regions` eu-west-1, us-east-1 · `filters` Backup=nightly · `protect-tag` DoNotDelete · `max-delete` 100 · `dry-run` true</sub>',
    )
    expect(text).toContain('| eu-west-1 | source | 2 | 1 | 1 | 0 | — | 1 |')
    expect(text).toContain('### us-east-1')
    expect(text).toContain('| locked | 1 |')
    expect(text).toContain('rule rule-1 retains deleted snapshots for 7 days')
    expect(text).toContain('<details><summary>To delete: 1 snapshot(s)</summary>')
  })
  it('names the plan file, not the runner’s temporary path', () => {
    const text = renderSummary(base)
    expect(text).toContain('`prune-snapshots-plan-1.json`')
    expect(text).not.toContain('/home/runner/work/_temp')
  })
  it('counts the DR copies made in the DR region’s row', () => {
    const copy = {
      sourceRegion: 'eu-west-1',
      sourceSnapshotId: 'snap-1',
      sourceVolumeId: 'vol-1',
      region: 'eu-central-1',
      startTime: 0,
      encrypted: false,
      tags: {},
    }
    const withCopy: Plan = {
      ...plan,
      snapshots: [
        ...plan.snapshots,
        entry({
          region: 'eu-central-1',
          snapshotId: 'planned-1',
          planned: true,
          reasons: ['copy made by this run'],
        }),
      ],
      copies: [copy],
    }
    const text = renderSummary({
      ...base,
      plan: withCopy,
      outcome: 'applied',
      regions: ['eu-west-1', 'us-east-1', 'eu-central-1'],
      deletions: new Map([
        ['eu-west-1', { deleted: ['snap-2'], alreadyGone: [], refused: [], failed: [], notStarted: [] }],
      ]),
      copies: [{ copy, snapshotId: 'snap-9' }],
      settings: { ...base.settings, drRegion: 'eu-central-1', drPolicy: { keepLast: 2 }, dryRun: false },
    })
    expect(text.split('\n')[0]).toBe(
      '## ✅ Prune of EBS snapshots passed: Deleted 1 of 3 snapshots; made 1 of 1 DR copies into eu-central-1.',
    )
    expect(text).toContain('| eu-west-1 | source | 2 | 1 | 1 | 0 | 1 copied to eu-central-1 | 1 |')
    expect(text).toContain('| eu-central-1 | DR copies | 0 | 0 | 0 | 0 | 1 made here | 1 |')
    expect(text).toContain('| eu-west-1/snap-1 | vol-1 | eu-central-1/snap-9 | made |')
  })
  it('fails and lists what failed first when a region was not read', () => {
    const text = renderSummary({ ...base, failedRegions: new Map([['us-east-1', 'AccessDenied']]) })
    expect(text).toMatch(/^## ❌ Prune of EBS snapshots failed:/)
    expect(text.indexOf('| us-east-1 | AccessDenied |')).toBeLessThan(text.indexOf('| Region | Role |'))
    expect(text).toContain('| us-east-1 | source | not read | — | — | — | — | — |')
  })
  it('draws kept and deleted as separate bars per region only when two regions have snapshots', () => {
    const two: Plan = {
      ...plan,
      snapshots: [
        ...plan.snapshots,
        entry({ region: 'us-east-1', snapshotId: 'snap-4', decision: 'delete' }),
        entry({ region: 'us-east-1', snapshotId: 'snap-5' }),
      ],
    }
    const text = renderSummary({ ...base, plan: two })
    expect(text).toContain(
      'x-axis ["eu-west-1 kept", "eu-west-1 to delete", "us-east-1 kept", "us-east-1 to delete"]',
    )
    expect(text).toContain('  bar [1, 1, 2, 1]')
    expect(renderSummary({ ...base, regions: ['eu-west-1'] })).not.toContain('xychart-beta')
  })
})
