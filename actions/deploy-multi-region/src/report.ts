/**
 * What a run tells: the plan printed before anything changes, the outputs
 * (`results`, `outputs`, `stack-ids`), one console line per target, the
 * annotations, the job summary and the step's verdict.
 */
import * as core from '@actions/core'
import { setJsonOutput, writeJobSummary } from '../../../lib/action.js'
import { logSafe } from '../../../lib/foreign-text.js'
import { InputError } from '../../../lib/inputs.js'
import type { Annotations } from '../../../lib/log.js'
import { spansAccounts, targetKey, targetLabel, type Target } from '../../../lib/targets.js'
import { unmatchedAllowances } from './guard.js'
import type { ApplySettings, PackagingCounts, Settings, TargetPlan, TargetResult, Verdict } from './model.js'
import { planLine, verdictOf } from './plan.js'
import { CANNOT_RESTORE_IN_GENERAL } from './rollback.js'
import { summaryMarkdown } from './summary.js'

/** The plan of a deploy or preview, before any change: mode, order, parameters, each target's action. */
export function printPlan(
  settings: Settings,
  plans: readonly TargetPlan[],
  waves: readonly Target[][],
): void {
  const planOnly = settings.mode === 'plan-only'
  const mode = planOnly ? 'Plan only (change sets are created, described and deleted)' : 'Deploy'
  const where =
    settings.accounts.length > 0
      ? `${settings.regions.length} region(s) of ${settings.accounts.length} account(s) (${settings.targets.length} targets)`
      : `${settings.regions.length} region(s)`
  core.info(`${mode}: stack '${settings.stackName}' in ${where}.`)
  const [first, second] = waves
  const order =
    first && second
      ? `canary ${first.map(targetLabel).join(', ')} first, then the other ${second.length}`
      : 'all targets together'
  core.info(
    `Order: ${order}; at most ${settings.maxParallel} at once; failure tolerance ${settings.failureTolerance}; on failure ${settings.onFailure}` +
      (settings.timeoutMinutes ? `; timeout ${settings.timeoutMinutes} min per target` : ''),
  )
  const keys = Object.keys(settings.parameters)
  if (keys.length) core.info(`Parameters: ${keys.join(', ')}`)
  for (const [region, overlay] of Object.entries(settings.regionParameters))
    core.info(`Parameters for ${region}: ${Object.keys(overlay).join(', ')}`)
  for (const plan of plans)
    core.info(logSafe(`  ${targetLabel(plan).padEnd(15)} ${planLine(plan, planOnly)}`))
  printRollbackLimits(settings, plans)
}

/**
 * on-region-failure rollback-all: what it cannot restore of a stack this run
 * updates, said before any change (a stack this run creates is deleted whole).
 */
function printRollbackLimits(settings: Settings, plans: readonly TargetPlan[]): void {
  if (settings.onRegionFailure !== 'rollback-all') return
  // A stack waited on is updated after the wait.
  const updated = plans.filter((p) => ['update', 'wait'].includes(p.decision.action)).map(targetLabel)
  if (updated.length === 0) return
  core.warning(
    `on-region-failure rollback-all cannot fully restore an updated stack (${updated.join(', ')}): ` +
      `${CANNOT_RESTORE_IN_GENERAL.join('; ')}.`,
  )
}

/** mode apply: the plan being applied, region by region. */
export function printApply(settings: ApplySettings): void {
  const { plan } = settings
  core.info(
    `Apply: the plan of ${plan.createdAt} for stack '${settings.stackName}' in ${plan.regions.length} region(s).`,
  )
  for (const r of plan.regions)
    core.info(
      `  ${r.region.padEnd(15)} ${r.changeSetId ? `execute ${r.changeSetId} (${r.changes.length} change(s))` : 'nothing to change'}`,
    )
}

