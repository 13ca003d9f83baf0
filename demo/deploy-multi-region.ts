/** Demo step: the sample template deployed to three regions through the action's own run(). */
import { run } from '../actions/deploy-multi-region/src/main.js'
import { runActionInProcess } from '../test/support/action-runner.js'
import type { DemoEnvironment } from './environment.js'

export const DEMO_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']

export async function deployMultiRegion(demo: DemoEnvironment): Promise<boolean> {
  const result = await runActionInProcess(
    run,
    {
      'stack-name': 'demo-orders',
      template: 'templates/sample-queue.yaml',
      regions: DEMO_REGIONS.join(','),
      parameters: 'Environment=demo',
      'canary-regions': 'us-east-1',
    },
    demo.env,
    { echo: true },
  )
  const file = demo.writeOutput('deploy-multi-region.md', result.summary)
  console.log(`\nJob summary written to ${file}`)
  console.log(`results: ${result.outputs.results ?? '(none)'}`)
  console.log(`stack-ids: ${result.outputs['stack-ids'] ?? '(none)'}`)
  return !result.failed
}
