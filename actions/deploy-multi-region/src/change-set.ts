/**
 * The second phase of a target's deploy: the change set. It is made (CREATE or
 * UPDATE), waited for and reviewed: its changes, with those of its nested
 * stacks, are listed and marked by the guard, and a blocked change refuses the
 * target before anything is executed. A change set this run will not execute is
 * deleted, with the REVIEW_IN_PROGRESS stack that was made only to hold it.
 */
import type { Change } from '@aws-sdk/client-cloudformation'
import { describeError } from '../../../lib/aws.js'
import { isToolkitChangeSetName, type DescribedChangeSet } from './cloudformation-api.js'
import { blockedChanges, blockedReason, markChanges } from './guard.js'
import type { ChangeRow, StackSnapshot, ValidationError } from './model.js'
import { parametersFor } from './parameters.js'
import { changeRows, describeChange, failureBehaviour, isEmptyChangeSet } from './plan.js'
import { checkCancelled, poll, TargetFailure, type TargetContext } from './target-context.js'
import {
  describeValidationError,
  failureReason,
  readValidationFindings,
  type ValidationFindings,
} from './validation-errors.js'

/** A change set this run made; `id` undefined when an update had nothing to change. */
export interface MadeChangeSet {
  id?: string
  name: string
  type: 'CREATE' | 'UPDATE'
  stackId?: string
  /** A REVIEW_IN_PROGRESS stack that this CREATE change set made: removed with it if never executed. */
  reviewStackId?: string
}

/** What the review found: nothing to change, or the changes (none of them blocked). */
export type Reviewed = { kind: 'empty' } | { kind: 'changes'; changes: ChangeRow[] }

/** CreateChangeSet for the target, with its template, parameters and the settings' options. */
export async function makeChangeSet(
  ctx: TargetContext,
  state: StackSnapshot,
  type: 'CREATE' | 'UPDATE',
): Promise<MadeChangeSet> {
  const { settings, log, target } = ctx
  checkCancelled(ctx)
  const name = ctx.tokens.changeSetName
  const { onStackFailure } = failureBehaviour(settings.onFailure, type)
  // An update keeps the values of the parameters the inputs leave out.
  const previous =
    type === 'UPDATE' && state.parameterKeys.length > 0
      ? { stackKeys: state.parameterKeys, declared: await ctx.templates.declaredParameters(target, ctx.api) }
      : undefined
  if (state.stackId && settings.mode !== 'plan-only') await discardEarlierPlans(ctx, state.stackId)
  // Packaging (a template with local artifacts) uploads to the target's bucket first, and says so live.
  const template = await ctx.templates.forTarget(target, log, ctx.access)
  ctx.phase(`creating change set ${name}`)
  const created = await ctx.api.createChangeSet({
    StackName: settings.stackName,
    ChangeSetName: name,
    ChangeSetType: type,
    ClientToken: ctx.tokens.createChangeSet,
    // A plan's change sets say so: a later plan or deploy of the stack supersedes them.
    Description: `${settings.mode === 'plan' ? PLAN_DESCRIPTION : 'deploy-multi-region '}${ctx.runToken}`,
    ...template,
    Parameters: parametersFor(target.region, settings.parameters, settings.regionParameters, previous),
    Capabilities: settings.capabilities.length ? settings.capabilities : undefined,
    RoleARN: settings.roleArn,
    NotificationARNs: settings.notificationArns.length ? settings.notificationArns : undefined,
    Tags: settings.tags.length ? settings.tags : undefined,
    OnStackFailure: settings.mode === 'plan-only' ? undefined : onStackFailure,
    // "Indicates if the change set auto-imports resources that already exist": named resources
    // with DeletionPolicy Retain that no stack owns are taken over instead of failing. The user
    // guide: "import named resources automatically when creating or updating" stacks, so UPDATE too.
    ImportExistingResources: settings.importExistingResources ? true : undefined,
    // Nested stacks get change sets of their own, so their changes are seen (and guarded) too.
    IncludeNestedStacks: true,
  })
  if (created.existing)
    log.info(`Change set ${name} already exists (an earlier attempt of the call went through).`)
  log.info(`Change set ${name} (${type}) created.`)
  const ownsReviewStack = type === 'CREATE' && state.status !== 'REVIEW_IN_PROGRESS'
  return {
    id: created.id,
    name,
    type,
    stackId: created.stackId ?? state.stackId,
    ...(ownsReviewStack && created.stackId ? { reviewStackId: created.stackId } : {}),
  }
}

