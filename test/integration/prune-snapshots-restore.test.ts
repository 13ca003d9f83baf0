/**
 * prune-snapshots proves its backups restore and archives what it keeps for the
 * long term, against moto through the real SDK. moto makes volumes `available`
 * at once and has no archive tier; test/support/ec2-snapshot-extras.ts holds
 * volumes in `creating` and answers ModifySnapshotTier and
 * DescribeSnapshotTierStatus from AWS's documented shapes. demo/snapshot-ages.ts
 * gives seeded snapshots the ages a few months of backups would have.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2'
import { snapshotAgesHandler, type SnapshotAges } from '../../demo/snapshot-ages.js'
import { run } from '../../actions/prune-snapshots/src/main.js'
import { RESTORE_STATE } from '../../actions/prune-snapshots/src/post.js'
import { RESTORE_TEST_TAG, type RestoreTest } from '../../actions/prune-snapshots/src/restore.js'
import { parseCommandFile, runActionInProcess } from '../support/action-runner.js'
import {
  snapshotExtrasHandler,
  snapshotExtrasState,
  type SnapshotExtrasState,
} from '../support/ec2-snapshot-extras.js'
import { startLoopbackProxy, type LoopbackProxy, type ProxyRequest } from '../support/loopback-proxy.js'
import { directClientConfig, localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'

const SOURCE = 'eu-west-1'
const DR = 'us-east-1'
const DAY = 86400_000

let moto: MotoServer
let proxy: LoopbackProxy
let extras: SnapshotExtrasState
let ages: SnapshotAges
let requests: ProxyRequest[]
let env: Record<string, string>
const clients = new Map<string, EC2Client>()
const ec2 = (region: string) => {
  let client = clients.get(region)
  if (!client) clients.set(region, (client = new EC2Client(directClientConfig(moto.endpoint, region))))
  return client
}

beforeAll(async () => {
  moto = await startMoto()
  proxy = await startLoopbackProxy(moto.endpoint, (req, forward) => {
    requests.push(req)
    return snapshotExtrasHandler(extras, snapshotAgesHandler(ages))(req, forward)
  })
  env = { ...localAwsEnv(proxy.endpoint), RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'prune-restore-')) }
})
afterAll(async () => {
  for (const c of clients.values()) c.destroy()
  await proxy.close()
  await moto.stop()
})
beforeEach(async () => {
  await moto.reset()
  extras = snapshotExtrasState()
  ages = new Map()
  requests = []
})

/** `volumes` volumes, each with snapshots of the given ages in days (oldest last), straight in moto. */
async function seed(region: string, volumes: number, ageDays: number[]) {
  const out: Array<{ volumeId: string; snapshotIds: string[] }> = []
  for (let v = 0; v < volumes; v++) {
    const volume = await ec2(region).send(
      new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: 1 }),
    )
    const snapshotIds: string[] = []
    for (const days of ageDays) {
      const snap = await ec2(region).send(
        new CreateSnapshotCommand({
          VolumeId: volume.VolumeId,
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'Backup', Value: 'nightly' }] }],
        }),
      )
      snapshotIds.push(snap.SnapshotId!)
      if (days > 0) ages.set(snap.SnapshotId!, new Date(Date.now() - days * DAY).toISOString())
    }
    out.push({ volumeId: volume.VolumeId!, snapshotIds })
  }
  return out
}

const testVolumes = async (region: string) =>
  (
    await ec2(region).send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'tag-key', Values: [RESTORE_TEST_TAG] }] }),
    )
  ).Volumes ?? []

const prune = (inputs: Record<string, string | number | boolean>) => runActionInProcess(run, inputs, env)
const sent = (operation: string) => requests.filter((r) => r.operation === operation)

