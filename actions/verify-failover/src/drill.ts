import type { Route53Client } from '@aws-sdk/client-route-53'
import { describeError } from '../../../lib/aws.js'
import type { RegionLog } from '../../../lib/log.js'
import { AbortedError, pollUntil, TimeoutError } from '../../../lib/poll.js'
import type { GanttBar } from '../../../lib/summary.js'
import { restoreHealthCheck, setInverted, type DrillState, type SetOutcome } from './health-check-update.js'
import type { Check } from './checks.js'
import { DEFAULT_VANTAGE, type Resolver, type VantagePoint } from './input-helper.js'
import type { RoutedRecord } from './records.js'
import type { StopEvent } from './stop-alarms.js'
import { RESTORE_RESERVE_MS, waitWithin, type Limit } from './time-budget.js'
import {
  newTrack,
  observe,
  resolverResults,
  vantageBars,
  vantageResults,
  type ResolverResult,
  type VantageResult,
  type VantageTrack,
} from './vantage.js'

/** The Route 53 reads the drill needs; injected so the flow can be unit tested. */
export interface DrillApi {
  /** Whether Route 53 considers the check healthy now (endpoint or CALCULATED). */
  healthy(healthCheckId: string, signal?: AbortSignal): Promise<boolean>
  /** What Route 53 answers, from its default resolver or for a client subnet. */
  answer(signal?: AbortSignal, clientSubnet?: string): Promise<string[]>
  /** What a DNS resolver answers the runner (its cache included); undefined when it did not answer. */
  resolve?(server: string, signal?: AbortSignal): Promise<string[] | undefined>
}

/** The stop conditions: `signal` aborts when one trips, and `tripped()` says which. */
export interface StopCondition {
  signal: AbortSignal
  tripped(): StopEvent | undefined
  /** Stops watching: called once the health check is restored, when there is nothing left to stop. */
  halt(): Promise<void>
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
  /** The client locations to follow; none: Route 53's default resolver. */
  vantagePoints?: readonly VantagePoint[]
  stop?: StopCondition
  /** The recovery-time objective: a failover (measured, or any vantage point's) longer than this fails. */
  maxFailoverSeconds?: number
  /** DNS resolvers followed beside the vantage points (`api.resolve`). */
  resolvers?: readonly Resolver[]
  /**
   * How long the waits go on for the resolvers once Route 53 has moved (its
   * record's TTL and a margin): a resolver may answer from its cache that long.
   */
  resolverGraceMs?: number
}

