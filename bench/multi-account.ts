/**
 * Runs across accounts: 20 accounts x 16 regions (320 targets) against one
 * target, every call delayed 250 ms by the loopback delay proxy (AWS answers in
 * 100-300 ms). Each run assumes the role once per account (lib/assume-role.ts)
 * and runs a deploy's call sequence per target through fanOutTargets with the
 * account's credentials: DescribeStacks (none yet), CreateChangeSet,
 * DescribeChangeSet, ExecuteChangeSet, DescribeStacks.
 *
 * Behind the proxy, by default, a stand-in that answers those calls with AWS's
 * response shapes at once (below), so the figure is the toolkit's own cost: 320
 * sets of SDK clients, signing, parsing, credentials and fan-out. moto answers
 * 50-90 calls a second one at a time, so with `--moto` the 1,620 calls carry
 * about half a minute of server time that no client can overlap.
 *
 *   npx tsx bench/multi-account.ts [--accounts 20] [--regions 16] [--moto]
 *
 * With `--prune` it runs the real prune-snapshots action instead (its `run()`, as the
 * runner does, through test/support/action-runner.ts) over the same targets: one
 * AssumeRole per account, then per target DescribeSnapshots, DescribeImages,
 * DescribeLockedSnapshots, Recycle Bin ListRules and one DeleteSnapshot per snapshot
 * the plan deletes. The stand-in gives each target a small inventory
 * (`--snapshots 3` of one volume, keep-last 1: two deletions per target), fresh for
 * each run (the run's own tag filter value names it).
 *
 *   npx tsx bench/multi-account.ts --prune [--accounts 20] [--regions 16] [--snapshots 3]
 */
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation'
import { run as pruneSnapshots } from '../actions/prune-snapshots/src/main.js'
import { clientFactory } from '../lib/aws.js'
import { assumeRoles } from '../lib/assume-role.js'
import { fanOutTargets } from '../lib/fanout.js'
import { PARTITION_REGIONS } from '../lib/regions.js'
import { targetsOf, type Target } from '../lib/targets.js'
import { runActionInProcess } from '../test/support/action-runner.js'
import { startDelayProxyProcess } from '../test/support/delay-proxy.js'
import { parseRequest, queryErrorReply } from '../test/support/loopback-proxy.js'
import { listenOnLoopback } from '../test/support/loopback-server.js'
import { localAwsEnv, startMoto } from '../test/support/moto.js'

const DELAY_MS = 250
const REPEATS = 3
const TEMPLATE = JSON.stringify({
  Resources: { Queue: { Type: 'AWS::SQS::Queue' } },
})

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}

const ACCOUNT_COUNT = arg('accounts', 20)
const REGION_COUNT = arg('regions', 16)
const USE_MOTO = process.argv.includes('--moto')
const PRUNE = process.argv.includes('--prune')
const SNAPSHOTS_PER_TARGET = arg('snapshots', 3)

interface Measure {
  label: string
  targets: number
  seconds: number
  total: number
  peakInFlight: number
  peakRssMb: number
  cpuSeconds: number
  failed: number
}

/** One deploy's calls for a target, with that account's credentials. */
async function deploySequence(cfn: CloudFormationClient, stackName: string): Promise<void> {
  try {
    await cfn.send(new DescribeStacksCommand({ StackName: stackName }))
    throw new Error(`${stackName} already exists`)
  } catch (error) {
    if ((error as { name?: string }).name !== 'ValidationError') throw error
  }
  const created = await cfn.send(
    new CreateChangeSetCommand({
      StackName: stackName,
      ChangeSetName: `cs-${randomBytes(4).toString('hex')}`,
      ChangeSetType: 'CREATE',
      TemplateBody: TEMPLATE,
    }),
  )
  const changeSet = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: created.Id! }))
  if (changeSet.Status !== 'CREATE_COMPLETE') throw new Error(`change set ${changeSet.Status}`)
  await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: created.Id! }))
  const stack = await cfn.send(new DescribeStacksCommand({ StackName: stackName }))
  const status = stack.Stacks?.[0]?.StackStatus
  if (status !== 'CREATE_COMPLETE' && status !== 'CREATE_IN_PROGRESS') throw new Error(`stack ${status}`)
}

/**
 * The real prune-snapshots action over every (account, region); `generation` names
 * the run's inventory in the stand-in (the tag filter value), so each run has
 * snapshots to delete. Returns the targets that did not come out applied.
 */
