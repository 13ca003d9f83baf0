import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  type Tag,
} from '@aws-sdk/client-ec2'
import { run } from '../../actions/prune-snapshots/src/main.js'
import { runActionInProcess, type ActionRun } from '../support/action-runner.js'
import { localAwsEnv, startMoto, type MotoServer, directClientConfig } from '../support/moto.js'
import { startLoopbackProxy, type LoopbackProxy, type ProxyRequest } from '../support/loopback-proxy.js'
import {
  snapshotExtrasHandler,
  snapshotExtrasState,
  type SnapshotExtrasState,
} from '../support/ec2-snapshot-extras.js'

const SOURCE = 'eu-west-1'
const OTHER = 'eu-central-1'
const DR = 'us-east-1'
/** The scope for tests about something else: every volume in the regions. */
const ALL_VOLUMES = { 'all-volumes': true }

describe('prune-snapshots against moto', () => {
  let moto: MotoServer
  let proxy: LoopbackProxy
  /** Plain moto behind a counting proxy: no layer supplies what moto lacks. */
  let plain: LoopbackProxy
  let extras: SnapshotExtrasState
  /** Set per test to see requests before the extras layer does. */
  let spy: ((req: ProxyRequest) => void) | undefined
  let env: Record<string, string>
  const direct = new Map<string, EC2Client>()
  const ec2 = (region: string) => {
    let client = direct.get(region)
    if (!client) {
      client = new EC2Client(directClientConfig(moto.endpoint, region))
      direct.set(region, client)
    }
    return client
  }

  beforeAll(async () => {
    moto = await startMoto()
    extras = snapshotExtrasState()
    proxy = await startLoopbackProxy(moto.endpoint, (req, forward) => {
      spy?.(req)
      return snapshotExtrasHandler(extras)(req, forward)
    })
    plain = await startLoopbackProxy(moto.endpoint)
    env = { ...localAwsEnv(proxy.endpoint), RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'prune-test-')) }
  })
  afterAll(async () => {
    for (const client of direct.values()) client.destroy()
    await plain.close()
    await proxy.close()
    await moto.stop()
  })
  beforeEach(async () => {
    await moto.reset()
    extras = snapshotExtrasState()
    spy = undefined
    proxy.resetStats()
  })

  /** Creates `volumes` volumes with `perVolume` snapshots each, straight in moto (not counted). */
  async function seed(
    region: string,
    volumes: number,
    perVolume: number,
    tags: Tag[] = [{ Key: 'Backup', Value: 'nightly' }],
  ) {
    const out: Array<{ volumeId: string; snapshotIds: string[] }> = []
    for (let v = 0; v < volumes; v++) {
      const volume = await ec2(region).send(
        new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: 1 }),
      )
      const snapshotIds: string[] = []
      for (let s = 0; s < perVolume; s++) {
        const snap = await ec2(region).send(
          new CreateSnapshotCommand({
            VolumeId: volume.VolumeId,
            TagSpecifications: tags.length ? [{ ResourceType: 'snapshot', Tags: tags }] : undefined,
          }),
        )
        snapshotIds.push(snap.SnapshotId!)
      }
      out.push({ volumeId: volume.VolumeId!, snapshotIds })
    }
    return out
  }

  async function snapshotIds(region: string): Promise<string[]> {
    const page = await ec2(region).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))
    return (page.Snapshots ?? []).map((s) => s.SnapshotId!).sort()
  }

  const prune = (inputs: Record<string, string | number | boolean>) => runActionInProcess(run, inputs, env)

  interface PlanFile {
    snapshots: Array<{
      region: string
      snapshotId: string
      decision: string
      reasons: string[]
      planned?: boolean
    }>
    copies: unknown[]
  }
  const planOf = (result: ActionRun): PlanFile =>
    JSON.parse(readFileSync(result.outputs.plan!, 'utf8')) as PlanFile
  const planned = (plan: PlanFile, region: string) =>
    plan.snapshots
      .filter((s) => s.region === region && s.decision === 'delete')
      .map((s) => s.snapshotId)
      .sort()

  it('dry run plans and reports but deletes nothing', async () => {
    await seed(SOURCE, 2, 4)
    await seed(OTHER, 1, 3)
    const before = [await snapshotIds(SOURCE), await snapshotIds(OTHER)]
    const result = await prune({
      ...ALL_VOLUMES,
      regions: `${SOURCE},${OTHER}`,
      'keep-last': 2,
      'dry-run': true,
    })
    expect(result.failed).toBe(false)
    expect(JSON.parse(result.outputs.deleted!)).toEqual({})
    expect(JSON.parse(result.outputs.copied!)).toEqual([])
    expect(result.outputs.kept).toBe('11')
    const plan = planOf(result)
    expect(planned(plan, SOURCE)).toHaveLength(4)
    expect(planned(plan, OTHER)).toHaveLength(1)
    expect(plan.snapshots.every((s) => s.reasons.length > 0)).toBe(true)
    expect([await snapshotIds(SOURCE), await snapshotIds(OTHER)]).toEqual(before)
    expect(proxy.stats.byOperation.get('DeleteSnapshot')).toBeUndefined()
    expect(result.summary).toContain('Dry run: nothing was changed')
    expect(result.summary).toContain(`### ${OTHER}`)
  })

  it('a real run deletes exactly the planned set, with one read of each kind per region', async () => {
    const volumes = await seed(SOURCE, 3, 4)
    const other = await seed(OTHER, 1, 3)
    // Outside the filter, protected, locked: never deleted.
    await seed(SOURCE, 1, 3, [{ Key: 'Backup', Value: 'weekly' }])
    const protectedId = (
      await seed(SOURCE, 1, 3, [
        { Key: 'Backup', Value: 'nightly' },
        { Key: 'DoNotDelete', Value: '' },
      ])
    )[0]!
    const lockedVolume = volumes[0]!
    extras.locks.set(
      SOURCE,
      lockedVolume.snapshotIds.map((snapshotId) => ({ snapshotId, lockState: 'governance' })),
    )
    const inputs = {
      regions: `${SOURCE},${OTHER}`,
      'keep-last': 1,
      filters: 'Backup=nightly',
      'max-delete': 50,
    }

    const dry = planOf(await prune({ ...inputs, 'dry-run': true }))
    proxy.resetStats()
    const result = await prune(inputs)
    expect(result.failed).toBe(false)
    const deleted = JSON.parse(result.outputs.deleted!) as Record<string, string[]>
    expect(deleted[SOURCE]!.sort()).toEqual(planned(dry, SOURCE))
    expect(deleted[OTHER]!.sort()).toEqual(planned(dry, OTHER))
    expect(deleted[SOURCE]).toHaveLength(6) // two volumes x (4 - 1); the locked volume keeps all four
    expect(deleted[OTHER]).toHaveLength(2)
    const remaining = await snapshotIds(SOURCE)
    for (const id of deleted[SOURCE]!) expect(remaining).not.toContain(id)
    for (const id of [...lockedVolume.snapshotIds, ...protectedId.snapshotIds])
      expect(remaining).toContain(id)
    expect(remaining).toHaveLength(3 * 4 + 3 + 3 - 6)
    expect((await snapshotIds(OTHER)).filter((id) => other[0]!.snapshotIds.includes(id))).toHaveLength(1)
    expect(result.outputs.kept).toBe(String(dry.snapshots.length - 8))

    const ops = Object.fromEntries(proxy.stats.byOperation)
    expect(ops).toMatchObject({
      DescribeSnapshots: 2,
      DescribeImages: 2,
      DescribeLockedSnapshots: 2,
      DeleteSnapshot: 8,
    })
    expect(ops.GetCallerIdentity).toBe(1)
    // The rerun has nothing left to do.
    proxy.resetStats()
    const again = await prune(inputs)
    expect(JSON.parse(again.outputs.deleted!)).toEqual({})
    expect(proxy.stats.byOperation.get('DeleteSnapshot')).toBeUndefined()
  })

  it('copies to the DR region once across two runs, even when a reply is lost and the region is at its copy limit', async () => {
    await seed(SOURCE, 3, 2)
    extras.loseReplies.set('CopySnapshot', 1)
    extras.copyLimitRejections = 2
    const inputs = { ...ALL_VOLUMES, regions: SOURCE, 'dr-region': DR, 'keep-last': 2, 'dr-keep-last': 1 }
    const first = await prune(inputs)
    expect(first.failed).toBe(false)
    const copied = JSON.parse(first.outputs.copied!) as Array<{
      sourceRegion: string
      sourceSnapshotId: string
      region: string
      snapshotId: string
    }>
    expect(copied).toHaveLength(3)
    expect(
      copied.every((c) => c.sourceRegion === SOURCE && c.region === DR && c.snapshotId.startsWith('snap-')),
    ).toBe(true)
    expect(extras.copiesMade).toBe(3)
    const drSnapshots =
      (await ec2(DR).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? []
    expect(drSnapshots).toHaveLength(3)
    const tags = Object.fromEntries((drSnapshots[0]!.Tags ?? []).map((t) => [t.Key, t.Value]))
    expect(tags).toMatchObject({ Backup: 'nightly', 'prune-snapshots:source-region': SOURCE })
    expect(tags['prune-snapshots:source-snapshot-id']).toMatch(/^snap-/)
    expect(tags['prune-snapshots:source-volume-id']).toMatch(/^vol-/)

    const second = await prune(inputs)
    expect(second.failed).toBe(false)
    expect(JSON.parse(second.outputs.copied!)).toEqual([])
    expect(extras.copiesMade).toBe(3)
    expect(await snapshotIds(DR)).toHaveLength(3)
  })

  it('starts only as many copies as the DR region has free slots, counting copies still pending from an earlier run', async () => {
    // Copies stay pending for a while, as AWS's do; 20 pending ones fill the region.
    extras.copyPendingMs = 1500
    await seed(SOURCE, 20, 1)
    const inputs = { ...ALL_VOLUMES, regions: SOURCE, 'dr-region': DR, 'keep-last': 1 }
    const first = await prune(inputs)
    expect(first.failed).toBe(false)
    expect(JSON.parse(first.outputs.copied!)).toHaveLength(20)
    // The next run starts while those 20 are still pending, with 25 more volumes to copy.
    extras.copyPendingMs = 300
    await seed(SOURCE, 25, 1)
    proxy.resetStats()
    const second = await prune(inputs)
    expect(second.failed).toBe(false)
    expect(JSON.parse(second.outputs.copied!)).toHaveLength(25)
    expect(extras.copiesMade).toBe(45)
    expect(extras.copiesRefusedAtLimit).toBe(0)
    expect(extras.peakPendingCopies.get(DR)).toBeLessThanOrEqual(20)
    expect(proxy.stats.byOperation.get('CopySnapshot')).toBe(25)
  })

  it('waits out copy slots held by copies it cannot see, and fails none', async () => {
    extras.copyPendingMs = 800
    await seed(SOURCE, 25, 1)
    // Someone else's 15 copies into the DR region, pending.
    const [other] = await seed(OTHER, 1, 1, [])
    const foreign = new EC2Client({ ...directClientConfig(proxy.endpoint, DR) })
    try {
      for (let i = 0; i < 15; i++)
        await foreign.send(
          new CopySnapshotCommand({ SourceRegion: OTHER, SourceSnapshotId: other!.snapshotIds[0]! }),
        )
    } finally {
      foreign.destroy()
    }
    const result = await prune({ ...ALL_VOLUMES, regions: SOURCE, 'dr-region': DR, 'keep-last': 1 })
    expect(result.failed).toBe(false)
    expect(JSON.parse(result.outputs.copied!)).toHaveLength(25)
    expect(extras.peakPendingCopies.get(DR)).toBeLessThanOrEqual(20)
  })

  it('reports a DR copy in state error, deletes it and copies its source again', async () => {
    await seed(SOURCE, 1, 2)
    const inputs = { ...ALL_VOLUMES, regions: SOURCE, 'dr-region': DR, 'keep-last': 2, 'dr-keep-last': 2 }
    const first = await prune(inputs)
    const [made] = JSON.parse(first.outputs.copied!) as Array<{
      snapshotId: string
      sourceSnapshotId: string
    }>
    extras.states.set(made!.snapshotId, 'error')
    const second = await prune(inputs)
    expect(second.failed).toBe(false)
    expect(
      second.warnings.filter((w) =>
        w.includes(`copy ${made!.snapshotId} of ${made!.sourceSnapshotId} is in state error`),
      ),
    ).toHaveLength(1)
    expect((JSON.parse(second.outputs.deleted!) as Record<string, string[]>)[DR]).toEqual([made!.snapshotId])
    const again = JSON.parse(second.outputs.copied!) as Array<{
      snapshotId: string
      sourceSnapshotId: string
    }>
    expect(again.map((c) => c.sourceSnapshotId)).toEqual([made!.sourceSnapshotId])
    const dr = await snapshotIds(DR)
    expect(dr).toEqual([again[0]!.snapshotId])
  })

  it('encrypts DR copies with a Multi-Region key given by its ARN', async () => {
    await seed(SOURCE, 1, 1)
    const sent: string[] = []
    spy = (req) => {
      if (req.operation === 'CopySnapshot') sent.push(req.params.get('KmsKeyId') ?? '')
    }
    const key = `arn:aws:kms:${DR}:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab`
    const result = await prune({ ...ALL_VOLUMES, regions: SOURCE, 'dr-region': DR, 'kms-key-id': key })
    expect(result.errors).toEqual([])
    expect(sent).toEqual([key])
  })

  it('plans and deletes on plain moto, which has neither DescribeLockedSnapshots nor Recycle Bin', async () => {
    await seed(SOURCE, 2, 3)
    const inputs = { regions: SOURCE, filters: 'Backup=nightly', 'keep-last': 1 }
    const plainEnv = { ...env, AWS_ENDPOINT_URL: plain.endpoint }
    const dry = await runActionInProcess(run, { ...inputs, 'dry-run': true }, plainEnv)
    expect(dry.failed).toBe(false)
    expect(planned(planOf(dry), SOURCE)).toHaveLength(4)
    const result = await runActionInProcess(run, inputs, plainEnv)
    expect(result.errors).toEqual([])
    expect(result.failed).toBe(false)
    expect((JSON.parse(result.outputs.deleted!) as Record<string, string[]>)[SOURCE]!.sort()).toEqual(
      planned(planOf(dry), SOURCE),
    )
    expect(await snapshotIds(SOURCE)).toHaveLength(2)
    // moto answers the lock call with an HTML 500: the warning says so.
    expect(
      result.warnings.filter((w) =>
        /could not read snapshot locks \(DescribeLockedSnapshots answered HTTP 500/.test(w),
      ),
    ).toHaveLength(1)
    expect(plain.stats.byOperation.get('DeleteSnapshot')).toBe(4)
  })

  it('refuses a plan that deletes more than max-delete, and deletes nothing', async () => {
    await seed(SOURCE, 2, 5)
    const before = await snapshotIds(SOURCE)
    const result = await prune({ ...ALL_VOLUMES, regions: SOURCE, 'keep-last': 1, 'max-delete': 5 })
    expect(result.failed).toBe(true)
    expect(result.errors.join('\n')).toMatch(
      /The plan deletes 8 snapshots, more than max-delete \(5\); nothing was deleted/,
    )
    expect(proxy.stats.byOperation.get('DeleteSnapshot')).toBeUndefined()
    expect(await snapshotIds(SOURCE)).toEqual(before)
    expect(JSON.parse(result.outputs.deleted!)).toEqual({})
    expect(result.summary).toContain('Refused')
  })

  it.each([
    [{ regions: '' }, 'regions'],
    [{ regions: 'eu-west-1', 'keep-last': '-1' }, 'keep-last'],
    [{ regions: 'eu-west-1', 'keep-within': '2 weeks' }, 'keep-within'],
    [{ regions: 'eu-west-1', filters: 'Backup' }, 'filters'],
    [{ regions: 'eu-west-1', 'volume-ids': 'vol-nope' }, 'volume-ids'],
    [{ regions: 'eu-west-1', 'dr-region': 'us-east-9' }, 'dr-region'],
    [{ regions: 'eu-west-1', 'max-delete': 'lots' }, 'max-delete'],
    [{ regions: 'eu-west-1', 'max-rate': '-1' }, 'max-rate'],
  ])('rejects %j before any request', async (inputs, name) => {
    const result = await prune({ ...ALL_VOLUMES, ...inputs })
    expect(result.failed).toBe(true)
    expect(result.errors[0]).toContain(`Input '${name}'`)
    expect(proxy.stats.total).toBe(0)
  })

  it('regions alone is no scope: deletes nothing and names filters and volume-ids', async () => {
    await seed(SOURCE, 1, 3)
    const result = await prune({ regions: SOURCE, 'keep-last': 1 })
    expect(result.failed).toBe(true)
    expect(result.errors[0]).toContain(`Input 'filters'`)
    expect(result.errors[0]).toContain(`'volume-ids'`)
    expect(result.errors[0]).toContain(`'all-volumes: true'`)
    expect(proxy.stats.total).toBe(0)
    expect(await snapshotIds(SOURCE)).toHaveLength(3)
    // Saying so prunes every volume.
    const all = await prune({ regions: SOURCE, 'keep-last': 1, 'all-volumes': true })
    expect(all.failed).toBe(false)
    expect(await snapshotIds(SOURCE)).toHaveLength(1)
  })

  it.each([
    [{ 'keep-last': '0' }, 'keep-last', /keep-last of 1 or more, or another keep rule/],
    [{ 'keep-last': '0', 'keep-daily': '0' }, 'keep-last', /another keep rule/],
    [{ 'keep-within': '1000000y' }, 'keep-within', /"1000000y".*at most 100 years/],
    [{ 'keep-within': '99999999999999999999d' }, 'keep-within', /at most 100 years/],
    [{ 'dr-region': SOURCE }, 'dr-region', /"eu-west-1".*not one of regions/],
    [{ 'dr-region': DR, 'dr-keep-last': '0', 'keep-daily': '' }, 'dr-keep-last', /another keep rule/],
    [{ filters: 'Backup=nightly' }, 'all-volumes', /when filters or volume-ids narrow the scope/],
  ])('refuses %j, which cannot mean what it says, before any request', async (inputs, name, message) => {
    await seed(SOURCE, 1, 3)
    proxy.resetStats()
    const result = await prune({ ...ALL_VOLUMES, regions: SOURCE, ...inputs })
    expect(result.failed).toBe(true)
    expect(result.errors[0]).toContain(`Input '${name}'`)
    expect(result.errors[0]).toMatch(message)
    expect(proxy.stats.total).toBe(0)
    expect(await snapshotIds(SOURCE)).toHaveLength(3)
  })

  it.each([
    [
      'denied',
      /DescribeLockedSnapshots answered HTTP 403 UnauthorizedOperation: .*Allow ec2:DescribeLockedSnapshots/,
    ],
    ['server-error', /DescribeLockedSnapshots answered HTTP 503 Unavailable: /],
  ] as const)(
    'prunes a region whose locks cannot be read (%s), with a warning naming the answer; a locked snapshot is kept: locked',
    async (lockApi, warning) => {
      await seed(SOURCE, 1, 4)
      const inputs = { ...ALL_VOLUMES, regions: SOURCE, 'keep-last': 1 }
      // Lock one that the plan deletes (StartTime ties make "the oldest" unsure).
      const locked = planned(planOf(await prune({ ...inputs, 'dry-run': true })), SOURCE)[0]!
      extras.locks.set(SOURCE, [{ snapshotId: locked, lockState: 'compliance' }])
      extras.lockApi = lockApi
      // The code is not in the API reference: the refusal is known by its lock message.
      extras.lockedDeleteCode = 'OperationNotPermitted'
      const result = await prune(inputs)
      expect(result.failed).toBe(false)
      expect(result.warnings.filter((w) => warning.test(w))).toHaveLength(1)
      const deleted = (JSON.parse(result.outputs.deleted!) as Record<string, string[]>)[SOURCE]!
      expect(deleted).toHaveLength(2)
      expect(deleted).not.toContain(locked)
      expect(await snapshotIds(SOURCE)).toContain(locked)
      expect(result.summary).toContain(`1 snapshot(s) kept: locked: AWS refused to delete them (${locked})`)
      expect(result.errors).toEqual([])
    },
  )

  it('goes on with a warning where snapshot locks do not exist, and reports Recycle Bin rules once per region', async () => {
    await seed(SOURCE, 1, 3)
    extras.lockApi = 'unavailable'
    extras.recycleBinRules.set(SOURCE, [
      { identifier: 'abcdEFGH123', retentionDays: 14 },
      { identifier: 'zyxw9876', retentionDays: 7 },
    ])
    const result = await prune({ ...ALL_VOLUMES, regions: SOURCE, 'keep-last': 1 })
    expect(result.failed).toBe(false)
    expect(JSON.parse(result.outputs.deleted!)[SOURCE]).toHaveLength(2)
    expect(result.warnings.filter((w) => w.includes('snapshot locks are not offered'))).toHaveLength(1)
    expect(
      result.warnings.filter((w) =>
        w.includes(
          'Recycle Bin retains deleted EBS snapshots here (rules abcdEFGH123 (14 days), zyxw9876 (7 days))',
        ),
      ),
    ).toHaveLength(1)
    expect(result.summary).toContain('rule abcdEFGH123 retains deleted snapshots for 14 days')
  })

  it('warns once when Recycle Bin cannot be read (moto has no rbin)', async () => {
    await seed(SOURCE, 1, 2)
    await seed(OTHER, 1, 2)
    extras.recycleBinPassthrough = true
    const result = await prune({ ...ALL_VOLUMES, regions: `${SOURCE},${OTHER}`, 'keep-last': 1 })
    expect(result.failed).toBe(false)
    expect(result.warnings.filter((w) => w.includes('Could not check Recycle Bin rules'))).toHaveLength(1)
  })

  it('treats a deletion whose reply was lost as done', async () => {
    await seed(SOURCE, 1, 4)
    extras.loseReplies.set('DeleteSnapshot', 2)
    const result = await prune({ ...ALL_VOLUMES, regions: SOURCE, 'keep-last': 1, 'max-rate': 50 })
    expect(result.failed).toBe(false)
    expect(JSON.parse(result.outputs.deleted!)[SOURCE]).toHaveLength(3)
    expect(await snapshotIds(SOURCE)).toHaveLength(1)
  })

  it('on SIGTERM starts no new deletions, lets those in flight finish and reports', async () => {
    await seed(SOURCE, 1, 25)
    let signalled = false
    spy = (req) => {
      if (req.operation === 'DeleteSnapshot' && !signalled) {
        signalled = true
        process.emit('SIGTERM', 'SIGTERM')
      }
    }
    const result = await prune({ ...ALL_VOLUMES, regions: SOURCE, 'keep-last': 1 })
    expect(result.failed).toBe(true)
    expect(result.errors.join('\n')).toMatch(/cancelled: \d+ deletion\(s\) not started/)
    const deleted = (JSON.parse(result.outputs.deleted!) as Record<string, string[]>)[SOURCE] ?? []
    expect(deleted.length).toBeGreaterThan(0)
    expect(deleted.length).toBeLessThanOrEqual(10)
    expect(await snapshotIds(SOURCE)).toHaveLength(25 - deleted.length)
    expect(result.summary).toContain('Cancelled')
  })
})
