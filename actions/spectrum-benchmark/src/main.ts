import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import * as core from '@actions/core'
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data'
import { type ActionContext, runAction, setJsonOutput, writeJobSummary } from '../../../lib/action.js'
import { clientFactory, describeError } from '../../../lib/aws.js'
import { RegionLog } from '../../../lib/log.js'
import { AbortedError } from '../../../lib/poll.js'
import { DataApiSession, StatementError } from './data-api.js'
import { getSettings, type Settings } from './input-helper.js'
import {
  buildPlan,
  buildReport,
  buildResultsFile,
  describePlan,
  evaluate,
  formatPercent,
  type Evaluation,
} from './plan.js'
import { serializeResults, type ScanStats } from './results.js'
import { parseScanRows, scanStatsSql } from './scan-stats.js'
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

async function collectScans(
  session: DataApiSession,
  settings: Settings,
  queryIds: ReadonlyMap<string, number>,
  log: RegionLog,
): Promise<Map<string, ScanStats | null>> {
  const scans = new Map<string, ScanStats | null>()
  const ids = [...new Set(queryIds.values())]
  if (ids.length === 0) return scans
  try {
    const finished = await session.execute(
      scanStatsSql(Boolean(settings.workgroupName), ids),
      'scan statistics',
    )
    const byId = parseScanRows(await session.rows(finished.id))
    for (const [name, id] of queryIds) scans.set(name, byId.get(id) ?? null)
  } catch (error) {
    if (error instanceof AbortedError) throw error
    // Statistics are a help, not the gate: a missing view or grant must not fail the run.
    log.warning(`Spectrum scan statistics are not available: ${describeError(error)}`)
  }
  return scans
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
  const durations = new Map<string, number[]>(settings.queries.map((q) => [q.name, []]))
  const lastQueryIds = new Map<string, number>()
  let scans = new Map<string, ScanStats | null>()
  try {
    await session.batch(plan.sessionSettings, 'The session settings')
    log.info(`session ${session.id ?? '(none)'} opened: ${plan.sessionSettings.join('; ')}`)
    if (plan.setupSql.length > 0) {
      const setup = await session.batch(plan.setupSql, 'setup-sql')
      log.info(`setup-sql: ${plan.setupSql.length} statements in ${ms(setup.durationMs)}`)
    }
    for (const run of plan.runs) {
      const label =
        run.kind === 'warmup' ? `warm-up run ${run.round + 1}` : `run ${run.round + 1}/${settings.iterations}`
      const done = await session.execute(run.query.sql, `Query '${run.query.name}' (${label})`)
      if (run.kind === 'measure') {
        durations.get(run.query.name)!.push(done.durationMs)
        if (done.redshiftQueryId !== undefined) lastQueryIds.set(run.query.name, done.redshiftQueryId)
      }
      log.info(
        `${run.query.name}: ${label}: ${ms(done.durationMs)} (statement ${done.id}, query ${done.redshiftQueryId ?? '-'})`,
      )
    }
    if (settings.scanStats) scans = await collectScans(session, settings, lastQueryIds, log)
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

  const evaluation = evaluate(settings, durations, scans)
  const results = buildResultsFile(settings, durations, scans, deps.now())
  mkdirSync(dirname(settings.resultsFile), { recursive: true })
  writeFileSync(settings.resultsFile, serializeResults(results))
  log.info(`results written to ${settings.resultsFileRelative}`)

  core.setOutput('results-file', settings.resultsFileRelative)
  setJsonOutput('regressions', evaluation.regressions)
  setJsonOutput('report', buildReport(evaluation, settings.resultsFileRelative))
  writeJobSummary(renderSummary(settings, evaluation))

  for (const q of evaluation.queries) {
    const c = q.comparison
    const change =
      c.change === undefined
        ? ''
        : `, ${c.change >= 0 ? '+' : ''}${formatPercent(c.change)} vs baseline ${ms(c.baselineMedian)} (p=${c.pValue?.toPrecision(2)})`
    log.info(
      `${q.name}: median ${ms(q.stats.median)}, p95 ${ms(q.stats.p95)}, MAD ${ms(q.stats.mad)}${change}: ${c.verdict}`,
    )
    if (c.verdict === 'regressed')
      log.error(
        `Query '${q.name}' regressed: median ${ms(q.stats.median)}${change}`,
        `spectrum-benchmark: ${q.name}`,
      )
  }
  for (const f of evaluation.findings) log.warning(`Query '${f.query}': ${f.message}`)
  log.flush()
  if (evaluation.regressions.length > 0) {
    throw new Error(
      `${evaluation.regressions.length} queries regressed by more than ${formatPercent(settings.maxRegression)}: ${evaluation.regressions.join(', ')}`,
    )
  }
  return { evaluation, resultsFile: settings.resultsFile }
}
