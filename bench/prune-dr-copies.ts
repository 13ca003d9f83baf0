/**
 * prune-snapshots' DR copies at scale: seeds N volumes (default 500) with one
 * snapshot each in moto, then runs the action's plan-and-apply with a DR region
 * through the snapshot layer, which enforces AWS's limit of 20 pending copies
 * per destination region (ResourceLimitExceeded beyond it, which the SDK does
 * not retry) and keeps every copy pending for a while, as AWS's copies are.
 * Prints the wall time, the copies made and failed, the peak of pending copies
 * and the requests made.
 *
 *   npx tsx bench/prune-dr-copies.ts [--copies 500] [--pending-min-ms 1000] [--pending-max-ms 3000]
 */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2'
import pLimit from 'p-limit'
import { prune } from '../actions/prune-snapshots/src/main.js'
import { makeClients } from '../actions/prune-snapshots/src/clients.js'
import { getSettings } from '../actions/prune-snapshots/src/input-helper.js'
import { SOURCE_SNAPSHOT_TAG } from '../actions/prune-snapshots/src/plan.js'
import { Inputs, mapInputReader } from '../lib/inputs.js'
import {
  COPY_LIMIT_PER_REGION,
  snapshotExtrasHandler,
  snapshotExtrasState,
} from '../test/support/ec2-snapshot-extras.js'
import { startLoopbackProxy } from '../test/support/loopback-proxy.js'
import { localAwsEnv, startMoto } from '../test/support/moto.js'
import { mulberry32 } from '../test/support/random.js'
import { numberArg } from './args.js'

const copies = numberArg('copies', 500)
const pendingMinMs = numberArg('pending-min-ms', 1000)
const pendingMaxMs = numberArg('pending-max-ms', 3000)
const SOURCE = 'eu-west-1'
const DR = 'us-east-1'

const moto = await startMoto()
const state = snapshotExtrasState()
const random = mulberry32(42)
state.copyPendingMs = () => pendingMinMs + Math.round(random() * (pendingMaxMs - pendingMinMs))
const proxy = await startLoopbackProxy(moto.endpoint, snapshotExtrasHandler(state))
try {
  const seedStarted = Date.now()
  const ec2 = new EC2Client({
    region: SOURCE,
    endpoint: moto.endpoint,
    maxAttempts: 3,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  })
  const limit = pLimit(16)
  await Promise.all(
    Array.from({ length: copies }, () =>
      limit(async () => {
        const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${SOURCE}a`, Size: 1 }))
        await ec2.send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId }))
      }),
    ),
  )
  ec2.destroy()
  console.log(
    `seeded ${copies} volumes with a snapshot each in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`,
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
        regions: SOURCE,
        'all-volumes': true,
        'dr-region': DR,
        'keep-last': 1,
        'dr-keep-last': 1,
      }),
    ),
  )
  proxy.resetStats()
  const started = Date.now()
  // The action's log lines would drown the figures; its error lines are kept.
  const write = process.stdout.write.bind(process.stdout)
  let failure = ''
  process.stdout.write = ((chunk: string | Uint8Array) => {
    const text = String(chunk)
    if (text.startsWith('::error')) failure += text
    return true
  }) as typeof process.stdout.write
  try {
    await prune(
      settings,
      { signal: new AbortController().signal },
      { clients: makeClients(), now: () => Date.now() },
    )
  } catch (error) {
    // A run that did not do all it planned throws (the step fails through runAction).
    failure += error instanceof Error ? error.message : String(error)
  } finally {
    process.stdout.write = write
  }
  const seconds = (Date.now() - started) / 1000
  // What the DR region holds, straight from moto: one copy of each source snapshot.
  const dr = new EC2Client({
    region: DR,
    endpoint: moto.endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  })
  const held = await dr.send(
    new DescribeSnapshotsCommand({
      OwnerIds: ['self'],
      Filters: [{ Name: 'tag-key', Values: [SOURCE_SNAPSHOT_TAG] }],
    }),
  )
  dr.destroy()
  const sources = (held.Snapshots ?? []).map((s) => s.Tags?.find((t) => t.Key === SOURCE_SNAPSHOT_TAG)?.Value)
  const made = new Set(sources).size
  const twice = sources.length - made
  const failed = copies - made
  console.log(`${copies} DR copies into ${DR} (copies pending ${pendingMinMs}-${pendingMaxMs} ms each):`)
  console.log(`  wall time ${seconds.toFixed(1)} s`)
  console.log(
    `  copies made ${made}, failed ${failed}, made twice ${twice}${failure ? ` (${failure.trim().slice(0, 300)})` : ''}`,
  )
  console.log(
    `  peak pending copies in ${DR}: ${state.peakPendingCopies.get(DR) ?? 0} (limit ${COPY_LIMIT_PER_REGION}); CopySnapshot refused with ResourceLimitExceeded: ${state.copiesRefusedAtLimit}`,
  )
  console.log(`AWS requests: ${proxy.stats.total}`)
  console.log(`  by operation: ${JSON.stringify(Object.fromEntries(proxy.stats.byOperation))}`)
  if (failed > 0 || twice > 0 || failure) process.exitCode = 1
} finally {
  await proxy.close()
  await moto.stop()
}
