/** The demo's story, step by step; each step reports whether it succeeded. */
import { deployFifoWithoutSuffix, deployMultiRegion } from './deploy-multi-region.js'
import type { DemoEnvironment } from './environment.js'
import { pruneSnapshots } from './prune-snapshots.js'
import { createRoute53Records } from './route53.js'
import { spectrumBenchmark } from './spectrum.js'
import { stacksetRollout } from './stackset-rollout.js'
import { verifyFailover } from './verify-failover.js'

export interface DemoStep {
  title: string
  run: (demo: DemoEnvironment) => Promise<boolean>
}

export interface StepResult {
  title: string
  ok: boolean
  seconds: number
  /** Not started because the demo was interrupted. */
  skipped?: boolean
  error?: string
}

export const STEPS: DemoStep[] = [
  { title: 'Deploy the API template to three regions (deploy-multi-region)', run: deployMultiRegion },
  {
    title: 'A deploy that fails in three regions: a FIFO queue named without .fifo (deploy-multi-region)',
    run: deployFifoWithoutSuffix,
  },
  { title: 'Create the Route 53 latency records and health checks', run: createRoute53Records },
  { title: 'Verify failover with a drill of one region (verify-failover)', run: verifyFailover },
  {
    title: 'Roll out the baseline StackSet to 2 accounts x 3 regions (stackset-rollout)',
    run: stacksetRollout,
  },
  {
    title: 'Seed four weeks of snapshots and prune them with DR copies (prune-snapshots)',
    run: pruneSnapshots,
  },
  {
    title: 'Benchmark the Spectrum proof-of-concept suite (spectrum-benchmark)',
    run: (demo) => spectrumBenchmark(demo),
  },
]

/**
 * Runs the steps in order; a step that fails or throws is recorded and the next
 * one still runs. Once `signal` is aborted (Ctrl-C), no further step starts.
 */
export async function runSteps(
  demo: DemoEnvironment,
  steps: readonly DemoStep[] = STEPS,
  signal?: AbortSignal,
): Promise<StepResult[]> {
  const results: StepResult[] = []
  for (const [i, step] of steps.entries()) {
    if (signal?.aborted) {
      results.push({ title: step.title, ok: false, seconds: 0, skipped: true })
      continue
    }
    if (demo.echo)
      console.log(`\n${'='.repeat(78)}\n Step ${i + 1}/${steps.length}: ${step.title}\n${'='.repeat(78)}\n`)
    const started = performance.now()
    let ok = false
    let error: string | undefined
    try {
      ok = await step.run(demo)
    } catch (e) {
      error = e instanceof Error ? e.message : String(e)
      if (demo.echo) console.log(`Step failed: ${error}`)
    }
    const seconds = (performance.now() - started) / 1000
    results.push({ title: step.title, ok, seconds, ...(error ? { error } : {}) })
    if (demo.echo) console.log(`\nStep ${i + 1} ${ok ? 'succeeded' : 'FAILED'} in ${seconds.toFixed(1)} s.`)
  }
  return results
}
