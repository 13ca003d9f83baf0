import {
  DescribeLockedSnapshotsCommand,
  paginateDescribeImages,
  paginateDescribeSnapshots,
  type Filter,
  type Snapshot as Ec2Snapshot,
} from '@aws-sdk/client-ec2'
import { describeError, errorCode } from '../../../lib/aws.js'
import { listArchivedAt } from './archive.js'
import { retryTransient, type Clients } from './clients.js'
import {
  SOURCE_SNAPSHOT_TAG,
  SOURCE_VOLUME_TAG,
  type RegionFacts,
  type Snapshot,
  type TagFilter,
} from './plan.js'

/** What to ask DescribeSnapshots for in one region. */
export interface SnapshotQuery {
  filters: TagFilter[]
  volumeIds: string[]
  /** The region holds snapshots of its own volumes to manage. */
  source: boolean
  /** The region is the DR region and holds the action's copies. */
  dr: boolean
  /** Archived snapshots are managed: read when each was archived (only where there are archived ones). */
  archiveTimes?: boolean
}

/**
 * Server-side filters for DescribeSnapshots. EC2 joins filters of different
 * names with AND; a name given twice is not documented to do so, so only the
 * first `tag-key` filter is sent and the planner checks every filter again.
 */
export function snapshotFilters(query: SnapshotQuery): Filter[] {
  const filters: Filter[] = []
  let tagKeyUsed = false
  for (const f of query.filters) {
    if (f.value !== undefined) filters.push({ Name: `tag:${f.key}`, Values: [f.value] })
    else if (!tagKeyUsed) {
      filters.push({ Name: 'tag-key', Values: [f.key] })
      tagKeyUsed = true
    }
  }
  if (query.dr && !query.source) {
    // Only the action's copies matter here; AWS gives copies the volume id vol-ffffffff.
    if (query.volumeIds.length > 0)
      filters.push({ Name: `tag:${SOURCE_VOLUME_TAG}`, Values: query.volumeIds })
    else if (!tagKeyUsed) filters.push({ Name: 'tag-key', Values: [SOURCE_SNAPSHOT_TAG] })
  } else if (query.source && !query.dr && query.volumeIds.length > 0) {
    filters.push({ Name: 'volume-id', Values: query.volumeIds })
  }
  return filters
}

export function toSnapshot(region: string, s: Ec2Snapshot): Snapshot {
  return {
    id: s.SnapshotId ?? '',
    region,
    volumeId: s.VolumeId,
    ownerId: s.OwnerId,
    state: s.State ?? 'unknown',
    startTime: s.StartTime ? new Date(s.StartTime).getTime() : 0,
    storageTier: s.StorageTier,
    description: s.Description,
    encrypted: s.Encrypted,
    ...(s.KmsKeyId ? { kmsKeyId: s.KmsKeyId } : {}),
    tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
  }
}

/** One paginated DescribeSnapshots (OwnerIds self); a transient failure reads the whole list again. */
export async function listSnapshots(
  clients: Clients,
  region: string,
  query: SnapshotQuery,
): Promise<Snapshot[]> {
  const Filters = snapshotFilters(query)
  return retryTransient(async () => {
    const out: Snapshot[] = []
    const pages = paginateDescribeSnapshots(
      { client: clients.ec2(region), pageSize: 1000 },
      { OwnerIds: ['self'], Filters: Filters.length > 0 ? Filters : undefined },
    )
    for await (const page of pages) for (const s of page.Snapshots ?? []) out.push(toSnapshot(region, s))
    return out
  })
}

/** Snapshots referenced by the account's AMIs, disabled and deprecated ones included. */
export async function listAmiSnapshotIds(clients: Clients, region: string): Promise<Set<string>> {
  return retryTransient(async () => {
    const ids = new Set<string>()
    const pages = paginateDescribeImages(
      { client: clients.ec2(region), pageSize: 1000 },
      { Owners: ['self'], IncludeDeprecated: true, IncludeDisabled: true },
    )
    for await (const page of pages) {
      for (const image of page.Images ?? []) {
        for (const mapping of image.BlockDeviceMappings ?? []) {
          if (mapping.Ebs?.SnapshotId) ids.add(mapping.Ebs.SnapshotId)
        }
      }
    }
    return ids
  })
}

/** Lock states in which AWS refuses to delete a snapshot (`expired` is the only one that allows it). */
const LOCKED_STATES = new Set(['governance', 'compliance', 'compliance-cooloff'])

/**
 * Error codes that mean the endpoint does not offer snapshot locks at all (a
 * partition or endpoint without the feature): no snapshot there can be locked.
 */
const LOCKS_UNAVAILABLE = new Set([
  'InvalidAction',
  'UnsupportedOperation',
  'NotImplemented',
  'UnknownOperationException',
])

/** What DescribeLockedSnapshots answered instead of the locks: its HTTP status and error code. */
export interface LocksUnread {
  /** The endpoint has no snapshot locks (InvalidAction, 501, ...): nothing can be locked there. */
  unavailable: boolean
  /** e.g. `HTTP 403 UnauthorizedOperation: You are not authorized...` */
  answer: string
  denied: boolean
}

