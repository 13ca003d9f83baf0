/**
 * The first phase of a target's deploy: the stack made ready for a change set.
 * Another operation on the stack is waited out, a ROLLBACK_COMPLETE stack (its
 * first create failed) is deleted to be created again, and an existing stack's
 * drift detection (`drift` warn or fail) is started, to run beside the change
 * set's creation: a deploy waits for the slower of the two, not for their sum.
 * The change set is not executed (nor kept for apply) before the drift is known.
 */
import { describeError } from '../../../lib/aws.js'
import { AbortedError } from '../../../lib/poll.js'
import { OperationUnavailable } from './cloudformation-api.js'
import type { DriftReport, StackSnapshot } from './model.js'
import { describeDrift, detectDrift } from './drift.js'
import { decideStackAction } from './plan.js'
import { checkCancelled, poll, TargetFailure, type TargetContext } from './target-context.js'

/** A stack read longer ago than this is read again before it is planned against. */
const STALE_MS = 10_000
/** Operations of others waited out at most, one after the other. */
const MAX_WAITS = 5

/**
 * A drift detection under way. It settles and never rejects, so it may run
 * unobserved while the change set is made; `driftOutcome` gives its report or
 * throws the target's failure.
 */
export type DriftCheck = Promise<{ report?: DriftReport; failure?: unknown }>

/** The drift report of a detection started by `prepareStack`, or its failure thrown (`drift: fail`). */
export async function driftOutcome(check: DriftCheck | undefined): Promise<DriftReport | undefined> {
  if (!check) return undefined
  const { report, failure } = await check
  if (failure !== undefined) throw failure
  return report
}

/** What the change set phase starts from. */
export type Prepared =
  | { kind: 'ready'; state: StackSnapshot; type: 'CREATE' | 'UPDATE'; drift?: DriftCheck }
  /** plan-only on a ROLLBACK_COMPLETE stack: a deploy would delete and create it; nothing to preview. */
  | { kind: 'would-recreate'; state: StackSnapshot; why: string }

export async function prepareStack(ctx: TargetContext, initial: StackSnapshot): Promise<Prepared> {
  const { settings, log } = ctx
  let state = initial
  if (Date.now() - state.readAt > STALE_MS) state = await ctx.api.describeStack(settings.stackName)
  let waits = 0
  for (;;) {
    const decision = decideStackAction(state.status)
    if (decision.action === 'blocked') throw new TargetFailure(decision.why, state.stackId)
    if (decision.action === 'wait') {
      if (++waits > MAX_WAITS) throw new TargetFailure(`stack is still busy (${state.status})`, state.stackId)
      log.info(`Stack is ${state.status}; waiting for that operation to finish before deploying.`)
      ctx.phase(`waiting for ${state.status} to finish`)
      state = await waitOutOperation(ctx, state)
      continue
    }
    if (decision.action === 'recreate') {
      if (settings.mode === 'plan')
        throw new TargetFailure(
          `${decision.why}; no change set can be planned until it is deleted, which a deploy (or apply) does not do for a plan`,
          state.stackId,
        )
      if (settings.mode === 'plan-only') {
        log.info('Stack is ROLLBACK_COMPLETE: a deploy would delete it and create it again.')
        return { kind: 'would-recreate', state, why: decision.why }
      }
      checkCancelled(ctx)
      state = await recoverRollbackComplete(ctx, state)
      continue
    }
    const drift =
      decision.action === 'update' && settings.drift !== 'off' && state.stackId
        ? checkDrift(ctx, state.stackId).then(
            (report) => ({ report }),
            (failure: unknown) => ({ failure }),
          )
        : undefined
    return { kind: 'ready', state, type: decision.action === 'create' ? 'CREATE' : 'UPDATE', drift }
  }
}

/** Waits for another operation on the stack, printing its events, then reads the stack again. */
async function waitOutOperation(ctx: TargetContext, state: StackSnapshot): Promise<StackSnapshot> {
  const id = state.stackId ?? ctx.settings.stackName
  await ctx.events.prime(id)
  return poll(ctx, `stack ${ctx.settings.stackName} to leave ${state.status}`, async () => {
    const [now] = await Promise.all([ctx.api.describeStack(id), ctx.events.catchUp(id)])
    return decideStackAction(now.status).action === 'wait' ? undefined : now
  })
}

/** Deletes a ROLLBACK_COMPLETE stack so it can be created again; gives the (now absent) stack. */
async function recoverRollbackComplete(ctx: TargetContext, state: StackSnapshot): Promise<StackSnapshot> {
  const { api, log } = ctx
  const id = state.stackId ?? ctx.settings.stackName
  log.info('Stack is ROLLBACK_COMPLETE (its first create failed): deleting it to create it again.')
  ctx.phase('deleting the ROLLBACK_COMPLETE stack')
  await ctx.events.prime(id)
  await api.deleteStack(id, ctx.tokens.deleteFailedStack)
  const gone = await poll(ctx, `stack ${id} to be deleted`, async () => {
    const [now] = await Promise.all([api.describeStack(id), ctx.events.catchUp(id)])
    return now.status === undefined || now.status === 'DELETE_COMPLETE' || now.status === 'DELETE_FAILED'
      ? now
      : undefined
  })
  if (gone.status === 'DELETE_FAILED')
    throw new TargetFailure(`could not delete the failed stack: ${gone.statusReason ?? 'DELETE_FAILED'}`, id)
  return { outputs: {}, parameterKeys: [], readAt: Date.now() }
}

/**
 * `drift` warn or fail: detects the stack's drift while its change set is made.
 * With `fail`, a drifted stack, a detection that failed (for the stack or for
 * some of its resources) and a drift status of UNKNOWN fail the target, and its
 * change set is deleted unexecuted: with resources unchecked nobody can say the
 * stack is as its template says.
 */
async function checkDrift(ctx: TargetContext, stackId: string): Promise<DriftReport | undefined> {
  const { settings, log } = ctx
  const failing = settings.drift === 'fail'
  const stop = '; the change set is not executed (drift: fail)'
  let report: DriftReport
  try {
    report = await detectDrift(
      ctx.api,
      stackId,
      (what, check) => poll(ctx, what, check),
      settings.driftValues,
    )
  } catch (error) {
    if (error instanceof AbortedError) throw error
    // An endpoint without the operation says so in its own words (describeError would wrap them).
    const said = error instanceof OperationUnavailable ? error.said : describeError(error)
    const why = `drift detection failed: ${said}`
    if (failing) throw new TargetFailure(`${why}${stop}`, stackId)
    log.warning(`${why}; planning without it.`)
    return undefined
  }
  if (report.detectionStatus === 'DETECTION_FAILED') {
    const why = `Drift detection failed for some resources: ${report.detectionStatusReason ?? 'no reason given'}`
    if (failing) throw new TargetFailure(`${why}${stop}`, stackId, undefined, { drift: report })
    log.warning(why)
  }
  if (report.stackDriftStatus !== 'DRIFTED') {
    if (failing && report.stackDriftStatus !== 'IN_SYNC')
      throw new TargetFailure(
        `drift status is ${report.stackDriftStatus}: the stack's drift could not be told${stop}`,
        stackId,
        undefined,
        { drift: report },
      )
    log.info(`Drift: ${report.stackDriftStatus}.`)
    return report
  }
  const lines = report.resources.map(describeDrift)
  const text = `${report.resources.length} resource(s) drifted from the template: ${lines.join(' | ')}`
  if (failing)
    throw new TargetFailure(`${text}${stop}`, stackId, report.resources[0]?.logicalId, { drift: report })
  log.warning(text)
  return report
}
