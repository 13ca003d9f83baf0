import { randomUUID } from 'node:crypto'
import {
  CloudFormationClient,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DeleteStackInstancesCommand,
  DescribeStackInstanceCommand,
  DescribeStackSetCommand,
  DescribeStackSetOperationCommand,
  paginateListStackInstances,
  paginateListStackSetOperationResults,
  UpdateStackInstancesCommand,
  UpdateStackSetCommand,
  type DeploymentTargets,
  type Parameter,
  type StackSetOperation,
} from '@aws-sdk/client-cloudformation'
import { describeError, errorCode } from '../../../lib/aws.js'
import { templateShown } from '../../../lib/cloudformation-inputs.js'
import { fanOut } from '../../../lib/fanout.js'
import { AbortedError, TimeoutError, pollUntil, retryWhile } from '../../../lib/poll.js'
import type { RegionLog } from '../../../lib/log.js'
import type { Settings } from './input-helper.js'
import {
  operationPreferences,
  pairKey,
  type CurrentInstance,
  type CurrentStackSet,
  type InstanceGroup,
  type OperationKind,
  type OperationResult,
} from './plan.js'

/** Statuses after which a StackSet operation changes no more. */
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'STOPPED'])

export interface OperationRecord {
  kind: OperationKind
  operationId: string
  description: string
  status: string
  statusReason?: string
  startedMs: number
  endedMs: number
  results: OperationResult[]
  /** Times the call met OperationInProgressException and waited. */
  waitedForOthers: number
}

/**
 * Thrown when the run stops waiting (the job was cancelled, or timeout-minutes
 * ran out) while an operation runs on in CloudFormation.
 */
export class OperationStillRunningError extends Error {
  constructor(
    readonly kind: OperationKind,
    readonly operationId: string,
    stackSetName: string,
    region: string,
    readonly reason: 'cancelled' | { timeoutMinutes: number; status: string },
  ) {
    const why =
      reason === 'cancelled'
        ? `Cancelled while ${kind} operation ${operationId} is still running`
        : `timeout-minutes (${reason.timeoutMinutes}) ran out while ${kind} operation ${operationId} was still ${reason.status}`
    super(
      `${why} on stack set ${stackSetName}; CloudFormation carries on with it. Follow it with: ` +
        `aws cloudformation describe-stack-set-operation --region ${region} --stack-set-name ${stackSetName} ` +
        `--operation-id ${operationId}`,
    )
    this.name = 'OperationStillRunningError'
  }
}

const toRecord = (items: ReadonlyArray<{ Key?: string; Value?: string }> | undefined) =>
  Object.fromEntries((items ?? []).map((t) => [t.Key ?? '', t.Value ?? '']))

const toParameters = (values: Record<string, string>): Parameter[] =>
  Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }))

/**
 * A list to send, or undefined when it is empty. The SDK serializes an empty
 * list as an empty member (`Tags=`), and CloudFormation acts on it: for
 * UpdateStackSet Tags, "If you specify an empty value, CloudFormation removes
 * all currently associated tags." A list the inputs leave empty is left out.
 */
export function listOrOmit<T>(items: readonly T[]): T[] | undefined {
  return items.length > 0 ? [...items] : undefined
}

/**
 * The stack set's side of the rollout: reads state once, starts operations with
 * a fresh operation id each (reused by every retry of that same operation, so a
 * retry after a lost reply cannot start a second one), waits them out and
 * collects per-instance results.
 */
export class StackSetApi {
  private readonly endsAtMs: number

  constructor(
    private readonly client: CloudFormationClient,
    private readonly settings: Settings,
    private readonly log: RegionLog,
    private readonly signal: AbortSignal,
    startedMs = Date.now(),
    private readonly pollDelays = { initialMs: 500, factor: 1.5, maxMs: 10000 },
  ) {
    this.endsAtMs = startedMs + settings.timeoutMinutes * 60000
  }

  private get callAs() {
    return this.settings.callAs === 'DELEGATED_ADMIN' ? { CallAs: 'DELEGATED_ADMIN' as const } : {}
  }

