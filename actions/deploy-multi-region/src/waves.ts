/**
 * The wave runner: the canary targets first, then the rest; within a wave,
 * targets run side by side (max-parallel, max-parallel-per-account). No further
 * target starts once more have failed than the failure tolerance allows, once a
 * canary did not succeed, or once the run is cancelled.
 */
import { describeError } from '../../../lib/aws.js'
import { fanOutTargets } from '../../../lib/fanout.js'
import { targetLabel, type Target } from '../../../lib/targets.js'
import type { Settings, TargetResult } from './model.js'
import { mayStartMore, regionWaves } from './plan.js'

/** The canary wave (when there are canaries), then the other targets. */
export function targetWaves(settings: Settings): Target[][] {
  const byLabel = new Map(settings.targets.map((t) => [targetLabel(t), t]))
  return regionWaves(settings.targets.map(targetLabel), settings.canaryTargets.map(targetLabel)).map((wave) =>
    wave.flatMap((label) => byLabel.get(label) ?? []),
  )
}

export interface WavesOutcome {
  /** Every target's result, in the order of `settings.targets`. */
  results: TargetResult[]
  failed: number
  /** The canary that did not succeed, which stopped the other targets. */
  canaryFailed?: string
}

/** A target's result without a run behind it. */
export function resultWithout(target: Target, status: 'failed' | 'skipped', reason: string): TargetResult {
  return {
    ...(target.account !== undefined ? { account: target.account } : {}),
    region: target.region,
    status,
    outputs: {},
    changes: [],
    durationMs: 0,
    reason,
  }
}

/**
 * Runs `runOne` for every target, wave by wave. `cannotStart` gives the result
 * of a target that fails before it starts (its stack could not be read): it is
 * counted at once, so no further target starts past the tolerance.
 */
export async function runWaves(
  settings: Settings,
  waves: Target[][],
  runOne: (target: Target) => Promise<TargetResult>,
  signal: AbortSignal,
  cannotStart: (target: Target) => TargetResult | undefined = () => undefined,
): Promise<WavesOutcome> {
  const results = new Map<string, TargetResult>()
  let failed = 0
  let canaryFailed: string | undefined
  const counted = async (target: Target) => {
    const early = cannotStart(target)
    if (early) {
      failed++
      return early
    }
    const result = await runOne(target)
    if (result.status === 'failed') failed++
    return result
  }
  for (const [index, wave] of waves.entries()) {
    const outcomes = await fanOutTargets(wave, counted, {
      maxParallel: settings.maxParallel,
      maxParallelPerAccount: settings.maxParallelPerAccount,
      shouldStart: () => !signal.aborted && mayStartMore(failed, settings.failureTolerance),
    })
    for (const o of outcomes) {
      if (o.state === 'fulfilled') results.set(targetLabel(o.item), o.value)
      else if (o.state === 'rejected') {
        failed++
        results.set(targetLabel(o.item), resultWithout(o.item, 'failed', describeError(o.error)))
      } else {
        const why = signal.aborted
          ? 'cancelled before it started'
          : `more than ${settings.failureTolerance} target(s) failed`
        results.set(targetLabel(o.item), resultWithout(o.item, 'skipped', why))
      }
    }
    const isCanaryWave = settings.canaryTargets.length > 0 && index === 0
    const bad = isCanaryWave
      ? wave.find((t) => ['failed', 'skipped'].includes(results.get(targetLabel(t))?.status ?? ''))
      : undefined
    if (bad) {
      canaryFailed = targetLabel(bad)
      for (const target of waves.slice(1).flat())
        results.set(
          targetLabel(target),
          resultWithout(target, 'skipped', `canary ${canaryFailed} did not succeed`),
        )
      break
    }
  }
  const notRun = signal.aborted ? 'cancelled before it started' : 'not started'
  return {
    results: settings.targets.map((t) => results.get(targetLabel(t)) ?? resultWithout(t, 'skipped', notRun)),
    failed,
    canaryFailed,
  }
}
