/**
 * Demo step: the Redshift Spectrum proof-of-concept suite (queries/spectrum-poc)
 * measured twice by the spectrum-benchmark action against the local Redshift
 * Data API endpoint (PGlite seeded with the PoC tables): the first run writes
 * the baseline, the second compares with it, as a pull request would with the
 * default branch's results.
 */
import { run } from '../actions/spectrum-benchmark/src/main.js'
import { runActionInProcess } from '../test/support/action-runner.js'
import { startRedshiftDataApi } from '../test/support/redshift-data-server.js'
import type { DemoEnvironment } from './environment.js'

export interface SpectrumDemoOptions {
  /** Extra server time (ms) for the named query in the second run, to show the regression gate fail. */
  slowdown?: { query: RegExp; extraMs: number }
  iterations?: number
  /** The gate's limit (default 50%: see below). */
  maxRegression?: string
}

export async function spectrumBenchmark(
  demo: DemoEnvironment,
  options: SpectrumDemoOptions = {},
): Promise<boolean> {
  const api = await startRedshiftDataApi()
  console.log(`local Redshift Data API listening on ${api.endpoint}`)
  // Only the Data API goes to the local engine; every other service stays on the demo's endpoint.
  const env = { ...demo.env, AWS_ENDPOINT_URL_REDSHIFT_DATA: api.endpoint }
  const inputs = {
    'workgroup-name': 'spectrum-poc',
    database: 'dev',
    queries: 'queries/spectrum-poc/*.sql',
    'setup-sql': 'queries/spectrum-poc-setup/setup.sql',
    iterations: options.iterations ?? 7,
    warmup: 1,
    'query-group': 'demo',
    // Queries of a few milliseconds on an embedded engine, on a laptop or a shared CI
    // machine, jitter by tens of percent; a cluster's suite would use the 10% default.
    'max-regression': options.maxRegression ?? '50%',
  }
  try {
    const baseline = await runActionInProcess(
      run,
      { ...inputs, 'results-file': 'demo-output/spectrum-baseline.json' },
      env,
      {
        echo: true,
      },
    )
    if (baseline.failed) return false
    if (options.slowdown)
      api.engine.addSlowdown({ pattern: options.slowdown.query, extraMs: options.slowdown.extraMs })
    const current = await runActionInProcess(
      run,
      {
        ...inputs,
        baseline: 'demo-output/spectrum-baseline.json',
        'results-file': 'demo-output/spectrum-benchmark.json',
      },
      env,
      { echo: true },
    )
    const file = demo.writeOutput('spectrum-benchmark.md', current.summary)
    console.log(`\nJob summary written to ${file}`)
    console.log(`results-file: ${current.outputs['results-file'] ?? '(none)'}`)
    console.log(`regressions: ${current.outputs.regressions ?? '(none)'}`)
    return !current.failed
  } finally {
    await api.close()
  }
}
