import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import * as core from '@actions/core'
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data'
import { median } from 'simple-statistics'
import { type ActionContext, runAction, setJsonOutput, writeJobSummary } from '../../../lib/action.js'
import { clientFactory } from '../../../lib/aws.js'
import { RegionLog } from '../../../lib/log.js'
import { AbortedError } from '../../../lib/poll.js'
import { collectPlans, collectScans, collectTimings } from './collect.js'
import { DataApiSession, StatementError } from './data-api.js'
import { buildReport, evaluate, failures, type Evaluation, type Measurements } from './evaluate.js'
import { getSettings, type Settings } from './input-helper.js'
import { buildPlan, buildResultsFile, describePlan, formatPercent, type Run, type Side } from './plan.js'
import { serializeResults, type QueryTimings, type ScanStats } from './results.js'
import { ms, renderFailure, renderSummary } from './summary.js'

export interface Dependencies {
  client: RedshiftDataClient
  now: () => Date
}

export async function run(): Promise<void> {
  await runAction(async (context) => {
    // Masked before anything can print it, even an error about another input.
    const secretArn = core.getInput('secret-arn')
    if (secretArn) core.setSecret(secretArn)
    const settings = getSettings()
    const client = clientFactory(RedshiftDataClient)(settings.region)
    await benchmark(settings, context, { client, now: () => new Date() })
  })
}

/** What one side (this change, or the base with interleave) measured, by query name. */
interface SideMeasurements {
  durations: Map<string, number[]>
  /** Redshift query ids of the measured runs, in order. */
  runIds: Map<string, number[]>
  plans: Map<string, string[]>
  scans: Map<string, ScanStats | null>
  timings: Map<string, QueryTimings>
}

function emptySide(): SideMeasurements {
  return { durations: new Map(), runIds: new Map(), plans: new Map(), scans: new Map(), timings: new Map() }
}

function runLabel(run: Run, iterations: number): string {
  const label = run.kind === 'warmup' ? `warm-up run ${run.round + 1}` : `run ${run.round + 1}/${iterations}`
  return run.side === 'current' ? label : `${label}, ${run.side === 'base' ? 'base' : 'base again'}`
}

/** Runs the measured statements, then reads their plans, scans and history, in the one session. */
async function measure(
  session: DataApiSession,
  settings: Settings,
  runs: readonly Run[],
  log: RegionLog,
): Promise<Map<Side, SideMeasurements>> {
  const sides = new Map<Side, SideMeasurements>()
  for (const run of runs) {
    const label = runLabel(run, settings.iterations)
    const done = await session.execute(run.query.sql, `Query '${run.query.name}' (${label})`)
    if (run.kind === 'measure') {
      if (!sides.has(run.side)) sides.set(run.side, emptySide())
      const side = sides.get(run.side)!
      side.durations.set(run.query.name, [...(side.durations.get(run.query.name) ?? []), done.durationMs])
      if (done.redshiftQueryId !== undefined)
        side.runIds.set(run.query.name, [...(side.runIds.get(run.query.name) ?? []), done.redshiftQueryId])
    }
    log.info(
      `${run.query.name}: ${label}: ${ms(done.durationMs)} (statement ${done.id}, query ${done.redshiftQueryId ?? '-'})`,
    )
  }
  const serverless = Boolean(settings.workgroupName)
  const current = sides.get('current') ?? emptySide()
  current.plans = await collectPlans(session, settings.queries, log)
  const base = sides.get('base')
  if (base && settings.interleave)
    base.plans = await collectPlans(session, settings.interleave.baseQueries, log, ' (base)')
  for (const side of sides.values()) {
    const last = new Map([...side.runIds].map(([name, ids]) => [name, ids.at(-1)!]))
    if (settings.scanStats) side.scans = await collectScans(session, serverless, last, log)
    side.timings = await collectTimings(session, serverless, side.runIds, log)
  }
  return sides
}

/**
 * With interleave, the base's first series is the baseline, held in memory like
 * a results file; otherwise the settings' own baseline file.
 */
function withInterleavedBaseline(
  settings: Settings,
  sides: ReadonlyMap<Side, SideMeasurements>,
  now: Date,
): { settings: Settings; extra: Measurements } {
  const current = sides.get('current') ?? emptySide()
  const extra: Measurements = { plans: current.plans, timings: current.timings }
  const base = sides.get('base')
  if (!settings.interleave || !base) return { settings, extra }
  const results = buildResultsFile(
    settings,
    base.durations,
    base.scans,
    now,
    { plans: base.plans, timings: base.timings },
    settings.interleave.baseQueries,
  )
  const again = sides.get('base-again') ?? emptySide()
  extra.baseAgain = new Map(
    [...again.durations].map(([name, durationsMs]) => [
      name,
      { durationsMs, timings: again.timings.get(name) },
    ]),
  )
  return { settings: { ...settings, baseline: { path: 'base-queries (interleaved)', results } }, extra }
}

