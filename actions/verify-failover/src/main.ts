import * as core from '@actions/core'
import { Route53Client } from '@aws-sdk/client-route-53'
import { runAction, setJsonOutput, writeJobSummary, type ActionContext } from '../../../lib/action.js'
import { clientFactory } from '../../../lib/aws.js'
import { Inputs } from '../../../lib/inputs.js'
import { logSafe } from '../../../lib/foreign-text.js'
import { Annotations, RegionLog } from '../../../lib/log.js'
import { drillIfAllowed, type Drill } from './drill-step.js'
import { drillRecord, writeDrillRecord } from './evidence.js'
import {
  checkDrillRegion,
  checkMinHealthy,
  checkRecordType,
  checkResolvers,
  getSettings,
  type Settings,
} from './input-helper.js'
import {
  aliasTargetChecks,
  configurationChecks,
  minHealthyCheck,
  planLines,
  route53Checks,
  type Check,
} from './checks.js'
import { healthyNow, healthyRegionsOf, unknownHealthRegions, type Health } from './health.js'
import { distinctRegions, type RoutedRecord } from './records.js'
import { simulate, simulationChecks } from './simulation.js'
import {
  aliasHealthOf,
  notProbed,
  probeChecks,
  probeLine,
  probeRecords,
  type ProbeOutcome,
} from './probes.js'
import { readCurrentState, route53ClientRegion } from './route53.js'
import { buildReport, renderSummary, type Report } from './summary.js'
import { checkDrillTimeout, credentialsExpiry, earliestLimit } from './time-budget.js'

export async function run(): Promise<void> {
  await runAction((context) => verify(getSettings(new Inputs()), context))
}

async function verify(settings: Settings, { signal }: ActionContext): Promise<void> {
  const clientRegion = route53ClientRegion(settings.drillRegion ?? process.env.AWS_REGION)
  const client = clientFactory(Route53Client)(clientRegion)

  // A drill must end, restore included, before the credentials expire and the job times out.
  const limit = settings.drillRegion
    ? earliestLimit(await credentialsExpiry(client), settings.jobDeadline)
    : undefined
  checkDrillTimeout(settings.drillTimeoutMs, limit)

  // Read the current state once; every later step works from this copy.
  const state = await readCurrentState(
    client,
    settings.hostedZoneId,
    settings.recordName,
    settings.recordType,
    signal,
  )
  checkRecordType(settings.recordName, state.recordType, state.types)
  checkResolvers(settings.resolvers, state.recordType)
  const { records, healthChecks, health, recordType } = state
  const regions = distinctRegions(records)
  checkDrillRegion(settings.drillRegion, regions)
  checkMinHealthy(settings.minHealthy, regions)
  const annotations = new Annotations(regions)
  const logs = new Map(regions.map((r) => [r, new RegionLog(r, { grouped: true, annotations })]))
  const logOf = (region: string) => logs.get(region)!

  const { checks, probeAndLog, probed, healthyRegions, unknownRegions, simulation } = await assess(
    settings,
    state,
    logOf,
    signal,
  )

  for (const log of logs.values()) log.flush('Route 53 status and probes')
  // The plan is complete: print it before anything is changed.
  core.info(
    `Plan for ${settings.recordName} ${recordType} in ${settings.hostedZoneId} (${regions.length} regions):`,
  )
  // A check's detail may quote a probe's answer or Route 53's reason: foreign text.
  for (const line of planLines(checks)) core.info(logSafe(line))

  let drill: Drill | undefined
  if (settings.drillRegion) {
    const outcome = await drillIfAllowed({
      settings,
      region: settings.drillRegion,
      client,
      clientRegion,
      recordType,
      records,
      healthChecks,
      healthyRegions,
      limit,
      log: logOf(settings.drillRegion),
      signal,
      probeRegions: (taken) =>
        settings.probe ? probeAndLog(records.filter((r) => taken.includes(r.region))) : Promise.resolve([]),
    })
    checks.push(...outcome.checks)
    drill = outcome.drill
  }

  const report = buildReport(
    {
      hostedZoneId: settings.hostedZoneId,
      recordName: settings.recordName,
      recordType,
      regions,
      healthyRegions,
      checkers: checkersOf(records, health),
      checks,
      simulation,
      notProbed: notProbed(probed),
      unknownHealth: unknownRegions,
      drillInputs: drillInputs(settings),
    },
    drill,
  )
  setJsonOutput('report', report)
  setJsonOutput('healthy-regions', healthyRegions)
  if (drill) reportDrill(report, drill)
  writeJobSummary(renderSummary(report, drill?.result.bars))

  for (const log of logs.values()) log.flush('during the drill')
  annotations.emit()
  verdict(checks, drill)
}

/**
 * What the records, their health checks and (with probe) the endpoints say now: the checks,
 * the healthy regions, and the failures simulated from them. Nothing is changed here.
 */
