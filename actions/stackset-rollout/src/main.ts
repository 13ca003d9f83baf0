import * as core from '@actions/core'
import { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import { runAction, setJsonOutput } from '../../../lib/action.js'
import { clientFactory, describeError } from '../../../lib/aws.js'
import { templateShown } from '../../../lib/cloudformation-inputs.js'
import { writeRunFile } from '../../../lib/files.js'
import { Inputs } from '../../../lib/inputs.js'
import { Annotations, RegionLog } from '../../../lib/log.js'
import { AbortedError } from '../../../lib/poll.js'
import { getSettings, type Settings } from './input-helper.js'
import {
  concurrencyNote,
  describePlan,
  diffStackSet,
  failedResults,
  noEchoParameters,
  overridePairsToRead,
  planInstances,
  planRollout,
  type CurrentInstance,
} from './plan.js'
import { OperationStillRunningError, StackSetApi, type OperationRecord } from './stackset-api.js'
import { buildSummary, fitInstancesOutput, instancesOutput, type InstanceOutput } from './summary.js'
import { templateBodyForComparison } from './template.js'

export async function run(): Promise<void> {
  await runAction(async ({ signal }) => {
    const startedMs = Date.now()
    const settings = getSettings(new Inputs())
    const annotations = new Annotations()
    const log = new RegionLog(settings.homeRegion, { grouped: true, annotations })
    const templateBody = settings.template.kind === 'file' ? settings.template.body : undefined
    maskNoEchoValues(settings, noEchoParameters(templateBody))
    const client = clientFactory(CloudFormationClient)(settings.homeRegion)
    const api = new StackSetApi(client, settings, log, signal, startedMs)
    const serviceManaged = settings.permissionModel === 'SERVICE_MANAGED'

    // Read the current state once.
    const [current, desiredBody] = await Promise.all([
      api.describeStackSet(),
      templateBodyForComparison(settings.template, settings.homeRegion, log),
    ])
    if (templateBody === undefined) maskNoEchoValues(settings, noEchoParameters(desiredBody))
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

    // Plan.
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
      }),
    })
    const planLines = describePlan(plan, settings.stackSetName)
    core.info(`Plan for stack set ${settings.stackSetName} (${templateShown(settings.template)}):`)
    for (const line of planLines) log.info(`  ${line}`)
    const note = concurrencyNote(settings.preferences)
    if (note && plan.operations.length > 0) log.info(note)

    log.flush('plan')
    // Apply.
    log.openGroup('operations')
    let stackSetId = current?.id ?? ''
    const records: OperationRecord[] = []
    let failure: string | undefined
    let cancelled = false
    let runningId: string | undefined
    try {
      if (plan.createStackSet) {
        if (signal.aborted) throw new AbortedError()
        stackSetId = await api.createStackSet(templateBody)
        log.info(`Created stack set ${settings.stackSetName} (${stackSetId})`)
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

    log.flush()
    // Report. A cancelled job reports what it last read instead of making more calls.
    let finalInstances: CurrentInstance[] = instances
    if (!cancelled && (records.length > 0 || plan.createStackSet) && stackSetId !== '') {
      try {
        finalInstances = await api.listInstances()
      } catch (error) {
        log.warning(`Could not list the stack instances after the rollout: ${describeError(error)}`)
      }
    }
    log.flush()
    annotations.emit()
    setJsonOutput('operation-ids', [...records.map((r) => r.operationId), ...(runningId ? [runningId] : [])])
    const instanceEntries = instancesOutput(finalInstances)
    const instancesFile = writeInstancesFile(settings.stackSetName, instanceEntries)
    const fitted = fitInstancesOutput(instanceEntries)
    core.setOutput('instances', fitted.json)
    core.setOutput('instances-file', instancesFile)
    if (fitted.kept < instanceEntries.length) {
      log.warning(
        `The instances output lists ${fitted.kept} of ${instanceEntries.length} stack instances (GitHub limits a job's outputs to 1 MB); ` +
          `every instance is in ${instancesFile}`,
      )
    }
    core.setOutput('stack-set-id', stackSetId)
    const outcome = failure
      ? `${cancelled ? 'Cancelled' : 'Failed'}: ${failure}`
      : records.length === 0 && !plan.createStackSet
        ? 'Already converged: no operation'
        : `Converged with ${records.length} operation(s)`
    await core.summary
      .addRaw(
        buildSummary({
          stackSetName: settings.stackSetName,
          stackSetId,
          homeRegion: settings.homeRegion,
          planLines,
          operations: records,
          instances: finalInstances,
          accounts: serviceManaged ? [] : settings.accounts,
          regions: settings.regions,
          outcome,
          instancesFile,
          failed: failure !== undefined,
        }),
      )
      .write()
    if (failure) throw new Error(failure)
  })
}

/** Every stack instance as JSON, for the `instances-file` output; returns its path. */
function writeInstancesFile(stackSetName: string, entries: readonly InstanceOutput[]): string {
  return writeRunFile(`stackset-rollout-instances-${stackSetName}`, JSON.stringify(entries, null, 2))
}

/** Masks the values given to the template's NoEcho parameters before anything is printed. */
function maskNoEchoValues(settings: Settings, names: readonly string[]): void {
  for (const name of names) {
    const values = [
      settings.parameters[name],
      ...Object.values(settings.instanceParameters).map((o) => o[name]),
    ]
    for (const value of values) if (value) core.setSecret(value)
  }
}
