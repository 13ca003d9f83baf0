import {
  applyRetention,
  buildPlan,
  copyTags,
  dayBucket,
  groupOf,
  monthBucket,
  parseDuration,
  planCopies,
  planRegion,
  pendingCopyCount,
  subtractDuration,
  FAILED_COPY_REASON,
  weekBucket,
  SOURCE_REGION_TAG,
  SOURCE_SNAPSHOT_TAG,
  SOURCE_TIME_TAG,
  SOURCE_VOLUME_TAG,
  type PlanSettings,
  type RegionFacts,
  type Snapshot,
} from '../../../actions/prune-snapshots/src/plan.js'

const ACCOUNT = '123456789012'
const NOW = Date.parse('2026-11-26T12:00:00Z')
const HOUR = 3600_000
const DAY = 24 * HOUR

const settings = (over: Partial<PlanSettings> = {}): PlanSettings => ({
  regions: ['eu-west-1'],
  filters: [],
  volumeIds: [],
  policy: { keepLast: 2 },
  drPolicy: { keepLast: 2 },
  protectTag: 'DoNotDelete',
  includeArchived: false,
  ...over,
})

let counter = 0
const snap = (over: Partial<Snapshot> & { ageHours?: number } = {}): Snapshot => {
  const { ageHours, ...rest } = over
  counter++
  return {
    id: `snap-${String(counter).padStart(8, '0')}`,
    region: 'eu-west-1',
    volumeId: 'vol-11111111',
    ownerId: ACCOUNT,
    state: 'completed',
    startTime: NOW - (ageHours ?? counter) * HOUR,
    tags: {},
    ...rest,
  }
}

const facts = (snapshots: Snapshot[], over: Partial<RegionFacts> = {}): RegionFacts => ({
  region: 'eu-west-1',
  snapshots,
  amiSnapshotIds: new Set(),
  lockedSnapshotIds: new Set(),
  ...over,
})

const decisions = (planned: ReturnType<typeof planRegion>) =>
  Object.fromEntries(planned.map((p) => [p.snapshotId, p.decision]))

describe('durations', () => {
  it('parses restic-style durations', () => {
    expect(parseDuration('14d')).toEqual({ y: 0, m: 0, w: 0, d: 14, h: 0 })
    expect(parseDuration('1y6m2w3d36h')).toEqual({ y: 1, m: 6, w: 2, d: 3, h: 36 })
    expect(parseDuration('14')).toBeUndefined()
    expect(parseDuration('d14')).toBeUndefined()
    expect(parseDuration('-1d')).toBeUndefined()
  })
  it('refuses a duration that leaves the calendar instead of keeping nothing', () => {
    expect(() => subtractDuration(NOW, '1000000y')).toThrow(/outside the calendar/)
  })

  it('subtracts on the UTC calendar', () => {
    expect(new Date(subtractDuration(NOW, '36h')).toISOString()).toBe('2026-11-25T00:00:00.000Z')
    expect(new Date(subtractDuration(NOW, '1m')).toISOString()).toBe('2026-10-26T12:00:00.000Z')
    expect(new Date(subtractDuration(NOW, '1y2w')).toISOString()).toBe('2025-11-12T12:00:00.000Z')
  })
})

describe('buckets', () => {
  it('names days, ISO weeks and months in UTC', () => {
    expect(dayBucket(Date.parse('2026-11-26T23:59:59Z'))).toBe('2026-11-26')
    expect(weekBucket(Date.parse('2026-11-26T00:00:00Z'))).toBe('2026-W48')
    // 1 January 2027 is a Friday: it belongs to the last ISO week of 2026.
    expect(weekBucket(Date.parse('2027-01-01T00:00:00Z'))).toBe('2026-W53')
    expect(weekBucket(Date.parse('2024-12-30T00:00:00Z'))).toBe('2025-W01')
    expect(monthBucket(Date.parse('2026-02-28T10:00:00Z'))).toBe('2026-02')
  })
})

