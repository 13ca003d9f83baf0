/**
 * The retention planner: pure functions, no I/O. Given what was read from each
 * region and a clock, decides for every snapshot whether it is kept or deleted
 * and why, and which snapshots are copied to the DR region.
 *
 * Retention follows restic's `forget`: each rule picks snapshots to keep, a
 * snapshot is kept when any rule keeps it, and the rest are deleted, except
 * those that are never deleted whatever the rules say.
 */

/** Tags the action puts on DR copies, so a copy is found again and grouped by its source volume. */
export const SOURCE_SNAPSHOT_TAG = 'prune-snapshots:source-snapshot-id'
export const SOURCE_VOLUME_TAG = 'prune-snapshots:source-volume-id'
export const SOURCE_REGION_TAG = 'prune-snapshots:source-region'
export const SOURCE_TIME_TAG = 'prune-snapshots:source-start-time'
/** On copies into a DR account: the account the source snapshot is in. */
export const SOURCE_ACCOUNT_TAG = 'prune-snapshots:source-account'

/** Put on the snapshot a restore test used, with the time: the next runs test the volumes tested longest ago first. */
export const RESTORE_TESTED_TAG = 'prune-snapshots:restore-tested'

/**
 * AWS bills an archived snapshot for 90 days at least: "The archive retention rule
 * must retain snapshots in the archive tier for a minimum of 90 days" (Data
 * Lifecycle Manager API Reference, RetentionArchiveTier; the EBS User Guide's
 * "Archive Amazon EBS snapshots" charges the rest of the 90 days on an earlier
 * deletion). An archived snapshot younger than that in the archive is kept.
 */
export const ARCHIVE_MINIMUM_DAYS = 90

/** The volume id AWS gives snapshots that were copied: it names no real volume. */
export const COPIED_VOLUME_ID = 'vol-ffffffff'

/** EC2 accepts at most 50 tags on a resource. */
const MAX_TAGS = 50

export interface Snapshot {
  id: string
  region: string
  volumeId?: string
  ownerId?: string
  /** pending | completed | error (| recoverable | recovering) */
  state: string
  /** StartTime in epoch milliseconds. */
  startTime: number
  /** standard | archive */
  storageTier?: string
  description?: string
  encrypted?: boolean
  /** The KMS key an encrypted snapshot is encrypted with (its ARN). */
  kmsKeyId?: string
  tags: Record<string, string>
}

export interface RetentionPolicy {
  keepLast?: number
  /** A duration as written by the user (`14d`, `36h`, `1y6m`). */
  keepWithin?: string
  keepDaily?: number
  keepWeekly?: number
  keepMonthly?: number
}

export interface TagFilter {
  key: string
  /** undefined: any value (`Key=*`). */
  value?: string
}

export interface PlanSettings {
  regions: string[]
  filters: TagFilter[]
  volumeIds: string[]
  policy: RetentionPolicy
  drRegion?: string
  drPolicy: RetentionPolicy
  protectTag: string
  includeArchived: boolean
  /**
   * A duration: a kept snapshot older than it that only keep-weekly or
   * keep-monthly keep is moved to the archive tier. Archived snapshots then
   * count for the keep rules like the others.
   */
  archiveAfter?: string
  /** Restore tests after the run: how many volumes at most (the ones tested longest ago first). */
  restoreTests?: { perRun: number }
  /** The DR region is in this account (dr-account): its copies are owned there, and shared to it to be made. */
  drAccountId?: string
  /** The copies into a DR account are encrypted with this key there (unencrypted ones are refused without it). */
  kmsKeyId?: string
}

/** Everything read from one region. */
export interface RegionFacts {
  region: string
  snapshots: Snapshot[]
  /** Snapshots referenced by a registered AMI's block device mappings. */
  amiSnapshotIds: ReadonlySet<string>
  /** Snapshots whose lock state is governance, compliance or compliance-cooloff. */
  lockedSnapshotIds: ReadonlySet<string>
  /** Archived snapshots: when their archival started (DescribeSnapshotTierStatus), epoch ms. */
  archivedAt?: ReadonlyMap<string, number>
}

