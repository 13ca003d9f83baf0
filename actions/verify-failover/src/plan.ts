import type { HealthCheck, HealthCheckObservation, ResourceRecordSet } from '@aws-sdk/client-route-53'
import { PARTITION_REGIONS } from '../../../lib/regions.js'
import { regionDistance } from './geo.js'
import type { Settings } from './input-helper.js'

export type Policy = 'latency' | 'failover' | 'weighted' | 'multivalue' | 'geolocation' | 'other' | 'simple'

/** One record of the routed group (same name and type), reduced to what the checks need. */
export interface RoutedRecord {
  setIdentifier: string
  /** The AWS region the record sends traffic to. */
  region: string
  policy: Policy
  failover?: 'PRIMARY' | 'SECONDARY'
  weight?: number
  ttl?: number
  values: string[]
  healthCheckId?: string
  alias?: { dnsName: string; evaluateTargetHealth: boolean }
}

export type Category = 'configuration' | 'route53' | 'probe' | 'simulation' | 'drill'

export interface Check {
  category: Category
  name: string
  /** The record (region) or health check the row is about, or the group. */
  subject: string
  passed: boolean
  detail: string
}

const ALL_REGIONS = Object.values(PARTITION_REGIONS)
  .flat()
  .sort((a, b) => b.length - a.length)

/** The first AWS region name found in a text such as a set identifier or a host name. */
export function findRegion(text: string | undefined): string | undefined {
  if (!text) return undefined
  const lower = text.toLowerCase()
  return ALL_REGIONS.find((region) => new RegExp(`(^|[^a-z0-9])${region}($|[^0-9])`).test(lower))
}

/**
 * A record's region: the latency record's Region; otherwise a region named in
 * its set identifier, its alias target or its health check's host name; the set
 * identifier itself as a last resort (failover and weighted records carry no region).
 */
export function recordRegion(set: ResourceRecordSet, healthCheck?: HealthCheck): string {
  return (
    set.Region ??
    findRegion(set.SetIdentifier) ??
    findRegion(set.AliasTarget?.DNSName) ??
    findRegion(healthCheck?.HealthCheckConfig?.FullyQualifiedDomainName) ??
    set.SetIdentifier ??
    'global'
  )
}

export function normaliseName(name: string): string {
  const lower = name.toLowerCase().replace(/\\052/g, '*')
  return lower.endsWith('.') ? lower : `${lower}.`
}

function policyOf(set: ResourceRecordSet): Policy {
  if (set.Region) return 'latency'
  if (set.Failover) return 'failover'
  if (set.Weight !== undefined) return 'weighted'
  if (set.MultiValueAnswer) return 'multivalue'
  if (set.GeoLocation) return 'geolocation'
  if (set.SetIdentifier) return 'other'
  return 'simple'
}

/**
 * The record type to verify: the one asked for, else the type the routed
 * records (those with a set identifier) use; A is preferred when a name routes
 * both A and AAAA.
 */
export function chooseRecordType(sets: readonly ResourceRecordSet[], requested?: string): string | undefined {
  if (requested) return requested
  const routed = sets.filter((s) => s.SetIdentifier)
  const types: string[] = [...new Set((routed.length > 0 ? routed : sets).map((s) => String(s.Type)))]
  for (const preferred of ['A', 'AAAA', 'CNAME']) if (types.includes(preferred)) return preferred
  return types[0]
}

export function toRoutedRecords(
  sets: readonly ResourceRecordSet[],
  healthChecks: ReadonlyMap<string, HealthCheck | undefined>,
): RoutedRecord[] {
  return sets.map((set) => ({
    setIdentifier: set.SetIdentifier ?? set.Name ?? '',
    region: recordRegion(set, set.HealthCheckId ? healthChecks.get(set.HealthCheckId) : undefined),
    policy: policyOf(set),
    failover: set.Failover as RoutedRecord['failover'],
    weight: set.Weight,
    ttl: set.TTL,
    values: (set.ResourceRecords ?? []).map((r) => r.Value ?? '').filter((v) => v !== ''),
    healthCheckId: set.HealthCheckId,
    alias: set.AliasTarget
      ? {
          dnsName: set.AliasTarget.DNSName ?? '',
          evaluateTargetHealth: set.AliasTarget.EvaluateTargetHealth ?? false,
        }
      : undefined,
  }))
}