/** How the change sets `mode: plan` keeps for apply describe themselves. */
const PLAN_DESCRIPTION = 'deploy-multi-region plan '

/**
 * A plan or deploy supersedes what an earlier plan of ours left on the stack:
 * its unexecuted change sets (a deploy's execute would delete them anyway: "When
 * you execute a change set, CloudFormation deletes all other change sets
 * associated with the stack"). Only change sets our naming and a plan's
 * description mark; a REVIEW_IN_PROGRESS stack it made is created for real by
 * this run's CREATE change set, so it is not left either.
 */
async function discardEarlierPlans(ctx: TargetContext, stackId: string): Promise<void> {
  const { api, log, target } = ctx
  const earlier = (await api.listChangeSets(stackId)).filter(
    (c) =>
      c.ChangeSetId &&
      c.StackName === ctx.settings.stackName &&
      (c.StackId === undefined || c.StackId === stackId) &&
      c.Description?.startsWith(PLAN_DESCRIPTION) &&
      isToolkitChangeSetName(c.ChangeSetName ?? '', target.region) &&
      !['EXECUTE_IN_PROGRESS', 'EXECUTE_COMPLETE', 'EXECUTE_FAILED'].includes(c.ExecutionStatus ?? ''),
  )
  for (const c of earlier) {
    await api.deleteChangeSet(c.ChangeSetId!)
    log.info(
      `Deleted change set ${c.ChangeSetName ?? c.ChangeSetId} of an earlier plan, which this run supersedes.`,
    )
  }
}

/**
 * Waits for the change set and reviews it. Throws when it FAILED (with its
 * validation errors) or when the guard blocks a change (in every mode, before
 * ExecuteChangeSet).
 */
export async function reviewChangeSet(ctx: TargetContext, made: MadeChangeSet): Promise<Reviewed> {
  const { log } = ctx
  ctx.phase(`waiting for change set ${made.name}`)
  const described = made.id
    ? await waitForChangeSet(ctx, made.id)
    : { status: 'FAILED', reason: 'No updates are to be performed.', changes: [] }
  if (isEmptyChangeSet(described.status, described.reason)) {
    log.info('No changes: the stack already matches the template and parameters.')
    return { kind: 'empty' }
  }
  if (described.status !== 'CREATE_COMPLETE') {
    const { why, errors } = await whyFailed(ctx, made, described)
    throw new TargetFailure(
      `change set ${made.name} failed: ${why}`,
      made.stackId,
      errors.find((e) => e.resource)?.resource,
      errors.length ? { validationErrors: errors } : {},
    )
  }
  const changes = await guardedChanges(ctx, described.changes)
  log.info(`${changes.length} resource change(s):`)
  for (const c of changes) log.info(`  ${describeChange(c)}`)
  const [firstBlocked, ...more] = blockedChanges(changes)
  if (firstBlocked)
    throw new TargetFailure(blockedReason([firstBlocked, ...more]), made.stackId, firstBlocked.logicalId, {
      changes,
    })
  return { kind: 'changes', changes }
}

/** The change set's changes and its nested stacks', with the guard's marks. */
export async function guardedChanges(ctx: TargetContext, changes: readonly Change[]): Promise<ChangeRow[]> {
  const { statefulTypes, allowReplacement } = ctx.settings
  return markChanges(await withNestedChanges(ctx, changes), statefulTypes, allowReplacement)
}