describe('restore tests (verify-restore)', () => {
  it('makes one volume per volume from its newest DR copy, waits until available, deletes it, and reports each', async () => {
    const volumes = await seed(SOURCE, 2, [0, 0])
    const inputs = { filters: 'Backup=nightly', regions: SOURCE, 'dr-region': DR, 'keep-last': 2 }
    // The first run copies; a copy is tested once it has completed (AWS's take minutes to hours).
    const first = await prune({ ...inputs, 'verify-restore': true })
    expect(first.failed).toBe(false)
    expect(JSON.parse(first.outputs['restore-tests']!)).toEqual([])
    expect(first.summary).toContain('no completed DR copy in us-east-1 yet')
    requests = []
    extras.volumeCreatingMs = 1200
    const second = await prune({ ...inputs, 'verify-restore': true })
    expect(second.errors).toEqual([])
    expect(second.failed).toBe(false)
    const tests = JSON.parse(second.outputs['restore-tests']!) as RestoreTest[]
    const copies = (await ec2(DR).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? []
    expect(tests.map((t) => t.volume).sort()).toEqual(volumes.map((v) => v.volumeId).sort())
    for (const t of tests) {
      expect(t).toMatchObject({ region: DR, ok: true })
      expect(t.seconds).toBeGreaterThanOrEqual(1)
      const copy = copies.find((c) => c.SnapshotId === t.snapshot)!
      expect(copy.Tags?.find((tag) => tag.Key === 'prune-snapshots:source-volume-id')?.Value).toBe(t.volume)
    }
    // One CreateVolume per volume, in an Availability Zone of the DR region, tagged for the cleanup; each deleted.
    const created = sent('CreateVolume')
    expect(created).toHaveLength(2)
    for (const req of created) {
      expect(req.region).toBe(DR)
      expect(req.params.get('AvailabilityZone')).toBe(`${DR}a`)
      expect(req.params.get('TagSpecification.1.Tag.1.Key')).toBe(RESTORE_TEST_TAG)
    }
    expect(sent('DeleteVolume')).toHaveLength(2)
    expect(await testVolumes(DR)).toEqual([])
    expect(second.summary).toContain('### Restore tests')
    expect(second.summary).toContain('2 of 2 restore test(s) passed')
    expect(second.state[RESTORE_STATE]).toBeDefined()
  })

  it('tests at most restore-tests-per-run volumes, those tested longest ago first', async () => {
    const volumes = await seed(SOURCE, 3, [0])
    const inputs = {
      filters: 'Backup=nightly',
      regions: SOURCE,
      'verify-restore': true,
      'restore-tests-per-run': 2,
    }
    const tested: string[] = []
    for (let i = 0; i < 2; i++) {
      const result = await prune(inputs)
      expect(result.failed).toBe(false)
      const tests = JSON.parse(result.outputs['restore-tests']!) as RestoreTest[]
      expect(tests).toHaveLength(2)
      tested.push(...tests.map((t) => t.volume))
    }
    // Two runs of two tests each reach all three volumes.
    expect(new Set(tested)).toEqual(new Set(volumes.map((v) => v.volumeId)))
  })

  it('fails the step when a volume never becomes available, and deletes it', async () => {
    const [volume] = await seed(SOURCE, 1, [0])
    extras.volumesNeverAvailable.add(volume!.snapshotIds[0]!)
    const result = await prune({
      filters: 'Backup=nightly',
      regions: SOURCE,
      'verify-restore': true,
      'restore-timeout-minutes': 0.05,
    })
    expect(result.failed).toBe(true)
    const [test] = JSON.parse(result.outputs['restore-tests']!) as RestoreTest[]
    expect(test).toMatchObject({ volume: volume!.volumeId, snapshot: volume!.snapshotIds[0], ok: false })
    expect(test!.reason).toMatch(/was not available within 3 s$/)
    expect(result.errors.join('\n')).toContain('1 restore test(s) failed')
    expect(result.summary).toContain('### Restore tests that failed')
    expect(await testVolumes(SOURCE)).toEqual([])
  })

  it('leaves no volume behind when killed mid-test: the post step deletes it', async () => {
    const [volume] = await seed(SOURCE, 1, [0])
    extras.volumesNeverAvailable.add(volume!.snapshotIds[0]!)
    const dir = mkdtempSync(join(tmpdir(), 'prune-kill-'))
    const files = { GITHUB_STATE: join(dir, 'state'), GITHUB_OUTPUT: join(dir, 'output') }
    for (const f of Object.values(files)) writeFileSync(f, '')
    const child = spawn(process.execPath, ['--import', 'tsx', 'actions/prune-snapshots/src/index.ts'], {
      env: {
        ...process.env,
        ...env,
        ...files,
        INPUT_REGIONS: SOURCE,
        INPUT_FILTERS: 'Backup=nightly',
        'INPUT_VERIFY-RESTORE': 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    const exit = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, s) => resolve(s)))
    await new Promise<void>((resolve, reject) => {
      const look = (chunk: Buffer) => {
        out += chunk.toString()
        if (/restore test of vol-\w+: volume vol-/.test(out)) resolve()
      }
      child.stdout.on('data', look)
      child.stderr.on('data', look)
      void exit.then(() => reject(new Error(`exited before the test volume was made:\n${out}`)))
    })
    child.kill('SIGKILL')
    expect(await exit).toBe('SIGKILL')
    expect(await testVolumes(SOURCE)).toHaveLength(1)

    const state = parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8'))
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]))
    const post = spawn(process.execPath, ['--import', 'tsx', 'actions/prune-snapshots/src/post-index.ts'], {
      env: { ...process.env, ...env, ...stateEnv, INPUT_REGIONS: SOURCE },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let postOut = ''
    post.stdout.on('data', (c: Buffer) => (postOut += c.toString()))
    const code = await new Promise<number | null>((resolve) => post.once('exit', (c) => resolve(c)))
    expect(code).toBe(0)
    expect(postOut).toMatch(/Deleted restore-test volume\(s\) the run left: vol-/)
    expect(await testVolumes(SOURCE)).toEqual([])
  }, 60_000)
})

