import type { HealthCheck, HealthCheckObservation } from '@aws-sdk/client-route-53'
import { distinctRegions, hasAliasTargetHealth, type AliasHealth, type RoutedRecord } from './records.js'

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