  private remainingMs(): number {
    return Math.max(0, this.endsAtMs - Date.now())
  }

  async describeStackSet(): Promise<CurrentStackSet | undefined> {
    try {
      const { StackSet: s } = await this.client.send(
        new DescribeStackSetCommand({ StackSetName: this.settings.stackSetName, ...this.callAs }),
      )
      if (!s || s.Status === 'DELETED') return undefined
      return {
        id: s.StackSetId ?? '',
        status: s.Status ?? 'ACTIVE',
        permissionModel: s.PermissionModel,
        templateBody: s.TemplateBody,
        parameters: Object.fromEntries(
          (s.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']),
        ),
        tags: toRecord(s.Tags),
        description: s.Description,
        capabilities: s.Capabilities ?? [],
      }
    } catch (error) {
      if (errorCode(error) === 'StackSetNotFoundException') return undefined
      throw error
    }
  }

  async listInstances(): Promise<CurrentInstance[]> {
    const instances: CurrentInstance[] = []
    const input = { StackSetName: this.settings.stackSetName, MaxResults: 100, ...this.callAs }
    for await (const page of paginateListStackInstances({ client: this.client }, input)) {
      for (const s of page.Summaries ?? []) {
        instances.push({
          account: s.Account ?? '',
          region: s.Region ?? '',
          organizationalUnitId: s.OrganizationalUnitId,
          status: s.Status ?? 'UNKNOWN',
          detailedStatus: s.StackInstanceStatus?.DetailedStatus,
          reason: s.StatusReason,
        })
      }
    }
    return instances
  }

  /** The parameter overrides of the given instances, four reads at a time. */
  async readOverrides(pairs: ReadonlyArray<{ account: string; region: string }>) {
    const overrides = new Map<string, Record<string, string>>()
    const results = await fanOut(
      pairs,
      async ({ account, region }) => {
        const { StackInstance } = await this.client.send(
          new DescribeStackInstanceCommand({
            StackSetName: this.settings.stackSetName,
            StackInstanceAccount: account,
            StackInstanceRegion: region,
            ...this.callAs,
          }),
        )
        const values = Object.fromEntries(
          (StackInstance?.ParameterOverrides ?? []).map((p) => [
            p.ParameterKey ?? '',
            p.ParameterValue ?? '',
          ]),
        )
        overrides.set(pairKey(account, region), values)
      },
      { concurrency: 4 },
    )
    const failed = results.find((r) => r.state === 'rejected')
    if (failed && failed.state === 'rejected') throw failed.error
    return overrides
  }

  /**
   * CreateStackSet is not an operation: it returns at once. A ClientRequestToken
   * makes a retried call after a lost reply return the same stack set; a
   * NameAlreadyExistsException (the earlier attempt or another job won the race)
   * is settled by reading the stack set back.
   */
  async createStackSet(templateBody: string | undefined): Promise<string> {
    const s = this.settings
    try {
      const out = await this.client.send(
        new CreateStackSetCommand({
          StackSetName: s.stackSetName,
          ...this.definition(templateBody),
          PermissionModel: s.permissionModel,
          ClientRequestToken: `stackset-rollout-${randomUUID()}`,
          ...this.callAs,
        }),
      )
      return out.StackSetId ?? ''
    } catch (error) {
      if (errorCode(error) !== 'NameAlreadyExistsException') throw error
      this.log.info(
        `Stack set ${s.stackSetName} already exists (created by an earlier attempt of this call or another run); reading it`,
      )
      const existing = await this.describeStackSet()
      if (!existing) throw error
      return existing.id
    }
  }

  /** What CreateStackSet and UpdateStackSet both declare: the template and how it deploys. */
  private definition(templateBody: string | undefined) {
    const s = this.settings
    return {
      Description: s.description,
      ...(templateBody !== undefined
        ? { TemplateBody: templateBody }
        : { TemplateURL: templateShown(s.template) }),
      Parameters: listOrOmit(toParameters(s.parameters)),
      Capabilities: listOrOmit(s.capabilities),
      // No tags declared: the stack set's tags are left as they are (an empty list would remove them all).
      Tags: listOrOmit(Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value }))),
      AdministrationRoleARN: s.administrationRoleArn,
      ExecutionRoleName: s.executionRoleName,
      // RetainStacksOnAccountRemoval: "Specify only if Enabled is set to True."
      AutoDeployment: s.autoDeployment
        ? {
            Enabled: s.autoDeployment.enabled,
            ...(s.autoDeployment.enabled
              ? { RetainStacksOnAccountRemoval: s.autoDeployment.retainStacksOnAccountRemoval }
              : {}),
          }
        : undefined,
      ManagedExecution: { Active: s.managedExecution },
    }
  }

  private commandFor(
    kind: OperationKind,
    operationId: string,
    group: InstanceGroup | undefined,
    templateBody: string | undefined,
  ) {
    const s = this.settings
    const serviceManaged = s.permissionModel === 'SERVICE_MANAGED'
    const base = { StackSetName: s.stackSetName, OperationId: operationId, ...this.callAs }
    // UpdateStackSet carries no targets (it updates every instance); the instance operations always have a group.
    const { regions = [], targets: groupTargets = [] } = group ?? {}
    const targets: { Regions: string[]; Accounts?: string[]; DeploymentTargets?: DeploymentTargets } =
      serviceManaged && group
        ? { DeploymentTargets: this.deploymentTargets(kind, group), Regions: regions }
        : { Accounts: groupTargets, Regions: regions }
    const OperationPreferences = operationPreferences(s.preferences, group?.regions ?? s.regions)
    const overrides =
      group?.overrides !== undefined ? { ParameterOverrides: toParameters(group.overrides) } : {}
    switch (kind) {
      case 'UpdateStackSet':
        return new UpdateStackSetCommand({
          ...base,
          ...this.definition(templateBody),
          OperationPreferences,
        })
      case 'CreateStackInstances':
        return new CreateStackInstancesCommand({ ...base, ...targets, ...overrides, OperationPreferences })
      case 'UpdateStackInstances':
        return new UpdateStackInstancesCommand({ ...base, ...targets, ...overrides, OperationPreferences })
      case 'DeleteStackInstances':
        return new DeleteStackInstancesCommand({
          ...base,
          ...targets,
          RetainStacks: s.retainStacks,
          OperationPreferences,
        })
    }
  }

  /**
   * The organizational units of one operation. Creates and updates narrow them
   * with the declared accounts and account-filter-type; a delete names only the
   * organizational units to remove, since they are no longer declared: with the
   * declared accounts, UNION would also delete the still-wanted accounts' stacks
   * and INTERSECTION would delete nothing (the accounts are not in the removed OUs).
   */
  private deploymentTargets(kind: OperationKind, group: InstanceGroup): DeploymentTargets {
    const s = this.settings
    // A group of its own accounts (a change of the accounts filter) names exactly those accounts.
    if (group.accounts)
      return {
        OrganizationalUnitIds: group.targets,
        Accounts: group.accounts,
        AccountFilterType: 'INTERSECTION',
      }
    const narrowed = kind !== 'DeleteStackInstances' && s.accounts.length > 0 && s.accountFilterType
    return {
      OrganizationalUnitIds: group.targets,
      ...(narrowed ? { Accounts: s.accounts, AccountFilterType: s.accountFilterType } : {}),
    }
  }

  private async findOperation(operationId: string): Promise<StackSetOperation | undefined> {
    try {
      const { StackSetOperation } = await this.client.send(
        new DescribeStackSetOperationCommand({
          StackSetName: this.settings.stackSetName,
          OperationId: operationId,
          ...this.callAs,
        }),
      )
      return StackSetOperation
    } catch (error) {
      if (errorCode(error) === 'OperationNotFoundException') return undefined
      throw error
    }
  }

  /**
   * Starts one operation and waits for its end. Another operation in progress
   * (OperationInProgressException, which the SDK does not retry) is waited out
   * within timeout-minutes. Every attempt carries the same operation id:
   * OperationIdAlreadyExistsException means an earlier attempt started it.
   */
  async runOperation(
    kind: OperationKind,
    description: string,
    group: InstanceGroup | undefined,
    templateBody: string | undefined,
  ): Promise<OperationRecord> {
    if (this.signal.aborted) throw new AbortedError()
    const operationId = randomUUID()
    const startedMs = Date.now()
    let waitedForOthers = 0
    this.log.info(`${kind} ${operationId}: ${description}`)
    const started = await retryWhile(
      async (attempt) => {
        if (attempt > 1 && (await this.findOperation(operationId))) return operationId
        try {
          const out = await this.client.send(this.commandFor(kind, operationId, group, templateBody) as never)
          return (out as { OperationId?: string }).OperationId ?? operationId
        } catch (error) {
          if (errorCode(error) === 'OperationIdAlreadyExistsException') {
            this.log.info(
              `${kind} ${operationId} was already started by an earlier attempt of this call; waiting for it`,
            )
            return operationId
          }
          throw error
        }
      },
      {
        retryable: (error) => errorCode(error) === 'OperationInProgressException',
        timeoutMs: this.remainingMs(),
        signal: this.signal,
        onRetry: (error, attempt, delayMs) => {
          waitedForOthers++
          this.log.info(
            `Another operation is in progress on stack set ${this.settings.stackSetName} (${describeError(error)}); ` +
              `retrying ${kind} ${operationId} in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1}, ` +
              `${Math.round(this.remainingMs() / 1000)} s left of timeout-minutes)`,
          )
        },
      },
    ).catch((error: unknown) => {
      if (errorCode(error) === 'OperationInProgressException') {
        throw new Error(
          `${kind} could not start within timeout-minutes (${this.settings.timeoutMinutes}): another operation kept stack set ` +
            `${this.settings.stackSetName} busy (${describeError(error)})`,
        )
      }
      throw error
    })

    let lastStatus = ''
    let lastPrinted = 0
    let operation: StackSetOperation
    try {
      operation = await pollUntil(
        async () => {
          const op = await this.findOperation(started)
          const status = op?.Status ?? 'QUEUED'
          const failed = op?.StatusDetails?.FailedStackInstancesCount
          if (status !== lastStatus || Date.now() - lastPrinted > 30000) {
            const seconds = Math.round((Date.now() - startedMs) / 1000)
            this.log.info(
              `${kind} ${started}: ${status} after ${seconds} s${failed ? `, ${failed} instance(s) failed so far` : ''}`,
            )
            lastStatus = status
            lastPrinted = Date.now()
          }
          return op && TERMINAL.has(status) ? op : undefined
        },
        {
          what: `${kind} operation ${started}`,
          timeoutMs: this.remainingMs(),
          signal: this.signal,
          ...this.pollDelays,
        },
      )
    } catch (error) {
      if (error instanceof AbortedError || error instanceof TimeoutError) {
        const { stackSetName, homeRegion, timeoutMinutes } = this.settings
        const cause =
          error instanceof AbortedError ? ('cancelled' as const) : { timeoutMinutes, status: lastStatus }
        throw new OperationStillRunningError(kind, started, stackSetName, homeRegion, cause)
      }
      throw error
    }
    const results = await this.operationResults(started)
    return {
      kind,
      operationId: started,
      description,
      status: operation.Status ?? 'UNKNOWN',
      statusReason: operation.StatusReason,
      startedMs,
      endedMs: Date.now(),
      results,
      waitedForOthers,
    }
  }

  async operationResults(operationId: string): Promise<OperationResult[]> {
    const results: OperationResult[] = []
    const input = {
      StackSetName: this.settings.stackSetName,
      OperationId: operationId,
      MaxResults: 100,
      ...this.callAs,
    }
    for await (const page of paginateListStackSetOperationResults({ client: this.client }, input)) {
      for (const r of page.Summaries ?? []) {
        results.push({ account: r.Account, region: r.Region, status: r.Status, reason: r.StatusReason })
      }
    }
    return results
  }
}
