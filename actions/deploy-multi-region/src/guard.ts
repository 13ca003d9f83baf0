/**
 * The destructive-change guard: a change set that replaces or removes a resource
 * that holds data fails its region unless `allow-replacement` names the resource.
 * Pure functions; the list of stateful types is here and nowhere else.
 */
import type { ChangeRow } from './model.js'

/**
 * Resource types whose replacement or removal loses data or identity: a new
 * table, database, bucket, volume, file system, cache, domain, stream, queue,
 * key, user pool or hosted zone is empty (or has new ids), whatever the template
 * says. The `stateful-types` input replaces this list.
 */
export const STATEFUL_TYPES: readonly string[] = [
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::RDS::GlobalCluster',
  'AWS::S3::Bucket',
  'AWS::EC2::Volume',
  'AWS::EFS::FileSystem',
  'AWS::ElastiCache::CacheCluster',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElastiCache::ServerlessCache',
  'AWS::OpenSearchService::Domain',
  'AWS::Elasticsearch::Domain',
  'AWS::Kinesis::Stream',
  'AWS::SQS::Queue',
  'AWS::KMS::Key',
  'AWS::Cognito::UserPool',
  'AWS::Route53::HostedZone',
]

/** Everything `allow-replacement` may name: `*` allows every destructive change. */
export const ALLOW_ALL = '*'

/**
 * A change that loses a stateful resource: Remove, or a Modify whose Replacement
 * is True or Conditional ("Conditional: The resource may be replaced"; a
 * conditional replacement is treated as one, since it is decided only when the
 * change set runs).
 */
export function isDestructive(change: ChangeRow, statefulTypes: readonly string[]): boolean {
  if (!statefulTypes.includes(change.type)) return false
  if (change.action === 'Remove') return true
  return change.replacement === 'True' || change.replacement === 'Conditional'
}

/** The name a change is allowed by: its logical id, under its nested stacks' ids (`Network/Table`). */
export function guardName(change: ChangeRow): string {
  return [...(change.nestedPath ?? []), change.logicalId].join('/')
}

function allows(allowed: readonly string[], change: ChangeRow): boolean {
  return allowed.includes(ALLOW_ALL) || allowed.includes(guardName(change))
}

/**
 * The changes with the guard's mark on the destructive ones, destructive changes
 * first (blocked before allowed), the others in CloudFormation's order.
 */
export function markChanges(
  changes: readonly ChangeRow[],
  statefulTypes: readonly string[],
  allowed: readonly string[],
): ChangeRow[] {
  const marked = changes.map((c): ChangeRow => {
    if (!isDestructive(c, statefulTypes)) {
      const { guard: _dropped, ...rest } = c
      return rest
    }
    return { ...c, guard: allows(allowed, c) ? 'allowed' : 'blocked' }
  })
  const rank = (c: ChangeRow) => (c.guard === 'blocked' ? 0 : c.guard === 'allowed' ? 1 : 2)
  // Array.prototype.sort is stable: changes of the same rank keep their order.
  return marked.sort((a, b) => rank(a) - rank(b))
}

export function blockedChanges(changes: readonly ChangeRow[]): ChangeRow[] {
  return changes.filter((c) => c.guard === 'blocked')
}

/** Why the region is refused, naming each blocked resource and the way to allow it. */
export function blockedReason(blocked: readonly ChangeRow[]): string {
  const list = blocked
    .map(
      (c) =>
        `${guardName(c)} (${c.type}, ${c.action === 'Remove' ? 'Remove' : `Replacement ${c.replacement}`})`,
    )
    .join(', ')
  return `the change set would replace or remove stateful resource(s) ${list}; nothing was executed. If that is intended, name them in allow-replacement`
}

/**
 * The names in `allow-replacement` that match no change of any region: an input
 * that cannot mean what it says once the plan is known.
 */
export function unmatchedAllowances(
  allowed: readonly string[],
  changesPerRegion: ReadonlyArray<readonly ChangeRow[]>,
): string[] {
  const names = new Set(changesPerRegion.flatMap((changes) => changes.map(guardName)))
  return allowed.filter((name) => name !== ALLOW_ALL && !names.has(name))
}
