/**
 * `npm run local:aws`: the demo's local AWS (moto_server and the loopback layers
 * plain moto needs: Route 53 health checking, StackSet operations, EBS snapshot
 * locks and Recycle Bin, a Redshift Data API), seeded with the demo's Route 53
 * records and snapshots, left running until Ctrl-C. It prints, per action, the
 * environment that points it there, for an action's `.env` (GitHub's
 * local-action) or the shell (`multi-region-actions`).
 */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startDemoEnvironment, type DemoEnvironment } from './environment.js'
import { PRUNE_REGION, seedSnapshots } from './prune-snapshots.js'
import { createRoute53Records, routing } from './route53.js'

/** The environment each action needs to reach the local AWS, and example inputs that work there. */
export function localActionEnvironments(demo: DemoEnvironment): Record<string, Record<string, string>> {
  const zone = routing.current
  return {
    'deploy-multi-region': {
      ...demo.envFor(demo.endpoints.cloudformation),
      'INPUT_STACK-NAME': 'local-api',
      INPUT_TEMPLATE: 'templates/multi-region-api.yaml',
      'INPUT_ARTIFACT-BUCKET': 'auto',
      INPUT_REGIONS: 'us-east-1,eu-west-1',
      INPUT_PARAMETERS: 'Status=ok,StageName=prod',
      INPUT_CAPABILITIES: 'CAPABILITY_IAM',
    },
    'stackset-rollout': {
      ...demo.envFor(demo.endpoints.stacksets),
      'INPUT_STACK-SET-NAME': 'local-baseline',
      INPUT_TEMPLATE: 'templates/account-baseline.yaml',
      INPUT_CAPABILITIES: 'CAPABILITY_IAM',
      INPUT_ACCOUNTS: '111111111111',
      INPUT_REGIONS: 'us-east-1,eu-west-1',
    },
    'verify-failover': {
      ...demo.envFor(demo.endpoints.route53),
      VERIFY_FAILOVER_POLL_MAX_MS: '100',
      'INPUT_HOSTED-ZONE-ID': zone?.zoneId ?? '',
      'INPUT_RECORD-NAME': zone?.recordName ?? '',
      'INPUT_DRILL-REGION': 'us-east-1',
      'INPUT_DRILL-TIMEOUT-MINUTES': '1',
    },
    'prune-snapshots': {
      ...demo.envFor(demo.endpoints.ec2),
      INPUT_REGIONS: PRUNE_REGION,
      INPUT_FILTERS: 'Backup=nightly',
      'INPUT_KEEP-LAST': '3',
      'INPUT_DRY-RUN': 'true',
    },
    'spectrum-benchmark': {
      ...demo.envFor(demo.endpoints.cloudformation),
      AWS_ENDPOINT_URL_REDSHIFT_DATA: demo.endpoints.redshiftData,
      'INPUT_WORKGROUP-NAME': 'spectrum-poc',
      INPUT_DATABASE: 'dev',
      INPUT_QUERIES: 'queries/spectrum-poc/*.sql',
      'INPUT_SETUP-SQL': 'queries/spectrum-poc-setup/setup.sql',
      INPUT_ITERATIONS: '3',
    },
  }
}

async function main(): Promise<void> {
  const demo = await startDemoEnvironment({ echo: false })
  console.log(`moto_server ${demo.moto.endpoint}, Route 53 layer ${demo.endpoints.route53}, StackSet layer`)
  console.log(
    `${demo.endpoints.stacksets}, EC2 layer ${demo.endpoints.ec2}, Data API ${demo.endpoints.redshiftData}.`,
  )
  console.log('Seeding the Route 53 records and snapshots the example inputs below use...')
  try {
    if (!(await createRoute53Records(demo))) throw new Error('Could not create the Route 53 records')
    await seedSnapshots(demo)
  } catch (error) {
    await demo.stop()
    throw error
  }
  console.log(
    'Environment per action (put it in actions/<name>/.env, or export it for multi-region-actions):',
  )
  for (const [action, env] of Object.entries(localActionEnvironments(demo))) {
    console.log(`\n# ${action}`)
    for (const [name, value] of Object.entries(env)) console.log(`${name}=${value}`)
  }
  console.log('\nRunning until Ctrl-C.')
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
  await demo.stop()
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
