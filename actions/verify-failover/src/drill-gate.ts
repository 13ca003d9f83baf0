import type { HealthCheck } from '@aws-sdk/client-route-53'
import type { Check } from './checks.js'
import type { RoutedRecord } from './records.js'

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

export function drillNotStarted(region: string, reason: string): Check {
  return {
    category: 'drill',
    name: 'Drill allowed',
    subject: region,
    passed: false,
    detail: `not started: ${reason}`,
  }
}
