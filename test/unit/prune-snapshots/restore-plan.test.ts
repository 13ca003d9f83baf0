import {
  buildPlan,
  RESTORE_TESTED_TAG,
  SOURCE_REGION_TAG,
  SOURCE_SNAPSHOT_TAG,
  SOURCE_TIME_TAG,
  SOURCE_VOLUME_TAG,
  type PlanSettings,
  type RegionFacts,
  type Snapshot,
} from '../../../actions/prune-snapshots/src/plan.js'
import { ARCHIVED_SKIP, withRestoreTests } from '../../../actions/prune-snapshots/src/restore-plan.js'

const ACCOUNT = '123456789012'
const NOW = Date.parse('2026-11-26T12:00:00Z')
const HOUR = 3600_000

const settings = (over: Partial<PlanSettings> = {}): PlanSettings => ({
  regions: ['eu-west-1'],
  filters: [],
  volumeIds: [],
  policy: { keepLast: 2 },
  drPolicy: { keepLast: 2 },
  protectTag: 'DoNotDelete',
  includeArchived: false,
  restoreTests: { perRun: 10 },
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
const facts = (region: string, snapshots: Snapshot[]): RegionFacts => ({
  region,
  snapshots,
  amiSnapshotIds: new Set(),
  lockedSnapshotIds: new Set(),
})
const plan = (all: RegionFacts[], s: PlanSettings) =>
  withRestoreTests(buildPlan(all, ACCOUNT, s, NOW), all, s)

/** A DR copy in us-east-1 of a source snapshot of `volume`. */
const copy = (volume: string, ageHours: number, over: Partial<Snapshot> = {}) =>
  snap({
    region: 'us-east-1',
    volumeId: 'vol-ffffffff',
    ageHours,
    tags: {
      [SOURCE_SNAPSHOT_TAG]: `snap-source-${counter}`,
      [SOURCE_VOLUME_TAG]: volume,
      [SOURCE_REGION_TAG]: 'eu-west-1',
      [SOURCE_TIME_TAG]: new Date(NOW - ageHours * HOUR).toISOString(),
    },
    ...over,
  })

describe('planRestoreTests', () => {
  it('tests the newest kept completed snapshot of each volume in its own region without a DR region', () => {
    const older = snap({ ageHours: 5 })
    const newest = snap({ ageHours: 1 })
    const pending = snap({ ageHours: 0.5, state: 'pending' })
    const other = snap({ ageHours: 2, volumeId: 'vol-22222222' })
    const p = plan([facts('eu-west-1', [older, newest, pending, other])], settings())
    expect(p.restoreTests).toEqual([
      { volume: 'vol-11111111', region: 'eu-west-1', snapshotId: newest.id },
      { volume: 'vol-22222222', region: 'eu-west-1', snapshotId: other.id },
    ])
  })

  it('tests the newest DR copy with a DR region, and names the volumes without a completed copy yet', () => {
    const source = [snap({ ageHours: 3 }), snap({ ageHours: 1, volumeId: 'vol-22222222' })]
    const copies = [copy('vol-11111111', 30), copy('vol-11111111', 3)]
    const p = plan(
      [facts('eu-west-1', source), facts('us-east-1', copies)],
      settings({ drRegion: 'us-east-1' }),
    )
    expect(p.restoreTests).toEqual([
      { volume: 'vol-11111111', region: 'us-east-1', snapshotId: copies[1]!.id },
    ])
    expect(p.restoreSkipped).toEqual([
      expect.objectContaining({
        volume: 'vol-22222222',
        reason: expect.stringMatching(/^no completed DR copy/),
      }),
    ])
  })

  it('takes the volumes tested longest ago first, up to restore-tests-per-run', () => {
    const a = snap({ volumeId: 'vol-aaaaaaaa', tags: { [RESTORE_TESTED_TAG]: '2026-11-20T00:00:00.000Z' } })
    const b = snap({ volumeId: 'vol-bbbbbbbb', tags: { [RESTORE_TESTED_TAG]: '2026-11-10T00:00:00.000Z' } })
    const c = snap({ volumeId: 'vol-cccccccc' })
    const p = plan([facts('eu-west-1', [a, b, c])], settings({ restoreTests: { perRun: 2 } }))
    expect(p.restoreTests!.map((t) => t.volume)).toEqual(['vol-cccccccc', 'vol-bbbbbbbb'])
    expect(p.restoreTests![1]!.lastTested).toBe('2026-11-10T00:00:00.000Z')
    expect(p.restoreSkipped).toEqual([
      expect.objectContaining({
        volume: 'vol-aaaaaaaa',
        reason: expect.stringContaining('restore-tests-per-run (2)'),
      }),
    ])
  })

  it('never tests an archived snapshot: the newest standard one, or none with the reason', () => {
    const archived = snap({ ageHours: 1, storageTier: 'archive' })
    const standard = snap({ ageHours: 2, storageTier: 'standard' })
    const only = snap({ ageHours: 1, storageTier: 'archive', volumeId: 'vol-22222222' })
    const p = plan(
      [
        {
          ...facts('eu-west-1', [archived, standard, only]),
          archivedAt: new Map([
            [archived.id, NOW],
            [only.id, NOW],
          ]),
        },
      ],
      settings({ policy: { keepLast: 2, keepMonthly: 1 }, archiveAfter: '30d' }),
    )
    expect(p.restoreTests).toEqual([{ volume: 'vol-11111111', region: 'eu-west-1', snapshotId: standard.id }])
    expect(p.restoreSkipped).toEqual([
      { volume: 'vol-22222222', region: 'eu-west-1', snapshotId: only.id, reason: ARCHIVED_SKIP },
    ])
  })

  it('plans no tests without verify-restore', () => {
    const p = plan([facts('eu-west-1', [snap()])], settings({ restoreTests: undefined }))
    expect(p.restoreTests).toBeUndefined()
  })
})
