/**
 * prune-snapshots under faults: the main scenario (prune 3 volumes x 4
 * snapshots in one region to the newest 2 and copy the newest of each volume
 * to a DR region) with 20% of calls faulted, over 20 seeds.
 *
 * FAULT_RATE and FAULT_MAX_ATTEMPTS stress it harder (see fault-report.ts).
 *
 * Replay one seed (FAULT_VERBOSE=1 also lists the faults injected):
 *   FAULT_SEED=7 node scripts/jest-report.mjs --config jest.faults.config.js test/faults/prune-snapshots.test.ts
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  type Snapshot,
} from '@aws-sdk/client-ec2'
import { run } from '../../actions/prune-snapshots/src/main.js'
import { SOURCE_SNAPSHOT_TAG, type Plan } from '../../actions/prune-snapshots/src/plan.js'
import { runActionInProcess } from '../support/action-runner.js'
import { snapshotExtrasHandler, snapshotExtrasState } from '../support/ec2-snapshot-extras.js'
import { startFaultProxy } from '../support/fault-proxy.js'
import { startLoopbackProxy, type LoopbackProxy, type ProxyHandler } from '../support/loopback-proxy.js'
import { startMoto, type MotoServer, directClientConfig } from '../support/moto.js'
import { FAULT_RATE, FaultReport, faultEnv, faultSeeds, seedMoto } from './fault-report.js'

const SOURCE = 'eu-west-1'
const DR = 'us-east-1'
const VOLUMES = 3
const SNAPSHOTS_PER_VOLUME = 4

describe('prune-snapshots with 20% of calls faulted', () => {
  let moto: MotoServer
  /** The Recycle Bin and snapshot-lock layer moto lacks; the fault proxy sits in front of it. */
  let extrasProxy: LoopbackProxy
  let extras: ProxyHandler
  const report = new FaultReport('prune-snapshots')
  const runnerTemp = mkdtempSync(join(tmpdir(), 'prune-faults-suite-'))

  beforeAll(async () => {
    moto = await startMoto()
    extrasProxy = await startLoopbackProxy(moto.endpoint, (req, forward) => extras(req, forward))
  })
  afterAll(async () => {
    report.finish()
    await extrasProxy.close()
    await moto.stop()
  })

  const ec2 = (region: string) => new EC2Client(directClientConfig(moto.endpoint, region))
  const snapshots = async (region: string): Promise<Snapshot[]> =>
    (await ec2(region).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? []
  const sourceOf = (s: Snapshot) => s.Tags?.find((t) => t.Key === SOURCE_SNAPSHOT_TAG)?.Value

  /** Problems with what the DR region holds: never two copies of one source snapshot. */
  async function drProblems(): Promise<string[]> {
    const sources = (await snapshots(DR)).map(sourceOf).filter((s): s is string => s !== undefined)
    const twice = sources.filter((s, i) => sources.indexOf(s) !== i)
    return twice.length > 0 ? [`copied twice to ${DR}: ${[...new Set(twice)].join(', ')}`] : []
  }

  it.each(faultSeeds())('seed %i', async (seed) => {
    const startedAt = Date.now()
    await moto.reset()
    await seedMoto(moto.endpoint, seed)
    const state = snapshotExtrasState()
    extras = snapshotExtrasHandler(state)
    // Setup straight against moto: no faults.
    const client = ec2(SOURCE)
    for (let v = 0; v < VOLUMES; v++) {
      const volume = await client.send(new CreateVolumeCommand({ AvailabilityZone: `${SOURCE}a`, Size: 1 }))
      for (let s = 0; s < SNAPSHOTS_PER_VOLUME; s++)
        await client.send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId }))
    }
    const proxy = await startFaultProxy(extrasProxy.endpoint, { seed, rate: FAULT_RATE })
    const env = { ...faultEnv(proxy.endpoint), RUNNER_TEMP: runnerTemp }
    const inputs = {
      regions: SOURCE,
      'all-volumes': true,
      'dr-region': DR,
      'keep-last': 2,
      'dr-keep-last': 1,
    }
    const problems: string[] = []
    try {
      proxy.setEnabled(false)
      const dry = await runActionInProcess(run, { ...inputs, 'dry-run': true }, env)
      if (dry.failed) throw new Error(`the dry run without faults failed: ${dry.errors.join(' | ')}`)
      const plan = JSON.parse(readFileSync(dry.outputs.plan!, 'utf8')) as Plan
      const keep = plan.snapshots.filter((s) => s.decision === 'keep' && !s.planned).map((s) => s.snapshotId)
      const remove = plan.snapshots.filter((s) => s.decision === 'delete').map((s) => s.snapshotId)
      const copies = plan.copies.map((c) => c.sourceSnapshotId)
      if (remove.length === 0 || copies.length === 0)
        throw new Error('the scenario plans no deletion or copy')

      proxy.setEnabled(true)
      const result = await runActionInProcess(run, inputs, env)
      proxy.setEnabled(false)

      const remaining = new Set(
        [...(await snapshots(SOURCE)), ...(await snapshots(DR))].map((s) => s.SnapshotId),
      )
      const lost = keep.filter((id) => !remaining.has(id))
      if (lost.length > 0) problems.push(`deleted although the plan kept them: ${lost.join(', ')}`)
      problems.push(...(await drProblems()))
      if (state.copiesMade > copies.length)
        problems.push(
          `${state.copiesMade} CopySnapshot calls carried out for ${copies.length} planned copies`,
        )
      if (!result.failed) {
        const left = remove.filter((id) => remaining.has(id))
        if (left.length > 0)
          problems.push(`the run succeeded but planned deletions remain: ${left.join(', ')}`)
        const copied = new Set((await snapshots(DR)).map(sourceOf))
        const missing = copies.filter((id) => !copied.has(id))
        if (missing.length > 0)
          problems.push(`the run succeeded but copies are missing: ${missing.join(', ')}`)
      } else {
        // A failed run leaves nothing a plain rerun cannot finish, and the rerun copies nothing twice.
        const repair = await runActionInProcess(run, inputs, env)
        if (repair.failed) problems.push(`a rerun without faults failed: ${repair.errors.join(' | ')}`)
        problems.push(...(await drProblems()))
        const copied = new Set((await snapshots(DR)).map(sourceOf))
        const missing = copies.filter((id) => !copied.has(id))
        if (missing.length > 0) problems.push(`after the rerun copies are missing: ${missing.join(', ')}`)
      }
      report.record(seed, proxy.faults, result, problems, startedAt)
    } finally {
      await proxy.close()
    }
  })
})
