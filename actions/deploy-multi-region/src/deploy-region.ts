/** One region's deploy: change set, review, execute, follow the events, report. */
import {
  CancelUpdateStackCommand,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  ListChangeSetsCommand,
  UpdateTerminationProtectionCommand,
  type Change,
  type Parameter,
  type CloudFormationClient,
  type DescribeChangeSetCommandOutput,
} from '@aws-sdk/client-cloudformation'
import { describeError, errorCode, errorMessage } from '../../../lib/aws.js'
import { waitingOn, type RegionLog, type SourceLocation } from '../../../lib/log.js'
import { AbortedError, pollUntil, TimeoutError } from '../../../lib/poll.js'
import { MAX_TEMPLATE_BODY_BYTES, type Settings } from './input-helper.js'
import { staleReason, type PlannedRegion } from './plan-file.js'
import { describeValidationError, readValidationErrors, type ValidationError } from './validation-errors.js'
import { describeDrift, detectDrift, type DriftReport } from './drift.js'
import { blockedChanges, blockedReason, markChanges } from './guard.js'
import { parametersFor } from './parameters.js'
import {
  changeRows,
  changeSetName,
  decideStackAction,
  describeCause,
  describeChange,
  EventTracker,
  executionOutcome,
  failureBehaviour,
  formatEvent,
  isEmptyChangeSet,
  isInProgress,
  nestedEventsOfRun,
  nestedStackOf,
  rootCause,
  type ChangeRow,
  type RegionStatus,
  type StackEventLike,
} from './plan.js'
import { primeEvents, readEvents, readNewEvents, readStack, type StackSnapshot } from './stack.js'
import type { TemplateProvider } from './template.js'
import { logicalIdLine } from '../../../lib/template-location.js'

/** Where an annotation points: the template file, at the failing resource's line when found. */
function templateLocation(settings: Settings, logicalId: string | undefined): SourceLocation | undefined {
  if (settings.template?.kind !== 'file') return undefined
  const line = logicalId ? logicalIdLine(settings.template.body, logicalId) : undefined
  return { file: settings.template.input, ...(line ? { line } : {}) }
}

export interface RegionResult {
  /** The target's account in a run over several accounts; undefined: the job's own. */
  account?: string
  region: string
  status: RegionStatus
  stackId?: string
  outputs: Record<string, string>
  changes: ChangeRow[]
  durationMs: number
  reason?: string
  startedAt?: number
  endedAt?: number
  /** The logical id of the resource whose failure failed the region, when known. */
  failedResource?: string
  /** mode plan: the kept change set and the stack it was planned against, for the plan file. */
  planned?: Omit<PlannedRegion, 'region' | 'templateSha256' | 'changes'>
  /** The stack's drift, detected before planning (`drift` warn or fail). */
  drift?: DriftReport
  /** Why the change set FAILED, per resource and property (DescribeEvents). */
  validationErrors?: ValidationError[]
  /** on-region-failure rollback-all: what was undone in this region after another one failed. */
  rollback?: { action: 'restored' | 'deleted'; outcome: 'done' | 'failed'; reason?: string }
}

/** The stack as it was before this run: what rollback-all restores. */
interface RollbackPoint {
  stackId: string
  templateBody: string
  parameters: Parameter[]
}

export interface RegionContext {
  region: string
  settings: Settings
  cfn: CloudFormationClient
  templates: TemplateProvider
  log: RegionLog
  signal: AbortSignal
  /** Unique to this run: names the change set and makes the client tokens. */
  token: string
  /** The stack as read while planning; read again when older than this allows. */
  initial: StackSnapshot
  /** Tells the caller what the region is doing, for the cancellation report. */
  phase: (text: string) => void
}

/** A region failure with the message users see (AWS's own where there is one). */
export class RegionFailure extends Error {
  constructor(
    message: string,
    readonly stackId?: string,
    readonly logicalId?: string,
  ) {
    super(message)
    this.name = 'RegionFailure'
  }
}

/** Cancelled before anything was changed: the region counts as skipped. */
export class CancelledBeforeChange extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CancelledBeforeChange'
  }
}

const STALE_MS = 10_000
const MAX_WAITS = 5
const MAX_READ_FAILURES = 3
/** Nested stacks followed down when looking for the resource that failed. */
const MAX_NESTING = 3

export class RegionDeployer {
  private readonly events = new EventTracker()
  private readonly started = Date.now()
  private readonly deadline: number | undefined
  private changeSetId: string | undefined
  /** The change set's changes, kept so a region that fails later still reports them. */
  private changes: ChangeRow[] = []
  private eventsWarned = false
  /** rollback-all: the template and parameters the stack had before this run's change set. */
  private rollbackPoint: RollbackPoint | undefined
  /** rollback-all: the stack this run created (deleted if another region fails). */
  private createdStackId: string | undefined
  /** A FAILED change set's validation errors, reported with the region's result. */
  private validationErrors: ValidationError[] | undefined
  /** The drift detected before planning, reported with the region's result. */
  private drift: DriftReport | undefined
  /** mode apply: the stack as verifyPlanned read it. */
  private verified: StackSnapshot | undefined
  /** A REVIEW_IN_PROGRESS stack that this run's CREATE change set made; removed if never executed. */
  private reviewStackId: string | undefined
  /** This run deleted the stack it made for its change set: no stack of this region is left to report. */
  private deletedReviewStack = false