describe('applyRetention (restic forget rules)', () => {
  const series = (hoursApart: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: `s${String(i).padStart(3, '0')}`,
      startTime: NOW - i * hoursApart * HOUR,
    }))

  it('keep-last keeps the n newest', () => {
    const kept = applyRetention(series(1, 10), { keepLast: 3 }, NOW)
    expect([...kept.keys()].sort()).toEqual(['s000', 's001', 's002'])
    expect(kept.get('s000')).toEqual(['keep-last 3 (#1 newest)'])
  })
  it('keep-within keeps everything newer than the duration before now', () => {
    const kept = applyRetention(series(12, 10), { keepWithin: '36h' }, NOW)
    expect([...kept.keys()].sort()).toEqual(['s000', 's001', 's002', 's003'])
  })
  it('keep-daily keeps the newest snapshot of each of the last n days that have one', () => {
    // Every 8 hours: three a day. A gap: nothing on 19, 20 and 21 November.
    const gap = [Date.parse('2026-11-19T00:00:00Z'), Date.parse('2026-11-22T00:00:00Z')]
    const items = series(8, 30).filter((s) => s.startTime < gap[0]! || s.startTime >= gap[1]!)
    const kept = applyRetention(items, { keepDaily: 6 }, NOW)
    const days = [...kept.keys()].map((id) => dayBucket(items.find((s) => s.id === id)!.startTime))
    expect(days).toEqual(['2026-11-26', '2026-11-25', '2026-11-24', '2026-11-23', '2026-11-22', '2026-11-18'])
    // The newest of each day: 12:00 on the 26th, 20:00 on the others.
    expect(kept.has('s000')).toBe(true)
    expect(kept.has('s001')).toBe(false)
  })
  it('keep-weekly and keep-monthly use ISO weeks and calendar months', () => {
    const items = series(24, 70)
    const weekly = applyRetention(items, { keepWeekly: 3 }, NOW)
    const weeks = [...weekly.keys()].map((id) => weekBucket(items.find((s) => s.id === id)!.startTime))
    expect(weeks).toEqual(['2026-W48', '2026-W47', '2026-W46'])
    const monthly = applyRetention(items, { keepMonthly: 2 }, NOW)
    expect([...monthly.keys()].map((id) => monthBucket(items.find((s) => s.id === id)!.startTime))).toEqual([
      '2026-11',
      '2026-10',
    ])
  })
  it('keeps a snapshot when any rule keeps it, listing every rule', () => {
    const kept = applyRetention(series(24, 10), { keepLast: 1, keepDaily: 2, keepWithin: '3d' }, NOW)
    expect(kept.get('s000')).toEqual([
      'keep-last 1 (#1 newest)',
      'keep-within 3d',
      'keep-daily 2 (newest of 2026-11-26)',
    ])
    expect([...kept.keys()].sort()).toEqual(['s000', 's001', 's002', 's003'])
  })
  it('orders ties (one-second StartTime resolution) by id, newest id first', () => {
    const kept = applyRetention(
      [
        { id: 'snap-a', startTime: NOW },
        { id: 'snap-c', startTime: NOW },
        { id: 'snap-b', startTime: NOW },
      ],
      { keepLast: 1 },
      NOW,
    )
    expect([...kept.keys()]).toEqual(['snap-c'])
  })
})