/** Waits until the change set is made (or has FAILED); every page of its changes. */
export function waitForChangeSet(ctx: TargetContext, id: string): Promise<DescribedChangeSet> {
  return poll(ctx, `change set ${id}`, async () => {
    const answer = await ctx.api.describeChangeSet(id)
    const done = ['CREATE_COMPLETE', 'FAILED', 'DELETE_FAILED'].includes(answer.status ?? '')
    return done ? answer : undefined
  })
}

/**
 * The change rows of a change set and of its nested stacks' change sets, at any
 * depth: a nested stack's ResourceChange carries "The change set ID of the
 * nested change set", whose changes are listed under the nested stack's logical
 * id. Nothing is skipped: a change the guard never saw could delete data. Each
 * nested change set is read once (`seen`), so no answer can make this loop.
 */
async function withNestedChanges(
  ctx: TargetContext,
  changes: readonly Change[],
  path: string[] = [],
  seen = new Set<string>(),
): Promise<ChangeRow[]> {
  const rows: ChangeRow[] = []
  for (const change of changes) {
    const [row] = changeRows([change])
    if (!row) continue
    rows.push(path.length > 0 ? { ...row, nestedPath: path } : row)
    const nested = change.ResourceChange?.ChangeSetId
    if (!nested || row.type !== 'AWS::CloudFormation::Stack' || seen.has(nested)) continue
    seen.add(nested)
    const described = await waitForChangeSet(ctx, nested)
    rows.push(...(await withNestedChanges(ctx, described.changes, [...path, row.logicalId], seen)))
  }
  return rows
}

/** A nested change set's ARN in a parent's status reason ("Nested change set <arn> was not successfully created"). */
const NESTED_CHANGE_SET_ARN = /arn:[\w-]+:cloudformation:[\w-]+:\d*:changeSet\/[^\s/]+\/[\w-]+/g
/** Nested change sets read at most for a failed parent's reasons. */
const MAX_FAILED_NESTED = 10

/**
 * Why a change set FAILED: its own status reason with its validation errors
 * beside it, and the same of each nested change set that failed (a parent's
 * reason only names the nested change set). WARN-mode findings are logged as
 * warnings; they did not fail it.
 */
async function whyFailed(
  ctx: TargetContext,
  made: MadeChangeSet,
  described: DescribedChangeSet,
): Promise<{ why: string; errors: ValidationError[] }> {
  const own = made.id ? await findingsOf(ctx, made.id) : undefined
  const errors = [...(own?.errors ?? [])]
  const parts = [failureReason(described.reason ?? described.status, own?.errors ?? [])]
  const nestedIds = new Set([
    ...(described.reason?.match(NESTED_CHANGE_SET_ARN) ?? []),
    ...described.changes.flatMap((c) =>
      c.ResourceChange?.ChangeSetId ? [c.ResourceChange.ChangeSetId] : [],
    ),
  ])
  if (made.id) nestedIds.delete(made.id)
  for (const id of [...nestedIds].slice(0, MAX_FAILED_NESTED)) {
    const nested = await ctx.api.changeSetStatus(id).catch(() => undefined)
    if (nested?.status !== 'FAILED') continue
    const found = await findingsOf(ctx, id)
    errors.push(...(found?.errors ?? []))
    const name = /:changeSet\/([^/]+)\//.exec(id)?.[1] ?? id
    parts.push(`nested change set ${name}: ${failureReason(nested.reason, found?.errors ?? [])}`)
  }
  return { why: parts.join('; '), errors }
}

/**
 * The early-validation findings of a FAILED change set, from DescribeEvents, its
 * warnings logged; undefined where the API is missing or cannot be read (the
 * status reason says it then).
 */
