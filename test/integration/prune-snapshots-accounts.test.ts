/**
 * prune-snapshots over several accounts, against moto through the real SDK: 3
 * accounts x 2 regions. moto keys its state by the account of the access key and
 * its AssumeRole keys act in the role's account, so each account's snapshots are
 * really apart; test/support/sts-role-layer.ts refuses the AssumeRole of a role
 * that does not exist, as AWS does (moto grants any ARN).
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2'
import { CreateKeyCommand, KMSClient, ListGrantsCommand } from '@aws-sdk/client-kms'
import { SOURCE_ACCOUNT_TAG } from '../../actions/prune-snapshots/src/plan.js'
import type { ProxyRequest } from '../support/loopback-proxy.js'
import { run } from '../../actions/prune-snapshots/src/main.js'
import type { PruneResult } from '../../actions/prune-snapshots/src/results.js'
import { sliceMatrix, splitTargets } from '../../lib/shards.js'
import { parseCommandFile, runActionInProcess } from '../support/action-runner.js'
import {
  snapshotExtrasHandler,
  snapshotExtrasState,
  type SnapshotExtrasState,
} from '../support/ec2-snapshot-extras.js'
import { startLoopbackProxy, type LoopbackProxy } from '../support/loopback-proxy.js'
import { directClientConfig, localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'
import { motoAccounts } from '../support/moto-accounts.js'
import { startStsRoleLayer, type StsRoleLayer } from '../support/sts-role-layer.js'

const ACCOUNTS = ['111111111111', '222222222222', '333333333333']
const REGIONS = ['eu-west-1', 'eu-central-1']
const DR = 'us-east-1'
const ROLE = 'multi-region-actions-target'

let moto: MotoServer
let extras: LoopbackProxy
let extrasState: SnapshotExtrasState = snapshotExtrasState()
let requests: ProxyRequest[] = []
let layer: StsRoleLayer
let env: Record<string, string>
/** Set-up credentials acting in each account (moto's AssumeRole, straight, not counted). */
const accounts = motoAccounts(() => moto.endpoint)
const clients: EC2Client[] = []
const keysFor = accounts.keysFor

async function ec2In(account: string, region: string): Promise<EC2Client> {
  const client = new EC2Client({
    ...directClientConfig(moto.endpoint, region),
    credentials: await keysFor(account),
  })
  clients.push(client)
  return client
}

/** The target role in `account`, trusting the deploy role. */
function createRole(account: string): Promise<void> {
  return accounts.createRole(account, ROLE, 'arn:aws:iam::123456789012:role/multi-region-actions-deploy')
}

