/**
 * The CloudFormation gateway of deploy-multi-region: every request the action
 * makes, one method per API verb, and nothing else builds one. The client
 * request tokens are made here (`requestTokens`), and so are the recoveries
 * from a lost reply whose retry meets the first call's effect (AlreadyExists,
 * an execute already under way, a change set already deleted).
 *
 * Where moto answers otherwise than AWS, the method says so and why it is
 * written the way it is:
 * - an UPDATE with nothing to change: AWS makes a FAILED change set ("The
 *   submitted information didn't contain changes"); moto answers CreateChangeSet
 *   with a ValidationError "No updates are to be performed". Both mean empty.
 * - a change set for the rollback of an update is made by stack *name*: moto finds
 *   no stack by id there (AWS accepts either).
 * - DescribeEvents (change set validation errors) is missing from moto and older
 *   partitions, DetectStackDrift from moto: a non-AWS answer is said at once
 *   instead of retried.
 */
import {
  CancelUpdateStackCommand,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackDriftDetectionStatusCommand,
  DescribeStacksCommand,
  DetectStackDriftCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  GetTemplateSummaryCommand,
  UpdateTerminationProtectionCommand,
  paginateDescribeChangeSet,
  paginateDescribeEvents,
  paginateDescribeStackEvents,
  paginateDescribeStackResourceDrifts,
  paginateListChangeSets,
  type Change,
  type ChangeSetSummary,
  type CloudFormationClient,
  type CreateChangeSetCommandInput,
  type OperationEvent,
  type Stack,
  type StackResourceDrift,
} from '@aws-sdk/client-cloudformation'
import { errorCode, errorMessage } from '../../../lib/aws.js'
import { isNonAwsAnswer } from '../../../lib/call-errors.js'
import type { StackEventLike, StackSnapshot } from './model.js'
import { changeSetName, isEmptyChangeSet, type EventTracker } from './plan.js'

/**
 * The names and client request tokens of one run in one target, all built here.
 * The run token is unique to the run and attempt, so a retried call carries the
 * same token and CloudFormation answers the first call instead of failing; and
 * "All events triggered by a given stack operation are assigned the same client
 * request token", which is how a failure's own events are told from others'.
 */
export function requestTokens(runToken: string, region: string, options: { gate?: boolean } = {}) {
  const base = `${runToken}-${region}`
  const name = `${options.gate ? GATE_PREFIX : ''}${changeSetName(runToken, region)}`.slice(0, 128)
  return {
    changeSetName: name,
    createChangeSet: base,
    execute: `${base}-execute`,
    deleteFailedStack: `${base}-delete`,
    cancelUpdate: `${base}-cancel`,
    rollbackChangeSetName: `${name.slice(0, 118)}-rollback`,
    rollbackChangeSet: `${base}-rollback`,
    rollbackDelete: `${base}-rollback`,
    rollbackExecute: `${base}-rollback-execute`,
  }
}

export type RequestTokens = ReturnType<typeof requestTokens>

/**
 * The prefix of the change sets a `mode: plan-only` run makes. The pull-request
 * gate role may create, describe and delete only change sets so named
 * (`cloudformation:ChangeSetName` in templates/github-oidc-role.yaml), so a pull
 * request cannot touch the change sets a reviewed plan waits on.
 */
export const GATE_PREFIX = 'gate-'

/**
 * Whether a change set name is one this toolkit gives (`changeSetName`, from a run
 * token `deploy-…`) for a target in `region`, and, unless `gate` allows it, not a
 * pull-request gate's.
 */
export function isToolkitChangeSetName(name: string, region: string, gate = false): boolean {
  const own = name.startsWith(GATE_PREFIX) ? name.slice(GATE_PREFIX.length) : name
  if (own !== name && !gate) return false
  return /^deploy-[-A-Za-z0-9]+$/.test(own) && own.endsWith(`-${region}`)
}

/** The region, account and name an ARN of a change set (or stack) gives: arn:aws:cloudformation:<region>:<account>:changeSet/<name>/<id>. */
export function arnParts(arn: string): { region: string; account: string; name: string } | undefined {
  const m = /^arn:[^:]+:cloudformation:([^:]+):(\d{12}):(?:changeSet|stack)\/([^/]+)\//.exec(arn)
  return m ? { region: m[1]!, account: m[2]!, name: m[3]! } : undefined
}

export function isMissingStack(error: unknown): boolean {
  return errorCode(error) === 'ValidationError' && /does not exist/i.test(errorMessage(error))
}

