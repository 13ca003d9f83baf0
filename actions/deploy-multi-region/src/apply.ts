/**
 * mode apply: executes exactly the change sets of a reviewed plan file. Every
 * target's stack and planned change set are checked first, before any is
 * executed; one that is no longer as planned (or that the guard blocks) stops
 * them all.
 */
import { describeError, errorCode } from '../../../lib/aws.js'
import { fanOut } from '../../../lib/fanout.js'
import type { Target } from '../../../lib/targets.js'
import { guardedChanges, waitForChangeSet } from './change-set.js'
import { runTarget, executed, type TargetRun } from './deploy-target.js'
import { applyTerminationProtection, startExecution } from './execute.js'
import { blockedChanges, blockedReason } from './guard.js'
import type { ApplySettings, ChangeRow, PlannedRegion, StackSnapshot, TargetResult } from './model.js'
import { staleReason } from './plan-file.js'
import { restorePoint } from './rollback.js'
import type { TargetContext } from './target-context.js'

/** A planned target as found before anything is executed. */
export interface Verified {
  planned: PlannedRegion
  stack: StackSnapshot
  changes: ChangeRow[]
  /** Why the target must not run (stale or blocked); undefined when it is exactly as planned. */
  refused?: string
}

/** The stack and the planned change set as they are now, checked against the plan. */
async function verifyTarget(
  ctx: TargetContext,
  planned: PlannedRegion,
  workspaceSha256: string,
): Promise<Verified> {
  const stack = await ctx.api.describeStack(ctx.settings.stackName)
  let changeSet: { status?: string; executionStatus?: string } | undefined
  let changes: ChangeRow[] = planned.changes
  if (planned.changeSetId) {
    try {
      const described = await waitForChangeSet(ctx, planned.changeSetId)
      changeSet = { status: described.status, executionStatus: described.executionStatus }
      changes = await guardedChanges(ctx, described.changes)
    } catch (error) {
      if (!/ChangeSetNotFound/.test(errorCode(error))) throw error
    }
  }
  const live = {
    stackId: stack.stackId,
    stackStatus: stack.status,
    lastUpdatedTime: stack.lastUpdatedTime,
    changeSet,
  }
  const stale = staleReason(planned, live, workspaceSha256)
  if (stale)
    return {
      planned,
      stack,
      changes,
      refused: `the plan is stale: ${stale}; nothing was executed. Plan again.`,
    }
  const blocked = blockedChanges(changes)
  if (blocked.length > 0) return { planned, stack, changes, refused: blockedReason(blocked) }
  return { planned, stack, changes }
}

function resultOf(
  target: Target,
  status: 'failed' | 'skipped',
  reason: string,
  changes: ChangeRow[],
): TargetResult {
  return { region: target.region, status, outputs: {}, changes, durationMs: 0, reason }
}

/**
 * Every planned target checked at once. `refused` says why nothing may run,
 * with a result per target (the refused ones failed, the others skipped).
 */
export async function verifyPlan(
  settings: ApplySettings,
  contextOf: (target: Target) => TargetContext,
  /** The template's SHA-256, or the digest of everything it packages (TemplateProvider.planDigest). */
  sha: string,
): Promise<{ verified: Map<string, Verified>; refused?: string; results: TargetResult[] }> {
  const planFor = new Map(settings.plan.regions.map((r) => [r.region, r]))
  const outcomes = await fanOut(settings.targets, async (target) => {
    const planned = planFor.get(target.region)
    // parsePlanFile checked that the plan covers exactly the regions input.
    if (!planned) throw new Error(`the plan has no entry for ${target.region}`)
    return verifyTarget(contextOf(target), planned, sha)
  })
  const verified = new Map<string, Verified>()
  const results = outcomes.map((o) => {
    if (o.state === 'fulfilled') verified.set(o.item.region, o.value)
    const refused =
      o.state === 'fulfilled'
        ? o.value.refused
        : o.state === 'rejected'
          ? describeError(o.error)
          : 'not checked'
    const changes = o.state === 'fulfilled' ? o.value.changes : []
    if (!refused)
      return resultOf(o.item, 'skipped', 'not executed: the plan is stale in another region', changes)
    contextOf(o.item).log.error(refused, `deploy-multi-region ${o.item.region}`)
    return resultOf(o.item, 'failed', refused, changes)
  })
  const bad = results.filter((r) => r.status === 'failed')
  if (bad.length === 0) return { verified, results }
  return {
    verified,
    results,
    refused: `Nothing was executed: the plan cannot be applied in ${bad.map((r) => r.region).join(', ')}. Plan again and review the new plan.`,
  }
}

/** Executes one target's planned change set, which verifyPlan found as planned. */
export function applyTarget(untimed: TargetContext, verified: Verified): Promise<TargetRun> {
  return runTarget(untimed, async (ctx, known) => {
    const { planned, stack, changes } = verified
    known.changes = changes
    const { changeSetId, stackId, changeSetType } = planned
    if (!changeSetId || !stackId || !changeSetType) {
      ctx.log.info(
        'Nothing to change in this region (so the plan says, and the stack has not changed since).',
      )
      await applyTerminationProtection(ctx, stack)
      return { status: 'unchanged', stackId: stack.stackId, outputs: stack.outputs, changes: [] }
    }
    const undo =
      changeSetType === 'UPDATE' ? await restorePoint(ctx, stack) : { kind: 'delete' as const, stackId }
    await ctx.events.prime(stackId)
    const executing = await startExecution(ctx, { changeSetId, stackId, type: changeSetType })
    return executed(ctx, executing, changes, undo)
  })
}
