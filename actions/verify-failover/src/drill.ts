import type { Route53Client } from '@aws-sdk/client-route-53'
import { describeError } from '../../../lib/aws.js'
import type { RegionLog } from '../../../lib/log.js'
import { AbortedError, pollUntil, TimeoutError } from '../../../lib/poll.js'
import type { GanttBar } from '../../../lib/summary.js'
import { restoreHealthCheck, setInverted, type DrillState, type SetOutcome } from './health-check-update.js'
import type { Check } from './checks.js'
import type { RoutedRecord } from './records.js'
import { RESTORE_RESERVE_MS, waitWithin, type Limit } from './time-budget.js'

/** The Route 53 reads the drill needs; injected so the flow can be unit tested. */
export interface DrillApi {
  /** Whether Route 53 considers the check healthy now (endpoint or CALCULATED). */
  healthy(healthCheckId: string, signal?: AbortSignal): Promise<boolean>
  answer(signal?: AbortSignal): Promise<string[]>
}

export interface DrillInput {
  client: Route53Client
  api: DrillApi
  region: string
  healthCheckId: string
  clientRegion: string
  records: readonly RoutedRecord[]
  timeoutMs: number
  /** The credentials' expiry or the job's deadline, whichever comes first: the waits end in time to restore. */
  limit?: Limit
  pollMaxMs: number
  log: RegionLog
  signal: AbortSignal
  /** Saves what is about to change (core.saveState); called before the change. */
  saveState(state: DrillState): void
  markRestored(): void
  /** Probes the regions that took over. */
  probeRegions(regions: string[]): Promise<Check[]>
}

export interface DrillResult {
  checks: Check[]
  failoverSeconds?: number
  recoverySeconds?: number
  bars: GanttBar[]
  restore?: SetOutcome | 'failed'
  baseline: string[]
  duringFailover: string[]
}

/** The values of the records that route to a region (IP addresses, or the alias target's name). */
export function regionValues(records: readonly RoutedRecord[], region: string): string[] {
  return records
    .filter((r) => r.region === region)
    .flatMap((r) => (r.alias ? [r.alias.dnsName.replace(/\.$/, '')] : r.values))
}

/** The regions whose records' values appear in an answer. */
export function regionsInAnswer(records: readonly RoutedRecord[], answer: readonly string[]): string[] {
  const values = new Set(answer.map((v) => v.replace(/\.$/, '')))
  return [
    ...new Set(
      records.filter((r) => regionValues([r], r.region).some((v) => values.has(v))).map((r) => r.region),
    ),
  ]
}

/**
 * The drill: invert the region's health check (recorded first in the action's
 * state), wait until Route 53 reports it unhealthy and stops answering with the
 * region, probe the regions that took over, then put the check back (always, in
 * `finally`) and wait until the region is answered again.
 */