export interface DrillResult {
  checks: Check[]
  failoverSeconds?: number
  recoverySeconds?: number
  bars: GanttBar[]
  restore?: SetOutcome | 'failed'
  baseline: string[]
  duringFailover: string[]
  vantage?: VantageResult[]
  /** What the resolvers answered the runner, measured like the vantage points. */
  resolvers?: ResolverResult[]
  /** The stop alarm that ended the drill, and how long after it was seen the health check was restored. */
  stopped?: StopEvent & { restoreSeconds?: number }
  invertedAt?: string
  restoredAt?: string
  /** Each vantage point's answers as they changed. */
  timeline?: Array<{ name: string; answers: Array<{ at: string; answer: string[] }> }>
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

/** The drill's working state, shared by its phases. */
interface Run {
  input: DrillInput
  result: DrillResult
  tracks: VantageTrack[]
  signal: AbortSignal
  /** Whether an answer routes to the drilled region. */
  hits: (values: readonly string[]) => boolean
  poll: { initialMs: number; factor: number; maxMs: number }
  add: (name: string, passed: boolean, detail: string) => void
}

/** One vantage point's answer: Route 53's (TestDNSAnswer), or a resolver's as the runner gets it. */
function answerOf(
  input: DrillInput,
  point: VantagePoint,
  signal: AbortSignal,
): Promise<string[] | undefined> {
  if (point.resolver) return input.api.resolve?.(point.resolver, signal) ?? Promise.resolve(undefined)
  return input.api.answer(signal, point.clientSubnet)
}

/** Every vantage point's answer now, read side by side; a resolver that did not answer keeps its last one. */
async function readAnswers(run: Run): Promise<number> {
  const answers = await Promise.all(run.tracks.map((t) => answerOf(run.input, t.point, run.signal)))
  const at = Date.now()
  run.tracks.forEach((t, i) => {
    const answer = answers[i]
    if (answer) observe(t, answer, at)
  })
  return at
}

/** Route 53's own vantage points are done; the resolvers get `resolverGraceMs` more to follow. */
function doneWaiting(
  run: Run,
  done: (t: VantageTrack) => boolean,
  route53DoneAt: number,
  at: number,
): boolean {
  const resolvers = run.tracks.filter((t) => t.point.resolver && t.routedBefore)
  return resolvers.every(done) || at - route53DoneAt >= (run.input.resolverGraceMs ?? 0)
}

const isRoute53 = (t: VantageTrack) => !t.point.resolver

/**
 * The drill: invert the region's health check (recorded first in the action's
 * state), wait until Route 53 reports it unhealthy and stops answering every
 * vantage point that it answered with the region, probe the regions that took
 * over, then put the check back (always, in `finally`) and wait until those
 * vantage points are answered with the region again. A stop alarm ends every
 * wait at once, and the restore follows.
 */
export async function runDrill(input: DrillInput): Promise<DrillResult> {
  const { log, region } = input
  const checks: Check[] = []
  const drilled = new Set(regionValues(input.records, region))
  const signal = input.stop ? AbortSignal.any([input.signal, input.stop.signal]) : input.signal
  const points: VantagePoint[] = [
    ...(input.vantagePoints && input.vantagePoints.length > 0 ? input.vantagePoints : [DEFAULT_VANTAGE]),
    ...(input.resolvers ?? []).map((r) => ({ name: r.given, resolver: r.server })),
  ]
  const result: DrillResult = {
    checks,
    bars: [],
    baseline: [],
    duringFailover: [],
    vantage: [],
    timeline: [],
  }
  const run: Run = {
    input,
    result,
    signal,
    tracks: [],
    hits: (values) => values.some((v) => drilled.has(v.replace(/\.$/, ''))),
    poll: { initialMs: Math.min(1000, input.pollMaxMs), factor: 1.5, maxMs: input.pollMaxMs },
    add: (name, passed, detail) => checks.push({ category: 'drill', name, subject: region, passed, detail }),
  }
  const startedAt = Date.now()
  const before = (await Promise.all(points.map((p) => answerOf(input, p, signal)))).map((a) => a ?? [])
  run.tracks = points.map((p, i) => newTrack(p, before[i]!, run.hits(before[i]!), startedAt))
  result.baseline = before[0]!
  for (const t of run.tracks)
    log.info(
      `${points.length > 1 || t.point.clientSubnet ? `${t.point.name}: ` : ''}${t.point.resolver ? 'the resolver' : 'Route 53'} answers ${t.before.join(', ') || 'nothing'} before the drill`,
    )
  if (!run.tracks.some((t) => isRoute53(t) && t.routedBefore)) {
    log.info(
      `${points.length > 1 ? 'No vantage point is' : 'The default resolver is not'} routed to this region; failover is judged by the health status alone`,
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
  let restoredAt: number | undefined
  try {
    if (signal.aborted) throw new AbortedError()
    // Timed from the request: Route 53 may apply the change before its reply arrives.
    const invertingAt = Date.now()
    await setInverted(input.client, input.healthCheckId, true, (m) => log.warning(m))
    result.invertedAt = new Date(invertingAt).toISOString()
    log.info(`Inverted health check ${input.healthCheckId}; waiting for Route 53 to fail over`)
    await failOver(run)
  } catch (error) {
    failoverFailed(run, error)
  } finally {
    restoredAt = await restore(run, state)
    await input.stop?.halt()
  }
  const stopped = noteStop(run, restoredAt)
  // Recovery is only measured: it waits on the job's own cancellation, not on the stop alarms.
  run.signal = input.signal
  if (restoredAt !== undefined && !stopped && !input.signal.aborted) await recover(run, restoredAt)
  finish(run, restoredAt)
  return result
}

/** Waits for failover from every vantage point routed to the region, then probes the regions that took over. */
async function failOver(run: Run): Promise<void> {
  const { input, result, tracks, signal } = run
  const invertedAt = Date.parse(result.invertedAt!)
  let failedOverAt: number | undefined
  const failoverWaitMs = waitWithin(input.timeoutMs, input.limit, RESTORE_RESERVE_MS)
  if (failoverWaitMs < input.timeoutMs)
    input.log.warning(
      `Waiting at most ${Math.round(failoverWaitMs / 1000)} s for failover: ${input.limit!.what} at ${input.limit!.at.toISOString()} and the restore comes first`,
    )
  try {
    await pollUntil(
      async () => {
        if (await input.api.healthy(input.healthCheckId, signal)) return undefined
        // The time an answer came back: a slow TestDNSAnswer counts against the failover.
        const at = await readAnswers(run)
        for (const t of tracks) {
          if (t.movedAt !== undefined) continue
          t.during = t.latest
          if (t.routedBefore && !run.hits(t.latest)) t.movedAt = at
        }
        const moved = (t: VantageTrack) => !t.routedBefore || t.movedAt !== undefined
        failedOverAt ??= tracks.filter(isRoute53).every(moved) ? at : undefined
        return failedOverAt !== undefined && doneWaiting(run, moved, failedOverAt, at) ? true : undefined
      },
      {
        ...run.poll,
        what: `Route 53 to stop answering with ${input.region}`,
        timeoutMs: failoverWaitMs,
        signal,
      },
    )
  } catch (error) {
    if (error instanceof TimeoutError && failoverWaitMs < input.timeoutMs)
      throw new TimeoutError(
        `${error.message}, cut short to restore before ${input.limit!.what} at ${input.limit!.at.toISOString()}`,
      )
    throw error
  }
  failedOverAt ??= Date.now()
  result.failoverSeconds = round((failedOverAt - invertedAt) / 1000)
  result.duringFailover = tracks[0]!.during
  result.bars.push({
    section: 'Drill',
    label: 'Failover',
    startMs: invertedAt,
    endMs: failedOverAt,
    state: 'crit',
  })
  const answered = [...new Set(tracks.filter(isRoute53).flatMap((t) => t.during))]
  const takers = regionsInAnswer(input.records, answered).filter((r) => r !== input.region)
  run.add(
    'Failover',
    true,
    `unhealthy and out of the answer after ${result.failoverSeconds} s; Route 53 answers ${result.duringFailover.join(', ') || 'nothing'}`,
  )
  input.log.info(
    `Failed over in ${result.failoverSeconds} s to ${takers.join(', ') || 'the remaining records'}`,
  )
  const probeStart = Date.now()
  const probes = await input.probeRegions(takers)
  result.bars.push({
    section: 'Drill',
    label: 'Probe takeover',
    startMs: probeStart,
    endMs: Date.now(),
    state: 'active',
  })
  result.checks.push(...probes.map((c) => ({ ...c, category: 'drill' as const, name: 'Takeover probe' })))
}

function failoverFailed(run: Run, error: unknown): void {
  const stopped = run.input.stop?.tripped()
  if (stopped)
    run.add('Failover', false, `stopped: stop alarm ${stopped.alarm} (${stopped.region}) ${stopped.reason}`)
  else if (error instanceof AbortedError) run.add('Failover', false, 'cancelled before Route 53 failed over')
  else if (error instanceof TimeoutError) run.add('Failover', false, error.message)
  else run.add('Failover', false, describeError(error))
}

/** Puts the health check back; the time of the restore, or undefined when it failed (the post step tries again). */
async function restore(run: Run, state: DrillState): Promise<number | undefined> {
  const { input, result } = run
  let restoredAt: number | undefined
  try {
    result.restore = await restoreHealthCheck(input.client, state, (m) => input.log.warning(m))
    restoredAt = Date.now()
    result.restoredAt = new Date(restoredAt).toISOString()
    input.markRestored()
    input.log.info(`Health check ${input.healthCheckId} restored (Inverted=${state.originalInverted})`)
  } catch (error) {
    result.restore = 'failed'
    input.log.error(
      `Could not restore health check ${input.healthCheckId}: ${describeError(error)}; the post step will try again`,
    )
  }
  run.add(
    'Health check restored',
    restoredAt !== undefined,
    restoredAt !== undefined ? `Inverted=${state.originalInverted} again` : 'restore failed',
  )
  return restoredAt
}

/** The stop alarm that ended the drill, if one did, and how soon the restore followed it. */
function noteStop(run: Run, restoredAt: number | undefined): boolean {
  const stopped = run.input.stop?.tripped()
  if (!stopped) return false
  const restoreSeconds =
    restoredAt !== undefined ? round(Math.max(0, restoredAt - stopped.seenAt) / 1000) : undefined
  run.result.stopped = { ...stopped, restoreSeconds }
  run.add(
    'Stop alarm',
    false,
    `${stopped.alarm} (${stopped.region}) ${stopped.reason}; ` +
      (restoreSeconds !== undefined
        ? `health check restored ${restoreSeconds} s after it was seen`
        : 'restore failed'),
  )
  return true
}

/** Measures recovery: healthy again, and every vantage point that was routed to the region answered with it again. */
async function recover(run: Run, restoredAt: number): Promise<void> {
  const { input, result, tracks, signal } = run
  const routed = tracks.filter((t) => t.routedBefore)
  let recoveredAt: number | undefined
  // The recovery wait only measures: it ends before the limit, leaving the post step a moment.
  const recoveryWaitMs = waitWithin(input.timeoutMs, input.limit, RESTORE_RESERVE_MS / 4)
  if (recoveryWaitMs === 0) {
    run.add('Recovery', false, `not measured: ${input.limit!.what} at ${input.limit!.at.toISOString()}`)
    return
  }
  try {
    await pollUntil(
      async () => {
        if (!(await input.api.healthy(input.healthCheckId, signal))) return undefined
        if (routed.length === 0) return true
        // The time an answer came back: a slow TestDNSAnswer counts against the failover.
        const at = await readAnswers(run)
        for (const t of routed) if (t.backAt === undefined && run.hits(t.latest)) t.backAt = at
        const back = (t: VantageTrack) => t.backAt !== undefined
        recoveredAt ??= routed.filter(isRoute53).every(back) ? at : undefined
        return recoveredAt !== undefined && doneWaiting(run, back, recoveredAt, at) ? true : undefined
      },
      {
        ...run.poll,
        what: `Route 53 to answer with ${input.region} again`,
        timeoutMs: recoveryWaitMs,
        signal,
      },
    )
    recoveredAt ??= Date.now()
    result.recoverySeconds = round((recoveredAt - restoredAt) / 1000)
    result.bars.push({
      section: 'Drill',
      label: 'Recovery',
      startMs: restoredAt,
      endMs: recoveredAt,
      state: 'done',
    })
    run.add(
      'Recovery',
      true,
      `healthy${routed.length > 0 ? ' and answered again' : ''} after ${result.recoverySeconds} s`,
    )
    input.log.info(`Recovered in ${result.recoverySeconds} s`)
  } catch (error) {
    run.add(
      'Recovery',
      false,
      error instanceof AbortedError ? 'cancelled while waiting for recovery' : describeError(error),
    )
  }
}

/** The per-vantage results, their lanes, the record's timeline and the recovery-time objective. */
function finish(run: Run, restoredAt: number | undefined): void {
  const { result, tracks, input } = run
  const invertedAt = result.invertedAt ? Date.parse(result.invertedAt) : undefined
  result.vantage = vantageResults(tracks.filter(isRoute53), invertedAt, restoredAt)
  const resolverTracks = tracks.filter((t) => !isRoute53(t))
  if (resolverTracks.length > 0) result.resolvers = resolverResults(resolverTracks, invertedAt, restoredAt)
  // Lanes of their own only for vantage points that were asked for; the default resolver's is the Drill lane.
  if (tracks.some((t) => t.point.clientSubnet || t.point.resolver))
    result.bars.push(...vantageBars(tracks, invertedAt, restoredAt))
  result.timeline = tracks.map((t) => ({
    name: t.point.name,
    answers: t.timeline.map((s) => ({ at: new Date(s.at).toISOString(), answer: s.answer })),
  }))
  const max = input.maxFailoverSeconds
  if (max === undefined || result.failoverSeconds === undefined) return
  const slowest = result.vantage
    .filter((v) => v.failoverSeconds !== null)
    .sort((a, b) => b.failoverSeconds! - a.failoverSeconds!)[0]
  const worst = Math.max(result.failoverSeconds, slowest?.failoverSeconds ?? 0)
  run.add(
    'Failover within max-failover-seconds',
    worst <= max,
    `failover ${result.failoverSeconds} s` +
      (slowest && tracks.length > 1
        ? `, slowest vantage point ${slowest.name} ${slowest.failoverSeconds} s`
        : '') +
      `; max-failover-seconds ${max} s`,
  )
}

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10
}