export function distinctRegions(records: readonly RoutedRecord[]): string[] {
  return [...new Set(records.map((r) => r.region))]
}

/** A record Route 53 can take out of its answers: it has a health check or is an alias that evaluates target health. */
export function isMonitored(record: RoutedRecord): boolean {
  return record.healthCheckId !== undefined || record.alias?.evaluateTargetHealth === true
}

/**
 * An alias record guarded only by its target's health (AliasTarget,
 * EvaluateTargetHealth: "When EvaluateTargetHealth is true, an alias resource
 * record set inherits the health of the referenced AWS resource, such as an ELB
 * load balancer or another resource record set in the hosted zone"). Route 53
 * publishes no status for that health, so it is known only from the runner's
 * probe of the target.
 */
export function hasAliasTargetHealth(record: RoutedRecord): boolean {
  return record.healthCheckId === undefined && record.alias?.evaluateTargetHealth === true
}

/** What the runner's probes said of alias targets, by set identifier; absent: not known. */
export type AliasHealth = ReadonlyMap<string, boolean>

const STRING_MATCH = ['HTTP_STR_MATCH', 'HTTPS_STR_MATCH']

/** The configuration rows (1 in the issue): everything decided from the records and health checks alone. */
export function configurationChecks(
  records: readonly RoutedRecord[],
  healthChecks: ReadonlyMap<string, HealthCheck | undefined>,
  settings: Pick<Settings, 'maxTtl' | 'maxDetectionSeconds'>,
): Check[] {
  const checks: Check[] = []
  const add = (name: string, subject: string, passed: boolean, detail: string) =>
    checks.push({ category: 'configuration', name, subject, passed, detail })
  const regions = distinctRegions(records)
  add(
    'At least two regions',
    'group',
    regions.length >= 2,
    `${regions.length} region(s): ${regions.join(', ') || 'none'}`,
  )
  for (const record of records) {
    const subject = record.region
    if (record.healthCheckId) add('Health check attached', subject, true, record.healthCheckId)
    else if (record.alias?.evaluateTargetHealth)
      add('Health check attached', subject, true, 'alias evaluates target health')
    else
      add(
        'Health check attached',
        subject,
        false,
        'no health check and no alias with EvaluateTargetHealth: Route 53 keeps answering with this record when the region fails',
      )
    if (record.alias) add('TTL', subject, true, 'alias record: the target’s TTL applies')
    else
      add(
        'TTL',
        subject,
        record.ttl !== undefined && record.ttl <= settings.maxTtl,
        `${record.ttl ?? 'none'} s (max-ttl ${settings.maxTtl} s)`,
      )
    if (!record.healthCheckId) continue
    const hc = healthChecks.get(record.healthCheckId)
    add('Health check exists', subject, hc !== undefined, hc ? hc.Id! : `${record.healthCheckId} not found`)
    const config = hc?.HealthCheckConfig
    if (!config) continue
    add(
      'Health check enabled',
      subject,
      !config.Disabled,
      config.Disabled ? 'disabled: Route 53 treats it as healthy' : 'enabled',
    )
    add(
      'Health check not inverted',
      subject,
      !config.Inverted,
      config.Inverted ? 'left inverted' : 'not inverted',
    )
    if (
      config.Type !== 'CALCULATED' &&
      config.Type !== 'CLOUDWATCH_METRIC' &&
      config.Type !== 'RECOVERY_CONTROL'
    ) {
      const interval = config.RequestInterval ?? 30
      const threshold = config.FailureThreshold ?? 3
      const seconds = interval * threshold
      add(
        'Detection time',
        subject,
        seconds <= settings.maxDetectionSeconds,
        `${interval} s x ${threshold} = ${seconds} s (max-detection-seconds ${settings.maxDetectionSeconds} s)`,
      )
    }
    if (config.Type && STRING_MATCH.includes(config.Type)) {
      const search = config.SearchString ?? ''
      add(
        'Search string',
        subject,
        search !== '',
        search ? `"${search}"` : 'string-match check without a search string',
      )
    }
  }
  return checks
}

