import type { HealthCheck } from '@aws-sdk/client-route-53'
import type { Health } from './health.js'
import type { Settings } from './input-helper.js'
import { distinctRegions, hasAliasTargetHealth, type AliasHealth, type RoutedRecord } from './records.js'

export type Category = 'configuration' | 'route53' | 'probe' | 'simulation' | 'drill'

export interface Check {
  category: Category
  name: string
  /** The record (region) or health check the row is about, or the group. */
  subject: string
  passed: boolean
  detail: string
}

const STRING_MATCH = ['HTTP_STR_MATCH', 'HTTPS_STR_MATCH']

/** The configuration rows: everything decided from the records and health checks alone. */
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

/** How many healthy regions are needed. */
export function requiredHealthy(minHealthy: number | 'all', regionCount: number): number {
  return minHealthy === 'all' ? regionCount : minHealthy
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

export function planLines(checks: readonly Check[]): string[] {
  return checks.map(
    (c) => `  ${c.passed ? 'pass' : 'FAIL'}  ${c.category}/${c.name} [${c.subject}]: ${c.detail}`,
  )
}
