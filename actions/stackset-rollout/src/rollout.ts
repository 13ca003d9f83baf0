/**
 * The rollout's steps, each a function with its data in and out: read the stack
 * set and its instances once, plan the operations from what was read, and run
 * the operations one after the other, stopping at the first that does not succeed.
 */
import * as core from '@actions/core'
import { describeError } from '../../../lib/aws.js'
import { templateShown } from '../../../lib/cloudformation-inputs.js'
import type { RegionLog } from '../../../lib/log.js'
import { AbortedError } from '../../../lib/poll.js'
import type { Settings } from './input-helper.js'
import {
  concurrencyNote,
  describePlan,
  diffStackSet,
  failedResults,
  inoperableFailure,
  overridePairsToRead,
  planInstances,
  planRollout,
  type CurrentInstance,
  type RolloutPlan,
} from './plan.js'
import { OperationStillRunningError, type OperationRecord, type StackSetApi } from './stackset-api.js'
import { templateBodyForComparison } from './template.js'

/** The stack set as read before anything changes. */
export interface ReadState {
  current: Awaited<ReturnType<StackSetApi['describeStackSet']>>
  /** The template text to compare with the stack set's (undefined: it could not be read). */
  desiredBody: string | undefined
  instances: CurrentInstance[]
  overrides: Map<string, Record<string, string>>
}

/** Reads the current state once. */
export async function readState(settings: Settings, api: StackSetApi, log: RegionLog): Promise<ReadState> {
  const [current, desiredBody] = await Promise.all([
    api.describeStackSet(),
    templateBodyForComparison(settings.template, settings.homeRegion, log),
  ])
  if (current?.permissionModel && current.permissionModel !== settings.permissionModel) {
    throw new Error(
      `Stack set ${settings.stackSetName} uses permission model ${current.permissionModel}, but permission-model asks for ` +
        `${settings.permissionModel}; a stack set's permission model cannot be changed`,
    )
  }
  const instances = current ? await api.listInstances() : []
  const overrides = current
    ? await api.readOverrides(overridePairsToRead(instances, settings.regions, settings.instanceParameters))
    : new Map<string, Record<string, string>>()
  return { current, desiredBody, instances, overrides }
}

/** The operations that bring the stack set to the settings, printed before any runs. */
export function makePlan(
  settings: Settings,
  state: ReadState,
  log: RegionLog,
): { plan: RolloutPlan; planLines: string[] } {
  const { current, desiredBody, instances, overrides } = state
  const serviceManaged = settings.permissionModel === 'SERVICE_MANAGED'
  const diff = current
    ? diffStackSet({ ...settings, templateBody: desiredBody }, current)
    : { changes: [] as string[], unverifiable: [] as string[] }
  const plan = planRollout({
    exists: current !== undefined,
    stackSetChanges: diff.changes,
    unverifiableParameters: diff.unverifiable,
    serviceManaged,
    instances: planInstances({
      serviceManaged,
      targets: serviceManaged ? settings.organizationalUnits : settings.accounts,
      regions: settings.regions,
      instanceParameters: settings.instanceParameters,
      prune: settings.pruneInstances,
      current: instances,
      currentOverrides: overrides,
      stackSetUpdate: diff.changes.length > 0,
      ...(serviceManaged &&
      (settings.accountFilterType === 'INTERSECTION' || settings.accountFilterType === 'DIFFERENCE')
        ? { accountFilter: { type: settings.accountFilterType, accounts: settings.accounts } }
        : {}),
    }),
  })
  const planLines = describePlan(plan, settings.stackSetName)
  core.info(`Plan for stack set ${settings.stackSetName} (${templateShown(settings.template)}):`)
  for (const line of planLines) log.info(`  ${line}`)
  const note = concurrencyNote(settings.preferences)
  if (note && plan.operations.length > 0) log.info(note)
  return { plan, planLines }
}

/** What running the operations came to. */
export interface Applied {
  stackSetId: string
  records: OperationRecord[]
  /** Why the rollout did not converge; undefined when it did. */
  failure?: string
  cancelled: boolean
  /** An operation of this run still running when the run was cancelled. */
  runningId?: string
}

/** Runs the plan's operations in order; the first that does not succeed stops the rest. */
export async function applyPlan(
  api: StackSetApi,
  plan: RolloutPlan,
  start: {
    stackSetName: string
    stackSetId: string
    templateBody: string | undefined
    log: RegionLog
    signal: AbortSignal
  },
): Promise<Applied> {
  const { log, signal, templateBody } = start
  log.openGroup('operations')
  let stackSetId = start.stackSetId
  const records: OperationRecord[] = []
  let failure: string | undefined
  let cancelled = false
  let runningId: string | undefined
  try {
    if (plan.createStackSet) {
      if (signal.aborted) throw new AbortedError()
      stackSetId = await api.createStackSet(templateBody)
      log.info(`Created stack set ${start.stackSetName} (${stackSetId})`)
    }
    for (const [index, op] of plan.operations.entries()) {
      const record = await api.runOperation(op.kind, op.description, op.group, templateBody)
      records.push(record)
      for (const line of failedResults(record.results)) {
        const text = `${record.kind} ${record.operationId}: ${line}`
        // Failures within failure-tolerance leave the operation SUCCEEDED: worth a warning, not a failed step.
        if (record.status === 'SUCCEEDED') log.warning(`${text} (within failure-tolerance)`)
        else log.error(text, `Stack instance ${line.split(':')[0]}`)
      }
      if (record.status !== 'SUCCEEDED') {
        const reason = record.statusReason ? `: ${record.statusReason}` : ''
        failure = `${record.kind} operation ${record.operationId} ended ${record.status}${reason}`
        const skipped = plan.operations.slice(index + 1)
        for (const next of skipped)
          log.warning(
            `Not started because an earlier operation did not succeed: ${next.kind} (${next.description})`,
          )
        break
      }
    }
  } catch (error) {
    cancelled =
      error instanceof AbortedError ||
      (error instanceof OperationStillRunningError && error.reason === 'cancelled')
    if (error instanceof OperationStillRunningError) runningId = error.operationId
    failure =
      error instanceof AbortedError
        ? 'Cancelled before the next operation started; no operation of this run is left running'
        : describeError(error)
    if (cancelled) log.warning(failure)
    const begun = records.length + (runningId ? 1 : 0)
    for (const next of plan.operations.slice(begun))
      log.warning(`Not started: ${next.kind} (${next.description})`)
  }
  // Every operation succeeded, yet INOPERABLE instances mean the stack set has not converged.
  failure ??= inoperableFailure(plan)
  log.flush()
  return { stackSetId, records, failure, cancelled, runningId }
}
