import fc from 'fast-check'
import {
  buildPlan,
  countsForRetention,
  groupOf,
  newestFirst,
  type PlanSettings,
  type RegionFacts,
  type RetentionPolicy,
  type Snapshot,
} from '../../../actions/prune-snapshots/src/plan.js'

const ACCOUNT = '123456789012'
const NOW = Date.parse('2026-11-26T12:00:00Z')
const REGION = 'eu-west-1'

interface Estate {
  snapshots: Snapshot[]
  ami: Set<string>
  locked: Set<string>
}

const snapshotArb = fc.record({
  volume: fc.constantFrom('vol-aaaaaaaa', 'vol-bbbbbbbb', 'vol-cccccccc', 'vol-ffffffff'),
  // Whole seconds within about 400 days, with a small range so ties happen too.
  ageSeconds: fc.oneof(fc.integer({ min: 0, max: 400 * 86400 }), fc.integer({ min: 0, max: 5 })),
  foreign: fc.boolean(),
  state: fc.constantFrom('completed', 'completed', 'completed', 'pending', 'error'),
  archive: fc.boolean(),
  protect: fc.boolean(),
  backup: fc.constantFrom('none', 'none', 'tag', 'description'),
  ami: fc.boolean(),
  locked: fc.boolean(),
})

const estateArb: fc.Arbitrary<Estate> = fc.array(snapshotArb, { maxLength: 40 }).map((items) => {
  const estate: Estate = { snapshots: [], ami: new Set(), locked: new Set() }
  items.forEach((item, i) => {
    const id = `snap-${String(i).padStart(17, '0')}`
    const tags: Record<string, string> = {}
    if (item.protect && i % 3 === 0) tags.DoNotDelete = 'yes'
    if (item.backup === 'tag')
      tags['aws:backup:source-resource'] = 'arn:aws:ec2:eu-west-1:123456789012:volume/vol-a'
    estate.snapshots.push({
      id,
      region: REGION,
      volumeId: item.volume,
      ownerId: item.foreign && i % 4 === 0 ? '999999999999' : ACCOUNT,
      state: item.state,
      startTime: NOW - item.ageSeconds * 1000,
      storageTier: item.archive && i % 5 === 0 ? 'archive' : 'standard',
      description: item.backup === 'description' ? 'This snapshot is created by the AWS Backup service.' : '',
      tags,
    })
    if (item.ami && i % 6 === 0) estate.ami.add(id)
    if (item.locked && i % 7 === 0) estate.locked.add(id)
  })
  return estate
})

const count = fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined })
const policyArb: fc.Arbitrary<RetentionPolicy> = fc.record({
  keepLast: count,
  keepWithin: fc.option(fc.constantFrom('1h', '36h', '14d', '2w', '1m', '1y'), { nil: undefined }),
  keepDaily: count,
  keepWeekly: count,
  keepMonthly: count,
})

const settingsFor = (policy: RetentionPolicy, includeArchived: boolean): PlanSettings => ({
  regions: [REGION],
  filters: [],
  volumeIds: [],
  policy,
  drPolicy: policy,
  protectTag: 'DoNotDelete',
  includeArchived,
})

const factsOf = (estate: Estate, snapshots = estate.snapshots): RegionFacts => ({
  region: REGION,
  snapshots,
  amiSnapshotIds: estate.ami,
  lockedSnapshotIds: estate.locked,
})

const plan = (estate: Estate, settings: PlanSettings, snapshots?: Snapshot[]) =>
  buildPlan([factsOf(estate, snapshots)], ACCOUNT, settings, NOW)

const runs = { numRuns: 400 }

describe('retention planner properties', () => {
  it('never deletes a protected, AMI-backed, pending, errored, locked, foreign, Backup-managed or (by default) archived snapshot', () => {
    fc.assert(
      fc.property(estateArb, policyArb, fc.boolean(), (estate, policy, includeArchived) => {
        const deleted = new Set(
          plan(estate, settingsFor(policy, includeArchived))
            .snapshots.filter((p) => p.decision === 'delete')
            .map((p) => p.snapshotId),
        )
        for (const s of estate.snapshots) {
          if (!deleted.has(s.id)) continue
          expect(s.tags.DoNotDelete).toBeUndefined()
          expect(estate.ami.has(s.id)).toBe(false)
          expect(estate.locked.has(s.id)).toBe(false)
          expect(s.state).toBe('completed')
          expect(s.ownerId).toBe(ACCOUNT)
          expect(s.tags['aws:backup:source-resource']).toBeUndefined()
          expect(s.description).not.toMatch(/AWS Backup/)
          if (!includeArchived) expect(s.storageTier).not.toBe('archive')
        }
      }),
      runs,
    )
  })

  it('never deletes one of the newest keep-last snapshots of a volume', () => {
    fc.assert(
      fc.property(estateArb, policyArb, (estate, policy) => {
        const settings = settingsFor(policy, false)
        const deleted = new Set(
          plan(estate, settings)
            .snapshots.filter((p) => p.decision === 'delete')
            .map((p) => p.snapshotId),
        )
        const groups = new Map<string, Snapshot[]>()
        for (const s of estate.snapshots) {
          if (!countsForRetention(s, ACCOUNT, settings)) continue
          groups.set(groupOf(s), [...(groups.get(groupOf(s)) ?? []), s])
        }
        for (const members of groups.values()) {
          for (const s of newestFirst(members).slice(0, policy.keepLast ?? 0))
            expect(deleted.has(s.id)).toBe(false)
        }
      }),
      runs,
    )
  })

  it('never leaves a volume without a snapshot, nor without a completed one if it had one', () => {
    fc.assert(
      fc.property(estateArb, policyArb, fc.boolean(), (estate, policy, includeArchived) => {
        const result = plan(estate, settingsFor(policy, includeArchived))
        const byGroup = new Map<string, typeof result.snapshots>()
        for (const p of result.snapshots) byGroup.set(p.group, [...(byGroup.get(p.group) ?? []), p])
        for (const entries of byGroup.values()) {
          const kept = entries.filter((p) => p.decision === 'keep')
          expect(kept.length).toBeGreaterThan(0)
          if (entries.some((p) => p.state === 'completed'))
            expect(kept.some((p) => p.state === 'completed')).toBe(true)
        }
        for (const p of result.snapshots) expect(p.reasons.length).toBeGreaterThan(0)
      }),
      runs,
    )
  })

  it('planning again after applying the plan deletes nothing more', () => {
    fc.assert(
      fc.property(estateArb, policyArb, fc.boolean(), (estate, policy, includeArchived) => {
        const settings = settingsFor(policy, includeArchived)
        const first = plan(estate, settings)
        const deleted = new Set(
          first.snapshots.filter((p) => p.decision === 'delete').map((p) => p.snapshotId),
        )
        const remaining = estate.snapshots.filter((s) => !deleted.has(s.id))
        const second = plan(estate, settings, remaining)
        expect(second.snapshots.filter((p) => p.decision === 'delete')).toEqual([])
        expect(second.snapshots.map((p) => p.snapshotId).sort()).toEqual(
          first.snapshots
            .filter((p) => p.decision === 'keep')
            .map((p) => p.snapshotId)
            .sort(),
        )
      }),
      runs,
    )
  })
})
