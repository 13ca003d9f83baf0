import type { HealthCheck, ResourceRecordSet } from '@aws-sdk/client-route-53'
import { PARTITION_REGIONS } from '../../../lib/regions.js'

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
