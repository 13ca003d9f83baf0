/**
 * The third phase of a target's deploy: the change set executed and the stack
 * followed to its end, its events printed as they come. A failure is explained
 * from this run's own events (down into nested stacks); when `timeout-minutes`
 * runs out, an update is cancelled (it rolls back).
 */
import { describeError } from '../../../lib/aws.js'
import { AbortedError, TimeoutError } from '../../../lib/poll.js'
import type { StackEventLike, StackSnapshot } from './model.js'
import { templateSha256 } from './plan-file.js'
import {
  describeCause,
  executionOutcome,
  failureBehaviour,
  nestedEventsOfRun,
  nestedStackOf,
  rootCause,
} from './plan.js'
import { CancelledBeforeChange, poll, TargetFailure, type TargetContext } from './target-context.js'

/** Failed reads in a row that a poll survives (errors the SDK's own retries did not get past). */
const MAX_READ_FAILURES = 3
/** Nested stacks followed down when looking for the resource that failed. */
const MAX_NESTING = 3

export interface Execution {
  changeSetId: string
  stackId: string
  type: 'CREATE' | 'UPDATE'
}

/** Where following starts: the events seen before ExecuteChangeSet are no root cause of this run's failure. */
export interface Executing extends Execution {
  executedFrom: number
}

/** SHA-256 of the template CloudFormation holds behind a change set (GetTemplate, Original stage). */
export async function changeSetTemplateSha256(ctx: TargetContext, changeSetId: string): Promise<string> {
  return templateSha256(await ctx.api.changeSetTemplate(ctx.settings.stackName, changeSetId))
}

/**
 * Before a change set made from a template this run uploaded is executed (or kept
 * for apply): the template CloudFormation holds behind it must be the one uploaded,
 * so an S3 object swapped between the upload and CreateChangeSet cannot change
 * what runs. A template sent inline (TemplateBody) is part of the signed request;
 * one given by `template-url` is not ours to know. Gives the template's SHA-256
 * when it was read (always, with `always`: a plan records it).
 */
export async function checkSubmittedTemplate(
  ctx: TargetContext,
  changeSetId: string,
  stackId: string | undefined,
  always = false,
): Promise<string | undefined> {
  const uploaded = await ctx.templates.uploadedFor(ctx.target, ctx.log, ctx.access)
  if (uploaded === undefined && !always) return undefined
  const found = await changeSetTemplateSha256(ctx, changeSetId)
  if (uploaded === undefined) return found
  if (found !== uploaded.sha256)
    throw new TargetFailure(
      `the template behind change set ${changeSetId} (SHA-256 ${found.slice(0, 12)}…) is not the one this run uploaded (${uploaded.sha256.slice(0, 12)}…): the object at ${uploaded.url} was changed after the upload; nothing was executed`,
      stackId,
    )
  return found
}

/**
 * ExecuteChangeSet. After it, the change set belongs to the stack's history and
 * the stack is the run's to follow; before it, a cancellation leaves nothing changed.
 */
export async function startExecution(ctx: TargetContext, execution: Execution): Promise<Executing> {
  const { settings, log } = ctx
  const { changeSetId, stackId, type } = execution
  // A planned change set carries the plan run's name: its ARN says it (arn:...:changeSet/<name>/<id>).
  const name = /:changeSet\/([^/]+)\//.exec(changeSetId)?.[1] ?? ctx.tokens.changeSetName
  const { disableRollback } = failureBehaviour(settings.onFailure, type)
  if (ctx.signal.aborted)
    throw new CancelledBeforeChange('cancelled before the change set was executed; nothing was changed')
  ctx.phase(`executing change set ${name}`)
  const executedFrom = ctx.events.mark()
  const answer = await ctx.api
    .executeChangeSet(changeSetId, ctx.tokens.execute, disableRollback)
    .catch((error: unknown) => {
      throw new TargetFailure(`ExecuteChangeSet failed: ${describeError(error)}`, stackId)
    })
  if (answer.alreadyExecuting)
    log.info('The change set is already executing (an earlier attempt of the call went through).')
  log.info(`Change set executed; following the stack's events.`)
  ctx.phase(`applying change set ${name}`)
  return { ...execution, executedFrom }
}

/**
 * A poll check that survives a few failed reads in a row, so a burst of
 * throttling does not fail a deploy that is going well.
 */
function tolerant<T>(ctx: TargetContext, check: () => Promise<T | undefined>): () => Promise<T | undefined> {
  let failures = 0
  return async () => {
    try {
      const value = await check()
      failures = 0
      return value
    } catch (error) {
      if (++failures > MAX_READ_FAILURES) throw error
      ctx.log.warning(`Reading the stack failed (${describeError(error)}); trying again.`)
      return undefined
    }
  }
}