export interface Route53View {
  healthy: boolean
  successes: number
  total: number
}

/**
 * Route 53 considers an endpoint healthy when more than 18% of its health
 * checkers report it healthy (Route 53 Developer Guide, "How Amazon Route 53
 * determines whether a health check is healthy"). A check that no checker has
 * reported on yet is not counted as healthy.
 */
export const HEALTHY_SHARE = 0.18
export function route53View(observations: readonly HealthCheckObservation[]): Route53View {
  const total = observations.length
  const successes = observations.filter((o) => (o.StatusReport?.Status ?? '').startsWith('Success')).length
  return { healthy: total > 0 && successes / total > HEALTHY_SHARE, successes, total }
}

/**
 * The records Route 53 answers a query with, given which records it considers
 * healthy (Route 53 Developer Guide, "How Amazon Route 53 chooses records when
 * health checking is configured"):
 * - a record without a health check is always healthy;
 * - when no record of the group is healthy, all of them are treated as healthy;
 * - failover: the primary while it is healthy, else the secondary;
 * - latency: the healthy record of the region closest to the resolver;
 * - weighted: the healthy records of non-zero weight (zero-weight ones only when
 *   none of those is healthy), any of which may be chosen;
 * - multivalue: up to eight healthy records.
 */
export function routeAnswer(
  records: readonly RoutedRecord[],
  isHealthy: (record: RoutedRecord) => boolean,
  resolverRegion?: string,
): RoutedRecord[] {
  if (records.length === 0) return []
  const healthy = records.filter(isHealthy)
  const pool = healthy.length > 0 ? healthy : [...records]
  const policy = records[0]!.policy
  switch (policy) {
    case 'failover': {
      const primary = pool.find((r) => r.failover === 'PRIMARY')
      return [primary ?? pool.find((r) => r.failover === 'SECONDARY') ?? pool[0]!]
    }
    case 'latency': {
      if (!resolverRegion) return pool
      const sorted = [...pool].sort(
        (a, b) => regionDistance(resolverRegion, a.region) - regionDistance(resolverRegion, b.region),
      )
      return [sorted[0]!]
    }
    case 'weighted': {
      const weighted = pool.filter((r) => (r.weight ?? 0) > 0)
      if (weighted.length > 0) return weighted
      const zero = healthy.filter((r) => (r.weight ?? 0) === 0)
      return zero.length > 0 ? zero : pool
    }
    case 'multivalue':
      return pool.slice(0, 8)
    default:
      return pool
  }
}

export interface SimulationCase {
  failed: string[]
  /** Per resolver location (latency routing) or `any`: the regions Route 53 would answer with that still serve. */
  answers: Array<{ resolver: string; answer: string[]; serving: string[] }>
  passed: boolean
}

export function* combinations<T>(items: readonly T[], size: number, start = 0): Generator<T[]> {
  if (size === 0) {
    yield []
    return
  }
  for (let i = start; i <= items.length - size; i++) {
    for (const rest of combinations(items, size - 1, i + 1)) yield [items[i]!, ...rest]
  }
}

/**
 * In the spirit of Route 53 Infima: for every failure of up to `depth` regions
 * (on top of what Route 53 sees as unhealthy now), work out which records Route
 * 53 would answer with, from each resolver location that matters, and whether
 * any of them still points at a serving region. A region that fails while its
 * record has no health check keeps being answered: that answer is dead. Losing
 * every region is not simulated (depth is capped at regions - 1), since no
 * configuration survives it.
 */
