/**
 * Demo step: the Redshift Spectrum proof-of-concept suite (queries/spectrum-poc)
 * measured twice by the spectrum-benchmark action against the local Redshift
 * Data API endpoint (PGlite seeded with the PoC tables): the first run writes
 * the baseline, the second compares with it, as a pull request would with the
 * default branch's results.
 *
 * The second run is a pull request that moves query 03's customer filter from
 * the partition column to the customer dimension: the same answer, faster on
 * the local engine, but the Spectrum scan's partition filter loses the customer
 * and twice the partitions are read. Its summary shows the plan change and the
 * scan growth, which the time gate alone would have taken for an improvement.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { run } from '../actions/spectrum-benchmark/src/main.js'
import { runActionStep } from './action-step.js'
import type { DemoEnvironment } from './environment.js'

export interface SpectrumDemoOptions {
  /** Extra server time (ms) for the named query in the second run, to show the regression gate fail. */
  slowdown?: { query: RegExp; extraMs: number }
  iterations?: number
  /** The gate's limit (default 10%). */
  maxRegression?: string
  /** More inputs for both runs (e.g. `secret-arn`). */
  inputs?: Record<string, string>
  /** Run the second run on the suite as it is, without the pull request's change to query 03. */
  unchangedQueries?: boolean
}

/** The query the pull request changes, and how. */
const CHANGED_QUERY = '03-revenue-partition-customer-month.sql'

/**
 * The pull request's copy of the suite, under the output folder: query 03
 * filters on the customer dimension instead of the `customer` partition column.
 */
function pullRequestQueries(demo: DemoEnvironment): string {
  const dir = relativeOutput(demo, 'spectrum-pr-queries')
  const from = join(demo.workspace, 'queries', 'spectrum-poc')
  mkdirSync(join(demo.workspace, dir), { recursive: true })
  for (const file of readdirSync(from).filter((f) => f.endsWith('.sql'))) {
    let sql = readFileSync(join(from, file), 'utf8')
    if (file === CHANGED_QUERY)
      sql = sql.replace('WHERE uv.customer IN (1, 2, 3)', 'WHERE c.c_custkey IN (1, 2, 3)')
    writeFileSync(join(demo.workspace, dir, file), sql)
  }
  return `${dir}/*.sql`
}

export async function spectrumBenchmark(
  demo: DemoEnvironment,
  options: SpectrumDemoOptions = {},
): Promise<boolean> {
  // Only the Data API goes to the local engine; every other service stays on moto.
  const env = {
    ...demo.envFor(demo.endpoints.cloudformation),
    AWS_ENDPOINT_URL_REDSHIFT_DATA: demo.endpoints.redshiftData,
  }
  const inputs = {
    'workgroup-name': 'spectrum-poc',
    database: 'dev',
    queries: 'queries/spectrum-poc/*.sql',
    'setup-sql': 'queries/spectrum-poc-setup/setup.sql',
    iterations: options.iterations ?? 7,
    warmup: 1,
    'query-group': 'demo',
    // The limit a team would use. The local engine's durations come from each query's plan
    // with a seeded noise of at most 2% (test/support/redshift-data-engine.ts), so a busy
    // machine does not move them and 10% holds between the two runs.
    'max-regression': options.maxRegression ?? '10%',
    ...options.inputs,
  }
  const baselineFile = relativeOutput(demo, 'spectrum-baseline.json')
  const baseline = await runActionStep(demo, {
    action: 'spectrum-benchmark',
    label: 'spectrum-benchmark-baseline',
    run,
    inputs: { ...inputs, 'results-file': baselineFile },
    env,
  })
  if (baseline.failed) return false
  if (options.slowdown)
    demo.dataApi.engine.addSlowdown({ pattern: options.slowdown.query, extraMs: options.slowdown.extraMs })
  const current = await runActionStep(demo, {
    action: 'spectrum-benchmark',
    run,
    inputs: {
      ...inputs,
      ...(options.unchangedQueries ? {} : { queries: pullRequestQueries(demo) }),
      baseline: baselineFile,
      'results-file': relativeOutput(demo, 'spectrum-benchmark.json'),
    },
    env,
  })
  return !current.failed
}

/** The action confines its files to the workspace: a path under the output folder, relative to it. */
function relativeOutput(demo: DemoEnvironment, name: string): string {
  const dir = demo.outputDir.startsWith(`${demo.workspace}/`)
    ? demo.outputDir.slice(demo.workspace.length + 1)
    : 'demo-output'
  return `${dir}/${name}`
}