  constructor(private readonly ctx: RegionContext) {
    const minutes = ctx.settings.timeoutMinutes
    this.deadline = minutes === undefined ? undefined : this.started + minutes * 60_000
  }

  private remainingMs(): number | undefined {
    return this.deadline === undefined ? undefined : Math.max(0, this.deadline - Date.now())
  }

  private poll<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
    return pollUntil(check, {
      what,
      initialMs: 200,
      factor: 1.5,
      maxMs: 1000,
      timeoutMs: this.remainingMs(),
      signal: this.ctx.signal,
    })
  }

  private checkCancelled(): void {
    if (this.ctx.signal.aborted) throw new AbortedError()
  }

  /** Runs the region's deploy (or `body`, the execution of a planned change set) and reports it. */
  async run(
    body: () => Promise<Omit<RegionResult, 'region' | 'durationMs'>> = () => this.deploy(),
  ): Promise<RegionResult> {
    const { region } = this.ctx
    try {
      const result = await body()
      return {
        ...result,
        ...(this.drift ? { drift: this.drift } : {}),
        region,
        durationMs: Date.now() - this.started,
        startedAt: this.started,
        endedAt: Date.now(),
      }
    } catch (error) {
      await this.cleanUp()
      const base = {
        region,
        outputs: {},
        changes: this.changes,
        ...(this.drift ? { drift: this.drift } : {}),
        ...(this.validationErrors ? { validationErrors: this.validationErrors } : {}),
        durationMs: Date.now() - this.started,
        startedAt: this.started,
        endedAt: Date.now(),
      }
      if (error instanceof CancelledBeforeChange) {
        this.ctx.log.warning(error.message)
        return { ...base, status: 'skipped', reason: error.message }
      }
      const reason =
        error instanceof AbortedError ? 'cancelled before the change set was executed' : describeError(error)
      if (error instanceof AbortedError) {
        this.ctx.log.warning(`Cancelled: ${reason}; nothing was changed.`)
        return { ...base, status: 'skipped', reason }
      }
      const failedResource = error instanceof RegionFailure ? error.logicalId : undefined
      this.ctx.log.error(reason, 'deploy-multi-region', templateLocation(this.ctx.settings, failedResource))
      const stackId = error instanceof RegionFailure && !this.deletedReviewStack ? error.stackId : undefined
      return { ...base, status: 'failed', reason, stackId, ...(failedResource ? { failedResource } : {}) }
    }
  }

  private async deploy(): Promise<Omit<RegionResult, 'region' | 'durationMs'>> {
    const { ctx } = this
    const { settings, log } = ctx
    let state = ctx.initial
    if (Date.now() - state.readAt > STALE_MS) state = await readStack(ctx.cfn, settings.stackName)
    let waits = 0
    for (;;) {
      const decision = decideStackAction(state.status)
      if (decision.action === 'blocked') throw new RegionFailure(decision.why, state.stackId)
      if (decision.action === 'wait') {
        if (++waits > MAX_WAITS)
          throw new RegionFailure(`stack is still busy (${state.status})`, state.stackId)
        log.info(`Stack is ${state.status}; waiting for that operation to finish before deploying.`)
        ctx.phase(`waiting for ${state.status} to finish`)
        state = await this.waitUntilStable(state)
        continue
      }
      if (decision.action === 'recreate') {
        if (settings.mode === 'plan')
          throw new RegionFailure(
            `${decision.why}; no change set can be planned until it is deleted, which a deploy (or apply) does not do for a plan`,
            state.stackId,
          )
        if (settings.planOnly) {
          log.info('Stack is ROLLBACK_COMPLETE: a deploy would delete it and create it again.')
          return { status: 'planned', stackId: state.stackId, outputs: {}, changes: [], reason: decision.why }
        }
        this.checkCancelled()
        state = await this.deleteFailedStack(state)
        continue
      }
      if (decision.action === 'update') await this.checkDrift(state)
      return this.deployChangeSet(state, decision.action === 'create' ? 'CREATE' : 'UPDATE')
    }
  }

  /**
   * `drift` warn or fail: detects the stack's drift before a change set is planned
   * against it. A drifted stack fails the region with `fail`, before any change set.
   */
  private async checkDrift(state: StackSnapshot): Promise<void> {
    const { settings, log, cfn } = this.ctx
    if (settings.drift === 'off' || !state.stackId) return
    this.ctx.phase('detecting drift')
    let report: DriftReport
    try {
      report = await detectDrift(cfn, state.stackId, (what, check) => this.poll(what, check))
    } catch (error) {
      const why = `drift detection failed: ${describeError(error)}`
      if (settings.drift === 'fail')
        throw new RegionFailure(`${why}; no change set was made (drift: fail)`, state.stackId)
      log.warning(`${why}; planning without it.`)
      return
    }
    this.drift = report
    if (report.detectionStatus === 'DETECTION_FAILED')
      log.warning(
        `Drift detection failed for some resources: ${report.detectionStatusReason ?? 'no reason given'}`,
      )
    if (report.stackDriftStatus !== 'DRIFTED') {
      log.info(`Drift: ${report.stackDriftStatus}.`)
      return
    }
    const lines = report.resources.map(describeDrift)
    const text = `${report.resources.length} resource(s) drifted from the template: ${lines.join(' | ')}`
    if (settings.drift === 'fail')
      throw new RegionFailure(
        `${text}; no change set was made (drift: fail)`,
        state.stackId,
        report.resources[0]?.logicalId,
      )
    log.warning(text)
  }

  /** Waits for another operation on the stack, printing its events, then reads the stack again. */
  private async waitUntilStable(state: StackSnapshot): Promise<StackSnapshot> {
    const id = state.stackId ?? this.ctx.settings.stackName
    await primeEvents(this.ctx.cfn, id, this.events)
    return this.poll(`stack ${this.ctx.settings.stackName} to leave ${state.status}`, async () => {
      const [now] = await Promise.all([readStack(this.ctx.cfn, id), this.printNewEvents(id)])
      return decideStackAction(now.status).action === 'wait' ? undefined : now
    })
  }

  private async deleteFailedStack(state: StackSnapshot): Promise<StackSnapshot> {
    const { cfn, log, token, region } = this.ctx
    const id = state.stackId!
    log.info('Stack is ROLLBACK_COMPLETE (its first create failed): deleting it to create it again.')
    this.ctx.phase('deleting the ROLLBACK_COMPLETE stack')
    await primeEvents(cfn, id, this.events)
    await cfn.send(new DeleteStackCommand({ StackName: id, ClientRequestToken: `${token}-${region}-delete` }))
    const gone = await this.poll(`stack ${id} to be deleted`, async () => {
      const [now] = await Promise.all([readStack(cfn, id), this.printNewEvents(id)])
      return now.status === undefined || now.status === 'DELETE_COMPLETE' || now.status === 'DELETE_FAILED'
        ? now
        : undefined
    })
    if (gone.status === 'DELETE_FAILED')
      throw new RegionFailure(
        `could not delete the failed stack: ${gone.statusReason ?? 'DELETE_FAILED'}`,
        id,
      )
    return { outputs: {}, parameterKeys: [], readAt: Date.now() }
  }

  private async deployChangeSet(
    state: StackSnapshot,
    type: 'CREATE' | 'UPDATE',
  ): Promise<Omit<RegionResult, 'region' | 'durationMs'>> {
    const { ctx } = this
    const { settings, cfn, log, region, token } = ctx
    this.checkCancelled()
    // Events from before this run are not printed again.
    const priming = state.stackId ? primeEvents(cfn, state.stackId, this.events) : Promise.resolve()
    const name = changeSetName(token, region)
    const { onStackFailure } = failureBehaviour(settings.onFailure, type)
    // An update keeps the values of the parameters the inputs leave out.
    const previous =
      type === 'UPDATE' && state.parameterKeys.length > 0
        ? { stackKeys: state.parameterKeys, declared: await ctx.templates.declaredParameters(region, cfn) }
        : undefined
    if (type === 'UPDATE') await this.keepRollbackPoint(state)
    ctx.phase(`creating change set ${name}`)
    const request = new CreateChangeSetCommand({
      StackName: settings.stackName,
      ChangeSetName: name,
      ChangeSetType: type,
      // The same token on an SDK retry lets CloudFormation answer the first call instead of failing.
      ClientToken: `${token}-${region}`,
      Description: `deploy-multi-region ${token}`,
      ...(await ctx.templates.forRegion(region)),
      Parameters: parametersFor(region, settings.parameters, settings.regionParameters, previous),
      Capabilities: settings.capabilities.length ? settings.capabilities : undefined,
      RoleARN: settings.roleArn,
      NotificationARNs: settings.notificationArns.length ? settings.notificationArns : undefined,
      Tags: settings.tags.length ? settings.tags : undefined,
      OnStackFailure: settings.planOnly ? undefined : onStackFailure,
      // "Indicates if the change set auto-imports resources that already exist": named resources
      // with DeletionPolicy Retain that no stack owns are taken over instead of failing the create.
      ImportExistingResources: type === 'CREATE' && settings.importExistingResources ? true : undefined,
      // Nested stacks get change sets of their own, so their changes are seen (and guarded) too.
      IncludeNestedStacks: true,
    })
    const created = await cfn.send(request).catch(async (error: unknown) => {
      // An update with nothing to change answered as an error rather than a FAILED change set
      // (as moto does when every parameter resolves to the stack's value): nothing was made.
      const noUpdates =
        type === 'UPDATE' &&
        errorCode(error) === 'ValidationError' &&
        isEmptyChangeSet('FAILED', errorMessage(error))
      if (noUpdates) return { Id: undefined, StackId: state.stackId, empty: true as const }
      // The name is unique to this run and region, so an existing change set by that name is
      // this run's own, made by an attempt whose reply was lost: carry on with it.
      if (errorCode(error) !== 'AlreadyExistsException') throw error
      const existing = await cfn.send(
        new DescribeChangeSetCommand({ StackName: settings.stackName, ChangeSetName: name }),
      )
      log.info(`Change set ${name} already exists (an earlier attempt of the call went through).`)
      return { Id: existing.ChangeSetId, StackId: existing.StackId }
    })
    this.changeSetId = created.Id
    const stackId = created.StackId ?? state.stackId
    if (type === 'CREATE' && state.status !== 'REVIEW_IN_PROGRESS') this.reviewStackId = created.StackId
    log.info(`Change set ${name} (${type}) created.`)
    await priming

    ctx.phase(`waiting for change set ${name}`)
    const described =
      'empty' in created
        ? { status: 'FAILED', reason: 'No updates are to be performed.', changes: [] }
        : await this.waitForChangeSet(created.Id!)
    if (isEmptyChangeSet(described.status, described.reason)) {
      log.info('No changes: the stack already matches the template and parameters.')
      await this.deleteChangeSet()
      const outputs = state.outputs
      if (settings.mode === 'plan') {
        const planned = {
          changeSetId: null,
          changeSetType: null,
          stackId: stackId ?? null,
          lastUpdatedTime: state.lastUpdatedTime ?? null,
        }
        return { status: 'planned', stackId, outputs, changes: [], planned }
      }
      await this.applyTerminationProtection(state)
      return { status: settings.planOnly ? 'planned' : 'unchanged', stackId, outputs, changes: [] }
    }
    if (described.status !== 'CREATE_COMPLETE') {
      const errors = await this.readValidationErrors(created.Id!)
      const why = errors?.length
        ? `${errors.length} validation error(s): ${errors.map(describeValidationError).join('; ')}`
        : (described.reason ?? described.status)
      throw new RegionFailure(
        `change set ${name} failed: ${why}`,
        stackId,
        errors?.find((e) => e.resource)?.resource,
      )
    }
    const changes = markChanges(
      await this.withNestedChanges(described.changes),
      settings.statefulTypes,
      settings.allowReplacement,
    )
    this.changes = changes
    log.info(`${changes.length} resource change(s):`)
    for (const c of changes) log.info(`  ${describeChange(c)}`)
    const blocked = blockedChanges(changes)
    // Refused before ExecuteChangeSet, in every mode; the change set is deleted on the way out.
    if (blocked.length > 0) throw new RegionFailure(blockedReason(blocked), stackId, blocked[0]!.logicalId)

    if (settings.planOnly) {
      await this.deleteChangeSet()
      return { status: 'planned', stackId: type === 'CREATE' ? undefined : stackId, outputs: {}, changes }
    }
    if (settings.mode === 'plan') {
      // Kept for apply: neither the change set nor the stack holding it is this run's to clean up now.
      const planned = {
        changeSetId: created.Id!,
        changeSetType: type,
        stackId: stackId!,
        lastUpdatedTime: state.lastUpdatedTime ?? null,
      }
      this.changeSetId = undefined
      this.reviewStackId = undefined
      log.info(`Change set ${name} kept for apply: ${created.Id}`)
      return {
        status: 'planned',
        stackId: type === 'CREATE' ? undefined : stackId,
        outputs: {},
        changes,
        planned,
      }
    }
    return this.executeChangeSet(created.Id!, stackId!, type, changes)
  }

  /**
   * rollback-all: the stack's template (GetTemplate, TemplateStage Original: as
   * submitted, before transforms) and parameters (DescribeStacks) before this
   * run changes it. A NoEcho parameter is answered masked ("*****"): it is restored
   * with UsePreviousValue, so a NoEcho value this run changed stays changed.
   */
  private async keepRollbackPoint(state: StackSnapshot): Promise<void> {
    if (this.ctx.settings.onRegionFailure !== 'rollback-all' || !state.stackId) return
    const answer = await this.ctx.cfn.send(
      new GetTemplateCommand({ StackName: state.stackId, TemplateStage: 'Original' }),
    )
    const stack = await readStack(this.ctx.cfn, state.stackId)
    this.rollbackPoint = {
      stackId: state.stackId,
      templateBody: answer.TemplateBody ?? '',
      parameters: Object.entries(stack.parameterValues ?? {}).map(([ParameterKey, value]) =>
        // "the parameter value is masked with asterisks (*****)": such a value cannot be sent back.
        /^\*+$/.test(value)
          ? { ParameterKey, UsePreviousValue: true }
          : { ParameterKey, ParameterValue: value },
      ),
    }
  }

  /** Whether this run changed the stack (so rollback-all has something to undo). */
  changedStack(): boolean {
    return this.createdStackId !== undefined || this.rollbackPoint !== undefined
  }

  /**
   * rollback-all, after another region failed: deletes the stack this run
   * created, or updates the stack back to the template and parameters it had.
   */
  async rollBack(): Promise<NonNullable<RegionResult['rollback']>> {
    const { cfn, log, token, region, settings } = this.ctx
    const untilStable = (id: string, what: string) =>
      pollUntil(
        async () => {
          const now = await readStack(cfn, id)
          return isInProgress(now.status) ? undefined : now
        },
        { what, initialMs: 200, factor: 1.5, maxMs: 2000 },
      )
    if (this.createdStackId) {
      const id = this.createdStackId
      try {
        log.info(`Rolling back: deleting stack ${id}, which this run created.`)
        await cfn.send(
          new DeleteStackCommand({ StackName: id, ClientRequestToken: `${token}-${region}-rollback` }),
        )
        const gone = await untilStable(id, `stack ${id} to be deleted`)
        if (gone.status !== undefined && gone.status !== 'DELETE_COMPLETE')
          return { action: 'deleted', outcome: 'failed', reason: `the stack is ${gone.status}` }
        return { action: 'deleted', outcome: 'done' }
      } catch (error) {
        return { action: 'deleted', outcome: 'failed', reason: describeError(error) }
      }
    }
    const point = this.rollbackPoint!
    try {
      if (Buffer.byteLength(point.templateBody) > MAX_TEMPLATE_BODY_BYTES)
        throw new Error(
          `the earlier template is over ${MAX_TEMPLATE_BODY_BYTES} bytes; restore it from S3 by hand`,
        )
      log.info('Rolling back: updating the stack to the template and parameters it had before this run.')
      // By name, as every change set of this action is made (moto finds no stack by id here); the
      // id is checked first so a stack replaced meanwhile is not "rolled back" to another's template.
      const current = await readStack(cfn, settings.stackName)
      if (current.stackId !== point.stackId)
        throw new Error(`stack ${settings.stackName} is no longer ${point.stackId}`)
      const created = await cfn.send(
        new CreateChangeSetCommand({
          StackName: settings.stackName,
          ChangeSetName: `${changeSetName(token, region).slice(0, 118)}-rollback`,
          ChangeSetType: 'UPDATE',
          ClientToken: `${token}-${region}-rollback`,
          Description: `deploy-multi-region ${token} rollback-all`,
          TemplateBody: point.templateBody,
          Parameters: point.parameters,
          Capabilities: settings.capabilities.length ? settings.capabilities : undefined,
          RoleARN: settings.roleArn,
          Tags: settings.tags.length ? settings.tags : undefined,
          IncludeNestedStacks: true,
        }),
      )
      const described = await this.waitForChangeSet(created.Id!)
      if (isEmptyChangeSet(described.status, described.reason)) return { action: 'restored', outcome: 'done' }
      if (described.status !== 'CREATE_COMPLETE')
        throw new Error(`rollback change set failed: ${described.reason ?? described.status}`)
      await cfn.send(
        new ExecuteChangeSetCommand({
          ChangeSetName: created.Id,
          ClientRequestToken: `${token}-${region}-rollback-execute`,
        }),
      )
      const final = await untilStable(point.stackId, `stack ${point.stackId} to roll back`)
      if (executionOutcome(final.status) !== 'success')
        return { action: 'restored', outcome: 'failed', reason: `the stack is ${final.status ?? 'gone'}` }
      return { action: 'restored', outcome: 'done' }
    } catch (error) {
      return { action: 'restored', outcome: 'failed', reason: describeError(error) }
    }
  }

  /**
   * The change rows of a change set and of its nested stacks' change sets: a
   * nested stack's ResourceChange carries "The change set ID of the nested change
   * set", whose changes are listed under the nested stack's logical id.
   */
  private async withNestedChanges(changes: readonly Change[], path: string[] = []): Promise<ChangeRow[]> {
    const rows: ChangeRow[] = []
    for (const change of changes) {
      const [row] = changeRows([change])
      if (!row) continue
      rows.push(path.length > 0 ? { ...row, nestedPath: path } : row)
      const nested = change.ResourceChange?.ChangeSetId
      if (!nested || row.type !== 'AWS::CloudFormation::Stack' || path.length >= MAX_NESTING) continue
      const described = await this.waitForChangeSet(nested)
      rows.push(...(await this.withNestedChanges(described.changes, [...path, row.logicalId])))
    }
    return rows
  }

  /**
   * The early-validation errors of a FAILED change set, from DescribeEvents;
   * undefined where the API is missing or cannot be read (the status reason says it then).
   */
  private async readValidationErrors(changeSetId: string): Promise<ValidationError[] | undefined> {
    try {
      const errors = await readValidationErrors(this.ctx.cfn, changeSetId)
      if (errors === undefined)
        this.ctx.log.info('DescribeEvents is not available here: the status reason is all there is.')
      if (errors?.length) this.validationErrors = errors
      return errors
    } catch (error) {
      this.ctx.log.warning(`Could not read the change set's validation errors: ${describeError(error)}`)
      return undefined
    }
  }

  /**
   * mode apply, before any region executes: the stack and the planned change set
   * as they are now. Gives why the region must not run, or the change set's
   * changes (with the guard's marks) when it is exactly as planned.
   */
  async verifyPlanned(
    planned: PlannedRegion,
    workspaceSha256: string,
  ): Promise<{ refused?: string; changes: ChangeRow[] }> {
    const { cfn, settings } = this.ctx
    const stack = await readStack(cfn, settings.stackName)
    this.verified = stack
    let changeSet: { status?: string; executionStatus?: string } | undefined
    let changes: ChangeRow[] = planned.changes
    if (planned.changeSetId) {
      try {
        const described = await this.waitForChangeSet(planned.changeSetId)
        changeSet = { status: described.status, executionStatus: described.executionStatus }
        changes = markChanges(
          await this.withNestedChanges(described.changes),
          settings.statefulTypes,
          settings.allowReplacement,
        )
      } catch (error) {
        if (!/ChangeSetNotFound/.test(errorCode(error))) throw error
      }
    }
    this.changes = changes
    const stale = staleReason(
      planned,
      {
        stackId: stack.stackId,
        stackStatus: stack.status,
        lastUpdatedTime: stack.lastUpdatedTime,
        changeSet,
      },
      workspaceSha256,
    )
    if (stale) return { refused: `the plan is stale: ${stale}; nothing was executed. Plan again.`, changes }
    const blocked = blockedChanges(changes)
    if (blocked.length > 0) return { refused: blockedReason(blocked), changes }
    return { changes }
  }

  /** mode apply: executes the planned change set that verifyPlanned found as planned. */
  async applyPlanned(planned: PlannedRegion): Promise<Omit<RegionResult, 'region' | 'durationMs'>> {
    const state = this.verified ?? (await readStack(this.ctx.cfn, this.ctx.settings.stackName))
    if (!planned.changeSetId) {
      this.ctx.log.info(
        'Nothing to change in this region (so the plan says, and the stack has not changed since).',
      )
      await this.applyTerminationProtection(state)
      return { status: 'unchanged', stackId: state.stackId, outputs: state.outputs, changes: [] }
    }
    this.checkCancelled()
    if (planned.changeSetType === 'UPDATE') await this.keepRollbackPoint(state)
    await primeEvents(this.ctx.cfn, planned.stackId!, this.events)
    return this.executeChangeSet(planned.changeSetId, planned.stackId!, planned.changeSetType!, this.changes)
  }

  private async executeChangeSet(
    changeSetId: string,
    stackId: string,
    type: 'CREATE' | 'UPDATE',
    changes: ChangeRow[],
  ): Promise<Omit<RegionResult, 'region' | 'durationMs'>> {
    const { ctx } = this
    const { settings, cfn, log, region, token } = ctx
    // A planned change set carries the plan run's name: its ARN says it (arn:...:changeSet/<name>/<id>).
    const name = /:changeSet\/([^/]+)\//.exec(changeSetId)?.[1] ?? changeSetName(token, region)
    const { disableRollback } = failureBehaviour(settings.onFailure, type)
    if (this.ctx.signal.aborted)
      throw new CancelledBeforeChange('cancelled before the change set was executed; nothing was changed')

    ctx.phase(`executing change set ${name}`)
    // Events read from here on are this run's: an earlier operation waited out is no root cause.
    const executedFrom = this.events.events.length
    try {
      await cfn.send(
        new ExecuteChangeSetCommand({
          ChangeSetName: changeSetId,
          ClientRequestToken: `${token}-${region}-execute`,
          DisableRollback: disableRollback,
        }),
      )
    } catch (error) {
      // A lost reply whose retry met the first call's effect: the change set is already executing.
      if (!(await this.alreadyExecuting(changeSetId))) {
        throw new RegionFailure(`ExecuteChangeSet failed: ${describeError(error)}`, stackId)
      }
      log.info('The change set is already executing (an earlier attempt of the call went through).')
    }
    // Executed: the change set belongs to the stack's history now, and the stack is ours to follow.
    this.changeSetId = undefined
    this.reviewStackId = undefined
    log.info(`Change set executed; following the stack's events.`)
    ctx.phase(`applying change set ${name}`)
    if (type === 'CREATE') this.createdStackId = stackId
    const final = await this.followExecution(stackId!, executedFrom)
    await this.applyTerminationProtection(final)
    return {
      status: type === 'CREATE' ? 'created' : 'updated',
      stackId: final.stackId ?? stackId,
      outputs: final.outputs,
      changes,
    }
  }

  private async waitForChangeSet(
    id: string,
  ): Promise<{ status?: string; executionStatus?: string; reason?: string; changes: Change[] }> {
    const first = await this.poll(`change set ${id}`, async () => {
      const answer = await this.ctx.cfn.send(new DescribeChangeSetCommand({ ChangeSetName: id }))
      return answer.Status === 'CREATE_COMPLETE' ||
        answer.Status === 'FAILED' ||
        answer.Status === 'DELETE_FAILED'
        ? answer
        : undefined
    })
    const changes = [...(first.Changes ?? [])]
    let next: DescribeChangeSetCommandOutput = first
    while (next.NextToken) {
      next = await this.ctx.cfn.send(
        new DescribeChangeSetCommand({ ChangeSetName: id, NextToken: next.NextToken }),
      )
      changes.push(...(next.Changes ?? []))
    }
    return {
      status: first.Status,
      executionStatus: first.ExecutionStatus,
      reason: first.StatusReason,
      changes,
    }
  }

  private async alreadyExecuting(id: string): Promise<boolean> {
    try {
      const answer = await this.ctx.cfn.send(new DescribeChangeSetCommand({ ChangeSetName: id }))
      return ['EXECUTE_IN_PROGRESS', 'EXECUTE_COMPLETE', 'EXECUTE_FAILED'].includes(
        answer.ExecutionStatus ?? '',
      )
    } catch {
      return false
    }
  }

  /** Events are for people: a failed read is reported once and does not fail the deploy. */
  private async printNewEvents(stack: string): Promise<void> {
    try {
      for (const e of await readNewEvents(this.ctx.cfn, stack, this.events)) this.ctx.log.info(formatEvent(e))
    } catch (error) {
      if (!this.eventsWarned) this.ctx.log.warning(`Could not read stack events: ${describeError(error)}`)
      this.eventsWarned = true
    }
  }

  /**
   * A poll check that survives a few failed reads in a row (errors the SDK's own
   * retries did not get past), so a burst of throttling does not fail a deploy
   * that is going well.
   */
  private tolerant<T>(check: () => Promise<T | undefined>): () => Promise<T | undefined> {
    let failures = 0
    return async () => {
      try {
        const value = await check()
        failures = 0
        return value
      } catch (error) {
        if (++failures > MAX_READ_FAILURES) throw error
        this.ctx.log.warning(`Reading the stack failed (${describeError(error)}); trying again.`)
        return undefined
      }
    }
  }

  private async followExecution(stackId: string, executedFrom: number): Promise<StackSnapshot> {
    const { cfn, log, settings } = this.ctx
    let last: StackSnapshot | undefined
    try {
      last = await this.poll(
        `stack ${settings.stackName}`,
        this.tolerant(async () => {
          const [now] = await Promise.all([readStack(cfn, stackId), this.printNewEvents(stackId)])
          last = now
          log.activity(now.status ?? 'in progress', waitingOn(this.events.events, settings.stackName))
          return executionOutcome(now.status) === 'in-progress' ? undefined : now
        }),
      )
    } catch (error) {
      if (error instanceof AbortedError) {
        const message = `cancelled while the stack was ${last?.status ?? 'being deployed'}; CloudFormation carries on with it`
        log.warning(message)
        throw new RegionFailure(message, stackId)
      }
      if (error instanceof TimeoutError) throw await this.timedOut(stackId, last)
      throw error
    }
    if (executionOutcome(last.status) === 'failure') {
      const cause = await this.explainFailure(stackId, executedFrom)
      const why = cause?.text ?? last.statusReason
      throw new RegionFailure(`stack ${last.status}${why ? `: ${why}` : ''}`, stackId, cause?.logicalId)
    }
    return last
  }

  /**
   * The failed resource of this run's execution and CloudFormation's reason; for
   * a nested stack ("Embedded stack ... was not successfully created"), the
   * nested stack's own failed resource, read from its events.
   */
  private async explainFailure(
    stackId: string,
    executedFrom: number,
  ): Promise<{ text: string; logicalId: string | undefined } | undefined> {
    const operation = `${this.ctx.token}-${this.ctx.region}-execute`
    let events: StackEventLike[] = this.events.events.slice(executedFrom)
    let cause = rootCause(events, operation)
    if (!cause) return undefined
    const path: string[] = []
    for (let depth = 0; depth < MAX_NESTING; depth++) {
      const nested = nestedStackOf(cause, stackId)
      if (!nested) break
      let nestedEvents: StackEventLike[]
      try {
        nestedEvents = nestedEventsOfRun(
          await readEvents(this.ctx.cfn, nested),
          events,
          cause.LogicalResourceId!,
        )
      } catch (error) {
        this.ctx.log.warning(`Could not read the events of nested stack ${nested}: ${describeError(error)}`)
        break
      }
      const inner = rootCause(nestedEvents)
      if (!inner) break
      path.push(cause.LogicalResourceId!)
      events = nestedEvents
      stackId = nested
      cause = inner
    }
    // The template's own resource (the outermost nested stack) is where an annotation points.
    return { text: describeCause(path, cause), logicalId: path[0] ?? cause.LogicalResourceId }
  }

  /** timeout-minutes passed while the stack was changing: cancel an update (it rolls back). */
  private async timedOut(stackId: string, last: StackSnapshot | undefined): Promise<RegionFailure> {
    const minutes = this.ctx.settings.timeoutMinutes
    const status = last?.status ?? 'unknown'
    if (status === 'UPDATE_IN_PROGRESS') {
      try {
        await this.ctx.cfn.send(
          new CancelUpdateStackCommand({
            StackName: stackId,
            ClientRequestToken: `${this.ctx.token}-${this.ctx.region}-cancel`,
          }),
        )
        return new RegionFailure(
          `timed out after ${minutes} minute(s); the update was cancelled and rolls back`,
          stackId,
        )
      } catch (error) {
        return new RegionFailure(
          `timed out after ${minutes} minute(s) while UPDATE_IN_PROGRESS; cancelling failed: ${describeError(error)}`,
          stackId,
        )
      }
    }
    return new RegionFailure(`timed out after ${minutes} minute(s) while the stack was ${status}`, stackId)
  }

  /** Enables or disables termination protection when the input asks for a value the stack lacks. */
  private async applyTerminationProtection(state: StackSnapshot): Promise<void> {
    const wanted = this.ctx.settings.terminationProtection
    if (wanted === undefined || this.ctx.settings.planOnly || !state.stackId) return
    if (state.terminationProtection === wanted) return
    try {
      await this.ctx.cfn.send(
        new UpdateTerminationProtectionCommand({
          StackName: state.stackId,
          EnableTerminationProtection: wanted,
        }),
      )
      this.ctx.log.info(`Termination protection ${wanted ? 'enabled' : 'disabled'}.`)
    } catch (error) {
      this.ctx.log.warning(
        `Could not ${wanted ? 'enable' : 'disable'} termination protection: ${describeError(error)}`,
      )
    }
  }

  private async deleteChangeSet(): Promise<void> {
    const id = this.changeSetId
    if (!id) return
    this.changeSetId = undefined
    try {
      await this.ctx.cfn.send(new DeleteChangeSetCommand({ ChangeSetName: id }))
    } catch (error) {
      // Already gone: a retried delete whose first attempt went through.
      if (!/ChangeSetNotFound/.test(errorCode(error))) throw error
    }
    // A stack that only existed to hold this change set goes with it, so a preview leaves nothing behind.
    const review = this.reviewStackId
    if (review) {
      this.reviewStackId = undefined
      await this.deleteReviewStack(review, id)
    }
  }

  /**
   * Deletes the REVIEW_IN_PROGRESS stack this run's CREATE change set made, and
   * only that one: read again just before, it must still be REVIEW_IN_PROGRESS,
   * have the StackId our CreateChangeSet returned, and hold no change set but
   * ours. Another run (a concurrent preview, or a deploy about to execute its
   * change set) may have added one since; DeleteStack would take it with it.
   */
  private async deleteReviewStack(stackId: string, ourChangeSetId: string): Promise<void> {
    const { cfn, log } = this.ctx
    const now = await readStack(cfn, stackId)
    if (now.status !== 'REVIEW_IN_PROGRESS' || now.stackId !== stackId) {
      log.info(
        `Left stack ${stackId} in place: it is ${now.status ?? 'gone'} now, no longer only this run's.`,
      )
      return
    }
    const others: string[] = []
    let token: string | undefined
    do {
      const page = await cfn.send(new ListChangeSetsCommand({ StackName: stackId, NextToken: token }))
      for (const summary of page.Summaries ?? []) {
        const sameStack = summary.StackId === undefined || summary.StackId === stackId
        if (sameStack && summary.ChangeSetId !== ourChangeSetId) others.push(summary.ChangeSetName ?? '?')
      }
      token = page.NextToken
    } while (token)
    if (others.length > 0) {
      log.warning(
        `Left stack ${stackId} in place: it holds change set(s) ${others.join(', ')} that this run did not make.`,
      )
      return
    }
    await cfn.send(new DeleteStackCommand({ StackName: stackId }))
    this.deletedReviewStack = true
  }

  /** After a failure or cancellation: no change set of this run is left behind. */
  private async cleanUp(): Promise<void> {
    if (!this.changeSetId) return
    try {
      await this.deleteChangeSet()
      this.ctx.log.info('Deleted the change set that was not executed.')
    } catch (error) {
      this.ctx.log.warning(`Could not delete change set ${this.changeSetId ?? ''}: ${describeError(error)}`)
    }
  }
}
