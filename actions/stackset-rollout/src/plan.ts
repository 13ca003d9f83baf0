/**
 * Pure planning for a stack set rollout: what the workflow declares is compared
 * with what DescribeStackSet / ListStackInstances report, and the smallest set of
 * StackSet operations that converges the two is returned. No I/O here.
 */
import { MAX_ALIASES } from '../../../lib/cloudformation-inputs.js'
import { parseDocument } from 'yaml'
import { InputError } from '../../../lib/inputs.js'

export type CountOrPercent = { kind: 'count'; value: number } | { kind: 'percent'; value: number }

/** `3` or `25%`; percentages from minPercent to 100, counts from minCount. */
export function parseCountOrPercent(
  name: string,
  raw: string,
  limits: { minCount: number; minPercent: number },
): CountOrPercent | undefined {
  const value = raw.trim()
  if (value === '') return undefined
  const accepted = `a whole number of accounts (${limits.minCount} or more) or a percentage from ${limits.minPercent}% to 100%, such as 25%`
  const match = /^(\d{1,9})\s*(%?)$/.exec(value)
  if (!match) throw new InputError(name, value, accepted)
  const n = Number(match[1])
  if (match[2] === '%') {
    if (n < limits.minPercent || n > 100) throw new InputError(name, value, accepted)
    return { kind: 'percent', value: n }
  }
  if (n < limits.minCount || n > 100000) throw new InputError(name, value, accepted)
  return { kind: 'count', value: n }
}

export interface PreferenceSettings {
  regionConcurrency?: 'SEQUENTIAL' | 'PARALLEL'
  regionOrder?: string[]
  maxConcurrent?: CountOrPercent
  failureTolerance?: CountOrPercent
  concurrencyMode?: 'STRICT_FAILURE_TOLERANCE' | 'SOFT_FAILURE_TOLERANCE'
}

/** The StackSetOperationPreferences shape of the CloudFormation API. */
export interface OperationPreferences {
  RegionConcurrencyType?: 'SEQUENTIAL' | 'PARALLEL'
  RegionOrder?: string[]
  FailureToleranceCount?: number
  FailureTolerancePercentage?: number
  MaxConcurrentCount?: number
  MaxConcurrentPercentage?: number
  ConcurrencyMode?: 'STRICT_FAILURE_TOLERANCE' | 'SOFT_FAILURE_TOLERANCE'
}

/**
 * Operation preferences for one operation. RegionOrder keeps only the regions
 * the operation touches (then the rest of them in the given order), so an
 * operation that adds one region is not refused for naming regions outside it.
 */
export function operationPreferences(
  prefs: PreferenceSettings,
  operationRegions?: readonly string[],
): OperationPreferences {
  const out: OperationPreferences = {}
  if (prefs.regionConcurrency) out.RegionConcurrencyType = prefs.regionConcurrency
  if (prefs.regionOrder && prefs.regionOrder.length > 0) {
    const order = operationRegions
      ? [
          ...prefs.regionOrder.filter((r) => operationRegions.includes(r)),
          ...operationRegions.filter((r) => !prefs.regionOrder!.includes(r)),
        ]
      : [...prefs.regionOrder]
    if (order.length > 0) out.RegionOrder = order
  }
  if (prefs.failureTolerance?.kind === 'count') out.FailureToleranceCount = prefs.failureTolerance.value
  if (prefs.failureTolerance?.kind === 'percent')
    out.FailureTolerancePercentage = prefs.failureTolerance.value
  if (prefs.maxConcurrent?.kind === 'count') out.MaxConcurrentCount = prefs.maxConcurrent.value
  if (prefs.maxConcurrent?.kind === 'percent') out.MaxConcurrentPercentage = prefs.maxConcurrent.value
  if (prefs.concurrencyMode) out.ConcurrencyMode = prefs.concurrencyMode
  return out
}

/**
 * In strict mode CloudFormation starts at most failure tolerance + 1 accounts at
 * once, whatever max-concurrent says; worth a line in the log when that bites.
 */