/** `volumes` volumes with `perVolume` snapshots each in one account and region. */
async function seed(account: string, region: string, volumes: number, perVolume: number): Promise<void> {
  const ec2 = await ec2In(account, region)
  for (let v = 0; v < volumes; v++) {
    const volume = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${region}a`, Size: 1 }))
    for (let s = 0; s < perVolume; s++) {
      await ec2.send(
        new CreateSnapshotCommand({
          VolumeId: volume.VolumeId,
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'Backup', Value: 'nightly' }] }],
        }),
      )
    }
  }
}

async function snapshotsIn(account: string, region: string) {
  const page = await (await ec2In(account, region)).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))
  return page.Snapshots ?? []
}

const prune = (inputs: Record<string, string | number | boolean>) => runActionInProcess(run, inputs, env)

const INPUTS = {
  accounts: ACCOUNTS.join('\n'),
  'role-name': ROLE,
  regions: REGIONS.join(','),
  filters: 'Backup=nightly',
  'keep-last': 2,
  'dr-region': DR,
  'dr-keep-last': 1,
}

beforeAll(async () => {
  moto = await startMoto()
  extras = await startLoopbackProxy(moto.endpoint, (req, forward) => {
    requests.push(req)
    return snapshotExtrasHandler(extrasState)(req, forward)
  })
  layer = await startStsRoleLayer(extras.endpoint)
  env = { ...localAwsEnv(layer.endpoint), RUNNER_TEMP: mkdtempSync(join(tmpdir(), 'prune-accounts-')) }
})
afterAll(async () => {
  for (const c of clients) c.destroy()
  await layer.close()
  await extras.close()
  await moto.stop()
})
beforeEach(async () => {
  await moto.reset()
  extrasState = snapshotExtrasState()
  requests = []
  accounts.reset()
  layer.requests.length = 0
  layer.resetStats()
})

describe('prune-snapshots over 3 accounts x 2 regions', () => {
  it('prunes each account on its own, copies to the DR region of the same account, and a rerun does nothing', async () => {
    for (const [i, account] of ACCOUNTS.entries()) {
      await createRole(account)
      // Account i has i + 1 volumes in each region, 4 snapshots each: 2 of each volume go.
      for (const region of REGIONS) await seed(account, region, i + 1, 4)
    }
    const first = await prune({ ...INPUTS, 'role-external-id': 'ci-external-7' })
    expect(first.errors).toEqual([])
    expect(first.failed).toBe(false)
    // One AssumeRole per account, with the external id (which the plan file does not keep).
    expect(layer.requests.map((r) => r.roleArn).sort()).toEqual(
      ACCOUNTS.map((a) => `arn:aws:iam::${a}:role/${ROLE}`),
    )
    expect(layer.requests.every((r) => r.externalId === 'ci-external-7')).toBe(true)
    expect(readFileSync(first.outputs.plan!, 'utf8')).not.toContain('ci-external-7')
    // The role acts in its own account: no GetCallerIdentity.
    expect(layer.stats.byOperation.get('GetCallerIdentity')).toBeUndefined()
    const deleted = JSON.parse(first.outputs.deleted!) as Record<string, string[]>
    expect(Object.keys(deleted).sort()).toEqual(
      ACCOUNTS.flatMap((a) => REGIONS.map((r) => `${a}/${r}`)).sort(),
    )
    for (const [i, account] of ACCOUNTS.entries()) {
      for (const region of REGIONS) {
        expect(deleted[`${account}/${region}`]).toHaveLength(2 * (i + 1))
        const left = (await snapshotsIn(account, region)).map((s) => s.SnapshotId!)
        expect(left).toHaveLength(2 * (i + 1))
        for (const id of deleted[`${account}/${region}`]!) expect(left).not.toContain(id)
      }
      // The copies are in the account's own DR region: one per volume and region.
      const dr = await snapshotsIn(account, DR)
      expect(dr).toHaveLength(2 * (i + 1))
      expect(dr.every((s) => s.OwnerId === account)).toBe(true)
    }
    const copied = JSON.parse(first.outputs.copied!) as Array<{ account: string; region: string }>
    expect(copied).toHaveLength(2 * (1 + 2 + 3))
    expect(copied.every((c) => c.region === DR && ACCOUNTS.includes(c.account))).toBe(true)
    // The job's own account was never touched.
    const own = new EC2Client(directClientConfig(moto.endpoint, REGIONS[0]))
    clients.push(own)
    expect((await own.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots).toHaveLength(0)

    const results = JSON.parse(first.outputs.results!) as PruneResult[]
    expect(results.map((r) => `${r.account}/${r.region}`)).toEqual(
      ACCOUNTS.flatMap((a) => REGIONS.map((r) => `${a}/${r}`)),
    )
    expect(results.every((r) => r.status === 'applied')).toBe(true)
    // The DR region rides on each account's first target; the copies just made are not counted as kept yet.
    expect(results.filter((r) => r.drRegion === DR).map((r) => r.account)).toEqual(ACCOUNTS)
    const plan = JSON.parse(readFileSync(first.outputs.plan!, 'utf8')) as {
      settings: Record<string, unknown>
      accounts: Array<{ accountId: string }>
    }
    expect(plan.accounts.map((p) => p.accountId)).toEqual(ACCOUNTS)
    for (const account of ACCOUNTS)
      expect(first.summary).toContain(`Prune of EBS snapshots in account ${account} passed`)

    layer.resetStats()
    const again = await prune(INPUTS)
    expect(again.failed).toBe(false)
    expect(JSON.parse(again.outputs.deleted!)).toEqual({})
    expect(JSON.parse(again.outputs.copied!)).toEqual([])
    expect(layer.stats.byOperation.get('DeleteSnapshot')).toBeUndefined()
    expect(layer.stats.byOperation.get('CopySnapshot')).toBeUndefined()
    const rerun = JSON.parse(again.outputs.results!) as PruneResult[]
    expect(rerun.filter((r) => r.drRegion === DR).map((r) => r.drKept)).toEqual([2, 4, 6])
    expect(again.outputs.kept).toBe(String(4 * (1 + 2 + 3) + (2 + 4 + 6)))
  })

  it('an account whose role cannot be assumed fails only its own targets, with AWS’s reason', async () => {
    const [a, b, missing] = ACCOUNTS as [string, string, string]
    await createRole(a)
    await createRole(b)
    for (const account of ACCOUNTS) for (const region of REGIONS) await seed(account, region, 1, 4)
    const result = await prune(INPUTS)
    expect(result.failed).toBe(true)
    const results = JSON.parse(result.outputs.results!) as PruneResult[]
    for (const r of results) {
      if (r.account === missing) {
        expect(r.status).toBe('failed')
        expect(r.reason).toMatch(
          new RegExp(
            `^cannot assume arn:aws:iam::${missing}:role/${ROLE}: AccessDenied: User: .* is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${missing}:role/${ROLE}$`,
          ),
        )
      } else {
        expect(r.status).toBe('applied')
        expect(r.deleted).toHaveLength(2)
      }
    }
    // The missing account's snapshots are untouched; the others were pruned.
    for (const region of REGIONS) {
      expect(await snapshotsIn(missing, region)).toHaveLength(4)
      expect(await snapshotsIn(a, region)).toHaveLength(2)
      expect(await snapshotsIn(b, region)).toHaveLength(2)
    }
    expect(result.errors.join('\n')).toContain(`Account ${missing} not pruned`)
    expect(result.summary).toContain(
      '## ❌ Prune of EBS snapshots failed in 1 account(s): the role could not be assumed',
    )
    expect(result.errors.join('\n')).toContain(`1 account(s) not pruned (${missing})`)
  })

  it('max-delete caps the whole run: over it in total, nothing is deleted in any account', async () => {
    for (const account of ACCOUNTS) {
      await createRole(account)
      for (const region of REGIONS) await seed(account, region, 1, 4)
    }
    // 2 per target, 12 in all: each account alone (4) would be within 10.
    const result = await prune({ ...INPUTS, 'dr-region': '', 'dr-keep-last': '', 'max-delete': 10 })
    expect(result.failed).toBe(true)
    expect(result.errors.join('\n')).toContain(
      'The plan deletes 12 snapshots over 3 account(s), more than max-delete (10)',
    )
    expect(layer.stats.byOperation.get('DeleteSnapshot')).toBeUndefined()
    const results = JSON.parse(result.outputs.results!) as PruneResult[]
    // Every target failed with the refusal, so a merge of sharded slices counts them.
    for (const r of results) {
      expect(r).toMatchObject({ status: 'failed', deleted: [] })
      expect(r.reason).toContain('more than max-delete (10); nothing was deleted')
    }
  })

  it('slices of a sharded run merge into one result set (scripts/shards.mjs, as the reusable workflow runs it)', async () => {
    for (const account of ACCOUNTS) {
      await createRole(account)
      for (const region of REGIONS) await seed(account, region, 1, 4)
    }
    // 6 targets, at most 4 per job: two accounts in one slice, the third in another.
    const slices = splitTargets(ACCOUNTS, REGIONS, 4)
    expect(slices.map((s) => s.accounts)).toEqual([ACCOUNTS.slice(0, 2), ACCOUNTS.slice(2)])
    const dir = mkdtempSync(join(tmpdir(), 'prune-shards-'))
    for (const slice of slices) {
      const result = await prune({
        ...INPUTS,
        accounts: slice.accounts.join(','),
        regions: slice.regions.join(','),
      })
      expect(result.failed).toBe(false)
      mkdirSync(join(dir, `results-${slice.shard}`))
      writeFileSync(join(dir, `results-${slice.shard}`, 'results.json'), result.outputs.results!)
    }
    const outputFile = join(dir, 'output')
    writeFileSync(outputFile, '')
    const merged = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/shards.mjs', 'merge'], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        SHARD_MATRIX: JSON.stringify(sliceMatrix(slices)),
        RESULTS_DIR: dir,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
      },
    })
    expect(merged.stderr).toBe('')
    expect(merged.status).toBe(0)
    const out: Record<string, string> = {}
    for (const m of readFileSync(outputFile, 'utf8').matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm))
      out[m[1]!] = m[3]!
    const deleted = JSON.parse(out.deleted!) as Record<string, string[]>
    expect(Object.keys(deleted).sort()).toEqual(
      ACCOUNTS.flatMap((a) => REGIONS.map((r) => `${a}/${r}`)).sort(),
    )
    for (const ids of Object.values(deleted)) expect(ids).toHaveLength(2)
    const results = JSON.parse(out.results!) as PruneResult[]
    expect(results.map((r) => [r.account, r.region, r.status])).toEqual(
      ACCOUNTS.flatMap((a) => REGIONS.map((r) => [a, r, 'applied'])),
    )
    expect(JSON.parse(out.copied!)).toHaveLength(ACCOUNTS.length * REGIONS.length)
    const summary = readFileSync(join(dir, 'summary.md'), 'utf8')
    for (const account of ACCOUNTS) expect(summary).toContain(`### ${account}`)
  })

  it('one listed account keeps the outputs keyed by region, as a run in the job’s own account does', async () => {
    await createRole(ACCOUNTS[0]!)
    for (const region of REGIONS) await seed(ACCOUNTS[0]!, region, 1, 3)
    const result = await prune({ ...INPUTS, accounts: ACCOUNTS[0]!, 'dr-region': '', 'dr-keep-last': '' })
    expect(result.failed).toBe(false)
    expect(Object.keys(JSON.parse(result.outputs.deleted!) as object).sort()).toEqual([...REGIONS].sort())
  })
})