export type Decision = 'keep' | 'delete'

export interface PlannedSnapshot {
  region: string
  snapshotId: string
  /** The retention group: a volume, or a source volume for DR copies. */
  group: string
  startTime: string
  state: string
  decision: Decision
  reasons: string[]
  /** True for a DR copy this run is about to make (not yet in the account). */
  planned?: boolean
  /** Kept, and moved to the archive tier by this run (archive-after). */
  archive?: boolean
  /** standard | archive, as read. */
  storageTier?: string
}

/** A restore test the run makes after pruning: a volume from `snapshotId`, in `region`. */
export interface PlannedRestore {
  /** The source volume whose backup is tested. */
  volume: string
  region: string
  snapshotId: string
  /** When a restore test last used one of this volume's snapshots (the rotation's order). */
  lastTested?: string
}

/** A volume whose backup is not tested this run, and why. */
export interface SkippedRestore {
  volume: string
  region: string
  snapshotId?: string
  reason: string
}

export interface PlannedCopy {
  sourceRegion: string
  sourceSnapshotId: string
  sourceVolumeId: string
  region: string
  startTime: number
  encrypted: boolean
  tags: Record<string, string>
  /** Into a DR account: the account the source is shared with for the copy. */
  shareWith?: string
  /** Into a DR account, an encrypted source: its KMS key, which the DR account is granted the use of. */
  sourceKmsKeyId?: string
  /** Why the copy is not made (an unencrypted source into another account without kms-key-id). */
  refused?: string
}

/** A DR copy of this action's that AWS left in state `error`: deleted and made again. */
export interface FailedCopy {
  region: string
  snapshotId: string
  sourceSnapshotId: string
}

export interface Plan {
  accountId: string
  now: string
  snapshots: PlannedSnapshot[]
  copies: PlannedCopy[]
  /** Copies of this action's in state error, deleted and made again (also listed in snapshots). */
  failedCopies?: FailedCopy[]
  /** verify-restore: the volumes tested after pruning, and those skipped with the reason. */
  restoreTests?: PlannedRestore[]
  restoreSkipped?: SkippedRestore[]
}

// ---------------------------------------------------------------- durations

const DURATION_PART = /(\d+)([ymwdh])/g
export const DURATION_SHAPE = /^(\d+[ymwdh])+$/

/**
 * Parses `14d`, `36h`, `1y6m2w` (years, months, weeks, days, hours) into its
 * parts; undefined when the text is not of that shape.
 */
export function parseDuration(text: string): Record<'y' | 'm' | 'w' | 'd' | 'h', number> | undefined {
  if (!DURATION_SHAPE.test(text)) return undefined
  const parts = { y: 0, m: 0, w: 0, d: 0, h: 0 }
  for (const match of text.matchAll(DURATION_PART)) {
    parts[match[2] as keyof typeof parts] += Number(match[1])
  }
  return parts
}

/** The instant `duration` before `now`, counted on the UTC calendar like restic does. */
export function subtractDuration(now: number, duration: string): number {
  const parts = parseDuration(duration)
  if (parts === undefined) throw new Error(`Not a duration: ${duration}`)
  const date = new Date(now)
  date.setUTCFullYear(
    date.getUTCFullYear() - parts.y,
    date.getUTCMonth() - parts.m,
    date.getUTCDate() - parts.d - 7 * parts.w,
  )
  const since = date.getTime() - parts.h * 3600_000
  // Outside the Date range the comparison with every StartTime is false and the rule would keep nothing.
  if (Number.isNaN(since)) throw new Error(`Duration ${duration} reaches outside the calendar`)
  return since
}

// ---------------------------------------------------------------- buckets

const pad = (n: number) => String(n).padStart(2, '0')

