/**
 * The destructive-change guard: a change set that replaces or removes a resource
 * that holds data fails its region unless `allow-replacement` names the resource.
 * Pure functions; the list of stateful types is here and nowhere else.
 */
import type { ChangeRow } from './model.js'

/**
 * Resource types whose replacement or removal loses data or identity, each with
 * what is lost: a new table, database, bucket, volume, file system, cache,
 * stream, queue, key, secret, repository or hosted zone is empty (or has new
 * ids), whatever the template says. The `stateful-types` input replaces this list.
 */
export const STATEFUL_REASONS: Readonly<Record<string, string>> = {
  'AWS::CloudFormation::Stack': 'every resource in it (a nested stack)',
  'AWS::DynamoDB::Table': 'its items',
  'AWS::DynamoDB::GlobalTable': 'its items, in every replica region',
  'AWS::RDS::DBInstance': 'its databases',
  'AWS::RDS::DBCluster': 'its databases',
  'AWS::RDS::GlobalCluster': 'its databases, in every region',
  'AWS::DocDB::DBCluster': 'its documents',
  'AWS::DocDB::DBInstance': 'its endpoint and cache',
  'AWS::DocDBElastic::Cluster': 'its documents',
  'AWS::Neptune::DBCluster': 'its graph',
  'AWS::Neptune::DBInstance': 'its endpoint',
  'AWS::Redshift::Cluster': 'its warehouse data',
  'AWS::RedshiftServerless::Namespace': 'its warehouse data',
  'AWS::RedshiftServerless::Workgroup': 'its endpoint and settings',
  'AWS::S3::Bucket': 'its objects (and its globally unique name)',
  'AWS::EC2::Volume': 'its blocks',
  'AWS::EFS::FileSystem': 'its files',
  'AWS::FSx::FileSystem': 'its files',
  'AWS::FSx::Volume': 'its files',
  'AWS::ElastiCache::CacheCluster': 'its cached data',
  'AWS::ElastiCache::ReplicationGroup': 'its data',
  'AWS::ElastiCache::ServerlessCache': 'its data',
  'AWS::MemoryDB::Cluster': 'its data (MemoryDB is a primary database)',
  'AWS::OpenSearchService::Domain': 'its indices',
  'AWS::OpenSearchServerless::Collection': 'its indices',
  'AWS::Elasticsearch::Domain': 'its indices',
  'AWS::Timestream::Database': 'its tables',
  'AWS::Timestream::Table': 'its time series',
  'AWS::Kinesis::Stream': 'its unread records',
  'AWS::SQS::Queue': 'its unread messages',
  'AWS::KMS::Key': 'its key material: what it encrypted cannot be decrypted',
  'AWS::SecretsManager::Secret': 'its secret value and versions',
  'AWS::Cognito::UserPool': 'its users',
  'AWS::Backup::BackupVault': 'its recovery points',
  'AWS::ECR::Repository': 'its images',
  'AWS::Logs::LogGroup': 'its log events (kept for its retention)',
  'AWS::QLDB::Ledger': 'its journal',
  'AWS::Keyspaces::Table': 'its rows',
  'AWS::Route53::HostedZone': 'its records, and its name servers change',
}

/** The default `stateful-types`: the types of STATEFUL_REASONS. */
export const STATEFUL_TYPES: readonly string[] = Object.keys(STATEFUL_REASONS)

/** Everything `allow-replacement` may name: `*` allows every destructive change. */
export const ALLOW_ALL = '*'

/**
 * What CloudFormation does with the physical resource (ResourceChange's
 * PolicyAction): Retain keeps it out of the stack, Snapshot deletes it after a
 * snapshot; the Replace* forms say what becomes of the old one on replacement.
 */
const KEPT_ON_REMOVE = ['Retain']

const NESTED_STACK = 'AWS::CloudFormation::Stack'

/**
 * A change that loses a stateful resource: Remove (unless its DeletionPolicy
 * Retains it), a Modify whose Replacement is True or Conditional ("Conditional:
 * The resource may be replaced"), or Dynamic ("exact action for the resource
 * can't be determined"): the last two are decided only when the change set runs,
 * so they are treated as replacements. A nested stack's own Modify or Dynamic is
 * not: its nested change set lists what happens inside it, and that is guarded.
 */
export function isDestructive(change: ChangeRow, statefulTypes: readonly string[]): boolean {
  if (!statefulTypes.includes(change.type)) return false
  if (change.action === 'Remove') return !KEPT_ON_REMOVE.includes(change.policyAction ?? '')
  // AWS::CloudFormation::Stack: "An update never causes a nested stack to be replaced"; what it
  // does inside is in its own changes.
  if (change.type === NESTED_STACK) return change.replacement === 'True'
  if (change.action === 'Dynamic') return true
  return change.replacement === 'True' || change.replacement === 'Conditional'
}

/** What the change does to the resource, in words: "Remove", "Remove, snapshot kept", "Replacement True". */
export function destructiveAction(change: ChangeRow): string {
  const policy = change.policyAction
  if (change.action === 'Remove') {
    if (policy === 'Retain') return 'Remove, resource retained'
    if (policy === 'Snapshot') return 'Remove, deleted after a snapshot'
    return 'Remove'
  }
  const base = change.action === 'Dynamic' ? 'Dynamic (may be replaced)' : `Replacement ${change.replacement}`
  if (policy === 'ReplaceAndRetain') return `${base}, old resource retained`
  if (policy === 'ReplaceAndSnapshot') return `${base}, old resource deleted after a snapshot`
  return base
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
        `${guardName(c)} (${c.type}, ${destructiveAction(c)})${STATEFUL_REASONS[c.type] ? `, losing ${STATEFUL_REASONS[c.type]}` : ''}`,
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
