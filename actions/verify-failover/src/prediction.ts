import type { HealthCheck } from '@aws-sdk/client-route-53'
import type { RoutedRecord } from './records.js'

/** How long a failover of the record should take, from its health check and TTL. */
export interface Prediction {
  seconds: number
  detail: string
}

/**
 * Route 53 notices a failure after FailureThreshold consecutive failed checks,
 * one every RequestInterval (HealthCheckConfig: RequestInterval 10 or 30 s,
 * default 30; FailureThreshold 1 to 10, default 3); resolvers may keep the old
 * answer for the record's TTL after that. A CALCULATED check follows its slowest
 * child. Undefined when the check has no interval (CloudWatch alarm, recovery
 * control) or is unknown.
 */
export function predictFailover(
  record: RoutedRecord,
  healthChecks: ReadonlyMap<string, HealthCheck | undefined>,
): Prediction | undefined {
  const detection = detectionSeconds(record.healthCheckId, healthChecks, 0)
  if (!detection) return undefined
  const ttl = record.alias ? 0 : (record.ttl ?? 0)
  const ttlText = record.alias ? "alias record: the target's TTL, not known here" : `TTL ${ttl} s`
  return {
    seconds: detection.seconds + ttl,
    detail: `${detection.detail} + ${ttlText} = ${detection.seconds + ttl} s`,
  }
}

function detectionSeconds(
  id: string | undefined,
  healthChecks: ReadonlyMap<string, HealthCheck | undefined>,
  depth: number,
): { seconds: number; detail: string } | undefined {
  const config = id ? healthChecks.get(id)?.HealthCheckConfig : undefined
  if (!config || depth > 2) return undefined
  if (config.Type === 'CALCULATED') {
    const children = (config.ChildHealthChecks ?? [])
      .map((child) => detectionSeconds(child, healthChecks, depth + 1))
      .filter((c) => c !== undefined)
    return children.sort((a, b) => b.seconds - a.seconds)[0]
  }
  if (config.Type === 'CLOUDWATCH_METRIC' || config.Type === 'RECOVERY_CONTROL') return undefined
  const interval = config.RequestInterval ?? 30
  const threshold = config.FailureThreshold ?? 3
  return { seconds: interval * threshold, detail: `interval ${interval} s x threshold ${threshold}` }
}