describe('planRegion', () => {
  it('deletes what no rule keeps, with a reason for every decision', () => {
    const s = [snap({ ageHours: 1 }), snap({ ageHours: 2 }), snap({ ageHours: 3 }), snap({ ageHours: 4 })]
    const plan = planRegion(facts(s), ACCOUNT, settings(), NOW)
    expect(decisions(plan)).toEqual({
      [s[0]!.id]: 'keep',
      [s[1]!.id]: 'keep',
      [s[2]!.id]: 'delete',
      [s[3]!.id]: 'delete',
    })
    for (const p of plan) expect(p.reasons.length).toBeGreaterThan(0)
    expect(plan[2]!.reasons).toEqual(['not kept by any retention rule'])
  })

  it.each([
    ['owned by another account', () => snap({ ownerId: '999999999999' })],
    ['state is pending', () => snap({ state: 'pending' })],
    ['state is error', () => snap({ state: 'error' })],
    ['archive tier', () => snap({ storageTier: 'archive' })],
    ['has the protect tag DoNotDelete', () => snap({ tags: { DoNotDelete: '' } })],
    ['managed by AWS Backup', () => snap({ tags: { 'aws:backup:source-resource': 'arn:aws:ec2:...' } })],
    [
      'managed by AWS Backup',
      () => snap({ description: 'This snapshot is created by the AWS Backup service.' }),
      {},
    ],
    [
      'managed by Data Lifecycle Manager',
      () => snap({ tags: { 'aws:dlm:lifecycle-policy-id': 'policy-1' } }),
      {},
    ],
  ] as Array<[string, () => Snapshot]>)('never deletes a snapshot that is %s', (reason, make) => {
    const old = make()
    old.startTime = NOW - 1000 * DAY
    const newer = [snap({ ageHours: 1 }), snap({ ageHours: 2 }), snap({ ageHours: 3 })]
    const plan = planRegion(facts([old, ...newer]), ACCOUNT, settings({ policy: { keepLast: 1 } }), NOW)
    const entry = plan.find((p) => p.snapshotId === old.id)!
    expect(entry.decision).toBe('keep')
    expect(entry.reasons.join('; ')).toContain(reason)
  })

  it('never deletes AMI-backed or locked snapshots', () => {
    const [ami, locked, ...rest] = [snap({ ageHours: 900 }), snap({ ageHours: 901 }), snap({ ageHours: 1 })]
    const plan = planRegion(
      facts([ami!, locked!, ...rest], {
        amiSnapshotIds: new Set([ami!.id]),
        lockedSnapshotIds: new Set([locked!.id]),
      }),
      ACCOUNT,
      settings({ policy: { keepLast: 1 } }),
      NOW,
    )
    expect(plan.find((p) => p.snapshotId === ami!.id)!.reasons).toContain('backs a registered AMI')
    expect(plan.find((p) => p.snapshotId === locked!.id)!.reasons).toContain('locked')
    expect(plan.every((p) => p.decision === 'keep')).toBe(true)
  })

  it('deletes archive-tier snapshots only with include-archived', () => {
    const s = [snap({ ageHours: 1 }), snap({ ageHours: 500, storageTier: 'archive' })]
    expect(
      decisions(planRegion(facts(s), ACCOUNT, settings({ policy: { keepLast: 1 } }), NOW))[s[1]!.id],
    ).toBe('keep')
    const plan = planRegion(
      facts(s, { archivedAt: new Map([[s[1]!.id, NOW - 100 * DAY]]) }),
      ACCOUNT,
      settings({ policy: { keepLast: 1 }, includeArchived: true }),
      NOW,
    )
    expect(decisions(plan)[s[1]!.id]).toBe('delete')
  })

  it('never deletes a snapshot archived less than 90 days ago, nor one whose archival time is unknown, and says so', () => {
    const s = [snap({ ageHours: 1 }), snap({ ageHours: 5000, storageTier: 'archive' })]
    const young = planRegion(
      facts(s, { archivedAt: new Map([[s[1]!.id, NOW - 30 * DAY]]) }),
      ACCOUNT,
      settings({ policy: { keepLast: 1, keepMonthly: 1 }, archiveAfter: '30d' }),
      NOW,
    )
    const entry = young.find((p) => p.snapshotId === s[1]!.id)!
    expect(entry.decision).toBe('keep')
    expect(entry.reasons[0]).toBe(
      "archived 2026-10-27: AWS's minimum of 90 days in the archive tier lasts until 2027-01-25",
    )
    const unknown = planRegion(
      facts(s),
      ACCOUNT,
      settings({ policy: { keepLast: 1 }, includeArchived: true }),
      NOW,
    )
    expect(unknown.find((p) => p.snapshotId === s[1]!.id)!.reasons[0]).toMatch(
      /^archived \(when is unknown\)/,
    )
  })

  it('archives a snapshot older than archive-after that keep-monthly alone keeps, and nothing the short-term rules keep', () => {
    const newest = snap({ ageHours: 1 })
    const monthly = snap({ ageHours: 40 * 24 })
    const old = snap({ ageHours: 70 * 24 })
    const plan = planRegion(
      facts([newest, monthly, old]),
      ACCOUNT,
      settings({ policy: { keepLast: 1, keepMonthly: 3 }, archiveAfter: '30d' }),
      NOW,
    )
    const by = Object.fromEntries(plan.map((p) => [p.snapshotId, p]))
    expect(by[newest.id]!.archive).toBeUndefined()
    expect(by[monthly.id]).toMatchObject({ decision: 'keep', archive: true })
    expect(by[monthly.id]!.reasons.at(-1)).toBe(
      'archive-after 30d: kept only for the long term, moved to the archive tier',
    )
    expect(by[old.id]).toMatchObject({ decision: 'keep', archive: true })
    // Without archive-after nothing is archived.
    const plain = planRegion(
      facts([newest, monthly]),
      ACCOUNT,
      settings({ policy: { keepLast: 1, keepMonthly: 3 } }),
      NOW,
    )
    expect(plain.some((p) => p.archive)).toBe(false)
  })

  it('always keeps the newest completed snapshot of a volume', () => {
    const s = [snap({ ageHours: 1, state: 'pending' }), snap({ ageHours: 2 }), snap({ ageHours: 3 })]
    const plan = planRegion(facts(s), ACCOUNT, settings({ policy: { keepLast: 1 } }), NOW)
    // keep-last 1 keeps the pending one (it counts as a backup), so the floor keeps the newest completed.
    expect(decisions(plan)).toEqual({ [s[0]!.id]: 'keep', [s[1]!.id]: 'keep', [s[2]!.id]: 'delete' })
    expect(plan[1]!.reasons).toEqual(['newest completed snapshot of the group (one is always kept)'])
    const none = planRegion(facts([snap({ ageHours: 5000 })]), ACCOUNT, settings({ policy: {} }), NOW)
    expect(none[0]!.decision).toBe('keep')
  })

  it('groups by volume; a snapshot without a real volume id is a group of its own', () => {
    expect(groupOf(snap({ volumeId: 'vol-ffffffff', id: 'snap-x' }))).toBe('snapshot snap-x')
    expect(groupOf(snap({ volumeId: undefined, id: 'snap-y' }))).toBe('snapshot snap-y')
    const a = [
      snap({ ageHours: 1, volumeId: 'vol-aaaaaaaa' }),
      snap({ ageHours: 2, volumeId: 'vol-aaaaaaaa' }),
    ]
    const b = [
      snap({ ageHours: 3, volumeId: 'vol-bbbbbbbb' }),
      snap({ ageHours: 4, volumeId: 'vol-bbbbbbbb' }),
    ]
    const plan = planRegion(facts([...a, ...b]), ACCOUNT, settings({ policy: { keepLast: 1 } }), NOW)
    expect(decisions(plan)).toEqual({
      [a[0]!.id]: 'keep',
      [a[1]!.id]: 'delete',
      [b[0]!.id]: 'keep',
      [b[1]!.id]: 'delete',
    })
  })

  it('applies the filters and volume ids again on the client side', () => {
    const s = [
      snap({ ageHours: 1, tags: { team: 'a' } }),
      snap({ ageHours: 2, tags: { team: 'a' } }),
      snap({ ageHours: 3, tags: { team: 'b' } }),
      snap({ ageHours: 4 }),
    ]
    const plan = planRegion(
      facts(s),
      ACCOUNT,
      settings({ filters: [{ key: 'team', value: 'a' }], policy: { keepLast: 1 } }),
      NOW,
    )
    expect(plan.map((p) => p.snapshotId)).toEqual([s[0]!.id, s[1]!.id])
    const anyTeam = planRegion(
      facts(s),
      ACCOUNT,
      settings({ filters: [{ key: 'team' }], policy: { keepLast: 1 } }),
      NOW,
    )
    expect(anyTeam).toHaveLength(3)
    const byVolume = planRegion(facts(s), ACCOUNT, settings({ volumeIds: ['vol-22222222'] }), NOW)
    expect(byVolume).toHaveLength(0)
  })
})

