/**
 * Demo step: the multi-region API template deployed unchanged to three regions
 * (a canary region first) through the deploy-multi-region action. moto creates
 * the stacks from the change sets; the health endpoints the demo started stand
 * in for the APIs they would serve.
 */
import { run } from '../actions/deploy-multi-region/src/main.js'
import { runActionStep } from './action-step.js'
import { DEMO_REGIONS, type DemoEnvironment } from './environment.js'

export async function deployMultiRegion(demo: DemoEnvironment): Promise<boolean> {
  const result = await runActionStep(demo, {
    action: 'deploy-multi-region',
    run,
    inputs: {
      'stack-name': 'demo-api',
      template: 'templates/multi-region-api.yaml',
      regions: DEMO_REGIONS.join(','),
      parameters: 'Status=ok,StageName=prod',
      capabilities: 'CAPABILITY_IAM',
      tags: 'project=multi-region-demo',
      'canary-regions': DEMO_REGIONS[0]!,
    },
    env: demo.envFor(demo.endpoints.cloudformation),
  })
  return !result.failed
}
