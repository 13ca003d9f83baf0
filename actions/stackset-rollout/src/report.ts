/**
 * What a rollout tells: the stack instances as they are after it, the outputs
 * (`operation-ids`, `instances`, `instances-file`, `stack-set-id`) and the job summary.
 */
import * as core from '@actions/core'
import { setJsonOutput, writeJobSummary } from '../../../lib/action.js'
import { describeError } from '../../../lib/aws.js'
import { writeRunFile } from '../../../lib/files.js'
import type { RegionLog } from '../../../lib/log.js'
import type { Settings } from './input-helper.js'
import type { CurrentInstance, RolloutPlan } from './plan.js'
import type { Applied } from './rollout.js'
import type { StackSetApi } from './stackset-api.js'
import { buildSummary, fitInstancesOutput, instancesOutput, type InstanceOutput } from './summary.js'

/** The instances after the rollout; a cancelled job reports what it last read instead of making more calls. */
export async function finalInstances(
  api: StackSetApi,
  applied: Applied,
  plan: RolloutPlan,
  before: { instances: CurrentInstance[]; log: RegionLog },
): Promise<CurrentInstance[]> {
  const { cancelled, records, stackSetId } = applied
  if (cancelled || (records.length === 0 && !plan.createStackSet) || stackSetId === '')
    return before.instances
  try {
    return await api.listInstances()
  } catch (error) {
    before.log.warning(`Could not list the stack instances after the rollout: ${describeError(error)}`)
    return before.instances
  }
}

/** The outputs and the job summary of a rollout. */
export function reportRollout(
  settings: Settings,
  applied: Applied,
  result: { plan: RolloutPlan; planLines: string[]; instances: CurrentInstance[]; log: RegionLog },
): void {
  const { records, runningId, failure, cancelled, stackSetId } = applied
  const { plan, log } = result
  setJsonOutput('operation-ids', [...records.map((r) => r.operationId), ...(runningId ? [runningId] : [])])
  const instanceEntries = instancesOutput(result.instances)
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
  writeJobSummary(
    buildSummary({
      stackSetName: settings.stackSetName,
      stackSetId,
      homeRegion: settings.homeRegion,
      planLines: result.planLines,
      operations: records,
      instances: result.instances,
      accounts: settings.permissionModel === 'SERVICE_MANAGED' ? [] : settings.accounts,
      regions: settings.regions,
      outcome,
      instancesFile,
      failed: failure !== undefined,
    }),
  )
}

/** Every stack instance as JSON, for the `instances-file` output; returns its path. */
function writeInstancesFile(stackSetName: string, entries: readonly InstanceOutput[]): string {
  return writeRunFile(`stackset-rollout-instances-${stackSetName}`, JSON.stringify(entries, null, 2))
}
