/**
 * spectrum-benchmark under faults: the main scenario (the queries/spectrum-poc
 * suite, 1 warm-up and 3 measured runs per query, in one Data API session)
 * with 20% of Redshift Data API calls faulted, over 20 seeds.
 *
 * A run is correct when it gives results for every query and each measured
 * duration belongs to a distinct statement of that query, run once: a lost
 * ExecuteStatement reply must not start the query again (ClientToken) nor
 * make the benchmark measure some other statement. Otherwise it must fail
 * with a clear error.
 *
 * Replay one seed (FAULT_VERBOSE=1 also lists the faults injected):
 *   FAULT_SEED=7 node scripts/jest-report.mjs --config jest.faults.config.js test/faults/spectrum-benchmark.test.ts
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { run } from '../../actions/spectrum-benchmark/src/main.js'
import { parseResults } from '../../actions/spectrum-benchmark/src/results.js'
import { runActionInProcess, type ActionRun } from '../support/action-runner.js'
import { startFaultProxy } from '../support/fault-proxy.js'
import { startRedshiftDataApi, type RedshiftDataApi } from '../support/redshift-data-server.js'
import type { StatementRecord } from '../support/redshift-data-engine.js'
import { FAULT_RATE, FaultReport, faultEnv, faultSeeds } from './fault-report.js'

const QUERIES = [
  '01-revenue-flat-surrogate-keys',
  '02-revenue-partition-customer',
  '03-revenue-partition-customer-month',
  '04-revenue-aggregation-pushdown',
  '05-full-scan-aggregation',
]
const ITERATIONS = 3
const WARMUP = 1

/** Measured runs as the action logs them: `<query>: run 2/3: 12.3 ms (statement <id>, query <n>)`. */
const MEASURED = /\] (\S+): run \d+\/\d+: [^(]*\(statement ([^,]+), query/

/**
 * The lines as printed live: each target's folded `::group::` record at the end repeats
 * them (lib/log.ts), so a statement is counted once, where it was first printed.
 */
function liveLines(stdout: string): string[] {
  let inGroup = false
  return stdout.split('\n').filter((line) => {
    if (line.startsWith('::group::')) inGroup = true
    else if (line.startsWith('::endgroup::')) inGroup = false
    else return !inGroup
    return false
  })
}

describe('spectrum-benchmark with 20% of Data API calls faulted', () => {
  let api: RedshiftDataApi
  let workspace: string
  const report = new FaultReport('spectrum-benchmark')

  beforeAll(async () => {
    // The engine's first start can take half a minute on a busy machine: once per file.
    api = await startRedshiftDataApi()
    workspace = mkdtempSync(join(tmpdir(), 'spectrum-faults-'))
    cpSync(resolve('queries'), join(workspace, 'queries'), { recursive: true })
  }, 240_000)
  afterAll(async () => {
    report.finish()
    await api?.close()
    if (workspace) rmSync(workspace, { recursive: true, force: true })
  })

  /** What the engine ran in this run's session, checked against what the run reported. */
  function check(r: ActionRun, seed: number, before: number): string[] {
    const problems: string[] = []
    const ran = api.engine.executed.slice(before)
    const measuredLines = liveLines(r.stdout)
      .map((l) => MEASURED.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ query: m[1]!, id: m[2]! }))
    const ids = measuredLines.map((m) => m.id)
    const twice = ids.filter((id, i) => ids.indexOf(id) !== i)
    if (twice.length > 0) problems.push(`statement(s) measured twice: ${twice.join(', ')}`)

    // Every query ran exactly warm-up + iterations times: a retried start never ran it again.
    const sqlOf = new Map<string, string>()
    for (const m of measuredLines) {
      const record: StatementRecord | undefined = api.engine.statements.get(m.id)
      if (!record) {
        problems.push(`${m.query}: measured statement ${m.id} is unknown to the engine`)
        continue
      }
      if (record.status !== 'FINISHED') problems.push(`${m.query}: measured ${m.id} is ${record.status}`)
      const known = sqlOf.get(m.query)
      if (known !== undefined && known !== record.sql)
        problems.push(`${m.query}: measured statement ${m.id} ran different SQL`)
      sqlOf.set(m.query, record.sql)
    }
    const texts = [...sqlOf.values()]
    if (new Set(texts).size !== texts.length) problems.push('two queries were measured on the same SQL')
    for (const [query, sql] of sqlOf) {
      const runs = ran.filter((s) => s.sql === sql).length
      if (runs > WARMUP + ITERATIONS) problems.push(`${query} ran ${runs} times, not ${WARMUP + ITERATIONS}`)
    }

    if (!r.failed) {
      const file = parseResults(readFileSync(join(workspace, `out/seed-${seed}.json`), 'utf8'))
      const names = file.queries.map((q) => q.name)
      if (names.join() !== QUERIES.join()) problems.push(`results for ${names.join(', ')}`)
      for (const q of file.queries) {
        const measured = measuredLines.filter((m) => m.query === q.name)
        if (measured.length !== ITERATIONS || q.durationsMs.length !== ITERATIONS) {
          problems.push(`${q.name}: ${measured.length} runs logged, ${q.durationsMs.length} durations saved`)
          continue
        }
        // The durations saved are the engine's own for exactly the statements measured.
        const expected = measured.map((m) => (api.engine.statements.get(m.id)?.durationNs ?? -1) / 1e6)
        if (expected.some((d, i) => Math.abs(d - q.durationsMs[i]!) > 1e-6))
          problems.push(
            `${q.name}: saved ${q.durationsMs.join(', ')} ms, the engine measured ${expected.join(', ')}`,
          )
      }
    }
    return problems
  }

  it.each(faultSeeds())('seed %i', async (seed) => {
    const startedAt = Date.now()
    const proxy = await startFaultProxy(api.endpoint, { seed, rate: FAULT_RATE })
    const before = api.engine.executed.length
    try {
      const result = await runActionInProcess(
        run,
        {
          'workgroup-name': 'spectrum-poc',
          database: 'dev',
          queries: 'queries/spectrum-poc/*.sql',
          iterations: ITERATIONS,
          warmup: WARMUP,
          'results-file': `out/seed-${seed}.json`,
        },
        {
          ...faultEnv(api.endpoint),
          // Only the Data API goes through the faults.
          AWS_ENDPOINT_URL_REDSHIFT_DATA: proxy.endpoint,
          GITHUB_WORKSPACE: workspace,
        },
      )
      proxy.setEnabled(false)
      report.record(seed, proxy.faults, result, check(result, seed, before), startedAt)
    } finally {
      await proxy.close()
    }
  })
})
