import * as core from '@actions/core'
import { Route53Client } from '@aws-sdk/client-route-53'
import { runAction } from '../../../lib/action.js'
import { clientFactory } from '../../../lib/aws.js'
import { RegionLog } from '../../../lib/log.js'
import { parseDrillState, restoreHealthCheck, RESTORED_KEY, STATE_KEY } from './health-check-update.js'

/**
 * The post step: when the main step saved a drill and did not record that it
 * put the health check back (the job was cancelled or the process killed
 * mid-drill), put it back now. Reading the check first makes this a no-op when
 * the main step's restore went through after all.
 */
export async function runPost(): Promise<void> {
  await runAction(async () => {
    const state = parseDrillState(core.getState(STATE_KEY))
    if (!state) {
      core.info('No drill was started: nothing to restore.')
      return
    }
    const log = new RegionLog(state.region || 'route53')
    if (core.getState(RESTORED_KEY) === 'true') {
      log.info(`Health check ${state.healthCheckId} was already restored by the main step.`)
      return
    }
    const client = clientFactory(Route53Client)(state.clientRegion)
    const outcome = await restoreHealthCheck(client, state, (m) => log.warning(m))
    if (outcome === 'changed')
      log.warning(
        `Restored health check ${state.healthCheckId} (Inverted=${state.originalInverted}) left by an interrupted drill.`,
      )
    else
      log.info(
        `Health check ${state.healthCheckId} is already Inverted=${state.originalInverted}: nothing to restore.`,
      )
  })
}