async function pruneTargets(accounts: string[], regions: string[], generation: string): Promise<number> {
  const result = await runActionInProcess(
    pruneSnapshots,
    {
      accounts: accounts.join(','),
      'role-name': 'multi-region-actions-target',
      regions: regions.join(','),
      filters: `Bench=${generation}`,
      'keep-last': 1,
      'max-delete': 100_000,
    },
    { RUNNER_TEMP: process.env.RUNNER_TEMP ?? tmpdir() },
  )
  const results = JSON.parse(result.outputs.results ?? '[]') as Array<{ status: string; deleted: string[] }>
  const deleted = results.reduce((n, r) => n + r.deleted.length, 0)
  const expected = accounts.length * regions.length * (SNAPSHOTS_PER_TARGET - 1)
  if (deleted !== expected) console.error(`${generation}: ${deleted} deleted, ${expected} expected`)
  for (const e of result.errors.slice(0, 3)) console.error(e)
  return results.filter((r) => r.status !== 'applied').length + (result.failed ? 1 : 0)
}

/** The deploy call sequence: assume per account, then every target's calls. */
async function runTargets(accounts: string[], regions: string[], stackName: string): Promise<number> {
  if (PRUNE) return pruneTargets(accounts, regions, stackName)
  const access = await assumeRoles(accounts, {
    roleName: 'multi-region-actions-target',
    partition: 'aws',
    stsRegion: regions[0]!,
    sessionName: 'multi-region-actions-bench',
  })
  const cfn = clientFactory(CloudFormationClient)
  const outcomes = await fanOutTargets(targetsOf(accounts, regions), async (t: Target) => {
    const entry = access.get(t.account!)!
    if (!entry.ok) throw new Error(entry.reason)
    await deploySequence(cfn(t.region, entry.access), stackName)
  })
  const failed = outcomes.filter((o) => o.state !== 'fulfilled')
  for (const f of failed.slice(0, 3)) console.error(f.state === 'rejected' ? f.error : f)
  return failed.length
}

async function measure(
  label: string,
  proxy: Awaited<ReturnType<typeof startDelayProxyProcess>>,
  accounts: string[],
  regions: string[],
  stackName: string,
): Promise<Measure> {
  await proxy.resetStats()
  global.gc?.()
  let peakRss = process.memoryUsage().rss
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }, 20)
  const started = performance.now()
  const cpu = process.cpuUsage()
  const failed = await runTargets(accounts, regions, stackName)
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  clearInterval(sampler)
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
  return {
    label,
    targets: accounts.length * regions.length,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    failed,
    peakRssMb: peakRss / 1024 / 1024,
    ...(await proxy.counts()),
  }
}

function median(runs: Measure[]): Measure {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds)
  const middle = sorted[Math.floor(sorted.length / 2)]!
  return {
    ...middle,
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    label: `${middle.label} (median of ${runs.length}: ${runs.map((r) => r.seconds.toFixed(2)).join(', ')} s)`,
  }
}