async function assess(
  settings: Settings,
  state: Awaited<ReturnType<typeof readCurrentState>>,
  logOf: (region: string) => RegionLog,
  signal: AbortSignal,
) {
  const { records, healthChecks, health } = state
  const regions = distinctRegions(records)
  const checks: Check[] = [
    ...configurationChecks(records, healthChecks, settings),
    ...route53Checks(records, health),
  ]
  for (const c of checks.filter((c) => c.category === 'route53'))
    logOf(c.subject).info(`Route 53: ${c.detail}`)

  const probeFailed = new Set<string>()
  const probed: ProbeOutcome[] = []
  const probeAndLog = async (selected: typeof records) => {
    const outcomes = await probeRecords(selected, healthChecks, signal, {
      allowPrivateTargets: settings.allowPrivateTargets,
      aliasPort: settings.aliasProbePort,
    })
    for (const o of outcomes) {
      const verdict = o.result.skipped ? 'skipped' : o.result.ok ? 'passed' : 'failed'
      logOf(o.record.region).info(`Probe ${verdict}: ${probeLine(o)}`)
      if (!o.result.ok && !o.result.skipped) probeFailed.add(o.record.region)
    }
    probed.push(...outcomes)
    return probeChecks(outcomes)
  }
  if (settings.probe) checks.push(...(await probeAndLog(records)))

  const aliasHealth = aliasHealthOf(probed)
  const aliasRows = aliasTargetChecks(records, aliasHealth, settings.probe)
  for (const c of aliasRows) logOf(c.subject).info(`Route 53: ${c.detail}`)
  checks.push(...aliasRows)
  const healthyRegions = healthyRegionsOf(records, health, probeFailed, aliasHealth)
  const unknownRegions = unknownHealthRegions(records, aliasHealth)
  checks.push(minHealthyCheck(healthyRegions, settings.minHealthy, regions.length, unknownRegions))
  const simulation = simulate(records, healthyNow(health, aliasHealth), settings.simulateDepth)
  checks.push(...simulationChecks(simulation))

  return { checks, probeAndLog, probed, healthyRegions, unknownRegions, simulation }
}

/** The checkers' share per region; calculated checks have no checkers of their own. */
function checkersOf(records: readonly RoutedRecord[], health: Health): Report['checkers'] {
  return records.flatMap((r) => {
    const view = r.healthCheckId ? health.get(r.healthCheckId) : undefined
    return view && !view.calculated
      ? [{ region: r.region, successes: view.successes, total: view.total }]
      : []
  })
}

/** The inputs that shaped a drill, for the summary. */
function drillInputs(settings: Settings): Report['drillInputs'] {
  if (!settings.drillRegion) return undefined
  return {
    stopAlarms: settings.stopAlarms.map((a) => a.given),
    vantagePoints: settings.vantagePoints.map((v) => `${v.name}=${v.clientSubnet}`),
    maxFailoverSeconds: settings.maxFailoverSeconds,
    resolvers: settings.resolvers.map((r) => r.given),
  }
}

/**
 * Fails the step (through runAction) when a check failed: first of all with the
 * stop alarm that ended the drill, or why the drill did not start.
 */
function verdict(checks: readonly Check[], drill: Drill | undefined): void {
  const failed = checks.filter((c) => !c.passed)
  for (const c of failed.filter((c) => c.name !== 'Drill allowed')) {
    core.error(`${c.name} [${c.subject}]: ${c.detail}`, { title: `verify-failover: ${c.category}` })
  }
  const stopped = drill?.result.stopped
  if (stopped) {
    throw new Error(
      `The drill of ${drill!.region} was stopped: stop alarm ${stopped.alarm} (${stopped.region}) ${stopped.reason}; ` +
        (stopped.restoreSeconds !== undefined
          ? `the health check was restored ${stopped.restoreSeconds} s after the alarm was seen`
          : 'the health check could not be restored: the post step tries again'),
    )
  }
  const notStarted = failed.find((c) => c.name === 'Drill allowed')
  if (notStarted) throw new Error(`The drill of ${notStarted.subject} was ${notStarted.detail}`)
  if (failed.length > 0)
    throw new Error(
      `${failed.length} of ${checks.length} failover checks failed, first ${failed[0]!.name} [${failed[0]!.subject}]: ${failed[0]!.detail}`,
    )
  core.info(`All ${checks.length} failover checks passed.`)
}

/** The drill's outputs, and its full record written for the workflow to keep. */
function reportDrill(report: Report, drill: Drill): void {
  const { result, prediction } = drill
  if (result.failoverSeconds !== undefined) core.setOutput('failover-seconds', String(result.failoverSeconds))
  if (result.recoverySeconds !== undefined) core.setOutput('recovery-seconds', String(result.recoverySeconds))
  if (prediction) core.setOutput('predicted-failover-seconds', String(prediction.seconds))
  setJsonOutput('vantage', result.vantage ?? [])
  if (result.resolvers) setJsonOutput('resolvers', result.resolvers)
  const path = writeDrillRecord(drillRecord(report, drill))
  core.setOutput('drill-record', path)
  core.info(`Drill record: ${path}`)
}
