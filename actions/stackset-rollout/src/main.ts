/** stackset-rollout: reads the stack set, plans the operations, runs them and reports; each a step of rollout.ts. */
import * as core from '@actions/core'
import { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import { runAction } from '../../../lib/action.js'
import { clientFactory } from '../../../lib/aws.js'
import { Inputs } from '../../../lib/inputs.js'
import { Annotations, RegionLog } from '../../../lib/log.js'
import { getSettings, type Settings } from './input-helper.js'
import { noEchoParameters } from './plan.js'
import { finalInstances, reportRollout } from './report.js'
import { applyPlan, makePlan, readState } from './rollout.js'
import { StackSetApi } from './stackset-api.js'

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

    const state = await readState(settings, api, log)
    if (templateBody === undefined) maskNoEchoValues(settings, noEchoParameters(state.desiredBody))
    const { plan, planLines } = makePlan(settings, state, log)
    log.flush('plan')
    const applied = await applyPlan(api, plan, {
      stackSetName: settings.stackSetName,
      stackSetId: state.current?.id ?? '',
      templateBody,
      log,
      signal,
    })
    const instances = await finalInstances(api, applied, plan, { instances: state.instances, log })
    log.flush()
    annotations.emit()
    reportRollout(settings, applied, { plan, planLines, instances, log })
    if (applied.failure) throw new Error(applied.failure)
  })
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
