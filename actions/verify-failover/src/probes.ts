import { fanOut } from '../../../lib/fanout.js'
import type { Check } from './checks.js'
import { hasAliasTargetHealth, type RoutedRecord } from './records.js'
import { describeTarget, probe, probeTarget, type ProbeResult, type ProbeTarget } from './probe.js'
import type { HealthChecks } from './route53.js'

export interface ProbeOutcome {
  record: RoutedRecord
  target: ProbeTarget
  result: ProbeResult
  /** The probe of an alias record's target (the record has no health check). */
  aliasTarget?: boolean
}

/** An alias target is probed by a TCP connection to its name: all that is known of its listener. */
export function aliasProbeTarget(record: RoutedRecord, port: number): ProbeTarget {
  return { protocol: 'tcp', host: record.alias!.dnsName.replace(/\.$/, ''), port, path: '/', sni: false }
}

/** Probes the endpoint of every record's health check at once; records without one are skipped. */
export async function probeRecords(
  records: readonly RoutedRecord[],
  healthChecks: HealthChecks,
  signal?: AbortSignal,
  options: { allowPrivateTargets?: boolean; aliasPort?: number } = {},
): Promise<ProbeOutcome[]> {
  const targets = records.flatMap((record): Array<Omit<ProbeOutcome, 'result'>> => {
    if (hasAliasTargetHealth(record))
      return [{ record, target: aliasProbeTarget(record, options.aliasPort ?? 443), aliasTarget: true }]
    const config = record.healthCheckId
      ? healthChecks.get(record.healthCheckId)?.HealthCheckConfig
      : undefined
    const target = config ? probeTarget(config) : undefined
    return target ? [{ record, target }] : []
  })
  const results = await fanOut(
    targets,
    ({ target }) => probe(target, { signal, allowPrivateTargets: options.allowPrivateTargets }),
    {
      shouldStart: () => !signal?.aborted,
    },
  )
  return results.flatMap((r) => (r.state === 'fulfilled' ? [{ ...r.item, result: r.value }] : []))
}

export function probeLine(outcome: ProbeOutcome): string {
  if (outcome.result.skipped) return `${describeTarget(outcome.target)}: ${outcome.result.detail}`
  return `${describeTarget(outcome.target)}: ${outcome.result.detail} in ${outcome.result.ms} ms`
}

/** A skipped probe is no verdict on the endpoint: its row passes and says why it was skipped. */
export function probeChecks(outcomes: readonly ProbeOutcome[]): Check[] {
  return outcomes.map((o) => ({
    category: 'probe',
    name: o.aliasTarget ? 'Alias target probe' : 'Runner probe',
    subject: o.record.region,
    passed: o.result.ok || o.result.skipped !== undefined,
    detail: probeLine(o),
  }))
}

/** What the probes said of alias targets, by set identifier (skipped probes say nothing). */
export function aliasHealthOf(outcomes: readonly ProbeOutcome[]): Map<string, boolean> {
  return new Map(
    outcomes
      .filter((o) => o.aliasTarget && o.result.skipped === undefined)
      .map((o) => [o.record.setIdentifier, o.result.ok]),
  )
}

/** The targets that were not probed, and why, for the report and the summary. */
export function notProbed(
  outcomes: readonly ProbeOutcome[],
): Array<{ region: string; target: string; reason: string }> {
  return outcomes.flatMap((o) =>
    o.result.skipped
      ? [{ region: o.record.region, target: describeTarget(o.target), reason: o.result.skipped }]
      : [],
  )
}