describe('prune-snapshots copying into a DR account', () => {
  /** The job's own account in moto (the environment's keys). */
  const OWN = '123456789012'
  const DR_ACCOUNT = '444444444444'
  const DR_ROLE = 'prune-snapshots-dr'
  const SOURCE = REGIONS[0]!
  const DR_INPUTS = {
    regions: SOURCE,
    filters: 'Backup=nightly',
    'keep-last': 2,
    'dr-region': DR,
    'dr-keep-last': 1,
    'dr-account': DR_ACCOUNT,
    'dr-role-name': DR_ROLE,
  }
  const own = (region: string) => {
    const client = new EC2Client(directClientConfig(moto.endpoint, region))
    clients.push(client)
    return client
  }
  async function seedOwn(volumes: number, perVolume: number): Promise<string[]> {
    const ids: string[] = []
    for (let v = 0; v < volumes; v++) {
      const volume = await own(SOURCE).send(
        new CreateVolumeCommand({ AvailabilityZone: `${SOURCE}a`, Size: 1 }),
      )
      for (let s = 0; s < perVolume; s++) {
        const snap = await own(SOURCE).send(
          new CreateSnapshotCommand({
            VolumeId: volume.VolumeId,
            TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'Backup', Value: 'nightly' }] }],
          }),
        )
        ids.push(snap.SnapshotId!)
      }
    }
    return ids
  }
  const sent = (operation: string) => requests.filter((r) => r.operation === operation)

  it('shares each source with the DR account, copies it there encrypted, removes the share, and prunes the DR account by lineage', async () => {
    await accounts.createRole(
      DR_ACCOUNT,
      DR_ROLE,
      'arn:aws:iam::123456789012:role/multi-region-actions-deploy',
    )
    await seedOwn(2, 3)
    const inputs = { ...DR_INPUTS, 'kms-key-id': 'alias/dr-copies' }
    const first = await prune(inputs)
    expect(first.errors).toEqual([])
    expect(first.failed).toBe(false)
    // The role assumed in the DR account, and the copies made there, owned by it, tagged with their lineage.
    expect(layer.requests.map((r) => r.roleArn)).toEqual([`arn:aws:iam::${DR_ACCOUNT}:role/${DR_ROLE}`])
    const copies = await snapshotsIn(DR_ACCOUNT, DR)
    expect(copies).toHaveLength(2)
    for (const c of copies) {
      expect(c.OwnerId).toBe(DR_ACCOUNT)
      expect(c.Tags?.find((t) => t.Key === SOURCE_ACCOUNT_TAG)?.Value).toBe(OWN)
    }
    expect((await own(DR).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots).toEqual([])
    // Unencrypted sources are copied only because kms-key-id says how to encrypt them there.
    for (const req of sent('CopySnapshot')) {
      expect(req.params.get('Encrypted')).toBe('true')
      expect(req.params.get('KmsKeyId')).toBe('alias/dr-copies')
    }
    // Each source was shared, then the share removed once its copy had completed: none remains.
    const shared = sent('ModifySnapshotAttribute')
    expect(shared.map((r) => r.params.get('OperationType')).sort()).toEqual([
      'add',
      'add',
      'remove',
      'remove',
    ])
    for (const { sourceSnapshotId } of extrasState.sharedCopies) {
      const attribute = await own(SOURCE).send(
        new DescribeSnapshotAttributeCommand({
          SnapshotId: sourceSnapshotId,
          Attribute: 'createVolumePermission',
        }),
      )
      expect(attribute.CreateVolumePermissions ?? []).toEqual([])
      expect(extrasState.shares.get(sourceSnapshotId)?.size).toBe(0)
    }

    // A newer snapshot of each volume: the next run copies it; the run after, with dr-keep-last 1, deletes the
    // older copy in the DR account (the only completed copy of a volume is kept until the new one has completed).
    await new Promise((r) => setTimeout(r, 1100)) // StartTime has one-second resolution
    const volumes = [
      ...new Set(
        copies.map((c) => c.Tags!.find((t) => t.Key === 'prune-snapshots:source-volume-id')!.Value!),
      ),
    ]
    for (const volume of volumes) {
      await own(SOURCE).send(
        new CreateSnapshotCommand({
          VolumeId: volume,
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'Backup', Value: 'nightly' }] }],
        }),
      )
    }
    const second = await prune(inputs)
    expect(second.errors).toEqual([])
    expect(JSON.parse(second.outputs.copied!)).toHaveLength(2)
    const third = await prune(inputs)
    expect(third.errors).toEqual([])
    const deleted = JSON.parse(third.outputs.deleted!) as Record<string, string[]>
    expect(deleted[DR]!.sort()).toEqual(copies.map((c) => c.SnapshotId!).sort())
    const left = await snapshotsIn(DR_ACCOUNT, DR)
    expect(left).toHaveLength(2)
    for (const c of copies) expect(left.map((l) => l.SnapshotId)).not.toContain(c.SnapshotId)
  })

  it('grants the DR account the use of an encrypted source’s KMS key for the copy, and revokes the grant after', async () => {
    await accounts.createRole(
      DR_ACCOUNT,
      DR_ROLE,
      'arn:aws:iam::123456789012:role/multi-region-actions-deploy',
    )
    const kms = new KMSClient(directClientConfig(moto.endpoint, SOURCE))
    const key = await kms.send(new CreateKeyCommand({ Description: 'backups' }))
    const keyArn = key.KeyMetadata!.Arn!
    const volume = await own(SOURCE).send(
      new CreateVolumeCommand({ AvailabilityZone: `${SOURCE}a`, Size: 1, Encrypted: true, KmsKeyId: keyArn }),
    )
    const snapshot = await own(SOURCE).send(
      new CreateSnapshotCommand({
        VolumeId: volume.VolumeId,
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'Backup', Value: 'nightly' }] }],
      }),
    )
    extrasState.snapshotKeys.set(snapshot.SnapshotId!, keyArn)
    const result = await prune(DR_INPUTS)
    expect(result.errors).toEqual([])
    expect(await snapshotsIn(DR_ACCOUNT, DR)).toHaveLength(1)
    const [grant] = sent('CreateGrant')
    expect(grant).toBeDefined()
    const body = JSON.parse(grant!.body.toString()) as {
      KeyId: string
      GranteePrincipal: string
      Operations: string[]
    }
    expect(body).toMatchObject({ KeyId: keyArn, GranteePrincipal: `arn:aws:iam::${DR_ACCOUNT}:root` })
    expect(body.Operations).toContain('Decrypt')
    expect(sent('RevokeGrant')).toHaveLength(1)
    expect((await kms.send(new ListGrantsCommand({ KeyId: keyArn }))).Grants ?? []).toEqual([])
    kms.destroy()
  })

  it('removes the share by the post step when the run is killed while its copy is pending', async () => {
    await accounts.createRole(
      DR_ACCOUNT,
      DR_ROLE,
      'arn:aws:iam::123456789012:role/multi-region-actions-deploy',
    )
    const [source] = await seedOwn(1, 1)
    extrasState.copyPendingMs = 600_000
    const dir = mkdtempSync(join(tmpdir(), 'prune-dr-kill-'))
    const stateFile = join(dir, 'state')
    writeFileSync(stateFile, '')
    const inputEnv = {
      INPUT_REGIONS: SOURCE,
      INPUT_FILTERS: 'Backup=nightly',
      'INPUT_DR-REGION': DR,
      'INPUT_DR-ACCOUNT': DR_ACCOUNT,
      'INPUT_DR-ROLE-NAME': DR_ROLE,
      'INPUT_KMS-KEY-ID': 'alias/dr-copies',
    }
    const child = spawn(process.execPath, ['--import', 'tsx', 'actions/prune-snapshots/src/index.ts'], {
      env: { ...process.env, ...env, ...inputEnv, GITHUB_STATE: stateFile, GITHUB_OUTPUT: join(dir, 'out') },
      stdio: 'ignore',
    })
    const exit = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_c, signal) => resolve(signal)),
    )
    // The copy has been made in the DR account and is pending: the run waits for it with the share in place.
    while (extrasState.sharedCopies.length === 0) await new Promise((r) => setTimeout(r, 100))
    child.kill('SIGKILL')
    expect(await exit).toBe('SIGKILL')
    expect([...(extrasState.shares.get(source!) ?? [])]).toEqual([DR_ACCOUNT])

    const state = parseCommandFile(readFileSync(stateFile, 'utf8'))
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]))
    const post = spawn(process.execPath, ['--import', 'tsx', 'actions/prune-snapshots/src/post-index.ts'], {
      env: { ...process.env, ...env, ...inputEnv, ...stateEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    post.stdout.on('data', (c: Buffer) => (out += c.toString()))
    expect(await new Promise((resolve) => post.once('exit', resolve))).toBe(0)
    expect(out).toContain('removed 1 share(s)')
    const attribute = await own(SOURCE).send(
      new DescribeSnapshotAttributeCommand({ SnapshotId: source, Attribute: 'createVolumePermission' }),
    )
    expect(attribute.CreateVolumePermissions ?? []).toEqual([])
  }, 60_000)

  it('refuses to copy an unencrypted snapshot into another account without kms-key-id, and shares nothing', async () => {
    await accounts.createRole(
      DR_ACCOUNT,
      DR_ROLE,
      'arn:aws:iam::123456789012:role/multi-region-actions-deploy',
    )
    await seedOwn(1, 1)
    const result = await prune(DR_INPUTS)
    expect(result.failed).toBe(true)
    expect(result.errors.join('\n')).toContain(
      'unencrypted, and dr-account 444444444444 is another account: set kms-key-id',
    )
    expect(sent('ModifySnapshotAttribute')).toEqual([])
    expect(sent('CopySnapshot')).toEqual([])
    expect(await snapshotsIn(DR_ACCOUNT, DR)).toEqual([])
  })
})
