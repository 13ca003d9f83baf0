/**
 * on-region-failure rollback-all: before a target's update, the stack's
 * template and parameters are kept; after another target failed, every target
 * this run changed is undone, all at once (a stack it created is deleted, an
 * updated one goes back to what it had).
 */
import * as core from '@actions/core'
import type { Parameter } from '@aws-sdk/client-cloudformation'
import { describeError } from '../../../lib/aws.js'
import { MAX_TEMPLATE_BODY_BYTES } from '../../../lib/cloudformation-inputs.js'
import { fanOut } from '../../../lib/fanout.js'
import { pollUntil } from '../../../lib/poll.js'
import { targetLabel } from '../../../lib/targets.js'
import type { RollbackOutcome, StackSnapshot, TargetResult } from './model.js'
import { executionOutcome, isEmptyChangeSet, isInProgress } from './plan.js'
import { waitForChangeSet } from './change-set.js'
import type { TargetContext } from './target-context.js'

/** What undoes a target's change: delete the stack this run created, or restore the one it updated. */
export type Undo =
  | { kind: 'delete'; stackId: string }
  | { kind: 'restore'; stackId: string; templateBody: string; parameters: Parameter[] }

/**
 * The stack's template (GetTemplate, TemplateStage Original: as submitted,
 * before transforms) and parameters (DescribeStacks) before this run changes it.
 * A NoEcho parameter is answered masked ("*****"): it is restored with
 * UsePreviousValue, so a NoEcho value this run changed stays changed.
 */
export async function restorePoint(ctx: TargetContext, state: StackSnapshot): Promise<Undo | undefined> {
  if (ctx.settings.onRegionFailure !== 'rollback-all' || !state.stackId) return undefined
  const templateBody = await ctx.api.originalTemplate(state.stackId)
  const stack = await ctx.api.describeStack(state.stackId)
  return {
    kind: 'restore',
    stackId: state.stackId,
    templateBody,
    parameters: Object.entries(stack.parameterValues ?? {}).map(([ParameterKey, value]) =>
      // "the parameter value is masked with asterisks (*****)": such a value cannot be sent back.
      /^\*+$/.test(value)
        ? { ParameterKey, UsePreviousValue: true }
        : { ParameterKey, ParameterValue: value },
    ),
  }
}

function untilStable(ctx: TargetContext, id: string, what: string): Promise<StackSnapshot> {
  return pollUntil(
    async () => {
      const now = await ctx.api.describeStack(id)
      return isInProgress(now.status) ? undefined : now
    },
    { what, initialMs: 200, factor: 1.5, maxMs: 2000 },
  )
}

async function deleteCreated(ctx: TargetContext, stackId: string): Promise<RollbackOutcome> {
  try {
    ctx.log.info(`Rolling back: deleting stack ${stackId}, which this run created.`)
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
  try {
    if (Buffer.byteLength(point.templateBody) > MAX_TEMPLATE_BODY_BYTES)
      throw new Error(
        `the earlier template is over ${MAX_TEMPLATE_BODY_BYTES} bytes; restore it from S3 by hand`,
      )
    log.info('Rolling back: updating the stack to the template and parameters it had before this run.')
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
      Capabilities: settings.capabilities.length ? settings.capabilities : undefined,
      RoleARN: settings.roleArn,
      Tags: settings.tags.length ? settings.tags : undefined,
      IncludeNestedStacks: true,
    })
    if (!created.id) return { action: 'restored', outcome: 'done' }
    const described = await waitForChangeSet(ctx, created.id)
    if (isEmptyChangeSet(described.status, described.reason)) return { action: 'restored', outcome: 'done' }
    if (described.status !== 'CREATE_COMPLETE')
      throw new Error(`rollback change set failed: ${described.reason ?? described.status}`)
    await api.executeChangeSet(created.id, ctx.tokens.rollbackExecute)
    const final = await untilStable(ctx, point.stackId, `stack ${point.stackId} to roll back`)
    if (executionOutcome(final.status) !== 'success')
      return { action: 'restored', outcome: 'failed', reason: `the stack is ${final.status ?? 'gone'}` }
    return { action: 'restored', outcome: 'done' }
  } catch (error) {
    return { action: 'restored', outcome: 'failed', reason: describeError(error) }
  }
}

/** Undoes one target's change. */
export function rollBackTarget(ctx: TargetContext, undo: Undo): Promise<RollbackOutcome> {
  return undo.kind === 'delete' ? deleteCreated(ctx, undo.stackId) : restoreUpdated(ctx, undo)
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
  const outcomes = await fanOut(changed, (c) => rollBackTarget(c.ctx, c.undo))
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
        : 'the stack was updated back to its earlier template and parameters'
    if (rollback.outcome === 'done') log.info(`Rolled back: ${what}.`)
    else
      log.error(
        `Rollback failed: ${rollback.reason ?? 'unknown'}; the stack needs attention.`,
        `deploy-multi-region ${targetLabel(o.item.result)}`,
      )
    log.flush()
  }
}
