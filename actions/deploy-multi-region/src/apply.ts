/**
 * mode apply: executes exactly the change sets of a reviewed plan file. Every
 * target's stack and planned change set are checked first, before any is
 * executed; one that is no longer as planned (or that the guard blocks) stops
 * them all.
 */
import { describeError, errorCode } from '../../../lib/aws.js'
import { fanOut } from '../../../lib/fanout.js'
import { targetLabel, type Target } from '../../../lib/targets.js'
import { guardedChanges, waitForChangeSet } from './change-set.js'
import { arnParts, isToolkitChangeSetName, type DescribedChangeSet } from './cloudformation-api.js'
import { runTarget, executed, type TargetRun } from './deploy-target.js'
import { applyTerminationProtection, startExecution } from './execute.js'
import { blockedChanges, blockedReason } from './guard.js'
import type { ApplySettings, ChangeRow, PlannedRegion, StackSnapshot, TargetResult } from './model.js'
import { changeSetMismatch, staleReason, templateSha256 } from './plan-file.js'
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
  let described: DescribedChangeSet | undefined
  let changes: ChangeRow[] = planned.changes
  if (planned.changeSetId) {
    try {
      described = await waitForChangeSet(ctx, planned.changeSetId)
      changes = await guardedChanges(ctx, described.changes)
    } catch (error) {
      if (!/ChangeSetNotFound/.test(errorCode(error))) throw error
    }
  }
  const live = {
    stackId: stack.stackId,
    stackStatus: stack.status,
    lastUpdatedTime: stack.lastUpdatedTime,
    changeSet: described && { status: described.status, executionStatus: described.executionStatus },
  }
  const stale = staleReason(planned, live, workspaceSha256)
  const refuse = (why: string): Verified => ({ planned, stack, changes, refused: why })
  if (stale) return refuse(`the plan is stale: ${stale}; nothing was executed. Plan again.`)
  const forged = await notAsPlanned(ctx, planned, stack, described, changes)
  if (forged) return refuse(`the plan does not match what it names: ${forged}; nothing was executed.`)
  const blocked = blockedChanges(changes)
  if (blocked.length > 0) return refuse(blockedReason(blocked))
  return { planned, stack, changes }
}

/**
 * Why the change set the plan names (or, with none, the stack) is not the one
 * reviewed: a plan file is only text, and it must not be able to point apply at
 * another stack's change set, another account's or a pull-request gate's.
 */
async function notAsPlanned(
  ctx: TargetContext,
  planned: PlannedRegion,
  stack: StackSnapshot,
  described: DescribedChangeSet | undefined,
  changes: readonly ChangeRow[],
): Promise<string | undefined> {
  const { target, settings } = ctx
  if (!planned.changeSetId || !described) {
    // "No change" when planned: the stack still holds the template it held then.
    if (!stack.stackId || planned.submittedTemplateSha256 === undefined) return undefined
    const now = templateSha256(await ctx.api.originalTemplate(stack.stackId))
    return now === planned.submittedTemplateSha256
      ? undefined
      : `the stack's template changed since planning, so the plan's "no change" no longer holds`
  }
  const arn = arnParts(planned.changeSetId)
  const name = described.name ?? arn?.name ?? ''
  return changeSetMismatch(planned, {
    arn,
    target: { region: target.region, account: target.account ?? arnParts(stack.stackId ?? '')?.account },
    stackId: described.stackId,
    ownName: arn?.name === name && isToolkitChangeSetName(name, target.region),
    changes,
    templateSha256: templateSha256(await ctx.api.changeSetTemplate(settings.stackName, planned.changeSetId)),
  })
}

function resultOf(
  target: Target,
  status: 'failed' | 'skipped',
  reason: string,
  changes: ChangeRow[],
): TargetResult {
  const account = target.account !== undefined ? { account: target.account } : {}
  return { ...account, region: target.region, status, outputs: {}, changes, durationMs: 0, reason }
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
  const planFor = new Map(settings.plan.regions.map((r) => [targetLabel(r), r]))
  const outcomes = await fanOut(settings.targets, async (target) => {
    const planned = planFor.get(targetLabel(target))
    // parsePlanFile checked that the plan covers exactly the targets input.
    if (!planned) throw new Error(`the plan has no entry for ${targetLabel(target)}`)
    return verifyTarget(contextOf(target), planned, sha)
  })
  const verified = new Map<string, Verified>()
  const results = outcomes.map((o) => {
    if (o.state === 'fulfilled') verified.set(targetLabel(o.item), o.value)
    const refused =
      o.state === 'fulfilled'
        ? o.value.refused
        : o.state === 'rejected'
          ? describeError(o.error)
          : 'not checked'
    const changes = o.state === 'fulfilled' ? o.value.changes : []
    if (!refused)
      return resultOf(o.item, 'skipped', 'not executed: the plan is stale in another region', changes)
    contextOf(o.item).log.error(refused, `deploy-multi-region ${targetLabel(o.item)}`)
    return resultOf(o.item, 'failed', refused, changes)
  })
  const bad = results.filter((r) => r.status === 'failed')
  if (bad.length === 0) return { verified, results }
  return {
    verified,
    results,
    refused: `Nothing was executed: the plan cannot be applied in ${bad.map(targetLabel).join(', ')}. Plan again and review the new plan.`,
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