async function findingsOf(ctx: TargetContext, changeSetId: string): Promise<ValidationFindings | undefined> {
  try {
    const findings = await readValidationFindings(ctx.api, changeSetId)
    if (findings === undefined)
      ctx.log.info('DescribeEvents is not available here: the status reason is all there is.')
    for (const w of findings?.warnings ?? [])
      ctx.log.warning(`Validation warning (WARN mode, not a failure): ${describeValidationError(w)}`)
    return findings
  } catch (error) {
    ctx.log.warning(`Could not read the change set's validation errors: ${describeError(error)}`)
    return undefined
  }
}

/**
 * Deletes a change set this run will not execute and, when its CREATE made the
 * stack, that REVIEW_IN_PROGRESS stack; so a preview leaves nothing behind.
 * Answers whether the stack went with it (then no stack of this target is left to report).
 */
export async function discardChangeSet(
  ctx: TargetContext,
  made: MadeChangeSet,
): Promise<{ stackDeleted: boolean; reviewStackLeft?: string }> {
  if (!made.id) return { stackDeleted: false }
  await ctx.api.deleteChangeSet(made.id)
  if (!made.reviewStackId) return { stackDeleted: false }
  if (ctx.settings.mode === 'plan-only') {
    // The pull-request gate role has no DeleteStack: the empty review stack stays.
    ctx.log.info(reviewStackNote(ctx.settings.stackName, ctx.target.region))
    return { stackDeleted: false, reviewStackLeft: made.reviewStackId }
  }
  return { stackDeleted: await deleteReviewStack(ctx, made.reviewStackId, made.id) }
}

/** What a REVIEW_IN_PROGRESS stack left by a preview or an unapplied plan is, and how it goes. */
export function reviewStackNote(stackName: string, region: string): string {
  return (
    `Left the review stack ${stackName} (REVIEW_IN_PROGRESS, no resources) in ${region}: ` +
    `the next deploy or plan of the stack removes it, or delete it with ` +
    `aws cloudformation delete-stack --stack-name ${stackName} --region ${region}`
  )
}

/** After a failure or cancellation: the change set is deleted, and a failure to delete it only warned. */
export async function discardQuietly(
  ctx: TargetContext,
  made: MadeChangeSet,
): Promise<{ stackDeleted: boolean }> {
  try {
    const outcome = await discardChangeSet(ctx, made)
    if (made.id) ctx.log.info('Deleted the change set that was not executed.')
    return outcome
  } catch (error) {
    ctx.log.warning(`Could not delete change set ${made.id ?? ''}: ${describeError(error)}`)
    return { stackDeleted: false }
  }
}

/**
 * Deletes the REVIEW_IN_PROGRESS stack this run's CREATE change set made, and
 * only that one: read again just before, it must still be REVIEW_IN_PROGRESS,
 * have the StackId our CreateChangeSet returned, and hold no change set but
 * ours. Another run (a concurrent preview, or a deploy about to execute its
 * change set) may have added one since; DeleteStack would take it with it.
 */
async function deleteReviewStack(
  ctx: TargetContext,
  stackId: string,
  ourChangeSetId: string,
): Promise<boolean> {
  const { api, log } = ctx
  const now = await api.describeStack(stackId)
  if (now.status !== 'REVIEW_IN_PROGRESS' || now.stackId !== stackId) {
    log.info(`Left stack ${stackId} in place: it is ${now.status ?? 'gone'} now, no longer only this run's.`)
    return false
  }
  const others: string[] = []
  for (const summary of await api.listChangeSets(stackId)) {
    const sameStack = summary.StackId === undefined || summary.StackId === stackId
    if (sameStack && summary.ChangeSetId !== ourChangeSetId) others.push(summary.ChangeSetName ?? '?')
  }
  if (others.length > 0) {
    log.warning(
      `Left stack ${stackId} in place: it holds change set(s) ${others.join(', ')} that this run did not make.`,
    )
    return false
  }
  await api.deleteStack(stackId)
  return true
}