/** The `results`, `outputs` and `stack-ids` outputs, and one console line per target. */
export function reportResults(results: readonly TargetResult[]): void {
  // One account keeps the region keys workflows already read; several key by "<account>/<region>".
  const multiAccount = spansAccounts(results)
  setJsonOutput(
    'results',
    results.map((r) => ({
      ...(r.account !== undefined ? { account: r.account } : {}),
      region: r.region,
      status: r.status,
      stackId: r.stackId ?? null,
      outputs: r.outputs,
      changes: r.changes,
      durationMs: r.durationMs,
      ...(r.reason !== undefined && r.status !== 'unchanged' ? { reason: r.reason } : {}),
      ...(r.drift ? { drift: r.drift } : {}),
      ...(r.validationErrors ? { validationErrors: r.validationErrors } : {}),
      ...(r.rollback ? { rollback: r.rollback } : {}),
    })),
  )
  const deployed = results.filter((r) => r.stackId)
  setJsonOutput('outputs', Object.fromEntries(deployed.map((r) => [targetKey(r, multiAccount), r.outputs])))
  setJsonOutput('stack-ids', Object.fromEntries(deployed.map((r) => [targetKey(r, multiAccount), r.stackId])))
  const firstWith = new Map<string, string>()
  for (const r of results) {
    // A reason shared by several targets is printed once; the others refer to it.
    const seen = r.reason ? firstWith.get(r.reason) : undefined
    if (r.reason && !seen) firstWith.set(r.reason, targetLabel(r))
    const tail = seen ? ` (same reason as ${seen})` : r.reason ? ` (${r.reason})` : ''
    core.info(
      logSafe(
        `${targetLabel(r).padEnd(15)} ${r.status.padEnd(9)} ${(r.durationMs / 1000).toFixed(1)} s, ${r.changes.length} change(s)${tail}`,
      ),
    )
  }
}

/** How the run ended, for the verdict. */
export interface RunEnd {
  results: TargetResult[]
  failed: number
  canaryFailed?: string
  cancelled: boolean
  /** A plan or an apply that is all or nothing: why it did not come to be (the verdict then). */
  refused?: string
}

/** Outputs, annotations, the job summary and the step's verdict; a failing verdict throws. */
export function finish(
  settings: Settings,
  end: RunEnd,
  annotations: Annotations,
  packaging?: PackagingCounts,
): void {
  const { results, failed } = end
  reportResults(results)
  annotations.emit()
  const counted = verdictOf(
    settings.failureTolerance,
    results.map((r) => r.status),
    failed,
    end.canaryFailed,
    end.cancelled,
  )
  // A plan or an apply is all or nothing: the failure tolerance does not apply to it.
  const verdict: Verdict = end.refused ? { fail: true, text: end.refused } : counted
  writeJobSummary(summaryMarkdown(settings, results, verdict, packaging))
  checkAllowances(settings, results)
  if (verdict.fail) throw new Error(verdict.text)
  if (failed > 0) core.warning(verdict.text)
  else core.info(verdict.text)
}

/**
 * `allow-replacement` names that match no change of any target: in a plan, where
 * every target's changes are known, the input cannot mean what it says. A deploy
 * has already executed by then, so it only warns.
 */
function checkAllowances(settings: Settings, results: readonly TargetResult[]): void {
  const known = results.every(
    (r) => r.status === 'planned' || r.status === 'unchanged' || r.changes.length > 0,
  )
  // mode apply checked the names against the plan file before any call.
  if (settings.allowReplacement.length === 0 || !known || settings.mode === 'apply') return
  const unmatched = unmatchedAllowances(
    settings.allowReplacement,
    results.map((r) => r.changes),
  )
  if (unmatched.length === 0) return
  const accepted = 'logical ids of resources that the plan changes in some region, or *'
  // Nothing was executed in a preview or a plan: the input is refused once the plan is known.
  if (settings.mode === 'plan-only' || settings.mode === 'plan')
    throw new InputError('allow-replacement', unmatched.join(', '), accepted)
  core.warning(`allow-replacement names ${unmatched.join(', ')}, which no target's change set changes.`)
}