export async function runDrill(input: DrillInput): Promise<DrillResult> {
  const { api, log, region } = input
  const checks: Check[] = []
  const bars: GanttBar[] = []
  const add = (name: string, passed: boolean, detail: string) =>
    checks.push({ category: 'drill', name, subject: region, passed, detail })
  const poll = { initialMs: Math.min(1000, input.pollMaxMs), factor: 1.5, maxMs: input.pollMaxMs }
  const drilled = new Set(regionValues(input.records, region))
  const answers = (values: readonly string[]) => values.some((v) => drilled.has(v.replace(/\.$/, '')))

  const baseline = await api.answer(input.signal)
  const baselineHad = answers(baseline)
  log.info(`Route 53 answers ${baseline.join(', ') || 'nothing'} before the drill`)
  if (!baselineHad) {
    log.info(
      'The default resolver is not routed to this region; failover is judged by the health status alone',
    )
  }
  const state: DrillState = {
    healthCheckId: input.healthCheckId,
    region,
    clientRegion: input.clientRegion,
    originalInverted: false,
    startedAt: new Date().toISOString(),
  }
  input.saveState(state)
  const result: DrillResult = { checks, bars, baseline, duringFailover: [] }
  const invertedAt = Date.now()
  let restoreDone = false
  // When time is short, stop waiting early so the restore still runs before the limit.
  const failoverWaitMs = waitWithin(input.timeoutMs, input.limit, RESTORE_RESERVE_MS)
  if (failoverWaitMs < input.timeoutMs)
    log.warning(
      `Waiting at most ${Math.round(failoverWaitMs / 1000)} s for failover: ${input.limit!.what} at ${input.limit!.at.toISOString()} and the restore comes first`,
    )
  try {
    await setInverted(input.client, input.healthCheckId, true, (m) => log.warning(m))
    log.info(`Inverted health check ${input.healthCheckId}; waiting for Route 53 to fail over`)
    let last: string[] = []
    await pollUntil(
      async () => {
        if (await api.healthy(input.healthCheckId, input.signal)) return undefined
        last = await api.answer(input.signal)
        return answers(last) ? undefined : true
      },
      {
        ...poll,
        what: `Route 53 to stop answering with ${region}`,
        timeoutMs: failoverWaitMs,
        signal: input.signal,
      },
    )
    const failedOverAt = Date.now()
    result.failoverSeconds = round((failedOverAt - invertedAt) / 1000)
    result.duringFailover = last
    bars.push({
      section: 'Drill',
      label: 'Failover',
      startMs: invertedAt,
      endMs: failedOverAt,
      state: 'crit',
    })
    const takers = regionsInAnswer(input.records, last).filter((r) => r !== region)
    add(
      'Failover',
      true,
      `unhealthy and out of the answer after ${result.failoverSeconds} s; Route 53 answers ${last.join(', ') || 'nothing'}`,
    )
    log.info(`Failed over in ${result.failoverSeconds} s to ${takers.join(', ') || 'the remaining records'}`)
    const probeStart = Date.now()
    const probes = await input.probeRegions(takers)
    bars.push({
      section: 'Drill',
      label: 'Probe takeover',
      startMs: probeStart,
      endMs: Date.now(),
      state: 'active',
    })
    checks.push(...probes.map((c) => ({ ...c, category: 'drill' as const, name: 'Takeover probe' })))
  } catch (error) {
    if (error instanceof AbortedError) add('Failover', false, 'cancelled before Route 53 failed over')
    else if (error instanceof TimeoutError)
      add(
        'Failover',
        false,
        failoverWaitMs < input.timeoutMs
          ? `${error.message}, cut short to restore before ${input.limit!.what} at ${input.limit!.at.toISOString()}`
          : error.message,
      )
    else add('Failover', false, describeError(error))
  } finally {
    try {
      result.restore = await restoreHealthCheck(input.client, state, (m) => log.warning(m))
      input.markRestored()
      restoreDone = true
      log.info(`Health check ${input.healthCheckId} restored (Inverted=${state.originalInverted})`)
    } catch (error) {
      result.restore = 'failed'
      log.error(
        `Could not restore health check ${input.healthCheckId}: ${describeError(error)}; the post step will try again`,
      )
    }
  }
  add(
    'Health check restored',
    restoreDone,
    restoreDone ? `Inverted=${state.originalInverted} again` : 'restore failed',
  )
  if (!restoreDone || input.signal.aborted) return result

  const restoredAt = Date.now()
  // The recovery wait only measures: it ends before the limit, leaving the post step a moment.
  const recoveryWaitMs = waitWithin(input.timeoutMs, input.limit, RESTORE_RESERVE_MS / 4)
  if (recoveryWaitMs === 0) {
    add('Recovery', false, `not measured: ${input.limit!.what} at ${input.limit!.at.toISOString()}`)
    return result
  }
  try {
    await pollUntil(
      async () => {
        if (!(await api.healthy(input.healthCheckId, input.signal))) return undefined
        if (!baselineHad) return true
        return answers(await api.answer(input.signal)) ? true : undefined
      },
      {
        ...poll,
        what: `Route 53 to answer with ${region} again`,
        timeoutMs: recoveryWaitMs,
        signal: input.signal,
      },
    )
    const recoveredAt = Date.now()
    result.recoverySeconds = round((recoveredAt - restoredAt) / 1000)
    bars.push({ section: 'Drill', label: 'Recovery', startMs: restoredAt, endMs: recoveredAt, state: 'done' })
    add(
      'Recovery',
      true,
      `healthy${baselineHad ? ' and answered again' : ''} after ${result.recoverySeconds} s`,
    )
    log.info(`Recovered in ${result.recoverySeconds} s`)
  } catch (error) {
    add(
      'Recovery',
      false,
      error instanceof AbortedError ? 'cancelled while waiting for recovery' : describeError(error),
    )
  }
  return result
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10
}