function lockAnswer(error: unknown): LocksUnread {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  const code = errorCode(error)
  const shown = describeError(error)
  const answer = `${status === undefined ? 'no HTTP answer' : `HTTP ${status}`} ${shown.startsWith(code) ? shown : `${code}: ${shown}`}`
  return {
    unavailable: LOCKS_UNAVAILABLE.has(code) || status === 501,
    denied: status === 403 || /UnauthorizedOperation|AccessDenied/.test(code),
    answer: answer.length > 300 ? `${answer.slice(0, 300)}...` : answer,
  }
}

/**
 * The region's locked snapshots. When DescribeLockedSnapshots cannot be read
 * (the endpoint lacks it, access is denied, or a server error outlasted the
 * SDK's retries) the region is still pruned: AWS itself refuses DeleteSnapshot
 * on a locked snapshot ("While a snapshot is locked, it can't be deleted by any
 * user, regardless of their IAM permissions"), and apply.ts records that
 * refusal as "kept: locked". What was answered is returned for the warning.
 */
export async function listLockedSnapshotIds(
  clients: Clients,
  region: string,
): Promise<{ ids: Set<string>; unread?: LocksUnread }> {
  const ec2 = clients.ec2(region)
  const ids = new Set<string>()
  let NextToken: string | undefined
  try {
    // The SDK has no paginator for DescribeLockedSnapshots.
    do {
      // The SDK's own retries only: an unreadable lock state costs a warning, not the region.
      const page = await ec2.send(new DescribeLockedSnapshotsCommand({ MaxResults: 1000, NextToken }))
      for (const s of page.Snapshots ?? []) {
        if (s.SnapshotId && LOCKED_STATES.has(String(s.LockState))) ids.add(s.SnapshotId)
      }
      NextToken = page.NextToken
    } while (NextToken)
  } catch (error) {
    return { ids, unread: lockAnswer(error) }
  }
  return { ids }
}

/** The warning for a region whose locks could not be read. */
export function locksUnreadWarning(unread: LocksUnread): string {
  if (unread.unavailable)
    return `snapshot locks are not offered here (${unread.answer}); no snapshot can be locked`
  return (
    `could not read snapshot locks (DescribeLockedSnapshots answered ${unread.answer}); pruning all the same, ` +
    `since AWS refuses to delete a locked snapshot: such refusals are reported as "kept: locked"` +
    (unread.denied ? '. Allow ec2:DescribeLockedSnapshots to plan locked snapshots as kept.' : '.')
  )
}

export interface RecycleBinRule {
  identifier: string
  description?: string
  retentionDays?: number
  lockState?: string
}

/** Recycle Bin retention rules for EBS snapshots (report only; never affects the plan). */
export async function listRecycleBinRules(clients: Clients, region: string): Promise<RecycleBinRule[]> {
  const [{ paginateListRules }, rbin] = await Promise.all([
    import('@aws-sdk/client-rbin'),
    clients.rbin(region),
  ])
  const rules: RecycleBinRule[] = []
  for await (const page of paginateListRules(
    { client: rbin, pageSize: 100 },
    { ResourceType: 'EBS_SNAPSHOT' },
  )) {
    for (const r of page.Rules ?? []) {
      rules.push({
        identifier: r.Identifier ?? '?',
        description: r.Description,
        retentionDays: r.RetentionPeriod?.RetentionPeriodValue,
        lockState: r.LockState,
      })
    }
  }
  return rules
}

export async function accountId(clients: Clients, region: string): Promise<string> {
  const [{ GetCallerIdentityCommand }, sts] = await Promise.all([
    import('@aws-sdk/client-sts'),
    clients.sts(region),
  ])
  const identity = await retryTransient(() => sts.send(new GetCallerIdentityCommand({})))
  if (!identity.Account) throw new Error('STS GetCallerIdentity returned no account id')
  return identity.Account
}

export interface RegionInventory extends RegionFacts {
  recycleBin: RecycleBinRule[] | { error: string }
  locksUnread?: LocksUnread
}

/** Everything one region needs for the plan: snapshots, AMIs, locks (and Recycle Bin rules to report). */
export async function readRegion(
  clients: Clients,
  region: string,
  query: SnapshotQuery,
): Promise<RegionInventory> {
  const [snapshots, amiSnapshotIds, locks, recycleBin] = await Promise.all([
    listSnapshots(clients, region, query),
    listAmiSnapshotIds(clients, region),
    listLockedSnapshotIds(clients, region),
    listRecycleBinRules(clients, region).catch((error: unknown) => ({ error: errorCode(error) })),
  ])
  const archived = query.archiveTimes && snapshots.some((s) => s.storageTier === 'archive')
  return {
    region,
    snapshots,
    amiSnapshotIds,
    lockedSnapshotIds: locks.ids,
    ...(archived ? { archivedAt: await listArchivedAt(clients, region) } : {}),
    recycleBin,
    locksUnread: locks.unread,
  }
}