export function simulate(
  records: readonly RoutedRecord[],
  healthyNow: (record: RoutedRecord) => boolean,
  depth: number,
): SimulationCase[] {
  const regions = distinctRegions(records)
  const maxDepth = Math.min(depth, regions.length - 1)
  const resolvers = records[0]?.policy === 'latency' ? regions : ['any']
  const cases: SimulationCase[] = []
  for (let size = 0; size <= Math.max(0, maxDepth); size++) {
    for (const failed of combinations(regions, size)) {
      const down = new Set(failed)
      const serves = (r: RoutedRecord) => !down.has(r.region) && (!isMonitored(r) || healthyNow(r))
      // What Route 53 can see: a monitored record is unhealthy when its region is down or it is unhealthy now.
      const seenHealthy = (r: RoutedRecord) => (isMonitored(r) ? serves(r) : true)
      const answers = resolvers.map((resolver) => {
        const answer = routeAnswer(records, seenHealthy, resolver === 'any' ? undefined : resolver)
        return {
          resolver,
          answer: [...new Set(answer.map((r) => r.region))],
          serving: [...new Set(answer.filter(serves).map((r) => r.region))],
        }
      })
      cases.push({ failed, answers, passed: answers.every((a) => a.serving.length > 0) })
    }
  }
  return cases
}

export function simulationChecks(cases: readonly SimulationCase[]): Check[] {
  return cases.map((c) => {
    const dead = c.answers.filter((a) => a.serving.length === 0)
    const detail = c.passed
      ? c.answers
          .map((a) =>
            a.resolver === 'any' ? a.serving.join(', ') : `${a.resolver} -> ${a.serving.join(', ')}`,
          )
          .join('; ')
      : dead
          .map(
            (a) =>
              `${a.resolver === 'any' ? 'answer' : `resolver near ${a.resolver}`}: ${a.answer.join(', ') || 'nothing'} (not serving)`,
          )
          .join('; ')
    return {
      category: 'simulation' as const,
      name:
        c.failed.length === 0
          ? 'Answer with no region failed'
          : `Answer with ${c.failed.length} region(s) failed`,
      subject: c.failed.length === 0 ? 'none' : c.failed.join(' + '),
      passed: c.passed,
      detail,
    }
  })
}

/** How many healthy regions are needed. */
export function requiredHealthy(minHealthy: number | 'all', regionCount: number): number {
  return minHealthy === 'all' ? regionCount : minHealthy
}

/**
 * Why a drill must not start, or undefined when it may: the drilled region's
 * check must be in place and usable, and another region must be healthy to take over.
 */
export function drillBlocker(
  drillRegion: string,
  records: readonly RoutedRecord[],
  healthChecks: ReadonlyMap<string, HealthCheck | undefined>,
  healthyRegions: readonly string[],
): string | undefined {
  const inRegion = records.filter((r) => r.region === drillRegion)
  const ids = [
    ...new Set(inRegion.map((r) => r.healthCheckId).filter((id): id is string => id !== undefined)),
  ]
  if (ids.length === 0) return `the ${drillRegion} record has no health check to invert`
  if (ids.length > 1) return `the ${drillRegion} records use ${ids.length} different health checks`
  const config = healthChecks.get(ids[0]!)?.HealthCheckConfig
  if (!config) return `health check ${ids[0]} does not exist`
  if (config.Disabled) return `health check ${ids[0]} is disabled, so inverting it would change nothing`
  if (config.Inverted) return `health check ${ids[0]} is already inverted`
  const shared = records.filter((r) => r.region !== drillRegion && r.healthCheckId === ids[0])
  if (shared.length > 0) return `health check ${ids[0]} also guards ${shared.map((r) => r.region).join(', ')}`
  const others = healthyRegions.filter((r) => r !== drillRegion)
  if (others.length === 0) return 'no other region is healthy to take over'
  return undefined
}

export type Statuses = ReadonlyMap<string, readonly HealthCheckObservation[]>

/** Route 53's verdict on one health check, and how it was reached. */
export interface HealthView extends Route53View {
  detail: string
  /** Judged from its child checks (a CALCULATED check); successes/total then count child checks. */
  calculated?: boolean
}
export type Health = ReadonlyMap<string, HealthView>