describe('the archive tier (archive-after)', () => {
  it('archives a monthly snapshot older than archive-after instead of deleting it, and never deletes one archived less than 90 days ago', async () => {
    // Days old: two recent ones, the newest of two earlier months, and an older one in the last of those months.
    const [volume] = await seed(SOURCE, 1, [1, 2, 45, 75, 76])
    const [, , month1, month2, older] = volume!.snapshotIds
    const inputs = {
      filters: 'Backup=nightly',
      regions: SOURCE,
      'keep-last': 2,
      'keep-monthly': 3,
      'archive-after': '30d',
    }
    const first = await prune(inputs)
    expect(first.errors).toEqual([])
    expect(extras.tierChanges.sort()).toEqual([month1, month2].sort())
    expect(sent('ModifySnapshotTier').every((r) => r.params.get('StorageTier') === 'archive')).toBe(true)
    expect(JSON.parse(first.outputs.deleted!)).toEqual({ [SOURCE]: [older] })
    const plan = JSON.parse(readFileSync(first.outputs.plan!, 'utf8')) as {
      snapshots: Array<{ snapshotId: string; decision: string; archive?: boolean; reasons: string[] }>
    }
    expect(plan.snapshots.find((s) => s.snapshotId === month1)).toMatchObject({
      decision: 'keep',
      archive: true,
    })
    expect(first.summary).toContain('archived 2 of 2')

    // keep-monthly no longer keeps them, but they were archived today: kept, and the plan says until when.
    requests = []
    const second = await prune({ ...inputs, 'keep-monthly': 1 })
    expect(second.failed).toBe(false)
    expect(sent('DeleteSnapshot')).toEqual([])
    expect(sent('ModifySnapshotTier')).toEqual([])
    const kept = (JSON.parse(readFileSync(second.outputs.plan!, 'utf8')) as typeof plan).snapshots.find(
      (s) => s.snapshotId === month2,
    )!
    expect(kept.decision).toBe('keep')
    expect(kept.reasons[0]).toMatch(
      /^archived \d{4}-\d\d-\d\d: AWS's minimum of 90 days in the archive tier lasts until/,
    )

    // 100 days after their archival, a rule that no longer keeps them lets them go.
    for (const id of [month1!, month2!])
      extras.archived.set(id, { region: SOURCE, at: Date.now() - 100 * DAY })
    const third = await prune({ ...inputs, 'keep-monthly': 1 })
    expect(third.failed).toBe(false)
    expect((JSON.parse(third.outputs.deleted!) as Record<string, string[]>)[SOURCE]!.sort()).toEqual(
      [month1, month2].sort(),
    )
  })

  it('does not test a volume whose only kept snapshots are archived, and says why', async () => {
    const [volume] = await seed(SOURCE, 1, [0])
    extras.archived.set(volume!.snapshotIds[0]!, { region: SOURCE, at: Date.now() - 10 * DAY })
    const result = await prune({
      filters: 'Backup=nightly',
      regions: SOURCE,
      'keep-monthly': 2,
      'archive-after': '30d',
      'verify-restore': true,
    })
    expect(result.failed).toBe(false)
    expect(sent('CreateVolume')).toEqual([])
    expect(result.summary).toContain('must be restored from the archive tier')
  })
})