async function main(): Promise<void> {
  const moto = USE_MOTO ? await startMoto() : undefined
  const standIn = moto ? undefined : await startStandInProcess()
  const target = moto?.endpoint ?? standIn!.endpoint
  const proxy = await startDelayProxyProcess(target, DELAY_MS)
  Object.assign(process.env, localAwsEnv(proxy.endpoint), { AWS_MAX_ATTEMPTS: '3' })
  const accounts = Array.from({ length: ACCOUNT_COUNT }, (_, i) => String(100000000001 + i))
  const regions = PARTITION_REGIONS.aws!.slice(0, REGION_COUNT)
  try {
    // Loads the SDK and compiles the code once, so no timed run pays for it.
    await measure('warm-up', proxy, accounts.slice(0, 1), regions.slice(0, 1), 'bench-warm-up')
    const ones: Measure[] = []
    const manys: Measure[] = []
    for (let i = 1; i <= REPEATS; i++) {
      ones.push(
        await measure('1 account x 1 region', proxy, accounts.slice(0, 1), regions.slice(0, 1), `one-${i}`),
      )
      manys.push(
        await measure(
          `${ACCOUNT_COUNT} accounts x ${REGION_COUNT} regions`,
          proxy,
          accounts,
          regions,
          `many-${i}`,
        ),
      )
    }
    const one = median(ones)
    const many = median(manys)
    console.log(
      `\n${PRUNE ? `prune-snapshots (the action's run(), ${SNAPSHOTS_PER_TARGET} snapshots per target, keep-last 1)` : "A deploy's call sequence"}: every call delayed by ${DELAY_MS} ms by a loopback proxy in front of ${moto ? 'one moto server' : 'a stand-in that answers at once'}`,
    )
    console.log(
      `(load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(', ')} on ${cpus().length} CPUs; Node ${process.version}).\n`,
    )
    console.log(
      '| Run | Targets | Wall time | CPU time | API calls | Peak calls in flight | Peak RSS | Failed |',
    )
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for (const m of [one, many]) {
      console.log(
        `| ${m.label} | ${m.targets} | ${m.seconds.toFixed(2)} s | ${m.cpuSeconds.toFixed(2)} s | ${m.total} | ${m.peakInFlight} | ${m.peakRssMb.toFixed(0)} MB | ${m.failed} |`,
      )
    }
    const ratio = many.seconds / one.seconds
    console.log('')
    console.log(
      `${many.targets} targets / 1 target: ${ratio.toFixed(2)}x (target: at most 3x) ${ratio <= 3 ? 'met' : 'NOT met'}`,
    )
    console.log(
      `Peak RSS: ${many.peakRssMb.toFixed(0)} MB (target: under 300 MB) ${many.peakRssMb < 300 ? 'met' : 'NOT met'}`,
    )
  } finally {
    await proxy.close()
    await moto?.stop()
    await standIn?.close()
  }
}

/*
 * The stand-in: AWS's query-protocol answers for the calls above, at once. It
 * keeps which stacks were executed, per account (from the access key it issued)
 * and region, so the last DescribeStacks finds the stack. Simpler than AWS: no
 * signature check, no template check, stacks complete at once.
 */
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/'
const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/'

/** EC2's query answers have no Result wrapper. */
function ec2Reply(operation: string, inner: string) {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<${operation}Response xmlns="${EC2_NS}"><requestId>${randomBytes(8).toString('hex')}</requestId>${inner}</${operation}Response>`,
  }
}

/**
 * A target's snapshots for one run (the tag:Bench filter value): one volume, one
 * snapshot a day, less those deleted. DescribeSnapshots of the job's scope only.
 */
function benchSnapshots(account: string, region: string, generation: string, deleted: Set<string>) {
  const volume = `vol-${randomId(`${account}/${region}`, 17)}`
  return Array.from({ length: SNAPSHOTS_PER_TARGET }, (_, i) => ({
    id: `snap-${randomId(`${account}/${region}/${generation}/${i}`, 17)}`,
    volume,
    startTime: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
  })).filter((s) => !deleted.has(s.id))
}

/** A stable hex id of `length` digits from a seed. */
function randomId(seed: string, length: number): string {
  let h = 2166136261
  let out = ''
  while (out.length < length) {
    for (const c of `${seed}/${out.length}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0
    out += h.toString(16).padStart(8, '0')
  }
  return out.slice(0, length)
}
const CFN_NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/'