export function concurrencyNote(prefs: PreferenceSettings): string | undefined {
  const strict = (prefs.concurrencyMode ?? 'STRICT_FAILURE_TOLERANCE') === 'STRICT_FAILURE_TOLERANCE'
  const tolerance =
    prefs.failureTolerance?.kind === 'count'
      ? prefs.failureTolerance.value
      : prefs.failureTolerance
        ? undefined
        : 0
  if (!strict || prefs.maxConcurrent?.kind !== 'count' || tolerance === undefined) return undefined
  if (prefs.maxConcurrent.value <= tolerance + 1) return undefined
  return (
    `max-concurrent ${prefs.maxConcurrent.value} with failure-tolerance ${tolerance} in strict mode: ` +
    `CloudFormation deploys to at most ${tolerance + 1} account(s) at once per region (use concurrency-mode: soft to decouple them)`
  )
}

export interface CurrentStackSet {
  id: string
  status: string
  permissionModel?: string
  templateBody?: string
  parameters: Record<string, string>
  tags: Record<string, string>
  description?: string
  capabilities: string[]
}

export interface CurrentInstance {
  account: string
  region: string
  organizationalUnitId?: string
  status: string
  detailedStatus?: string
  reason?: string
}

export interface DesiredStackSet {
  templateBody?: string
  parameters: Record<string, string>
  tags: Record<string, string>
  description?: string
  capabilities: string[]
}

/** The value DescribeStackSet shows for a NoEcho parameter. */
export const MASKED_VALUE = '****'

function normaliseTemplate(body: string): string {
  return body.replace(/\r\n/g, '\n').replace(/\s+$/, '')
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k])
}

/**
 * Why the stack set needs an UpdateStackSet (empty: it does not). Only the
 * parameters the workflow names are compared; a NoEcho value (shown masked)
 * cannot be compared and is reported in `unverifiable`.
 * `templateBody` undefined on the desired side means the template could not be
 * read for comparison (an S3 URL the job cannot read): that counts as a change.
 */
export function diffStackSet(
  desired: DesiredStackSet,
  current: CurrentStackSet,
): { changes: string[]; unverifiable: string[] } {
  const changes: string[] = []
  const unverifiable: string[] = []
  if (desired.templateBody === undefined) changes.push('template (could not be read back for comparison)')
  else if (normaliseTemplate(desired.templateBody) !== normaliseTemplate(current.templateBody ?? ''))
    changes.push('template')
  const changedParameters: string[] = []
  for (const [key, value] of Object.entries(desired.parameters)) {
    const now = current.parameters[key]
    if (now === MASKED_VALUE && value !== MASKED_VALUE) unverifiable.push(key)
    else if (now !== value) changedParameters.push(key)
  }
  if (changedParameters.length > 0) changes.push(`parameters (${changedParameters.join(', ')})`)
  // No tags declared leaves the stack set's tags as they are, so they are not compared.
  if (Object.keys(desired.tags).length > 0 && !sameRecord(desired.tags, current.tags)) changes.push('tags')
  if (desired.description !== undefined && desired.description !== (current.description ?? ''))
    changes.push('description')
  const wanted = [...new Set(desired.capabilities)].sort().join(',')
  const have = [...new Set(current.capabilities)].sort().join(',')
  if (wanted !== have) changes.push('capabilities')
  return { changes, unverifiable }
}

/** One StackSet operation's targets: accounts (self-managed) or OUs (service-managed) x regions. */
export interface InstanceGroup {
  targets: string[]
  regions: string[]
  /** Parameter overrides to set (undefined: leave the instances' overrides as they are). */
  overrides?: Record<string, string>
  /**
   * Service-managed: only these accounts of the organizational units (an
   * INTERSECTION filter of their own), for instances the `accounts` filter adds
   * or takes away within organizational units that are already deployed.
   */
  accounts?: string[]
}