describe('DR copies', () => {
  const dr = 'us-east-1'
  const drSettings = settings({ drRegion: dr, drPolicy: { keepLast: 2 }, policy: { keepLast: 3 } })

  it('copies the newest completed snapshot of each volume once, with the source tags and its own', () => {
    const s = [
      snap({ ageHours: 1, state: 'pending' }),
      snap({ ageHours: 2, tags: { team: 'a', 'aws:backup:x': 'y' } }),
      snap({ ageHours: 3 }),
    ]
    const copies = planCopies([facts(s), { ...facts([]), region: dr }], ACCOUNT, drSettings)
    expect(copies).toHaveLength(1)
    expect(copies[0]).toMatchObject({ sourceRegion: 'eu-west-1', sourceSnapshotId: s[1]!.id, region: dr })
    expect(copies[0]!.tags).toEqual({
      team: 'a',
      [SOURCE_SNAPSHOT_TAG]: s[1]!.id,
      [SOURCE_VOLUME_TAG]: 'vol-11111111',
      [SOURCE_REGION_TAG]: 'eu-west-1',
      [SOURCE_TIME_TAG]: new Date(s[1]!.startTime).toISOString(),
    })
    const existing: Snapshot = { ...snap({ region: dr, volumeId: 'vol-ffffffff' }), tags: copyTags(s[1]!) }
    expect(planCopies([facts(s), { ...facts([existing]), region: dr }], ACCOUNT, drSettings)).toEqual([])
  })

  it('applies the DR retention to copies grouped by source volume, counting the copy being made', () => {
    const source = [snap({ ageHours: 1 }), snap({ ageHours: 30 }), snap({ ageHours: 60 })]
    const copyOf = (s: Snapshot): Snapshot => ({
      ...snap({ region: dr, volumeId: 'vol-ffffffff', ageHours: 0 }),
      tags: copyTags(s),
    })
    const oldCopies = [copyOf(source[1]!), copyOf(source[2]!)]
    const plan = buildPlan([facts(source), { ...facts(oldCopies), region: dr }], ACCOUNT, drSettings, NOW)
    expect(plan.copies.map((c) => c.sourceSnapshotId)).toEqual([source[0]!.id])
    const drEntries = plan.snapshots.filter((p) => p.region === dr)
    expect(drEntries.map((p) => [p.planned ?? false, p.decision])).toEqual([
      [false, 'keep'],
      [false, 'delete'],
      [true, 'keep'],
    ])
    expect(drEntries[0]!.group).toBe('copy of eu-west-1/vol-11111111')
    // The copy's own StartTime is ignored: its source's time decides its age.
    expect(drEntries[1]!.snapshotId).toBe(oldCopies[1]!.id)
  })

  it('deletes a copy of ours in state error and copies its source again; counts our pending copies', () => {
    const source = [snap({ ageHours: 1 })]
    const failed: Snapshot = {
      ...snap({ region: dr, volumeId: 'vol-ffffffff', state: 'error', ageHours: 0 }),
      tags: copyTags(source[0]!),
    }
    const pending: Snapshot = {
      ...snap({ region: dr, volumeId: 'vol-ffffffff', state: 'pending', ageHours: 0 }),
      tags: copyTags(snap({ volumeId: 'vol-22222222' })),
    }
    const drFacts = { ...facts([failed, pending]), region: dr }
    const plan = buildPlan([facts(source), drFacts], ACCOUNT, drSettings, NOW)
    expect(plan.copies.map((c) => c.sourceSnapshotId)).toEqual([source[0]!.id])
    const entry = plan.snapshots.find((p) => p.snapshotId === failed.id)!
    expect(entry).toMatchObject({ decision: 'delete', reasons: [FAILED_COPY_REASON] })
    expect(plan.failedCopies).toEqual([
      { region: dr, snapshotId: failed.id, sourceSnapshotId: source[0]!.id },
    ])
    // A pending copy is a copy: kept, not copied again, and it holds a copy slot.
    expect(plan.snapshots.find((p) => p.snapshotId === pending.id)!.decision).toBe('keep')
    expect(pendingCopyCount([facts(source), drFacts], drSettings)).toBe(1)
    // A failed copy that is protected stays.
    const tagged = { ...failed, tags: { ...failed.tags, DoNotDelete: '' } }
    const kept = buildPlan([facts(source), { ...facts([tagged]), region: dr }], ACCOUNT, drSettings, NOW)
    expect(kept.snapshots.find((p) => p.snapshotId === failed.id)!.decision).toBe('keep')
  })

  it('leaves DR copies alone in a region that is not the DR region', () => {
    const copy: Snapshot = { ...snap({ ageHours: 500 }), tags: copyTags(snap()) }
    expect(
      planRegion(facts([copy, snap({ ageHours: 1 })]), ACCOUNT, settings({ policy: { keepLast: 1 } }), NOW),
    ).toHaveLength(1)
  })
})
