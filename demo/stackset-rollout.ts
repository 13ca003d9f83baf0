/**
 * Demo step: the account baseline (templates/account-baseline.yaml) rolled out
 * as a StackSet to two accounts in three regions by stackset-rollout, through
 * the StackSet layer that gives moto's operations their documented behaviour.
 */
import { run } from '../actions/stackset-rollout/src/main.js'
import { runActionStep } from './action-step.js'
import { DEMO_REGIONS, type DemoEnvironment } from './environment.js'

export const DEMO_ACCOUNTS = ['111111111111', '222222222222']

export async function stacksetRollout(demo: DemoEnvironment): Promise<boolean> {
  const result = await runActionStep(demo, {
    action: 'stackset-rollout',
    run,
    inputs: {
      'stack-set-name': 'account-baseline',
      template: 'templates/account-baseline.yaml',
      parameters: 'CreateRecorder=true,BaselineVersion=1',
      capabilities: 'CAPABILITY_IAM',
      description: 'Encrypted EBS baseline of every account',
      tags: 'team=platform',
      accounts: DEMO_ACCOUNTS.join(','),
      regions: DEMO_REGIONS.join(','),
      'region-concurrency': 'parallel',
      'max-concurrent': '100%',
      'failure-tolerance': '0',
    },
    env: demo.envFor(demo.endpoints.stacksets),
  })
  return !result.failed
}