export interface InstancePlanInput {
  serviceManaged: boolean
  /** Accounts (self-managed) or organizational units (service-managed). */
  targets: readonly string[]
  regions: readonly string[]
  /** region -> declared overrides. */
  instanceParameters: Readonly<Record<string, Record<string, string>>>
  prune: boolean
  current: readonly CurrentInstance[]
  /** `account/region` -> the overrides DescribeStackInstance reported (read for regions with declared overrides). */
  currentOverrides: ReadonlyMap<string, Record<string, string>>
  /** An UpdateStackSet in this run updates every instance, so OUTDATED ones need no extra operation. */
  stackSetUpdate: boolean
  /** Service-managed: how `accounts` narrows the organizational units (INTERSECTION or DIFFERENCE). */
  accountFilter?: { type: 'INTERSECTION' | 'DIFFERENCE'; accounts: readonly string[] }
}

export interface InstancePlan {
  create: InstanceGroup[]
  update: InstanceGroup[]
  remove: InstanceGroup[]
  /** Desired pairs already in place and left alone. */
  unchanged: number
  /** Instances whose organizational unit is not reported, so they cannot be matched (service-managed). */
  unmatched: number
  /**
   * `account/region` of declared instances that are INOPERABLE: "A DeleteStackInstances
   * operation has failed and left the stack in an unstable state. Stacks in this state are
   * excluded from further UpdateStackSet operations." No operation of ours converges them.
   */
  inoperable: string[]
}

export const pairKey = (target: string, region: string) => `${target}/${region}`

function targetOf(instance: CurrentInstance, serviceManaged: boolean): string | undefined {
  return serviceManaged ? instance.organizationalUnitId : instance.account
}

/**
 * Groups (target, region) pairs into as few rectangular operations as possible:
 * regions that need the same targets with the same overrides share one
 * operation. Regions keep the order given in `regionOrder`.
 */