/** The verdict on an endpoint (or alarm) check from its checkers' reports. */
export function endpointHealth(observations: readonly HealthCheckObservation[]): HealthView {
  const view = route53View(observations)
  return {
    ...view,
    detail:
      view.total === 0
        ? 'no checker has reported yet'
        : `${view.successes} of ${view.total} checkers report healthy (healthy when more than 18%)`,
  }
}

/**
 * Route 53's verdict on a health check. GetHealthCheckStatus answers only for
 * checks that have checkers (API Reference, GetHealthCheckStatus: "You can't use
 * GetHealthCheckStatus to get the status of a calculated health check"), so a
 * CALCULATED check is judged from its children as Route 53 does (HealthCheckConfig,
 * HealthThreshold: "The number of child health checks that are associated with a
 * CALCULATED health check that Amazon Route 53 must consider healthy for the
 * CALCULATED health check to be considered healthy ... If you specify a number
 * greater than the number of child health checks, Route 53 always considers this
 * health check to be unhealthy. If you specify 0, Route 53 always considers this
 * health check to be healthy."). A disabled check is healthy (Disabled: "Route 53
 * considers the status of the health check to always be healthy"); Inverted turns
 * the calculated verdict round. A child that does not exist or has no verdict
 * counts as not healthy. Undefined when the check itself is unknown.
 */
export function judgeHealth(
  id: string,
  healthChecks: ReadonlyMap<string, HealthCheck | undefined>,
  statuses: Statuses,
  depth = 0,
): HealthView | undefined {
  const config = healthChecks.get(id)?.HealthCheckConfig
  if (!config) return undefined
  if (config.Type !== 'CALCULATED') {
    const observations = statuses.get(id)
    return observations ? endpointHealth(observations) : undefined
  }
  const children = config.ChildHealthChecks ?? []
  if (config.Disabled) {
    return {
      healthy: true,
      successes: 0,
      total: children.length,
      calculated: true,
      detail: 'calculated health check, disabled: Route 53 considers it healthy',
    }
  }
  const threshold = config.HealthThreshold ?? children.length
  const missing: string[] = []
  const healthyChildren = children.filter((child) => {
    const childConfig = healthChecks.get(child)?.HealthCheckConfig
    if (!childConfig) {
      missing.push(child)
      return false
    }
    if (childConfig.Disabled) return true
    return depth < 2 && judgeHealth(child, healthChecks, statuses, depth + 1)?.healthy === true
  }).length
  const met = healthyChildren >= threshold
  const healthy = config.Inverted ? !met : met
  return {
    healthy,
    successes: healthyChildren,
    total: children.length,
    calculated: true,
    detail:
      `calculated health check: ${healthyChildren} of ${children.length} child checks healthy, ` +
      `${threshold} required (HealthThreshold)` +
      (config.Inverted ? `, inverted: ${healthy ? 'healthy' : 'unhealthy'}` : '') +
      (missing.length > 0 ? `; child check(s) not found: ${missing.join(', ')}` : ''),
  }
}

/** The verdict on every distinct health check of the records. */
export function judgeRecordsHealth(
  records: readonly RoutedRecord[],
  healthChecks: ReadonlyMap<string, HealthCheck | undefined>,
  statuses: Statuses,
): Map<string, HealthView> {
  const health = new Map<string, HealthView>()
  for (const id of new Set(records.map((r) => r.healthCheckId).filter((i): i is string => i !== undefined))) {
    const view = judgeHealth(id, healthChecks, statuses)
    if (view) health.set(id, view)
  }
  return health
}

/** Whether Route 53 reports the record's health check healthy (records without one: no). */
export function healthyInRoute53(health: Health) {
  return (record: RoutedRecord): boolean =>
    record.healthCheckId !== undefined && health.get(record.healthCheckId)?.healthy === true
}

/**
 * Whether a record serves now, for the simulation: its health check's verdict;
 * for an alias that evaluates target health, the probe of its target, and when
 * that is not known, healthy (Route 53 judges the target itself, and nothing
 * says it failed), so failing its region takes it out like any monitored record.
 */
