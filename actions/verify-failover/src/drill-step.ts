import * as core from '@actions/core'
import type { HealthCheck, Route53Client } from '@aws-sdk/client-route-53'
import { describeError } from '../../../lib/aws.js'
import type { RegionLog } from '../../../lib/log.js'
import type { Check } from './checks.js'
import { cloudWatchClient, describeAlarms } from './cloudwatch.js'
import { drillBlocker, drillNotStarted } from './drill-gate.js'
import { runDrill, type DrillInput, type DrillResult } from './drill.js'
import { RESTORED_KEY, STATE_KEY } from './health-check-update.js'
import type { Settings } from './input-helper.js'
import { predictFailover, type Prediction } from './prediction.js'
import type { RoutedRecord } from './records.js'
import { resolveWith } from './resolvers.js'
import { readHealth, testDnsAnswer } from './route53.js'
import { StopAlarmWatch } from './stop-alarms.js'
import type { Limit } from './time-budget.js'

/** What a drill needs from the run that reads and checks the configuration first. */
export interface DrillContext {
  settings: Settings
  region: string
  client: Route53Client
  clientRegion: string
  recordType: string
  records: readonly RoutedRecord[]
  healthChecks: ReadonlyMap<string, HealthCheck | undefined>
  healthyRegions: readonly string[]
  limit?: Limit
  log: RegionLog
  signal: AbortSignal
  probeRegions(regions: string[]): Promise<Check[]>
}

export interface Drill {
  region: string
  result: DrillResult
  prediction?: Prediction
  /** Every reading of the stop alarms, for the drill record. */
  alarmRounds: StopAlarmWatch['rounds']
}

/**
 * Runs the drill when nothing forbids it: the drilled region's check must be
 * usable, another region healthy, and no stop alarm in ALARM (every one must
 * exist). Either way the outcome is rows of checks; the drill record when it ran.
 */
export async function drillIfAllowed(context: DrillContext): Promise<{ checks: Check[]; drill?: Drill }> {
  const { settings, region, records, log, signal } = context
  const watch =
    settings.stopAlarms.length > 0
      ? StopAlarmWatch.of(
          settings.stopAlarms,
          region,
          async (alarmRegion, names, s) => describeAlarms(await cloudWatchClient(alarmRegion), names, s),
          settings.alarmIntervalMs,
          log,
        )
      : undefined
  let blocker =
    drillBlocker(region, records, context.healthChecks, context.healthyRegions) ??
    (signal.aborted ? 'cancelled' : undefined)
  if (!blocker && watch) {
    try {
      blocker = await watch.blocker(signal)
    } catch (error) {
      blocker = `the stop alarms could not be read: ${describeError(error)}`
    }
  }
  if (blocker) {
    log.error(`Drill not started: ${blocker}`, 'verify-failover drill')
    return { checks: [drillNotStarted(region, blocker)] }
  }
  const drilledRecord = records.find((r) => r.region === region)!
  const healthCheckId = drilledRecord.healthCheckId!
  const prediction = predictFailover(drilledRecord, context.healthChecks)
  core.info(`Drill: will invert health check ${healthCheckId} of ${region}, then restore it.`)
  log.openGroup('drill')
  if (prediction) log.info(`Predicted failover: ${prediction.detail}`)
  const { client } = context
  watch?.start()
  let result: DrillResult
  try {
    result = await runDrillSafely({
      client,
      api: {
        healthy: async (id, s) => (await readHealth(client, id, context.healthChecks, s))?.healthy === true,
        resolve: (server, s) => resolveWith(server, settings.recordName, context.recordType, s),
        answer: (s, subnet) =>
          testDnsAnswer(client, settings.hostedZoneId, settings.recordName, context.recordType, s, subnet),
      },
      region,
      healthCheckId,
      clientRegion: context.clientRegion,
      records,
      timeoutMs: settings.drillTimeoutMs,
      limit: context.limit,
      pollMaxMs: settings.pollMaxMs,
      log,
      signal,
      saveState: (saved) => core.saveState(STATE_KEY, JSON.stringify(saved)),
      markRestored: () => core.saveState(RESTORED_KEY, 'true'),
      probeRegions: context.probeRegions,
      vantagePoints: settings.vantagePoints,
      maxFailoverSeconds: settings.maxFailoverSeconds,
      resolvers: settings.resolvers,
      // A resolver may answer from its cache for the record's TTL after Route 53 has moved.
      resolverGraceMs: ((drilledRecord.ttl ?? 60) + 5) * 1000,
      ...(watch
        ? { stop: { signal: watch.signal, tripped: () => watch.tripped, halt: () => watch.stop() } }
        : {}),
    })
  } finally {
    await watch?.stop()
  }
  log.flush()
  return { checks: result.checks, drill: { region, result, prediction, alarmRounds: watch?.rounds ?? [] } }
}

/** A drill that could not even start (its first read failed) is a failed row, not a lost report. */
async function runDrillSafely(input: DrillInput): Promise<DrillResult> {
  try {
    return await runDrill(input)
  } catch (error) {
    input.log.error(`Drill not started: ${describeError(error)}`, 'verify-failover drill')
    return {
      checks: [drillNotStarted(input.region, describeError(error))],
      bars: [],
      baseline: [],
      duringFailover: [],
    }
  }
}