/** A stack as DescribeStacks answers it, in the shape the phases read; none: an empty snapshot. */
export function snapshotOf(stack: Stack | undefined): StackSnapshot {
  if (!stack) return { outputs: {}, parameterKeys: [], readAt: Date.now() }
  const outputs: Record<string, string> = {}
  for (const o of stack.Outputs ?? []) if (o.OutputKey) outputs[o.OutputKey] = o.OutputValue ?? ''
  return {
    status: stack.StackStatus,
    stackId: stack.StackId,
    statusReason: stack.StackStatusReason,
    outputs,
    parameterKeys: (stack.Parameters ?? []).flatMap((p) => (p.ParameterKey ? [p.ParameterKey] : [])),
    parameterValues: Object.fromEntries(
      (stack.Parameters ?? []).flatMap((p) =>
        p.ParameterKey ? [[p.ParameterKey, p.ParameterValue ?? '']] : [],
      ),
    ),
    terminationProtection: stack.EnableTerminationProtection,
    ...(stack.LastUpdatedTime ? { lastUpdatedTime: stack.LastUpdatedTime.toISOString() } : {}),
    readAt: Date.now(),
  }
}

function isChangeSetNotFound(error: unknown): boolean {
  return /ChangeSetNotFound/.test(errorCode(error))
}

/** Pages of stack events read at most per call; a page holds 100 events, newest first. */
const MAX_EVENT_PAGES = 5
/** Pages of validation errors read at most: a change set with more is summarised. */
const MAX_VALIDATION_PAGES = 5

/** A change set as DescribeChangeSet answers it, every page of its changes joined. */
export interface DescribedChangeSet {
  name?: string
  status?: string
  executionStatus?: string
  reason?: string
  stackId?: string
  changes: Change[]
}

/** What CreateChangeSet made: `empty` when the update has nothing to change (no change set exists). */
export interface CreatedChangeSet {
  id?: string
  stackId?: string
  empty?: true
  /** An earlier attempt of the same call had made it (its reply was lost). */
  existing?: true
}

/**
 * An endpoint without an operation (DescribeEvents in an older partition, drift
 * detection or DescribeEvents on a local emulator) answers like this.
 */
export class OperationUnavailable extends Error {
  /** What to print: the message itself is rewritten by the client's naming of unclear errors. */
  readonly said: string
  constructor(message: string) {
    super(message)
    this.name = 'OperationUnavailable'
    this.said = message
  }
}

/**
 * A non-AWS answer (an HTML 500 page, a 404) to an operation the endpoint lacks,
 * or its InvalidAction / UnknownOperationException, is said at once, as an
 * error without an HTTP status, so the SDK does not spend its retries (8
 * attempts, seconds of back-off) on an answer that will not change.
 */
function answerOnce(operation: string) {
  return {
    applyToStack(stack: { add(m: unknown, o: object): void }) {
      stack.add(
        (next: (a: unknown) => Promise<unknown>) => async (args: unknown) => {
          try {
            return await next(args)
          } catch (error) {
            if (
              isNonAwsAnswer(error) ||
              errorCode(error) === 'InvalidAction' ||
              errorCode(error) === 'UnknownOperationException'
            )
              throw new OperationUnavailable(
                `${operation} is not available here (${(error as Error).message.split('\n')[0]})`,
              )
            throw error
          }
        },
        { step: 'deserialize', priority: 'high', name: `${operation}AnswerOnce` },
      )
    },
  }
}

export class CloudFormationApi {
  constructor(readonly client: CloudFormationClient) {}

  /** The stack by name or id; a stack that does not exist gives an empty snapshot. */
  async describeStack(stack: string): Promise<StackSnapshot> {
    try {
      const answer = await this.client.send(new DescribeStacksCommand({ StackName: stack }))
      return snapshotOf(answer.Stacks?.[0])
    } catch (error) {
      if (isMissingStack(error)) return snapshotOf(undefined)
      throw error
    }
  }

  /** What rollback-all restores beyond template and parameters: the stack's tags and capabilities, as DescribeStacks gives them. */
  async stackRestoreState(stack: string): Promise<Pick<Stack, 'Tags' | 'Capabilities' | 'Parameters'>> {
    const answer = await this.client.send(new DescribeStacksCommand({ StackName: stack }))
    const found = answer.Stacks?.[0]
    return {
      Tags: found?.Tags ?? [],
      Capabilities: found?.Capabilities ?? [],
      Parameters: found?.Parameters ?? [],
    }
  }

