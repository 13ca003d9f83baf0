/**
 * Which backups the restore tests use: pure, beside the retention plan. For
 * every volume in scope, the newest kept completed snapshot in the standard
 * tier: the newest DR copy when there is a DR region, else the newest source
 * snapshot. At most `perRun` volumes a run, those tested longest ago (or never)
 * first, so that every volume is tested over a few runs.
 */
import {
  COPIED_VOLUME_ID,
  isDrCopy,
  RESTORE_TESTED_TAG,
  retentionTime,
  SOURCE_REGION_TAG,
  SOURCE_VOLUME_TAG,
  type Plan,
  type PlannedRestore,
  type PlannedSnapshot,
  type PlanSettings,
  type RegionFacts,
  type SkippedRestore,
  type Snapshot,
} from './plan.js'

/** Why an archived backup is not restored for a test. */
export const ARCHIVED_SKIP =
  'only archived snapshots are kept: an archived snapshot must be restored from the archive tier (hours, and billed) before a volume can be made from it; not attempted'

interface VolumeBackups {
  volume: string
  /** Where its test runs: the DR region, or the source region. */
  region: string
  kept: Snapshot[]
  lastTested?: number
}

/** The source volume a snapshot is a backup of, and the key it is tested under. */
function sourceVolumeOf(s: Snapshot): { volume: string; key: string } | undefined {
  if (isDrCopy(s)) {
    const volume = s.tags[SOURCE_VOLUME_TAG]
    return volume ? { volume, key: `${s.tags[SOURCE_REGION_TAG] ?? '?'}/${volume}` } : undefined
  }
  if (!s.volumeId || s.volumeId === COPIED_VOLUME_ID) return undefined
  return { volume: s.volumeId, key: `${s.region}/${s.volumeId}` }
}

export function planRestoreTests(
  facts: readonly RegionFacts[],
  snapshots: readonly PlannedSnapshot[],
  settings: Pick<PlanSettings, 'regions' | 'drRegion' | 'restoreTests'>,
): { restoreTests: PlannedRestore[]; restoreSkipped: SkippedRestore[] } {
  const perRun = settings.restoreTests?.perRun ?? 0
  const decided = new Map(snapshots.map((p) => [`${p.region}/${p.snapshotId}`, p]))
  const volumes = new Map<string, VolumeBackups>()
  for (const f of facts) {
    const isDr = f.region === settings.drRegion
    if (!isDr && !settings.regions.includes(f.region)) continue
    for (const s of f.snapshots) {
      const entry = decided.get(`${f.region}/${s.id}`)
      if (!entry || isDrCopy(s) !== isDr) continue
      const source = sourceVolumeOf(s)
      if (!source) continue
      const region = settings.drRegion ?? f.region
      const backups = volumes.get(source.key) ?? { volume: source.volume, region, kept: [] }
      volumes.set(source.key, backups)
      const tested = Date.parse(s.tags[RESTORE_TESTED_TAG] ?? '')
      if (!Number.isNaN(tested)) backups.lastTested = Math.max(backups.lastTested ?? 0, tested)
      // Only the copies in the DR region are tested when there is one; the source snapshots only say the volume exists.
      if (isDr || settings.drRegion === undefined) {
        if (entry.decision === 'keep' && s.state === 'completed') backups.kept.push(s)
      }
    }
  }
  const restoreTests: PlannedRestore[] = []
  const restoreSkipped: SkippedRestore[] = []
  const order = [...volumes.entries()].sort(
    ([a, x], [b, y]) => (x.lastTested ?? 0) - (y.lastTested ?? 0) || (a < b ? -1 : a > b ? 1 : 0),
  )
  for (const [, v] of order) {
    const newest = v.kept.sort((a, b) => retentionTime(b) - retentionTime(a) || (a.id < b.id ? 1 : -1))
    const archivedOnly = newest.length > 0 && newest.every((s) => isArchived(s, decided))
    const usable = newest.find((s) => !isArchived(s, decided))
    const base = { volume: v.volume, region: v.region }
    if (!usable) {
      restoreSkipped.push({
        ...base,
        ...(archivedOnly ? { snapshotId: newest[0]!.id } : {}),
        reason: archivedOnly
          ? ARCHIVED_SKIP
          : settings.drRegion
            ? `no completed DR copy in ${settings.drRegion} yet (a copy this run made is tested once it has completed, by a later run)`
            : 'no completed snapshot is kept',
      })
    } else if (restoreTests.length >= perRun) {
      restoreSkipped.push({
        ...base,
        snapshotId: usable.id,
        reason: `over restore-tests-per-run (${perRun}): tested by a later run (volumes tested longest ago go first)`,
      })
    } else {
      restoreTests.push({
        ...base,
        snapshotId: usable.id,
        ...(v.lastTested !== undefined ? { lastTested: new Date(v.lastTested).toISOString() } : {}),
      })
    }
  }
  return { restoreTests, restoreSkipped }
}

function isArchived(s: Snapshot, decided: ReadonlyMap<string, PlannedSnapshot>): boolean {
  return s.storageTier === 'archive' || decided.get(`${s.region}/${s.id}`)?.archive === true
}

/** The plan with its restore tests, when verify-restore asks for them. */
export function withRestoreTests(
  plan: Plan,
  facts: readonly RegionFacts[],
  settings: Pick<PlanSettings, 'regions' | 'drRegion' | 'restoreTests'>,
): Plan {
  return settings.restoreTests ? { ...plan, ...planRestoreTests(facts, plan.snapshots, settings) } : plan
}
