/** deploy-multi-region: chooses the mode's flow and composes the phases over the targets. */
import * as core from '@actions/core'
import { runAction, type ActionContext } from '../../../lib/action.js'
import { assumeAccountRoles, type AssumeRoleCall } from '../../../lib/assume-role.js'
import { logSafe } from '../../../lib/foreign-text.js'
import { Inputs } from '../../../lib/inputs.js'
import { targetLabel, type Target } from '../../../lib/targets.js'
import { applyTarget, verifyPlan } from './apply.js'
import { recordCleanup } from './cleanup.js'
import { deployTarget, type TargetRun } from './deploy-target.js'
import { getSettings } from './input-helper.js'
import type { ApplySettings, Settings, TargetResult } from './model.js'
import { collisionRefusal } from './name-collisions.js'
import { maskSecretParameters, noEchoParameters } from './parameters.js'
import { keepPlan } from './plan-mode.js'
import { finish, printApply, printPlan } from './report.js'
import { rollBackAll, type Undoable } from './rollback.js'
import { readAndPlan, TargetSet } from './targets.js'
import { TemplateProvider } from './template.js'
import { resultWithout, runWaves, targetWaves } from './waves.js'

export async function run(): Promise<void> {
  await runAction((context) => deployTargets(getSettings(new Inputs(), process.env), context))
}

/** Runs the settings' mode over its (account, region) targets; `assume` replaces STS AssumeRole in tests. */
export async function deployTargets(settings: Settings, context: ActionContext, assume?: AssumeRoleCall) {
  // NoEcho values are masked before anything prints (drift-values could show them).
  maskSecretParameters(
    settings,
    settings.template.kind === 'file' ? noEchoParameters(settings.template.body) : [],
  )
  // Names that would collide across regions fail every region but the first: refused before any call.
  const collisions = collisionRefusal(settings)
  if (collisions) {
    for (const { message, location } of collisions.annotations)
      core.error(logSafe(message), {
        file: location.file,
        ...(location.line ? { startLine: location.line } : {}),
      })
    throw collisions.error
  }
  // Local artifacts are checked and zipped before any AWS call: bad paths fail here, as input.
  const templates = new TemplateProvider(settings)
  try {
    await templates.prepare()
    // Access first: one AssumeRole per account; an account refused fails only its own targets.
    const access = await assumeAccountRoles(settings, assume)
    const set = new TargetSet(settings, access, context.signal, templates)
    if (settings.mode === 'apply') return await applyPlan(settings, set, context.signal)
    await deployOrPlan(settings, set, context.signal)
  } finally {
    templates.dispose()
  }
}

/** deploy, plan-only and plan: every stack read and the plan printed, then the targets in waves. */
async function deployOrPlan(settings: Exclude<Settings, ApplySettings>, set: TargetSet, signal: AbortSignal) {
  const waves = targetWaves(settings)
  const read = await readAndPlan(settings, set, waves)
  printPlan(settings, read.plans, waves)
  // If the job is killed before this run cleans up after itself, the post step does it.
  const { stackName, regions, accounts } = settings
  recordCleanup({ token: set.runToken, stackName, regions, ...(accounts.length > 0 ? { accounts } : {}) })
  const runs = await inWaves(
    settings,
    set,
    { waves, signal, unreadable: read.unreadable },
    async (target) => {
      const state = read.stateOf(target)
      if (state) return deployTarget(set.context(target), state)
      return { result: resultWithout(target, 'failed', 'not read') }
    },
  )
  if (!signal.aborted) recordCleanup(undefined)
  const digest = set.templates.planDigest()
  const refused =
    settings.mode === 'plan' ? await keepPlan(settings, runs.results, (r) => set.api(r), digest) : undefined
  finish(
    settings,
    { ...runs, cancelled: signal.aborted, refused },
    set.annotations,
    set.templates.packagingCounts(),
  )
}

/** mode apply: every target checked against the plan first; one stale target stops them all. */
async function applyPlan(settings: ApplySettings, set: TargetSet, signal: AbortSignal): Promise<void> {
  const check = await verifyPlan(settings, (target) => set.context(target), set.templates.planDigest())
  if (check.refused) {
    set.flushAll()
    const failed = check.results.filter((r) => r.status === 'failed').length
    return finish(
      settings,
      { results: check.results, failed, cancelled: signal.aborted, refused: check.refused },
      set.annotations,
    )
  }
  printApply(settings)
  const runs = await inWaves(settings, set, { waves: targetWaves(settings), signal }, async (target) => {
    const verified = check.verified.get(targetLabel(target))
    if (verified) return applyTarget(set.context(target), verified)
    return { result: resultWithout(target, 'failed', 'not checked against the plan') }
  })
  finish(settings, { ...runs, cancelled: signal.aborted }, set.annotations, set.templates.packagingCounts())
}

/** The waves of target runs, each target's log flushed as it ends; then rollback-all if a target failed. */
async function inWaves(
  settings: Settings,
  set: TargetSet,
  how: { waves: Target[][]; signal: AbortSignal; unreadable?: (target: Target) => TargetResult | undefined },
  runOne: (target: Target) => Promise<TargetRun>,
) {
  const { waves, signal } = how
  const changed: Undoable[] = []
  const stopReporting = set.reportCancellation()
  const outcome = await runWaves(
    settings,
    waves,
    async (target) => {
      const label = targetLabel(target)
      set.phases.set(label, 'starting')
      try {
        const { result, undo } = await runOne(target)
        if (undo) changed.push({ result, undo, ctx: set.context(target) })
        set.log(target).flush(`${result.status} in ${(result.durationMs / 1000).toFixed(1)} s`)
        return result
      } finally {
        set.phases.delete(label)
        set.log(target).flush()
      }
    },
    signal,
    how.unreadable,
  ).finally(stopReporting)
  set.flushAll()
  const failedRun = outcome.failed > 0 || outcome.canaryFailed !== undefined
  if (settings.onRegionFailure === 'rollback-all' && failedRun && !signal.aborted)
    await rollBackAll(changed.filter((c) => c.result.status === 'created' || c.result.status === 'updated'))
  return outcome
}
