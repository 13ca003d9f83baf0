import { fanOut } from '../../../lib/fanout.js'
import type { Check, RoutedRecord } from './plan.js'
import { describeTarget, probe, probeTarget, type ProbeResult, type ProbeTarget } from './probe.js'
import type { HealthChecks } from './route53.js'

export interface ProbeOutcome {
  record: RoutedRecord
  target: ProbeTarget
  result: ProbeResult
}

/** Probes the endpoint of every record's health check at once; records without one are skipped. */
export async function probeRecords(
  records: readonly RoutedRecord[],
  healthChecks: HealthChecks,
  signal?: AbortSignal,
): Promise<ProbeOutcome[]> {
  const targets = records.flatMap((record) => {
    const config = record.healthCheckId
      ? healthChecks.get(record.healthCheckId)?.HealthCheckConfig
      : undefined
    const target = config ? probeTarget(config) : undefined
    return target ? [{ record, target }] : []
  })
  const results = await fanOut(targets, ({ target }) => probe(target, { signal }), {
    shouldStart: () => !signal?.aborted,
  })
  return results.flatMap((r) => (r.state === 'fulfilled' ? [{ ...r.item, result: r.value }] : []))
}

export function probeLine(outcome: ProbeOutcome): string {
  return `${describeTarget(outcome.target)}: ${outcome.result.detail} in ${outcome.result.ms} ms`
}

export function probeChecks(outcomes: readonly ProbeOutcome[]): Check[] {
  return outcomes.map((o) => ({
    category: 'probe',
    name: 'Runner probe',
    subject: o.record.region,
    passed: o.result.ok,
    detail: probeLine(o),
  }))
}
