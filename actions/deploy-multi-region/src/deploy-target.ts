/**
 * One target's deploy, composed of its phases: prepare → change set → execute
 * (→ rollback, later, if another target fails). Each phase returns what the
 * next needs; a failure is turned into the target's result here, once.
 */
import { describeError } from '../../../lib/aws.js'
import type { SourceLocation } from '../../../lib/log.js'
import { AbortedError } from '../../../lib/poll.js'
import { logicalIdLine } from '../../../lib/template-location.js'
import {
  discardChangeSet,
  discardQuietly,
  makeChangeSet,
  reviewChangeSet,
  type MadeChangeSet,
} from './change-set.js'
import {
  applyTerminationProtection,
  checkSubmittedTemplate,
  followExecution,
  startExecution,
  type Executing,
} from './execute.js'
import type { ChangeRow, DriftReport, Settings, StackSnapshot, TargetResult } from './model.js'
import { templateSha256 } from './plan-file.js'
import { driftOutcome, prepareStack } from './prepare.js'
import { restorePoint, type Undo } from './rollback.js'
import { CancelledBeforeChange, TargetFailure, type TargetContext } from './target-context.js'

/** A target's result, and what undoes its change for rollback-all. */
export interface TargetRun {
  result: TargetResult
  undo?: Undo
}

/** What a target's phases return when it ends well; the result's timing and target are added after. */
export type Outcome = Omit<TargetResult, 'region' | 'account' | 'durationMs' | 'startedAt' | 'endedAt'> & {
  undo?: Undo
}

/** Where an annotation points: the template file, at the failing resource's line when found. */
function templateLocation(settings: Settings, logicalId: string | undefined): SourceLocation | undefined {
  if (settings.template.kind !== 'file') return undefined
  const line = logicalId ? logicalIdLine(settings.template.body, logicalId) : undefined
  return { file: settings.template.input, ...(line ? { line } : {}) }
}

/** What a target has learnt by the time it fails: reported with the failure. */
export interface Known {
  changes: ChangeRow[]
  drift?: DriftReport
  /** The change set not executed yet, deleted when the target fails or is cancelled. */
  pending?: MadeChangeSet
}

/**
 * Runs `body` (the target's phases) and reports it as the target's result: a
 * failure or cancellation deletes the change set left pending, logs why and
 * gives a failed or skipped result with what was known.
 */
export async function runTarget(
  untimed: TargetContext,
  body: (ctx: TargetContext, known: Known) => Promise<Outcome>,
): Promise<TargetRun> {
  const started = Date.now()
  const minutes = untimed.settings.timeoutMinutes
  // timeout-minutes counts from the start of the target's own run.
  const ctx = minutes === undefined ? untimed : { ...untimed, deadline: started + minutes * 60_000 }
  const known: Known = { changes: [] }
  const timing = () => ({ durationMs: Date.now() - started, startedAt: started, endedAt: Date.now() })
  const where = {
    region: ctx.target.region,
    ...(ctx.target.account !== undefined ? { account: ctx.target.account } : {}),
  }
  try {
    const { undo, ...outcome } = await body(ctx, known)
    const result = { ...outcome, ...(known.drift ? { drift: known.drift } : {}), ...where, ...timing() }
    return undo ? { result, undo } : { result }
  } catch (error) {
    const discarded = known.pending ? await discardQuietly(ctx, known.pending) : { stackDeleted: false }
    const failure = error instanceof TargetFailure ? error : undefined
    const drift = failure?.detail.drift ?? known.drift
    const base = {
      ...where,
      outputs: {},
      changes: failure?.detail.changes ?? known.changes,
      ...(drift ? { drift } : {}),
      ...(failure?.detail.validationErrors ? { validationErrors: failure.detail.validationErrors } : {}),
      ...timing(),
    }
    if (error instanceof CancelledBeforeChange) {
      ctx.log.warning(error.message)
      return { result: { ...base, status: 'skipped', reason: error.message } }
    }
    if (error instanceof AbortedError) {
      const reason = 'cancelled before the change set was executed'
      ctx.log.warning(`Cancelled: ${reason}; nothing was changed.`)
      return { result: { ...base, status: 'skipped', reason } }
    }
    const reason = describeError(error)
    const failedResource = failure?.logicalId
    ctx.log.error(reason, 'deploy-multi-region', templateLocation(ctx.settings, failedResource))
    const stackId = discarded.stackDeleted ? undefined : failure?.stackId
    return {
      result: { ...base, status: 'failed', reason, stackId, ...(failedResource ? { failedResource } : {}) },
    }
  }
}

