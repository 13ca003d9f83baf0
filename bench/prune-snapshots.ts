/**
 * prune-snapshots at scale: seeds N snapshots (default 10,000) over two regions
 * in moto, then runs the action's plan-and-apply (keep-last 3) through a
 * counting loopback proxy and prints the wall time and the AWS requests made
 * per deletion.
 *
 *   npx tsx bench/prune-snapshots.ts [--snapshots 10000] [--per-volume 10] [--keep-last 3]
 */
import {
  AttachVolumeCommand,
  CreateSnapshotsCommand,
  CreateVolumeCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2'
import pLimit from 'p-limit'
import { prune } from '../actions/prune-snapshots/src/main.js'
import { makeClients } from '../actions/prune-snapshots/src/clients.js'
import { getSettings } from '../actions/prune-snapshots/src/input-helper.js'
import { Inputs, mapInputReader } from '../lib/inputs.js'
import { localAwsEnv, startMoto } from '../test/support/moto.js'
import { startLoopbackProxy } from '../test/support/loopback-proxy.js'
import { snapshotExtrasHandler, snapshotExtrasState } from '../test/support/ec2-snapshot-extras.js'
import { numberArg } from './args.js'

const total = numberArg('snapshots', 10_000)
const perVolume = numberArg('per-volume', 10)
const keepLast = numberArg('keep-last', 3)
const regions = ['eu-west-1', 'us-east-1']
const seedConcurrency = numberArg('seed-concurrency', 16)

/**
 * moto answers about 50-90 calls a second, so one CreateSnapshot per snapshot
 * would take minutes. Instead: a few instances with many volumes attached, then
 * CreateSnapshots (one call snapshots every attached volume) `perVolume` times.
 */
async function seed(region: string, volumes: number): Promise<number> {
  const ec2 = new EC2Client({
    region,
    endpoint: moto.endpoint,
    maxAttempts: 3,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  })
  const limit = pLimit(seedConcurrency)
  const instances: string[] = []
  for (let i = 0; i < Math.ceil(volumes / VOLUMES_PER_INSTANCE); i++) {
    const reply = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12345678',
        MinCount: 1,
        MaxCount: 1,
        Placement: { AvailabilityZone: `${region}a` },
      }),
    )
    instances.push(reply.Instances![0]!.InstanceId!)
  }
  await Promise.all(
    Array.from({ length: volumes }, (_, v) =>
      limit(async () => {
        const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: 1 }))
        const instanceId = instances[Math.floor(v / VOLUMES_PER_INSTANCE)]!
        await ec2.send(
          new AttachVolumeCommand({
            InstanceId: instanceId,
            VolumeId: volume.VolumeId,
            Device: `/dev/xvd${v}`,
          }),
        )
      }),
    ),
  )
  let made = 0
  for (let s = 0; s < perVolume; s++) {
    const replies = await Promise.all(
      instances.map((InstanceId) =>
        limit(() =>
          ec2.send(
            new CreateSnapshotsCommand({ InstanceSpecification: { InstanceId, ExcludeBootVolume: true } }),
          ),
        ),
      ),
    )
    made += replies.reduce((n, r) => n + (r.Snapshots?.length ?? 0), 0)
  }
  ec2.destroy()
  return made
}

const VOLUMES_PER_INSTANCE = 50
const moto = await startMoto()
let firstDeletionAt: number | undefined
const extras = snapshotExtrasHandler(snapshotExtrasState())
const proxy = await startLoopbackProxy(moto.endpoint, (req, forward) => {
  if (req.operation === 'DeleteSnapshot') firstDeletionAt ??= Date.now()
  return extras(req, forward)
})
try {
  const seedStarted = Date.now()
  const volumesPerRegion = Math.ceil(total / perVolume / regions.length)
  const created = (await Promise.all(regions.map((region) => seed(region, volumesPerRegion)))).reduce(
    (a, b) => a + b,
    0,
  )
  const seedSeconds = (Date.now() - seedStarted) / 1000
  console.log(
    `seeded ${created} snapshots on ${volumesPerRegion * regions.length} volumes in ${seedSeconds.toFixed(1)} s`,
  )

  const env = localAwsEnv(proxy.endpoint)
  // The action's own retry defaults (adaptive mode, 8 attempts), as on a runner.
  delete env.AWS_MAX_ATTEMPTS
  delete env.AWS_RETRY_MODE
  Object.assign(process.env, env, { RUNNER_TEMP: process.env.RUNNER_TEMP ?? '/tmp' })
  delete process.env.GITHUB_STEP_SUMMARY
  const settings = getSettings(
    new Inputs(
      mapInputReader({
        regions: regions.join(','),
        'all-volumes': true,
        'keep-last': keepLast,
        'max-delete': total,
      }),
    ),
  )
  proxy.resetStats()
  const started = Date.now()
  // The action's log lines would drown the figures.
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = (() => true) as typeof process.stdout.write
  try {
    await prune(
      settings,
      { signal: new AbortController().signal },
      { clients: makeClients(), now: () => Date.now() },
    )
  } catch (error) {
    // A run that did not do all it planned throws (the step fails through runAction); the figures still count.
    console.error(`prune failed: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  } finally {
    process.stdout.write = write
  }
  const seconds = (Date.now() - started) / 1000
  const deletions = proxy.stats.byOperation.get('DeleteSnapshot') ?? 0
  const expected = (created / perVolume) * Math.max(0, perVolume - Math.max(1, keepLast))
  console.log(
    `prune (keep-last ${keepLast}) over ${regions.length} regions: ${seconds.toFixed(1)} s wall time`,
  )
  const planning = ((firstDeletionAt ?? Date.now()) - started) / 1000
  console.log(`  reading and planning (until the first DeleteSnapshot): ${planning.toFixed(1)} s`)
  console.log(
    `deletions: ${deletions} (planned ${Math.round(expected)}), ${(deletions / seconds).toFixed(0)} per second`,
  )
  console.log(`AWS requests: ${proxy.stats.total}, peak in flight ${proxy.stats.peakInFlight}`)
  console.log(`  by operation: ${JSON.stringify(Object.fromEntries(proxy.stats.byOperation))}`)
  console.log(
    `AWS requests per deletion: ${(proxy.stats.total / Math.max(1, deletions)).toFixed(4)} (target <= 1.05)`,
  )
} finally {
  await proxy.close()
  await moto.stop()
}