  /**
   * The stack's events not seen before, oldest first. Pages stop at the first
   * event already seen, so a poll usually costs one call.
   */
  async readNewEvents(stack: string, tracker: EventTracker): Promise<StackEventLike[]> {
    const collected: StackEventLike[] = []
    let pages = 0
    for await (const page of paginateDescribeStackEvents({ client: this.client }, { StackName: stack })) {
      const events = page.StackEvents ?? []
      collected.push(...events)
      if (++pages >= MAX_EVENT_PAGES || events.some((e) => e.EventId && tracker.has(e.EventId))) break
    }
    return tracker.add(collected)
  }

  /** A stack's events, oldest first (at most MAX_EVENT_PAGES pages, the newest ones). */
  async readEvents(stack: string): Promise<StackEventLike[]> {
    const collected: StackEventLike[] = []
    let pages = 0
    for await (const page of paginateDescribeStackEvents({ client: this.client }, { StackName: stack })) {
      collected.push(...(page.StackEvents ?? []))
      if (++pages >= MAX_EVENT_PAGES) break
    }
    return collected.reverse()
  }

  /** Every event id currently listed, to mark the history before this run as seen. */
  async primeEvents(stack: string, tracker: EventTracker): Promise<void> {
    try {
      for await (const page of paginateDescribeStackEvents({ client: this.client }, { StackName: stack })) {
        tracker.prime(page.StackEvents ?? [])
        break
      }
    } catch (error) {
      if (!isMissingStack(error)) throw error
    }
  }

  /**
   * CreateChangeSet. The name is unique to the run and target, so an existing
   * change set by that name (AlreadyExistsException) is this run's own, made by an
   * attempt whose reply was lost: it is described and carried on with.
   */
  async createChangeSet(
    request: CreateChangeSetCommandInput & { StackName: string; ChangeSetName: string },
  ): Promise<CreatedChangeSet> {
    try {
      const created = await this.client.send(new CreateChangeSetCommand(request))
      return { id: created.Id, stackId: created.StackId }
    } catch (error) {
      // moto answers an update with nothing to change this way (AWS makes a FAILED change set).
      const noUpdates =
        request.ChangeSetType === 'UPDATE' &&
        errorCode(error) === 'ValidationError' &&
        isEmptyChangeSet('FAILED', errorMessage(error))
      if (noUpdates) return { empty: true }
      if (errorCode(error) !== 'AlreadyExistsException') throw error
      const existing = await this.client.send(
        new DescribeChangeSetCommand({ StackName: request.StackName, ChangeSetName: request.ChangeSetName }),
      )
      return { id: existing.ChangeSetId, stackId: existing.StackId, existing: true }
    }
  }

  /** One DescribeChangeSet (the first page): enough to see its status while waiting. */
  async changeSetStatus(id: string): Promise<Omit<DescribedChangeSet, 'changes'>> {
    const answer = await this.client.send(new DescribeChangeSetCommand({ ChangeSetName: id }))
    return {
      status: answer.Status,
      executionStatus: answer.ExecutionStatus,
      reason: answer.StatusReason,
      stackId: answer.StackId,
    }
  }

  /** DescribeChangeSet, every page of its changes. */
  async describeChangeSet(id: string): Promise<DescribedChangeSet> {
    let first: DescribedChangeSet | undefined
    const changes: Change[] = []
    for await (const page of paginateDescribeChangeSet({ client: this.client }, { ChangeSetName: id })) {
      first ??= {
        name: page.ChangeSetName,
        status: page.Status,
        executionStatus: page.ExecutionStatus,
        reason: page.StatusReason,
        stackId: page.StackId,
        changes,
      }
      changes.push(...(page.Changes ?? []))
    }
    return first ?? { changes }
  }

  /**
   * ExecuteChangeSet. When the call fails, the change set may be executing all
   * the same (a lost reply whose retry met the first call's effect): then it
   * answers `alreadyExecuting` instead of the error.
   */
  async executeChangeSet(
    id: string,
    token: string,
    disableRollback?: boolean,
  ): Promise<{ alreadyExecuting: boolean }> {
    try {
      await this.client.send(
        new ExecuteChangeSetCommand({
          ChangeSetName: id,
          ClientRequestToken: token,
          DisableRollback: disableRollback,
        }),
      )
      return { alreadyExecuting: false }
    } catch (error) {
      if (await this.isExecuting(id)) return { alreadyExecuting: true }
      throw error
    }
  }

  private async isExecuting(id: string): Promise<boolean> {
    try {
      const { executionStatus } = await this.changeSetStatus(id)
      return ['EXECUTE_IN_PROGRESS', 'EXECUTE_COMPLETE', 'EXECUTE_FAILED'].includes(executionStatus ?? '')
    } catch {
      return false
    }
  }