function queryReply(operation: string, ns: string, result: string) {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<${operation}Response xmlns="${ns}"><${operation}Result>${result}</${operation}Result><ResponseMetadata><RequestId>${randomBytes(8).toString('hex')}</RequestId></ResponseMetadata></${operation}Response>`,
  }
}

async function serveStandIn(): Promise<void> {
  const stacks = new Set<string>()
  const deletedSnapshots = new Set<string>()
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = []
    incoming.on('data', (c: Buffer) => chunks.push(c))
    incoming.on('end', () => {
      const req = parseRequest(
        incoming.method ?? 'POST',
        incoming.url ?? '/',
        incoming.headers,
        Buffer.concat(chunks),
      )
      const key = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? ''
      const account = key.slice(4, 16)
      const p = req.params
      const stackArn = (name: string) => `arn:aws:cloudformation:${req.region}:${account}:stack/${name}/0`
      const stackKey = (name: string) => `${account}/${req.region}/${name}`
      let reply
      switch (req.operation) {
        case 'AssumeRole': {
          const roleAccount = /iam::(\d{12}):/.exec(p.get('RoleArn') ?? '')?.[1] ?? '000000000000'
          const expiration = new Date(Date.now() + Number(p.get('DurationSeconds') ?? 3600) * 1000)
          reply = queryReply(
            'AssumeRole',
            STS_NS,
            `<Credentials><AccessKeyId>ASIA${roleAccount}${randomBytes(2).toString('hex').toUpperCase()}</AccessKeyId><SecretAccessKey>${randomBytes(20).toString('base64')}</SecretAccessKey><SessionToken>${randomBytes(64).toString('base64')}</SessionToken><Expiration>${expiration.toISOString()}</Expiration></Credentials><AssumedRoleUser><Arn>${p.get('RoleArn')}</Arn><AssumedRoleId>AROA0000:${p.get('RoleSessionName')}</AssumedRoleId></AssumedRoleUser>`,
          )
          break
        }
        case 'DescribeStacks': {
          const name = p.get('StackName') ?? ''
          reply = stacks.has(stackKey(name))
            ? queryReply(
                'DescribeStacks',
                CFN_NS,
                `<Stacks><member><StackName>${name}</StackName><StackId>${stackArn(name)}</StackId><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime></member></Stacks>`,
              )
            : queryErrorReply(400, 'ValidationError', `Stack with id ${name} does not exist`)
          break
        }
        case 'CreateChangeSet': {
          const name = p.get('StackName') ?? ''
          reply = queryReply(
            'CreateChangeSet',
            CFN_NS,
            `<Id>arn:aws:cloudformation:${req.region}:${account}:changeSet/${p.get('ChangeSetName')}/${name}</Id><StackId>${stackArn(name)}</StackId>`,
          )
          break
        }
        case 'DescribeChangeSet':
          reply = queryReply(
            'DescribeChangeSet',
            CFN_NS,
            `<ChangeSetName>cs</ChangeSetName><ChangeSetId>${p.get('ChangeSetName')}</ChangeSetId><Status>CREATE_COMPLETE</Status><ExecutionStatus>AVAILABLE</ExecutionStatus><Changes><member><Type>Resource</Type><ResourceChange><Action>Add</Action><LogicalResourceId>Queue</LogicalResourceId><ResourceType>AWS::SQS::Queue</ResourceType></ResourceChange></member></Changes>`,
          )
          break
        case 'ExecuteChangeSet': {
          const name = (p.get('ChangeSetName') ?? '').split('/').pop() ?? ''
          stacks.add(stackKey(name))
          reply = queryReply('ExecuteChangeSet', CFN_NS, '')
          break
        }
        case 'DescribeSnapshots': {
          const generation = p.get('Filter.1.Value.1') ?? ''
          const items = benchSnapshots(account, req.region, generation, deletedSnapshots)
            .map(
              (s) =>
                `<item><snapshotId>${s.id}</snapshotId><volumeId>${s.volume}</volumeId><status>completed</status><startTime>${s.startTime}</startTime><progress>100%</progress><ownerId>${account}</ownerId><volumeSize>8</volumeSize><encrypted>false</encrypted><storageTier>standard</storageTier><tagSet><item><key>Bench</key><value>${generation}</value></item></tagSet></item>`,
            )
            .join('')
          reply = ec2Reply('DescribeSnapshots', `<snapshotSet>${items}</snapshotSet>`)
          break
        }
        case 'DescribeImages':
          reply = ec2Reply('DescribeImages', '<imagesSet/>')
          break
        case 'DescribeLockedSnapshots':
          reply = ec2Reply('DescribeLockedSnapshots', '<snapshotSet/>')
          break
        case 'DeleteSnapshot':
          deletedSnapshots.add(p.get('SnapshotId') ?? '')
          reply = ec2Reply('DeleteSnapshot', '<return>true</return>')
          break
        case 'POST /list-rules':
          // Recycle Bin (REST-JSON): no retention rules.
          reply = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"Rules":[]}' }
          break
        default:
          reply = queryErrorReply(400, 'InvalidAction', `The stand-in does not answer ${req.operation}`)
      }
      const body = Buffer.from(reply.body ?? '')
      outgoing.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) })
      outgoing.end(body)
    })
  })
  const listening = await listenOnLoopback(server)
  process.once('SIGTERM', () => void listening.close().then(() => process.exit(0)))
  process.send!({ type: 'ready', endpoint: `http://127.0.0.1:${listening.port}` })
}

/** The stand-in in a child process, like the delay proxy: its work costs the measured process nothing. */
async function startStandInProcess(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve-stand-in'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { endpoint: string }) => resolve(m.endpoint))
    child.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)))
  })
  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

if (process.argv.includes('--serve-stand-in') && process.send) {
  void serveStandIn()
} else {
  main().catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