export interface Outcome {
  evaluation: Evaluation
  resultsFile: string
}

export async function benchmark(
  settings: Settings,
  context: ActionContext,
  deps: Dependencies,
): Promise<Outcome> {
  const log = new RegionLog(settings.region, { grouped: true })
  log.openGroup('benchmark')
  const plan = buildPlan(settings)
  for (const line of describePlan(settings, plan)) log.info(line)

  const session = new DataApiSession(
    deps.client,
    {
      clusterIdentifier: settings.clusterIdentifier,
      workgroupName: settings.workgroupName,
      database: settings.database,
      dbUser: settings.dbUser,
      secretArn: settings.secretArn,
    },
    {
      timeoutMs: settings.queryTimeoutSeconds * 1000,
      signal: context.signal,
      statementName: 'spectrum-benchmark',
    },
  )
  let sides: Map<Side, SideMeasurements>
  try {
    await session.batch(plan.sessionSettings, 'The session settings')
    log.info(`session ${session.id ?? '(none)'} opened: ${plan.sessionSettings.join('; ')}`)
    if (plan.setupSql.length > 0) {
      const setup = await session.batch(plan.setupSql, 'setup-sql')
      log.info(`setup-sql: ${plan.setupSql.length} statements in ${ms(setup.durationMs)}`)
    }
    sides = await measure(session, settings, plan.runs, log)
  } catch (error) {
    if (error instanceof StatementError) {
      log.error(`${error.what} failed: ${error.error}`, 'spectrum-benchmark')
      writeJobSummary(renderFailure(error.what, error.error, settings))
    } else if (error instanceof AbortedError || context.signal.aborted) {
      log.warning('Cancelled: the statement in flight was cancelled and no further query was started.')
    }
    log.flush()
    throw error
  }

  const current = sides.get('current') ?? emptySide()
  const judged = withInterleavedBaseline(settings, sides, deps.now())
  const evaluation = evaluate(judged.settings, current.durations, current.scans, judged.extra)
  const results = buildResultsFile(settings, current.durations, current.scans, deps.now(), judged.extra)
  mkdirSync(dirname(settings.resultsFile), { recursive: true })
  writeFileSync(settings.resultsFile, serializeResults(results))
  log.info(`results written to ${settings.resultsFileRelative}`)

  core.setOutput('results-file', settings.resultsFileRelative)
  setJsonOutput('regressions', evaluation.regressions)
  setJsonOutput('plan-changes', evaluation.planChanges)
  setJsonOutput('report', buildReport(evaluation, settings.resultsFileRelative))
  writeJobSummary(renderSummary(judged.settings, evaluation))
  report(judged.settings, evaluation, log)
  const failed = failures(settings, evaluation)
  if (failed.length > 0) throw new Error(`${failed.join('; ')}.`)
  return { evaluation, resultsFile: settings.resultsFile }
}

/** The verdicts in the log: a line per query, an annotation per failure, a warning per finding. */
function report(settings: Settings, evaluation: Evaluation, log: RegionLog): void {
  for (const q of evaluation.queries) {
    const c = q.comparison
    const change =
      c.change === undefined
        ? ''
        : `, ${c.change >= 0 ? '+' : ''}${formatPercent(c.change)} vs baseline ${ms(c.baselineMedian)} (p=${c.pValue?.toPrecision(2)})`
    const time = q.basis === 'execution' ? 'execution' : 'duration'
    const where = q.timings
      ? ` (compile ${ms(median(q.timings.compileMs))}, queue ${ms(median(q.timings.queueMs))})`
      : ''
    const noise = q.noise === undefined ? '' : `, A/A noise ${formatPercent(q.noise)}`
    log.info(
      `${q.name}: ${time} median ${ms(q.stats.median)}${where}, p95 ${ms(q.stats.p95)}, MAD ${ms(q.stats.mad)}${change}${noise}: ${c.verdict}`,
    )
    if (c.verdict === 'regressed')
      log.error(
        `Query '${q.name}' regressed: median ${ms(q.stats.median)}${change}`,
        `spectrum-benchmark: ${q.name}`,
      )
  }
  for (const f of evaluation.findings) log.warning(`Query '${f.query}': ${f.message}`)
  for (const f of evaluation.scanGrowth)
    log.error(
      `Query '${f.query}' scanned more than max-scan-growth allows: ${f.message}`,
      `spectrum-benchmark: ${f.query}`,
    )
  for (const c of evaluation.planChanges) {
    const line = `Query '${c.query}': plan changed: ${c.description}`
    if (settings.planChanges === 'fail') log.error(line, `spectrum-benchmark: ${c.query}`)
    else log.warning(line)
  }
  log.flush()
}