  /** DeleteChangeSet; one already gone (a retried delete whose first attempt went through) is fine. */
  async deleteChangeSet(id: string): Promise<void> {
    try {
      await this.client.send(new DeleteChangeSetCommand({ ChangeSetName: id }))
    } catch (error) {
      if (!isChangeSetNotFound(error)) throw error
    }
  }

  /** ListChangeSets, every page. */
  async listChangeSets(stack: string): Promise<ChangeSetSummary[]> {
    const all: ChangeSetSummary[] = []
    for await (const page of paginateListChangeSets({ client: this.client }, { StackName: stack }))
      all.push(...(page.Summaries ?? []))
    return all
  }

  async deleteStack(stack: string, token?: string): Promise<void> {
    await this.client.send(new DeleteStackCommand({ StackName: stack, ClientRequestToken: token }))
  }

  async cancelUpdateStack(stack: string, token: string): Promise<void> {
    await this.client.send(new CancelUpdateStackCommand({ StackName: stack, ClientRequestToken: token }))
  }

  /** The stack's template as submitted, before transforms (TemplateStage Original). */
  async originalTemplate(stack: string): Promise<string> {
    const answer = await this.client.send(
      new GetTemplateCommand({ StackName: stack, TemplateStage: 'Original' }),
    )
    return answer.TemplateBody ?? ''
  }

  /**
   * The template behind a change set as it was submitted (GetTemplate with
   * ChangeSetName and TemplateStage Original: "If you specify a name, you must
   * also specify the StackName"). moto ignores ChangeSetName and answers the
   * stack's template; the change-management layer answers as AWS does.
   */
  async changeSetTemplate(stack: string, changeSetId: string): Promise<string> {
    const answer = await this.client.send(
      new GetTemplateCommand({ StackName: stack, ChangeSetName: changeSetId, TemplateStage: 'Original' }),
    )
    return answer.TemplateBody ?? ''
  }

  /** The parameter keys a template at a URL declares (GetTemplateSummary). */
  async templateParameterKeys(templateUrl: string): Promise<string[]> {
    const answer = await this.client.send(new GetTemplateSummaryCommand({ TemplateURL: templateUrl }))
    return (answer.Parameters ?? []).flatMap((p) => (p.ParameterKey ? [p.ParameterKey] : []))
  }

  async updateTerminationProtection(stack: string, enabled: boolean): Promise<void> {
    await this.client.send(
      new UpdateTerminationProtectionCommand({ StackName: stack, EnableTerminationProtection: enabled }),
    )
  }

  /** DetectStackDrift: the id of the detection it started. */
  async detectStackDrift(stack: string): Promise<string> {
    const command = new DetectStackDriftCommand({ StackName: stack })
    command.middlewareStack.use(answerOnce('DetectStackDrift') as never)
    const started = await this.client.send(command)
    if (!started.StackDriftDetectionId) throw new Error('DetectStackDrift answered no StackDriftDetectionId')
    return started.StackDriftDetectionId
  }

  async driftDetectionStatus(detectionId: string) {
    return this.client.send(
      new DescribeStackDriftDetectionStatusCommand({ StackDriftDetectionId: detectionId }),
    )
  }

  /** The stack's MODIFIED and DELETED resources, every page. */
  async driftedResourceDrifts(stack: string): Promise<StackResourceDrift[]> {
    const drifts: StackResourceDrift[] = []
    for await (const page of paginateDescribeStackResourceDrifts(
      { client: this.client },
      { StackName: stack, StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'] },
    ))
      drifts.push(...(page.StackResourceDrifts ?? []))
    return drifts
  }

  /**
   * The FAILED events of a change set (DescribeEvents), or undefined when the
   * endpoint does not have DescribeEvents.
   */
  async failedChangeSetEvents(changeSetId: string): Promise<OperationEvent[] | undefined> {
    const events: OperationEvent[] = []
    let pages = 0
    try {
      for await (const page of paginateDescribeEvents(
        {
          client: this.client,
          withCommand: (command) => {
            command.middlewareStack.use(answerOnce('DescribeEvents') as never)
            return command
          },
        },
        { ChangeSetName: changeSetId, Filters: { FailedEvents: true } },
      )) {
        events.push(...(page.OperationEvents ?? []))
        if (++pages >= MAX_VALIDATION_PAGES) break
      }
    } catch (error) {
      if (error instanceof OperationUnavailable) return undefined
      throw error
    }
    return events
  }
}
