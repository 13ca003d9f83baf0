/**
 * Demo step: the Redshift Spectrum proof-of-concept suite (queries/spectrum-poc)
 * measured twice by the spectrum-benchmark action against the local Redshift
 * Data API endpoint (PGlite seeded with the PoC tables): the first run writes
 * the baseline, the second compares with it, as a pull request would with the
 * default branch's results.
 */
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
