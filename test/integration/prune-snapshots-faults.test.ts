import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2'
import { run } from '../../actions/prune-snapshots/src/main.js'
import { runActionInProcess } from '../support/action-runner.js'
import { localAwsEnv, startMoto, type MotoServer, directClientConfig } from '../support/moto.js'
import { startLoopbackProxy, type LoopbackProxy, type ProxyHandler } from '../support/loopback-proxy.js'
import { ec2ErrorReply, snapshotExtrasHandler, snapshotExtrasState } from '../support/ec2-snapshot-extras.js'
import { mulberry32 } from '../support/random.js'

const SOURCE = 'eu-west-1'
const DR = 'us-east-1'

/**
 * Faults a share of EC2 calls the way a busy account does: RequestLimitExceeded
 * (503), InternalError (500), a connection dropped before the call is made, and
 * a lost reply (the call is made, the answer never arrives).
 */
function faults(seed: number, share: number, inner: ProxyHandler, counts: Map<string, number>): ProxyHandler {
  const next = mulberry32(seed)
  return async (req, forward) => {
    if (req.service !== 'ec2' || next() >= share) return inner(req, forward)
    const kind = ['throttle', 'error', 'drop', 'lost'][Math.floor(next() * 4)]!
    counts.set(kind, (counts.get(kind) ?? 0) + 1)
    if (kind === 'throttle') return ec2ErrorReply(503, 'RequestLimitExceeded', 'Request limit exceeded.')
    if (kind === 'error') return ec2ErrorReply(500, 'InternalError', 'An internal error has occurred.')
    if (kind === 'drop') return 'drop'
    await inner(req, forward)
    return 'drop'
  }
}

describe('prune-snapshots with 20% of EC2 calls faulted', () => {
  let moto: MotoServer
  let proxy: LoopbackProxy
  let handler: ProxyHandler
  const runnerTemp = mkdtempSync(join(tmpdir(), 'prune-faults-'))
  const ec2 = (region: string) => new EC2Client(directClientConfig(moto.endpoint, region))

  beforeAll(async () => {
    moto = await startMoto()
    proxy = await startLoopbackProxy(moto.endpoint, (req, forward) => handler(req, forward))
  })
  afterAll(async () => {
    await proxy.close()
    await moto.stop()
  })

  const ids = async (region: string) =>
    ((await ec2(region).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? []).map(
      (s) => s.SnapshotId!,
    )

  it.each([1, 2, 3, 4, 5])('seed %i: ends with the planned result, or fails without damage', async (seed) => {
    await moto.reset()
    const client = ec2(SOURCE)
    for (let v = 0; v < 3; v++) {
      const volume = await client.send(new CreateVolumeCommand({ AvailabilityZone: `${SOURCE}a`, Size: 1 }))
      for (let s = 0; s < 4; s++) await client.send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId }))
    }
    const env = { ...localAwsEnv(proxy.endpoint), RUNNER_TEMP: runnerTemp }
    const inputs = {
      regions: SOURCE,
      'all-volumes': true,
      'dr-region': DR,
      'keep-last': 2,
      'dr-keep-last': 1,
    }
    const extras = snapshotExtrasState()
    handler = snapshotExtrasHandler(extras)
    const dry = await runActionInProcess(run, { ...inputs, 'dry-run': true }, env)
    const plan = JSON.parse(readFileSync(dry.outputs.plan!, 'utf8')) as {
      snapshots: Array<{ snapshotId: string; decision: string; region: string }>
    }
    const keep = plan.snapshots
      .filter((s) => s.decision === 'keep' && s.region === SOURCE)
      .map((s) => s.snapshotId)
    const remove = plan.snapshots.filter((s) => s.decision === 'delete').map((s) => s.snapshotId)

    const counts = new Map<string, number>()
    handler = faults(seed, 0.2, snapshotExtrasHandler(extras), counts)
    const result = await runActionInProcess(run, inputs, env)
    handler = snapshotExtrasHandler(extras)

    const remaining = await ids(SOURCE)
    for (const id of keep) expect(remaining).toContain(id)
    // Never a second copy of a snapshot.
    expect(extras.copiesMade).toBeLessThanOrEqual(3)
    if (!result.failed) {
      for (const id of remove) expect(remaining).not.toContain(id)
      expect(extras.copiesMade).toBe(3)
      expect(await ids(DR)).toHaveLength(3)
      expect(JSON.parse(result.outputs.copied!)).toHaveLength(3)
    } else {
      expect(result.errors.join('\n')).toMatch(/prune-snapshots|Could not read/)
    }
  })
})
