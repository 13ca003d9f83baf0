/**
 * on-region-failure rollback-all: before a target's update, the stack's
 * template and parameters are kept; after another target failed, every target
 * this run changed is undone, all at once (a stack it created is deleted, an
 * updated one goes back to what it had).
 */
import * as core from '@actions/core'
import type { Capability, Parameter, Tag } from '@aws-sdk/client-cloudformation'
import { describeError } from '../../../lib/aws.js'
import { MAX_TEMPLATE_BODY_BYTES } from '../../../lib/cloudformation-inputs.js'
import { fanOut } from '../../../lib/fanout.js'
import { pollUntil } from '../../../lib/poll.js'
import { targetLabel } from '../../../lib/targets.js'
import type { RollbackOutcome, StackSnapshot, TargetResult } from './model.js'
import { executionOutcome, isEmptyChangeSet, isInProgress } from './plan.js'
import { guardedChanges, waitForChangeSet } from './change-set.js'
import { blockedChanges, blockedReason } from './guard.js'
import { remainingMs, type TargetContext } from './target-context.js'

/** What undoes a target's change: delete the stack this run created, or restore the one it updated. */
export type Undo =
  | { kind: 'delete'; stackId: string }
  | {
      kind: 'restore'
      stackId: string
      templateBody: string
      parameters: Parameter[]
      /** The stack's own tags and capabilities before this run, not this run's inputs. */
      tags: Tag[]
      capabilities: Capability[]
    }

/** A template that holds nested stacks: their templates live at URLs this run may have overwritten. */
const NESTED_STACK = /AWS::CloudFormation::Stack\b/

/** Nested stacks come back from the template URLs the earlier parent names: whatever was last uploaded there. */
const NESTED_NOTE =
  'nested stacks come back from the template URLs the earlier template names, as those objects are then, not as they were'

/** An SSM parameter type is resolved again when the rollback runs, so it gets the parameter's value then. */
function ssmNote(keys: string): string {
  return `SSM parameter(s) ${keys} are resolved again when the rollback runs, not restored to the values they resolved to before`
}

/**
 * What rollback-all cannot restore of any updated stack, for the plan printed
 * before the run: the stacks' templates and parameters are not read until each
 * target's update, so the plan names the limits; each target's log names those
 * that apply to its stack when the restore point is taken.
 */
export const CANNOT_RESTORE_IN_GENERAL = [NESTED_NOTE, ssmNote('(AWS::SSM::Parameter::Value types)')]

/** What a rollback cannot bring back as it was, for this stack: said before the change is made. */
export function cannotRestore(templateBody: string, parameters: readonly Parameter[]): string[] {
  const notes: string[] = []
  if (NESTED_STACK.test(templateBody)) notes.push(NESTED_NOTE)
  const ssm = parameters.filter((p) => p.ResolvedValue !== undefined).map((p) => p.ParameterKey ?? '?')
  if (ssm.length) notes.push(ssmNote(ssm.join(', ')))
  return notes
}

/**
 * The stack's template (GetTemplate, TemplateStage Original: as submitted,
 * before transforms), parameters, tags and capabilities (DescribeStacks) before
 * this run changes it. A NoEcho parameter is answered masked ("*****"): it is
 * restored with UsePreviousValue, so a NoEcho value this run changed stays
 * changed. What cannot be restored as it was is warned of here, before the change.
 */
export async function restorePoint(ctx: TargetContext, state: StackSnapshot): Promise<Undo | undefined> {
  if (ctx.settings.onRegionFailure !== 'rollback-all' || !state.stackId) return undefined
  const templateBody = await ctx.api.originalTemplate(state.stackId)
  const earlier = await ctx.api.stackRestoreState(state.stackId)
  const parameters = (earlier.Parameters ?? []).flatMap((p) => (p.ParameterKey ? [p] : []))
  for (const note of cannotRestore(templateBody, parameters))
    ctx.log.warning(`on-region-failure rollback-all cannot fully restore this stack: ${note}.`)
  return {
    kind: 'restore',
    stackId: state.stackId,
    templateBody,
    parameters: parameters.map(({ ParameterKey, ParameterValue }) =>
      // "the parameter value is masked with asterisks (*****)": such a value cannot be sent back.
      /^\*+$/.test(ParameterValue ?? '')
        ? { ParameterKey, UsePreviousValue: true }
        : { ParameterKey, ParameterValue: ParameterValue ?? '' },
    ),
    tags: earlier.Tags ?? [],
    capabilities: earlier.Capabilities ?? [],
  }
}

function untilStable(ctx: TargetContext, id: string, what: string): Promise<StackSnapshot> {
  return pollUntil(
    async () => {
      const now = await ctx.api.describeStack(id)
      return isInProgress(now.status) ? undefined : now
    },
    { what, initialMs: 200, factor: 1.5, maxMs: 2000, timeoutMs: remainingMs(ctx) },
  )
}

/**
 * Deletes the stack this run created. Termination protection turned on by this
 * run (the stack is this run's, so the protection is too) is turned off first:
 * DeleteStack of a protected stack fails.
 */