export function dayBucket(ms: number): string {
  const d = new Date(ms)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
}

/** ISO 8601 week, e.g. `2026-W48` (weeks start on Monday, week 1 holds the first Thursday). */
export function weekBucket(ms: number): string {
  const d = new Date(ms)
  const day = (d.getUTCDay() + 6) % 7
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3)
  const year = new Date(thursday).getUTCFullYear()
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86400_000)) + 1
  return `${year}-W${pad(week)}`
}

export function monthBucket(ms: number): string {
  const d = new Date(ms)
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`
}

// ---------------------------------------------------------------- retention

export interface RetentionCandidate {
  id: string
  startTime: number
}

/** Newest first; ties (one-second StartTime resolution) broken by id so the order is stable. */
export function newestFirst<T extends RetentionCandidate>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => b.startTime - a.startTime || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
}

/**
 * Applies the keep rules to one group's candidates and returns, for each kept
 * id, the rules that keep it. Candidates not in the map are not kept by any rule.
 */
export function applyRetention(
  candidates: readonly RetentionCandidate[],
  policy: RetentionPolicy,
  now: number,
): Map<string, string[]> {
  const kept = new Map<string, string[]>()
  const keep = (id: string, reason: string) => {
    const reasons = kept.get(id)
    if (reasons) reasons.push(reason)
    else kept.set(id, [reason])
  }
  const sorted = newestFirst(candidates)
  const last = policy.keepLast ?? 0
  sorted.slice(0, last).forEach((c, i) => keep(c.id, `keep-last ${last} (#${i + 1} newest)`))
  if (policy.keepWithin) {
    const since = subtractDuration(now, policy.keepWithin)
    for (const c of sorted) if (c.startTime >= since) keep(c.id, `keep-within ${policy.keepWithin}`)
  }
  const buckets: Array<[string, number | undefined, (ms: number) => string]> = [
    ['keep-daily', policy.keepDaily, dayBucket],
    ['keep-weekly', policy.keepWeekly, weekBucket],
    ['keep-monthly', policy.keepMonthly, monthBucket],
  ]
  for (const [rule, count, bucketOf] of buckets) {
    if (!count) continue
    let previous: string | undefined
    let used = 0
    for (const c of sorted) {
      if (used >= count) break
      const bucket = bucketOf(c.startTime)
      if (bucket === previous) continue
      previous = bucket
      used++
      keep(c.id, `${rule} ${count} (newest of ${bucket})`)
    }
  }
  return kept
}

// ---------------------------------------------------------------- classification

export function isBackupManaged(s: Snapshot): boolean {
  return (
    Object.keys(s.tags).some((k) => k.startsWith('aws:backup:')) ||
    /created by (the )?AWS Backup/i.test(s.description ?? '') ||
    /^AWS Backup/i.test(s.description ?? '')
  )
}

export function isLifecycleManaged(s: Snapshot): boolean {
  return Object.keys(s.tags).some((k) => k.startsWith('aws:dlm:'))
}

/** A copy made by this action (it carries the source snapshot tag). */
export function isDrCopy(s: Snapshot): boolean {
  return s.tags[SOURCE_SNAPSHOT_TAG] !== undefined
}

/**
 * A copy of this action's that failed: DescribeSnapshots' State `error` ("pending |
 * completed | error | recoverable | recovering"). It holds no data, is no copy
 * of its source, and is ours by its tag, so it is deleted and the source copied again.
 */
export function isFailedCopy(s: Snapshot): boolean {
  return isDrCopy(s) && s.state === 'error'
}

export const FAILED_COPY_REASON = 'copy in state error (made by this action): deleted and copied again'

/**
 * Why a snapshot may never be deleted, whatever the retention rules say;
 * empty when it may be.
 */
export function neverDeleteReasons(
  s: Snapshot,
  facts: RegionFacts,
  accountId: string,
  settings: PlanSettings,
): string[] {
  const reasons: string[] = []
  if (s.ownerId !== accountId) reasons.push(`owned by another account (${s.ownerId ?? 'unknown'})`)
  if (s.state !== 'completed' && !isFailedCopy(s)) reasons.push(`state is ${s.state}`)
  if (s.storageTier === 'archive' && !archivedInScope(settings))
    reasons.push('archive tier (include-archived is off)')
  if (facts.amiSnapshotIds.has(s.id)) reasons.push('backs a registered AMI')
  if (facts.lockedSnapshotIds.has(s.id)) reasons.push('locked')
  if (isBackupManaged(s)) reasons.push('managed by AWS Backup')
  if (isLifecycleManaged(s)) reasons.push('managed by Data Lifecycle Manager')
  if (s.tags[settings.protectTag] !== undefined) reasons.push(`has the protect tag ${settings.protectTag}`)
  return reasons
}

/**
 * Whether a snapshot counts as a backup of its volume for the keep rules:
 * owned, completed or still being made, and in a storage tier in scope.
 */
export function countsForRetention(s: Snapshot, accountId: string, settings: PlanSettings): boolean {
  if (s.ownerId !== accountId) return false
  if (s.state !== 'completed' && s.state !== 'pending') return false
  if (s.storageTier === 'archive' && !archivedInScope(settings)) return false
  return true
}

/** Archived snapshots are managed (counted, and deleted when no rule keeps them) with include-archived or archive-after. */
export function archivedInScope(settings: Pick<PlanSettings, 'includeArchived' | 'archiveAfter'>): boolean {
  return settings.includeArchived || settings.archiveAfter !== undefined
}

/**
 * Why an archived snapshot may not be deleted yet: AWS's 90-day minimum in the
 * archive, counted from when its archival started; kept too when that time is unknown.
 */
export function archiveMinimumReason(s: Snapshot, facts: RegionFacts, now: number): string | undefined {
  if (s.storageTier !== 'archive') return undefined
  const at = facts.archivedAt?.get(s.id)
  if (at === undefined)
    return `archived (when is unknown): AWS's minimum of ${ARCHIVE_MINIMUM_DAYS} days in the archive tier may not have passed`
  const until = at + ARCHIVE_MINIMUM_DAYS * 86400_000
  if (until <= now) return undefined
  return `archived ${new Date(at).toISOString().slice(0, 10)}: AWS's minimum of ${ARCHIVE_MINIMUM_DAYS} days in the archive tier lasts until ${new Date(until).toISOString().slice(0, 10)}`
}

/** The keep rules that keep for the long term; a snapshot kept by these alone may be archived. */
const LONG_TERM_RULES = /^keep-(weekly|monthly) /

/** Does a snapshot pass the `filters` and `volume-ids` inputs (the server-side filters, checked again)? */
export function matchesScope(s: Snapshot, settings: Pick<PlanSettings, 'filters' | 'volumeIds'>): boolean {
  for (const f of settings.filters) {
    const value = s.tags[f.key]
    if (value === undefined) return false
    if (f.value !== undefined && value !== f.value) return false
  }
  if (settings.volumeIds.length > 0) {
    const volume = isDrCopy(s) ? s.tags[SOURCE_VOLUME_TAG] : s.volumeId
    if (volume === undefined || !settings.volumeIds.includes(volume)) return false
  }
  return true
}

/**
 * The retention group: DR copies by source region and volume (AWS gives copies
 * the volume id vol-ffffffff), other snapshots by volume. A snapshot with no
 * real volume id is a group of its own, so keep-last always keeps it.
 */
export function groupOf(s: Snapshot): string {
  if (isDrCopy(s)) {
    return `copy of ${s.tags[SOURCE_REGION_TAG] ?? '?'}/${s.tags[SOURCE_VOLUME_TAG] ?? s.tags[SOURCE_SNAPSHOT_TAG]}`
  }
  if (!s.volumeId || s.volumeId === COPIED_VOLUME_ID) return `snapshot ${s.id}`
  return s.volumeId
}

/** The time a snapshot's retention is measured from: a DR copy keeps its source's. */
export function retentionTime(s: Snapshot): number {
  const source = s.tags[SOURCE_TIME_TAG]
  if (isDrCopy(s) && source !== undefined) {
    const t = Date.parse(source)
    if (!Number.isNaN(t)) return t
  }
  return s.startTime
}

// ---------------------------------------------------------------- planning

export interface GroupMember {
  snapshot: Snapshot
  /** Empty when the snapshot may be deleted. */
  protections: string[]
  counts: boolean
  planned?: boolean
}

/** Plans one retention group. */
export function planGroup(
  group: string,
  members: readonly GroupMember[],
  policy: RetentionPolicy,
  now: number,
  archiveAfter?: string,
): PlannedSnapshot[] {
  const candidates = members
    .filter((m) => m.counts)
    .map((m) => ({ id: m.snapshot.id, startTime: retentionTime(m.snapshot) }))
  const kept = applyRetention(candidates, policy, now)
  const decided = new Map<string, { decision: Decision; reasons: string[] }>()
  for (const m of members) {
    if (isFailedCopy(m.snapshot) && m.protections.length === 0) {
      decided.set(m.snapshot.id, { decision: 'delete', reasons: [FAILED_COPY_REASON] })
      continue
    }
    const reasons = [...m.protections, ...(kept.get(m.snapshot.id) ?? [])]
    if (!m.counts && m.protections.length === 0) reasons.push('outside the retention scope')
    decided.set(
      m.snapshot.id,
      reasons.length > 0 ? { decision: 'keep', reasons } : { decision: 'delete', reasons: [] },
    )
  }
  // At least one completed snapshot of every group survives.
  const completed = newestFirst(
    members
      .filter((m) => m.snapshot.state === 'completed')
      .map((m) => ({ ...m, id: m.snapshot.id, startTime: retentionTime(m.snapshot) })),
  )
  if (completed.length > 0 && !completed.some((m) => decided.get(m.id)!.decision === 'keep')) {
    decided.set(completed[0]!.id, {
      decision: 'keep',
      reasons: ['newest completed snapshot of the group (one is always kept)'],
    })
  }
  for (const d of decided.values()) {
    if (d.decision === 'delete' && d.reasons.length === 0) d.reasons.push('not kept by any retention rule')
  }
  const archiveBefore = archiveAfter === undefined ? undefined : subtractDuration(now, archiveAfter)
  return members.map((m) => {
    const d = decided.get(m.snapshot.id)!
    const entry: PlannedSnapshot = {
      region: m.snapshot.region,
      snapshotId: m.snapshot.id,
      group,
      startTime: new Date(m.snapshot.startTime).toISOString(),
      state: m.snapshot.state,
      decision: d.decision,
      reasons: d.reasons,
    }
    if (m.snapshot.storageTier) entry.storageTier = m.snapshot.storageTier
    if (m.planned) entry.planned = true
    if (archiveBefore !== undefined && toArchive(m, d, archiveBefore)) {
      entry.archive = true
      entry.reasons = [
        ...d.reasons,
        `archive-after ${archiveAfter}: kept only for the long term, moved to the archive tier`,
      ]
    }
    return entry
  })
}

/** Kept by keep-weekly or keep-monthly alone, older than archive-after, completed, standard and unprotected. */
function toArchive(m: GroupMember, d: { decision: Decision; reasons: string[] }, before: number): boolean {
  return (
    d.decision === 'keep' &&
    !m.planned &&
    m.protections.length === 0 &&
    m.snapshot.state === 'completed' &&
    m.snapshot.storageTier !== 'archive' &&
    retentionTime(m.snapshot) < before &&
    d.reasons.length > 0 &&
    d.reasons.every((r) => LONG_TERM_RULES.test(r))
  )
}

/**
 * Plans one region's snapshots: those in scope are grouped and the rules
 * applied per group (the DR policy for DR copies); extra snapshots are added to
 * groups (the DR copies this run will make, so retention already counts them).
 */
export function planRegion(
  facts: RegionFacts,
  accountId: string,
  settings: PlanSettings,
  now: number,
  extra: readonly Snapshot[] = [],
): PlannedSnapshot[] {
  const isSource = settings.regions.includes(facts.region)
  const isDr = settings.drRegion === facts.region
  // The DR region of a DR account holds copies of several accounts' snapshots: only this account's are its own.
  if (isDr && settings.drAccountId !== undefined) {
    const owner = settings.drAccountId
    facts = { ...facts, snapshots: facts.snapshots.filter((s) => s.tags[SOURCE_ACCOUNT_TAG] === accountId) }
    accountId = owner
  }
  const groups = new Map<string, GroupMember[]>()
  for (const s of facts.snapshots) {
    if (!matchesScope(s, settings)) continue
    const copy = isDrCopy(s)
    // A DR copy is managed only in the DR region; ordinary snapshots only in the listed regions.
    if (copy ? !isDr : !isSource) continue
    const group = groupOf(s)
    const list = groups.get(group) ?? []
    const minimum = archivedInScope(settings) ? archiveMinimumReason(s, facts, now) : undefined
    list.push({
      snapshot: s,
      protections: [...neverDeleteReasons(s, facts, accountId, settings), ...(minimum ? [minimum] : [])],
      counts: countsForRetention(s, accountId, settings),
    })
    groups.set(group, list)
  }
  for (const s of extra) {
    const group = groupOf(s)
    const list = groups.get(group) ?? []
    list.push({ snapshot: s, protections: ['copy made by this run'], counts: true, planned: true })
    groups.set(group, list)
  }
  const planned: PlannedSnapshot[] = []
  for (const [group, members] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const policy = members.some((m) => isDrCopy(m.snapshot)) ? settings.drPolicy : settings.policy
    planned.push(...planGroup(group, members, policy, now, settings.archiveAfter))
  }
  return planned
}

/** Tags a DR copy carries: the source's own tags (without the reserved `aws:` ones) and the action's. */
export function copyTags(source: Snapshot, sourceAccount?: string): Record<string, string> {
  const own: Record<string, string> = {
    [SOURCE_SNAPSHOT_TAG]: source.id,
    [SOURCE_VOLUME_TAG]: source.volumeId ?? '',
    [SOURCE_REGION_TAG]: source.region,
    [SOURCE_TIME_TAG]: new Date(source.startTime).toISOString(),
    ...(sourceAccount !== undefined ? { [SOURCE_ACCOUNT_TAG]: sourceAccount } : {}),
  }
  const inherited = Object.entries(source.tags).filter(([k]) => !k.startsWith('aws:') && !(k in own))
  return { ...Object.fromEntries(inherited.slice(0, MAX_TAGS - Object.keys(own).length)), ...own }
}

/**
 * The copies to make: the newest completed standard-tier snapshot of every
 * volume in the listed regions, unless the DR region already holds a copy of it.
 */
export function planCopies(
  facts: readonly RegionFacts[],
  accountId: string,
  settings: PlanSettings,
): PlannedCopy[] {
  const dr = settings.drRegion
  if (!dr) return []
  const drFacts = facts.find((f) => f.region === dr)
  // A copy in state error is no copy: its source is copied again.
  const intoAccount = settings.drAccountId
  const alreadyCopied = new Set(
    (drFacts?.snapshots ?? [])
      .filter((s) => !isFailedCopy(s))
      .filter((s) => intoAccount === undefined || s.tags[SOURCE_ACCOUNT_TAG] === accountId)
      .map((s) => s.tags[SOURCE_SNAPSHOT_TAG])
      .filter((id): id is string => id !== undefined),
  )
  const copies: PlannedCopy[] = []
  for (const f of facts) {
    if (f.region === dr || !settings.regions.includes(f.region)) continue
    const newest = new Map<string, Snapshot>()
    for (const s of f.snapshots) {
      if (isDrCopy(s) || !matchesScope(s, settings)) continue
      if (s.ownerId !== accountId || s.state !== 'completed' || s.storageTier === 'archive') continue
      if (!s.volumeId || s.volumeId === COPIED_VOLUME_ID) continue
      const current = newest.get(s.volumeId)
      if (!current || newestFirst([current, s])[0] === s) newest.set(s.volumeId, s)
    }
    for (const s of [...newest.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      if (alreadyCopied.has(s.id)) continue
      copies.push({
        sourceRegion: f.region,
        sourceSnapshotId: s.id,
        sourceVolumeId: s.volumeId!,
        region: dr,
        startTime: s.startTime,
        encrypted: s.encrypted ?? false,
        tags: copyTags(s, intoAccount === undefined ? undefined : accountId),
        ...(intoAccount !== undefined ? { shareWith: intoAccount } : {}),
        ...(intoAccount !== undefined && s.encrypted && s.kmsKeyId ? { sourceKmsKeyId: s.kmsKeyId } : {}),
        ...(intoAccount !== undefined && !s.encrypted && settings.kmsKeyId === undefined
          ? {
              refused: `unencrypted, and dr-account ${intoAccount} is another account: set kms-key-id (a key in the DR account) to encrypt the copy`,
            }
          : {}),
      })
    }
  }
  return copies
}

/** The snapshot a planned copy will become, for the DR region's retention. */
export function plannedCopySnapshot(copy: PlannedCopy, accountId: string): Snapshot {
  return {
    id: `(copy of ${copy.sourceSnapshotId})`,
    region: copy.region,
    volumeId: COPIED_VOLUME_ID,
    ownerId: accountId,
    state: 'pending',
    startTime: copy.startTime,
    tags: copy.tags,
  }
}

/** The whole plan: copies first (so DR retention counts them), then every region. */
export function buildPlan(
  facts: readonly RegionFacts[],
  accountId: string,
  settings: PlanSettings,
  now: number,
): Plan {
  const copies = planCopies(facts, accountId, settings)
  const snapshots: PlannedSnapshot[] = []
  for (const f of facts) {
    const made = copies.filter((c) => c.refused === undefined)
    const extra =
      f.region === settings.drRegion
        ? made.map((c) => plannedCopySnapshot(c, settings.drAccountId ?? accountId))
        : []
    snapshots.push(...planRegion(f, accountId, settings, now, extra))
  }
  const drFacts = facts.find((f) => f.region === settings.drRegion)
  const failedCopies = (drFacts?.snapshots ?? [])
    .filter((s) => isFailedCopy(s) && matchesScope(s, settings))
    .filter((s) => settings.drAccountId === undefined || s.tags[SOURCE_ACCOUNT_TAG] === accountId)
    .map((s) => ({ region: s.region, snapshotId: s.id, sourceSnapshotId: s.tags[SOURCE_SNAPSHOT_TAG]! }))
  return { accountId, now: new Date(now).toISOString(), snapshots, copies, failedCopies }
}

/** Copies already running into the DR region (this action's, from earlier runs): they use copy slots. */
export function pendingCopyCount(
  facts: readonly RegionFacts[],
  settings: Pick<PlanSettings, 'drRegion'>,
): number {
  const drFacts = facts.find((f) => f.region === settings.drRegion)
  return (drFacts?.snapshots ?? []).filter((s) => isDrCopy(s) && s.state === 'pending').length
}

/** `{region: [snapshotId]}` of the planned deletions. */
export function deletionsByRegion(plan: Plan): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const s of plan.snapshots) {
    if (s.decision !== 'delete') continue
    ;(out[s.region] ??= []).push(s.snapshotId)
  }
  return out
}

export function countDeletions(plan: Plan): number {
  return plan.snapshots.filter((s) => s.decision === 'delete').length
}
