import {
  DescribeImagesCommand,
  DescribeLockedSnapshotsCommand,
  DescribeSnapshotsCommand,
  type Filter,
  type Snapshot as Ec2Snapshot,
} from '@aws-sdk/client-ec2'
import { errorCode } from '../../../lib/aws.js'
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
    tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
  }
}

/** One paginated DescribeSnapshots (OwnerIds self). */
export async function listSnapshots(
  clients: Clients,
  region: string,
  query: SnapshotQuery,
): Promise<Snapshot[]> {
  const ec2 = clients.ec2(region)
  const Filters = snapshotFilters(query)
  const out: Snapshot[] = []
  let NextToken: string | undefined
  do {
    const page = await retryTransient(() =>
      ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: Filters.length > 0 ? Filters : undefined,
          MaxResults: 1000,
          NextToken,
        }),
      ),
    )
    for (const s of page.Snapshots ?? []) out.push(toSnapshot(region, s))
    NextToken = page.NextToken
  } while (NextToken)
  return out
}

/** Snapshots referenced by the account's AMIs, disabled and deprecated ones included. */
export async function listAmiSnapshotIds(clients: Clients, region: string): Promise<Set<string>> {
  const ec2 = clients.ec2(region)
  const ids = new Set<string>()
  let NextToken: string | undefined
  do {
    const page = await retryTransient(() =>
      ec2.send(
        new DescribeImagesCommand({
          Owners: ['self'],
          IncludeDeprecated: true,
          IncludeDisabled: true,
          MaxResults: 1000,
          NextToken,
        }),
      ),
    )
    for (const image of page.Images ?? []) {
      for (const mapping of image.BlockDeviceMappings ?? []) {
        if (mapping.Ebs?.SnapshotId) ids.add(mapping.Ebs.SnapshotId)
      }
    }
    NextToken = page.NextToken
  } while (NextToken)
  return ids
}

/** Lock states in which AWS refuses to delete a snapshot (`expired` is the only one that allows it). */
const LOCKED_STATES = new Set(['governance', 'compliance', 'compliance-cooloff'])

/**
 * Error codes that mean the endpoint does not offer snapshot locks at all (a
 * partition or endpoint without the feature): no snapshot there can be locked.
 * Anything else (access denied, throttling that outlasted the retries, a
 * server error) leaves the lock state unknown, and the region is not pruned.
 */
const LOCKS_UNAVAILABLE = new Set([
  'InvalidAction',
  'UnsupportedOperation',
  'NotImplemented',
  'UnknownOperationException',
])

export class LockStateUnknownError extends Error {
  constructor(region: string, cause: unknown) {
    super(
      `Could not read snapshot locks in ${region} (${errorCode(cause)}); nothing is deleted in a region whose lock state is unknown. Allow ec2:DescribeLockedSnapshots.`,
    )
    this.name = 'LockStateUnknownError'
  }
}

export async function listLockedSnapshotIds(
  clients: Clients,
  region: string,
): Promise<{ ids: Set<string>; unavailable?: string }> {
  const ec2 = clients.ec2(region)
  const ids = new Set<string>()
  let NextToken: string | undefined
  try {
    do {
      const page = await retryTransient(() =>
        ec2.send(new DescribeLockedSnapshotsCommand({ MaxResults: 1000, NextToken })),
      )
      for (const s of page.Snapshots ?? []) {
        if (s.SnapshotId && LOCKED_STATES.has(String(s.LockState))) ids.add(s.SnapshotId)
      }
      NextToken = page.NextToken
    } while (NextToken)
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
    if (LOCKS_UNAVAILABLE.has(errorCode(error)) || status === 501)
      return { ids, unavailable: errorCode(error) }
    throw new LockStateUnknownError(region, error)
  }
  return { ids }
}

export interface RecycleBinRule {
  identifier: string
  description?: string
  retentionDays?: number
  lockState?: string
}

/** Recycle Bin retention rules for EBS snapshots (report only; never affects the plan). */
export async function listRecycleBinRules(clients: Clients, region: string): Promise<RecycleBinRule[]> {
  const [{ ListRulesCommand }, rbin] = await Promise.all([
    import('@aws-sdk/client-rbin'),
    clients.rbin(region),
  ])
  const rules: RecycleBinRule[] = []
  let NextToken: string | undefined
  do {
    const page = await rbin.send(
      new ListRulesCommand({ ResourceType: 'EBS_SNAPSHOT', MaxResults: 100, NextToken }),
    )
    for (const r of page.Rules ?? []) {
      rules.push({
        identifier: r.Identifier ?? '?',
        description: r.Description,
        retentionDays: r.RetentionPeriod?.RetentionPeriodValue,
        lockState: r.LockState,
      })
    }
    NextToken = page.NextToken
  } while (NextToken)
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
  locksUnavailable?: string
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
  return {
    region,
    snapshots,
    amiSnapshotIds,
    lockedSnapshotIds: locks.ids,
    recycleBin,
    locksUnavailable: locks.unavailable,
  }
}
