/**
 * Demo step: the multi-region API template deployed unchanged to three regions
 * (a canary region first) through the deploy-multi-region action, its functions'
 * code (templates/functions/hello, functions/health) packaged into a bucket of
 * each region first, as `aws cloudformation package` does for one. moto creates
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
      // The functions' folders are zipped once and uploaded to a bucket of each region.
      'artifact-bucket': 'auto',
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

/**
 * Demo step: a deploy that fails the same way in three regions, a FIFO queue whose
 * name does not end in `.fifo` (SQS: "The name of a FIFO queue ... must end with
 * the .fifo suffix"), so its summary shows what a failed deploy looks like. The
 * step succeeds when the action fails with that reason.
 */
export async function deployFifoWithoutSuffix(demo: DemoEnvironment): Promise<boolean> {
  const result = await runActionStep(demo, {
    action: 'deploy-multi-region',
    label: 'deploy-multi-region-failed',
    run,
    inputs: {
      'stack-name': 'demo-orders-queue',
      template: 'templates/sample-queue.yaml',
      regions: DEMO_REGIONS.join(','),
      parameters: 'QueueName=demo-orders,FifoQueue=true',
      'failure-tolerance': 0,
    },
    env: demo.envFor(demo.endpoints.cloudformation),
  })
  return result.failed && /\.fifo/.test(result.summary)
}