export function healthyNow(health: Health, aliasHealth: AliasHealth) {
  const checked = healthyInRoute53(health)
  return (record: RoutedRecord): boolean =>
    hasAliasTargetHealth(record) ? aliasHealth.get(record.setIdentifier) !== false : checked(record)
}

/** Regions with an alias record whose target's health is not known: not counted either way. */
export function unknownHealthRegions(records: readonly RoutedRecord[], aliasHealth: AliasHealth): string[] {
  return distinctRegions(records.filter((r) => hasAliasTargetHealth(r) && !aliasHealth.has(r.setIdentifier)))
}

/** One row per alias record that evaluates target health: what is known of it. */
export function aliasTargetChecks(
  records: readonly RoutedRecord[],
  aliasHealth: AliasHealth,
  probing: boolean,
): Check[] {
  return records.filter(hasAliasTargetHealth).map((record) => {
    const known = aliasHealth.get(record.setIdentifier)
    const target = record.alias!.dnsName.replace(/\.$/, '')
    const detail =
      known === undefined
        ? `alias target health of ${target}: not known (${probing ? 'its probe was skipped' : 'probe is off'}); Route 53 evaluates it itself; not counted in min-healthy`
        : `alias target health of ${target}: ${known ? 'answered' : 'failed'} the runner's probe`
    return {
      category: 'route53' as const,
      name: 'Alias target health',
      subject: record.region,
      passed: known !== false,
      detail,
    }
  })
}

/** One row per record with a health check that exists: Route 53's own verdict. */
export function route53Checks(records: readonly RoutedRecord[], health: Health): Check[] {
  return records.flatMap((record) => {
    const view = record.healthCheckId ? health.get(record.healthCheckId) : undefined
    if (!view) return []
    return [
      {
        category: 'route53' as const,
        name: 'Route 53 status',
        subject: record.region,
        passed: view.healthy,
        detail: view.detail,
      },
    ]
  })
}

/**
 * The regions whose every record has a health check Route 53 reports healthy
 * (or, for an alias that evaluates target health, a target that answered the
 * runner's probe) and whose endpoints, when probed, answered the runner.
 */
export function healthyRegionsOf(
  records: readonly RoutedRecord[],
  health: Health,
  probeFailed: ReadonlySet<string>,
  aliasHealth: AliasHealth = new Map(),
): string[] {
  const checked = healthyInRoute53(health)
  const healthy = (r: RoutedRecord) =>
    hasAliasTargetHealth(r) ? aliasHealth.get(r.setIdentifier) === true : checked(r)
  return distinctRegions(records).filter(
    (region) => records.filter((r) => r.region === region).every(healthy) && !probeFailed.has(region),
  )
}

/**
 * At least `min-healthy` healthy regions. Regions whose health is not known
 * (alias target health without a probe) are not counted: `all` means every
 * region whose health is known.
 */
export function minHealthyCheck(
  healthyRegions: readonly string[],
  minHealthy: number | 'all',
  regionCount: number,
  unknownRegions: readonly string[] = [],
): Check {
  const required = requiredHealthy(
    minHealthy,
    regionCount - (minHealthy === 'all' ? unknownRegions.length : 0),
  )
  const unknown =
    unknownRegions.length > 0 ? `; not counted, health not known: ${unknownRegions.join(', ')}` : ''
  return {
    category: 'route53',
    name: 'Minimum healthy regions',
    subject: 'group',
    passed: healthyRegions.length >= required,
    detail: `${healthyRegions.length} healthy (${healthyRegions.join(', ') || 'none'}), ${required} required${unknown}`,
  }
}

export function drillNotStarted(region: string, reason: string): Check {
  return {
    category: 'drill',
    name: 'Drill allowed',
    subject: region,
    passed: false,
    detail: `not started: ${reason}`,
  }
}

export function planLines(checks: readonly Check[]): string[] {
  return checks.map(
    (c) => `  ${c.passed ? 'pass' : 'FAIL'}  ${c.category}/${c.name} [${c.subject}]: ${c.detail}`,
  )
}