async function deleteCreated(ctx: TargetContext, stackId: string): Promise<RollbackOutcome> {
  try {
    ctx.log.info(`Rolling back: deleting stack ${stackId}, which this run created.`)
    if (ctx.settings.terminationProtection) {
      ctx.log.info('Turning off the termination protection this run turned on, to delete the stack.')
      await ctx.api.updateTerminationProtection(stackId, false)
    }
    await ctx.api.deleteStack(stackId, ctx.tokens.rollbackDelete)
    const gone = await untilStable(ctx, stackId, `stack ${stackId} to be deleted`)
    if (gone.status !== undefined && gone.status !== 'DELETE_COMPLETE')
      return { action: 'deleted', outcome: 'failed', reason: `the stack is ${gone.status}` }
    return { action: 'deleted', outcome: 'done' }
  } catch (error) {
    return { action: 'deleted', outcome: 'failed', reason: describeError(error) }
  }
}

async function restoreUpdated(
  ctx: TargetContext,
  point: Extract<Undo, { kind: 'restore' }>,
): Promise<RollbackOutcome> {
  const { api, settings, log } = ctx
  let pending: string | undefined
  try {
    if (Buffer.byteLength(point.templateBody) > MAX_TEMPLATE_BODY_BYTES)
      throw new Error(
        `the earlier template is over ${MAX_TEMPLATE_BODY_BYTES} bytes; restore it from S3 by hand`,
      )
    log.info('Rolling back: updating the stack to the template, parameters and tags it had before this run.')
    // By name, as every change set of this action is made (moto finds no stack by id here); the
    // id is checked first so a stack replaced meanwhile is not "rolled back" to another's template.
    const current = await api.describeStack(settings.stackName)
    if (current.stackId !== point.stackId)
      throw new Error(`stack ${settings.stackName} is no longer ${point.stackId}`)
    const created = await api.createChangeSet({
      StackName: settings.stackName,
      ChangeSetName: ctx.tokens.rollbackChangeSetName,
      ChangeSetType: 'UPDATE',
      ClientToken: ctx.tokens.rollbackChangeSet,
      Description: `deploy-multi-region ${ctx.runToken} rollback-all`,
      TemplateBody: point.templateBody,
      Parameters: point.parameters,
      Capabilities: point.capabilities.length ? point.capabilities : undefined,
      RoleARN: settings.roleArn,
      // The earlier stack's own tags; none sent would keep this run's.
      Tags: point.tags,
      IncludeNestedStacks: true,
    })
    if (!created.id) return { action: 'restored', outcome: 'done' }
    pending = created.id
    const described = await waitForChangeSet(ctx, created.id)
    if (isEmptyChangeSet(described.status, described.reason)) return { action: 'restored', outcome: 'done' }
    if (described.status !== 'CREATE_COMPLETE')
      throw new Error(`rollback change set failed: ${described.reason ?? described.status}`)
    // The rollback's changes pass the same guard as the deploy's.
    const blocked = blockedChanges(await guardedChanges(ctx, described.changes))
    if (blocked.length) throw new Error(`the rollback change set was not executed: ${blockedReason(blocked)}`)
    await api.executeChangeSet(created.id, ctx.tokens.rollbackExecute)
    pending = undefined
    const final = await untilStable(ctx, point.stackId, `stack ${point.stackId} to roll back`)
    if (executionOutcome(final.status) !== 'success')
      return { action: 'restored', outcome: 'failed', reason: `the stack is ${final.status ?? 'gone'}` }
    return { action: 'restored', outcome: 'done' }
  } catch (error) {
    return { action: 'restored', outcome: 'failed', reason: describeError(error) }
  } finally {
    // A rollback change set that was not executed is not left behind.
    if (pending) await api.deleteChangeSet(pending).catch(() => undefined)
  }
}

/** Undoes one target's change. */
export function rollBackTarget(ctx: TargetContext, undo: Undo): Promise<RollbackOutcome> {
  return undo.kind === 'delete' ? deleteCreated(ctx, undo.stackId) : restoreUpdated(ctx, undo)
}

/**
 * The rollback's own clock: `timeout-minutes` counts again from its start, not
 * from the deploy whose time the failure may have used up.
 */
function ownDeadline(ctx: TargetContext): TargetContext {
  const minutes = ctx.settings.timeoutMinutes
  return { ...ctx, deadline: minutes === undefined ? undefined : Date.now() + minutes * 60_000 }
}

/** A target this run changed, with what undoes it. */
export interface Undoable {
  result: TargetResult
  undo: Undo
  ctx: TargetContext
}

/**
 * on-region-failure rollback-all: a target failed, so every target this run
 * created or updated is undone, all at once; the outcome is set on its result.
 */
export async function rollBackAll(changed: readonly Undoable[]): Promise<void> {
  if (changed.length === 0) return
  core.info(
    `A target failed: rolling back ${changed.map((c) => targetLabel(c.result)).join(', ')} (on-region-failure: rollback-all).`,
  )
  const outcomes = await fanOut(changed, (c) => rollBackTarget(ownDeadline(c.ctx), c.undo))
  for (const o of outcomes) {
    const rollback: RollbackOutcome =
      o.state === 'fulfilled'
        ? o.value
        : {
            action: 'restored',
            outcome: 'failed',
            reason: o.state === 'rejected' ? describeError(o.error) : 'not started',
          }
    o.item.result.rollback = rollback
    const { log } = o.item.ctx
    const what =
      rollback.action === 'deleted'
        ? 'the stack this run created was deleted'
        : 'the stack was updated back to its earlier template, parameters and tags'
    if (rollback.outcome === 'done') log.info(`Rolled back: ${what}.`)
    else
      log.error(
        `Rollback failed: ${rollback.reason ?? 'unknown'}; the stack needs attention.`,
        `deploy-multi-region ${targetLabel(o.item.result)}`,
      )
    log.flush()
  }
}