/** Follows the executing stack to its end; the stack as it ended, or a TargetFailure saying why. */
export async function followExecution(ctx: TargetContext, executing: Executing): Promise<StackSnapshot> {
  const { stackId } = executing
  let last: StackSnapshot | undefined
  try {
    last = await poll(
      ctx,
      `stack ${ctx.settings.stackName}`,
      tolerant(ctx, async () => {
        const [now] = await Promise.all([ctx.api.describeStack(stackId), ctx.events.catchUp(stackId)])
        last = now
        ctx.log.activity(now.status ?? 'in progress', ctx.events.waitingOn(ctx.settings.stackName))
        return executionOutcome(now.status) === 'in-progress' ? undefined : now
      }),
    )
  } catch (error) {
    if (error instanceof AbortedError) {
      const message = `cancelled while the stack was ${last?.status ?? 'being deployed'}; CloudFormation carries on with it`
      ctx.log.warning(message)
      throw new TargetFailure(message, stackId)
    }
    if (error instanceof TimeoutError) throw await timedOut(ctx, stackId, last)
    throw error
  }
  if (executionOutcome(last.status) === 'failure') {
    const cause = await explainFailure(ctx, stackId, ctx.events.since(executing.executedFrom))
    const why = cause?.text ?? last.statusReason
    throw new TargetFailure(`stack ${last.status}${why ? `: ${why}` : ''}`, stackId, cause?.logicalId)
  }
  return last
}

/**
 * The failed resource of this run's execution and CloudFormation's reason; for
 * a nested stack ("Embedded stack ... was not successfully created"), the
 * nested stack's own failed resource, read from its events.
 */
async function explainFailure(
  ctx: TargetContext,
  stackId: string,
  runEvents: StackEventLike[],
): Promise<{ text: string; logicalId: string | undefined } | undefined> {
  let events = runEvents
  let cause = rootCause(events, ctx.tokens.execute)
  if (!cause) return undefined
  const path: string[] = []
  let stack = stackId
  for (let depth = 0; depth < MAX_NESTING; depth++) {
    const nested = nestedStackOf(cause, stack)
    const logicalId = cause.LogicalResourceId
    if (!nested || !logicalId) break
    let nestedEvents: StackEventLike[]
    try {
      nestedEvents = nestedEventsOfRun(await ctx.api.readEvents(nested), events, logicalId)
    } catch (error) {
      ctx.log.warning(`Could not read the events of nested stack ${nested}: ${describeError(error)}`)
      break
    }
    const inner = rootCause(nestedEvents)
    if (!inner) break
    path.push(logicalId)
    events = nestedEvents
    stack = nested
    cause = inner
  }
  // The template's own resource (the outermost nested stack) is where an annotation points.
  return { text: describeCause(path, cause), logicalId: path[0] ?? cause.LogicalResourceId }
}

/** timeout-minutes passed while the stack was changing: cancel an update (it rolls back). */
async function timedOut(
  ctx: TargetContext,
  stackId: string,
  last: StackSnapshot | undefined,
): Promise<TargetFailure> {
  const minutes = ctx.settings.timeoutMinutes
  const status = last?.status ?? 'unknown'
  if (status !== 'UPDATE_IN_PROGRESS')
    return new TargetFailure(`timed out after ${minutes} minute(s) while the stack was ${status}`, stackId)
  try {
    await ctx.api.cancelUpdateStack(stackId, ctx.tokens.cancelUpdate)
    return new TargetFailure(
      `timed out after ${minutes} minute(s); the update was cancelled and rolls back`,
      stackId,
    )
  } catch (error) {
    return new TargetFailure(
      `timed out after ${minutes} minute(s) while UPDATE_IN_PROGRESS; cancelling failed: ${describeError(error)}`,
      stackId,
    )
  }
}

/** Enables or disables termination protection when the input asks for a value the stack lacks. */
export async function applyTerminationProtection(ctx: TargetContext, state: StackSnapshot): Promise<void> {
  const wanted = ctx.settings.terminationProtection
  if (wanted === undefined || ctx.settings.mode === 'plan-only' || !state.stackId) return
  if (state.terminationProtection === wanted) return
  try {
    await ctx.api.updateTerminationProtection(state.stackId, wanted)
    ctx.log.info(`Termination protection ${wanted ? 'enabled' : 'disabled'}.`)
  } catch (error) {
    ctx.log.warning(
      `Could not ${wanted ? 'enable' : 'disable'} termination protection: ${describeError(error)}`,
    )
  }
}