/** A target's deploy in modes deploy, plan-only and plan, from the stack as read while planning. */
export function deployTarget(untimed: TargetContext, initial: StackSnapshot): Promise<TargetRun> {
  return runTarget(untimed, async (ctx, known) => {
    const prepared = await prepareStack(ctx, initial)
    if (prepared.kind === 'would-recreate')
      return {
        status: 'planned',
        stackId: prepared.state.stackId,
        outputs: {},
        changes: [],
        reason: prepared.why,
      }
    const { state, type } = prepared
    // Events from before this run are not printed again.
    const priming = state.stackId ? ctx.events.prime(state.stackId) : Promise.resolve()
    const changeSet = (async () => {
      const undo = type === 'UPDATE' ? await restorePoint(ctx, state) : undefined
      const made = await makeChangeSet(ctx, state, type)
      known.pending = made
      await priming
      return { undo, made, reviewed: await reviewChangeSet(ctx, made) }
    })()
    // Drift detection runs beside the change set; neither is acted on before both are done.
    const [drift, made] = await Promise.allSettled([driftOutcome(prepared.drift), changeSet])
    if (drift.status === 'rejected') throw drift.reason
    known.drift = drift.value
    if (made.status === 'rejected') throw made.reason
    const { undo, reviewed } = made.value
    if (reviewed.kind === 'empty') return nothingToChange(ctx, known, made.value.made, state)
    known.changes = reviewed.changes
    return changeSetReviewed(ctx, known, { made: made.value.made, state, changes: reviewed.changes, undo })
  })
}

/** The stack already matches: the empty change set goes, and the target is unchanged (or planned). */
async function nothingToChange(
  ctx: TargetContext,
  known: Known,
  made: MadeChangeSet,
  state: StackSnapshot,
): Promise<Outcome> {
  await discardChangeSet(ctx, made)
  known.pending = undefined
  const { stackId } = made
  const outputs = state.outputs
  if (ctx.settings.mode === 'plan') {
    const planned = {
      changeSetId: null,
      changeSetType: null,
      stackId: stackId ?? null,
      lastUpdatedTime: state.lastUpdatedTime ?? null,
      // Apply checks that the stack still holds this template: the region still has nothing to change.
      submittedTemplateSha256: templateSha256(
        await ctx.api.originalTemplate(stackId ?? ctx.settings.stackName),
      ),
    }
    return { status: 'planned', stackId, outputs, changes: [], planned }
  }
  await applyTerminationProtection(ctx, state)
  return {
    status: ctx.settings.mode === 'plan-only' ? 'planned' : 'unchanged',
    stackId,
    outputs,
    changes: [],
  }
}

/** A reviewed change set: deleted (plan-only), kept for apply (plan), or executed (deploy). */
async function changeSetReviewed(
  ctx: TargetContext,
  known: Known,
  review: { made: MadeChangeSet; state: StackSnapshot; changes: ChangeRow[]; undo: Undo | undefined },
): Promise<Outcome> {
  const { settings, log } = ctx
  const { made, changes, undo } = review
  const stackId = made.type === 'CREATE' ? undefined : made.stackId
  if (settings.mode === 'plan-only') {
    const { reviewStackLeft } = await discardChangeSet(ctx, made)
    known.pending = undefined
    return {
      status: 'planned',
      stackId,
      outputs: {},
      changes,
      ...(reviewStackLeft ? { reviewStackLeft } : {}),
    }
  }
  if (!made.id || !made.stackId) throw new TargetFailure(`change set ${made.name} has no id`, made.stackId)
  if (settings.mode === 'plan') {
    // Kept for apply: neither the change set nor the stack holding it is this run's to clean up now.
    known.pending = undefined
    log.info(`Change set ${made.name} kept for apply: ${made.id}`)
    const planned = {
      changeSetId: made.id,
      changeSetType: made.type,
      stackId: made.stackId,
      lastUpdatedTime: review.state.lastUpdatedTime ?? null,
      submittedTemplateSha256: await checkSubmittedTemplate(ctx, made.id, made.stackId, true),
    }
    return { status: 'planned', stackId, outputs: {}, changes, planned }
  }
  await checkSubmittedTemplate(ctx, made.id, made.stackId)
  const executing = await startExecution(ctx, {
    changeSetId: made.id,
    stackId: made.stackId,
    type: made.type,
  })
  known.pending = undefined
  return executed(
    ctx,
    executing,
    changes,
    made.type === 'CREATE' ? { kind: 'delete', stackId: made.stackId } : undo,
  )
}

/** Follows an executed change set to its end; the target created or updated. */
export async function executed(
  ctx: TargetContext,
  executing: Executing,
  changes: ChangeRow[],
  undo: Undo | undefined,
): Promise<Outcome> {
  const final = await followExecution(ctx, executing)
  await applyTerminationProtection(ctx, final)
  return {
    status: executing.type === 'CREATE' ? 'created' : 'updated',
    stackId: final.stackId ?? executing.stackId,
    outputs: final.outputs,
    changes,
    ...(undo ? { undo } : {}),
  }
}