export function groupPairs(
  pairs: ReadonlyArray<{ target: string; region: string }>,
  regionOrder: readonly string[],
  overridesFor: (region: string) => Record<string, string> | undefined = () => undefined,
): InstanceGroup[] {
  const byRegion = new Map<string, Set<string>>()
  for (const { target, region } of pairs) {
    if (!byRegion.has(region)) byRegion.set(region, new Set())
    byRegion.get(region)!.add(target)
  }
  const rank = (r: string) => {
    const i = regionOrder.indexOf(r)
    return i === -1 ? regionOrder.length : i
  }
  const regions = [...byRegion.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
  const groups = new Map<string, InstanceGroup>()
  for (const region of regions) {
    const targets = [...byRegion.get(region)!].sort()
    const overrides = overridesFor(region)
    const key = `${targets.join(',')}|${overrides === undefined ? '-' : JSON.stringify(Object.entries(overrides).sort())}`
    const group = groups.get(key)
    if (group) group.regions.push(region)
    else groups.set(key, { targets, regions: [region], ...(overrides === undefined ? {} : { overrides }) })
  }
  return [...groups.values()]
}

export function planInstances(input: InstancePlanInput): InstancePlan {
  const desired = new Set<string>()
  for (const target of input.targets) for (const region of input.regions) desired.add(pairKey(target, region))

  const existing = new Map<string, CurrentInstance[]>()
  let unmatched = 0
  for (const instance of input.current) {
    const target = targetOf(instance, input.serviceManaged)
    if (target === undefined) {
      unmatched++
      continue
    }
    const key = pairKey(target, instance.region)
    existing.set(key, [...(existing.get(key) ?? []), instance])
  }

  const missing: Array<{ target: string; region: string }> = []
  const stale: Array<{ target: string; region: string }> = []
  let unchanged = 0
  for (const target of input.targets) {
    for (const region of input.regions) {
      const instances = existing.get(pairKey(target, region))
      if (!instances) {
        missing.push({ target, region })
        continue
      }
      const declared = input.instanceParameters[region]
      const overridesDiffer =
        declared !== undefined &&
        instances.some((i) => {
          const now = input.currentOverrides.get(pairKey(i.account, i.region))
          return now === undefined || !sameRecord(now, declared)
        })
      const outdated = !input.stackSetUpdate && instances.some((i) => i.status === 'OUTDATED')
      // An INOPERABLE instance is in place but not converged: not counted as unchanged.
      const inoperable = instances.some((i) => i.status === 'INOPERABLE')
      if (overridesDiffer || outdated) stale.push({ target, region })
      else if (!inoperable) unchanged++
    }
  }

  const extra: Array<{ target: string; region: string }> = []
  if (input.prune) {
    for (const key of existing.keys()) {
      if (desired.has(key)) continue
      const slash = key.lastIndexOf('/')
      extra.push({ target: key.slice(0, slash), region: key.slice(slash + 1) })
    }
  }

  const order = input.regions
  const overridesFor = (region: string) => input.instanceParameters[region]
  const filtered = accountFilterChanges(input, existing, missing)
  const inoperable = input.current
    .filter((i) => i.status === 'INOPERABLE' && input.regions.includes(i.region))
    .map((i) => pairKey(i.account, i.region))
  return {
    create: [...groupPairs(missing, order, overridesFor), ...filtered.create],
    update: groupPairs(stale, order, overridesFor),
    remove: [...groupPairs(extra, order), ...filtered.remove],
    unchanged,
    unmatched,
    inoperable,
  }
}

/**
 * Service-managed with an `accounts` filter: the instances a change of the
 * filter adds or takes away inside (organizational unit, region) pairs that are
 * already deployed, which the pairs alone do not show. An instance of an
 * account the filter now leaves out is removed (that account only); with
 * INTERSECTION, a listed account without an instance in a region is added
 * (every organizational unit, narrowed to that account: AWS creates it where
 * the account is a member). Accounts that DIFFERENCE no longer excludes cannot
 * be told without the organization's membership and are not planned.
 */
function accountFilterChanges(
  input: InstancePlanInput,
  existing: ReadonlyMap<string, CurrentInstance[]>,
  missing: ReadonlyArray<{ target: string; region: string }>,
): { create: InstanceGroup[]; remove: InstanceGroup[] } {
  const filter = input.accountFilter
  if (!input.serviceManaged || !filter || filter.accounts.length === 0) return { create: [], remove: [] }
  const listed = new Set(filter.accounts)
  const wanted = (account: string) =>
    filter.type === 'INTERSECTION' ? listed.has(account) : !listed.has(account)
  const removals = new Map<string, { ou: string; region: string; accounts: Set<string> }>()
  const deployed = new Map<string, Set<string>>()
  for (const ou of input.targets)
    for (const region of input.regions)
      for (const instance of existing.get(pairKey(ou, region)) ?? []) {
        if (!deployed.has(region)) deployed.set(region, new Set())
        deployed.get(region)!.add(instance.account)
        if (wanted(instance.account)) continue
        const key = pairKey(ou, region)
        const entry = removals.get(key) ?? { ou, region, accounts: new Set<string>() }
        entry.accounts.add(instance.account)
        removals.set(key, entry)
      }
  const remove = [...removals.values()].map((r) => ({
    targets: [r.ou],
    regions: [r.region],
    accounts: [...r.accounts].sort(),
  }))
  const create: InstanceGroup[] = []
  if (filter.type === 'INTERSECTION') {
    const newRegions = new Set(missing.map((m) => m.region))
    for (const region of input.regions) {
      // A region with an organizational unit still to deploy gets the whole filter with it.
      if (newRegions.has(region)) continue
      const absent = filter.accounts.filter((a) => !deployed.get(region)?.has(a))
      if (absent.length === 0) continue
      const overrides = input.instanceParameters[region]
      create.push({
        targets: [...input.targets].sort(),
        regions: [region],
        accounts: absent,
        ...(overrides === undefined ? {} : { overrides }),
      })
    }
  }
  return { create, remove }
}

/** Account/region pairs whose stacks DescribeStackInstance must be read for their overrides. */
export function overridePairsToRead(
  current: readonly CurrentInstance[],
  regions: readonly string[],
  instanceParameters: Readonly<Record<string, Record<string, string>>>,
): Array<{ account: string; region: string }> {
  return current
    .filter((i) => regions.includes(i.region) && instanceParameters[i.region] !== undefined)
    .map((i) => ({ account: i.account, region: i.region }))
}

export type OperationKind =
  'UpdateStackSet' | 'CreateStackInstances' | 'UpdateStackInstances' | 'DeleteStackInstances'

export interface PlannedOperation {
  kind: OperationKind
  /** What it does, for logs and the summary. */
  description: string
  group?: InstanceGroup
}

export interface RolloutPlan {
  createStackSet: boolean
  stackSetChanges: string[]
  unverifiableParameters: string[]
  operations: PlannedOperation[]
  unchanged: number
  unmatched: number
  /** `account/region` of INOPERABLE instances: the stack set is not converged while they remain. */
  inoperable: string[]
}

export function describeGroup(group: InstanceGroup, noun: string): string {
  // Keys only: override values may be secret.
  const keys = group.overrides ? Object.keys(group.overrides) : undefined
  const overrides = keys
    ? keys.length > 0
      ? ` with overrides of ${keys.join(', ')}`
      : ' with no overrides'
    : ''
  const only = group.accounts ? `, account(s) [${group.accounts.join(', ')}] only` : ''
  const targets = `${group.targets.length} ${noun}(s) [${group.targets.join(', ')}]${only}`
  return `${targets} x ${group.regions.length} region(s) [${group.regions.join(', ')}]${overrides}`
}

/**
 * The whole rollout: create the stack set if missing, update it when it
 * differs, add missing instances, re-apply overrides (or redrive OUTDATED
 * instances), then prune. Adding comes before removing, so a move from one
 * region to another never leaves a gap.
 */
export function planRollout(args: {
  exists: boolean
  stackSetChanges: string[]
  unverifiableParameters?: string[]
  instances: InstancePlan
  serviceManaged: boolean
}): RolloutPlan {
  const noun = args.serviceManaged ? 'organizational unit' : 'account'
  const operations: PlannedOperation[] = []
  if (args.exists && args.stackSetChanges.length > 0) {
    operations.push({
      kind: 'UpdateStackSet',
      description: `update the stack set and all its instances: ${args.stackSetChanges.join(', ')}`,
    })
  }
  for (const group of args.instances.create) {
    operations.push({ kind: 'CreateStackInstances', description: `add ${describeGroup(group, noun)}`, group })
  }
  for (const group of args.instances.update) {
    operations.push({
      kind: 'UpdateStackInstances',
      description: `update ${describeGroup(group, noun)}`,
      group,
    })
  }
  for (const group of args.instances.remove) {
    operations.push({
      kind: 'DeleteStackInstances',
      description: `remove ${describeGroup(group, noun)}`,
      group,
    })
  }
  return {
    createStackSet: !args.exists,
    stackSetChanges: args.exists ? args.stackSetChanges : [],
    unverifiableParameters: args.unverifiableParameters ?? [],
    operations,
    unchanged: args.instances.unchanged,
    unmatched: args.instances.unmatched,
    inoperable: args.instances.inoperable,
  }
}

/**
 * Why the stack set is not converged even when every operation succeeded:
 * INOPERABLE instances, which need DeleteStackInstances with RetainStacks and
 * the stack deleted by hand; undefined when there are none.
 */
export function inoperableFailure(plan: RolloutPlan): string | undefined {
  if (plan.inoperable.length === 0) return undefined
  return (
    `${plan.inoperable.length} stack instance(s) INOPERABLE, not converged: ${plan.inoperable.join(', ')} ` +
    '(a DeleteStackInstances failed and left them unstable; remove them with DeleteStackInstances and RetainStacks true, then delete their stacks by hand)'
  )
}

export interface OperationResult {
  account?: string
  region?: string
  status?: string
  reason?: string
}

/** Per-instance results that did not succeed, each naming account, region and cause. */
export function failedResults(results: readonly OperationResult[]): string[] {
  return results
    .filter((r) => r.status !== undefined && r.status !== 'SUCCEEDED')
    .map((r) => `${r.account ?? '?'}/${r.region ?? '?'}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`)
}

/** An https S3 object URL split into bucket, key and (when the host names it) region. */
export function parseS3Url(value: string): { bucket: string; key: string; region?: string } | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  const path = decodeURIComponent(url.pathname.replace(/^\//, ''))
  // Virtual-hosted style: bucket.s3.region.amazonaws.com, bucket.s3-region..., bucket.s3.amazonaws.com
  const virtual = /^(.+)\.s3[.-](?:([a-z0-9-]+)\.)?amazonaws\.com(?:\.cn)?$/.exec(url.hostname)
  if (virtual && virtual[1] !== undefined && !/^s3$/.test(virtual[1])) {
    const region = virtual[2] && virtual[2] !== 'dualstack' ? virtual[2] : undefined
    return path ? { bucket: virtual[1], key: path, region } : undefined
  }
  // Path style: s3.region.amazonaws.com/bucket/key or s3.amazonaws.com/bucket/key
  const pathStyle = /^s3[.-](?:([a-z0-9-]+)\.)?amazonaws\.com(?:\.cn)?$/.exec(url.hostname)
  if (pathStyle) {
    const slash = path.indexOf('/')
    if (slash <= 0 || slash === path.length - 1) return undefined
    return { bucket: path.slice(0, slash), key: path.slice(slash + 1), region: pathStyle[1] }
  }
  return undefined
}

/** The plan as log lines (also the summary's plan section). */
export function describePlan(plan: RolloutPlan, stackSetName: string): string[] {
  const lines: string[] = []
  if (plan.createStackSet) lines.push(`CreateStackSet: create stack set ${stackSetName}`)
  for (const op of plan.operations) lines.push(`${op.kind}: ${op.description}`)
  if (lines.length === 0)
    lines.push(
      `No change: stack set ${stackSetName} and its ${plan.unchanged} declared instance target(s) match the workflow`,
    )
  else if (!plan.createStackSet) lines.push(`${plan.unchanged} declared instance target(s) already in place`)
  if (plan.unverifiableParameters.length > 0) {
    lines.push(
      `NoEcho parameter(s) ${plan.unverifiableParameters.join(', ')} cannot be compared (shown masked) and were not checked`,
    )
  }
  if (plan.unmatched > 0)
    lines.push(`${plan.unmatched} instance(s) report no organizational unit and are left alone`)
  if (plan.inoperable.length > 0)
    lines.push(`INOPERABLE, not converged by any operation: ${plan.inoperable.join(', ')}`)
  return lines
}

/**
 * Names of the template's NoEcho parameters, whose values must be masked in
 * logs. CloudFormation's short-form tags (!Ref, !Sub, ...) are read as plain
 * values, which is enough to find the Parameters section.
 */
export function noEchoParameters(templateBody: string | undefined): string[] {
  if (templateBody === undefined) return []
  let parsed: unknown
  try {
    parsed = parseDocument(templateBody, { logLevel: 'silent' }).toJS({ maxAliasCount: MAX_ALIASES })
  } catch {
    return []
  }
  const parameters = (parsed as { Parameters?: unknown } | null)?.Parameters
  if (!parameters || typeof parameters !== 'object') return []
  return Object.entries(parameters as Record<string, { NoEcho?: unknown }>)
    .filter(([, p]) => p && (p.NoEcho === true || String(p.NoEcho).toLowerCase() === 'true'))
    .map(([name]) => name)
}
