/**
 * Demo step: verify-failover on the records the Route 53 step created, with a
 * drill of one region: its health check is inverted, the action measures how
 * long Route 53 takes to answer another region, then puts the check back. The
 * Route 53 layer runs one checker round per 50 ms, so the drill takes seconds.
 */
import { run } from '../actions/verify-failover/src/main.js'
import { runActionStep } from './action-step.js'
import { DEMO_REGIONS, type DemoEnvironment } from './environment.js'
import { routing } from './route53.js'

export const DRILL_REGION = DEMO_REGIONS[0]!

export async function verifyFailover(demo: DemoEnvironment): Promise<boolean> {
  const current = routing.current
  if (!current) throw new Error('The Route 53 records have not been created (run the Route 53 step first).')
  const result = await runActionStep(demo, {
    action: 'verify-failover',
    run,
    inputs: {
      'hosted-zone-id': current.zoneId,
      'record-name': current.recordName,
      'min-healthy': 2,
      'max-ttl': 60,
      'drill-region': DRILL_REGION,
      'drill-timeout-minutes': 1,
      // The demo's health endpoints listen on 127.0.0.1.
      'allow-private-targets': true,
    },
    // The action's polls wait at most 100 ms here, in step with the layer's fast rounds.
    env: { ...demo.envFor(demo.endpoints.route53), VERIFY_FAILOVER_POLL_MAX_MS: '100' },
  })
  return !result.failed
}
