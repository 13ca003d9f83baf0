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
 * To bench the real action once it takes `accounts`, replace `runTargets` with
 * runActionInProcess(run, { accounts, regions, 'role-name', ... }) as
 * bench/deploy-fanout.ts does; the rest (proxy, memory sampling, table) stays.
 */
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
} from '@aws-sdk/client-cloudformation'
import { clientFactory } from '../lib/aws.js'
import { assumeRoles } from '../lib/assume-role.js'
import { fanOutTargets } from '../lib/fanout.js'
import { PARTITION_REGIONS } from '../lib/regions.js'
import { targetsOf, type Target } from '../lib/targets.js'
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

/** The part to replace with the real action: assume per account, then every target's calls. */
async function runTargets(accounts: string[], regions: string[], stackName: string): Promise<number> {
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
      `\nEvery call delayed by ${DELAY_MS} ms by a loopback proxy in front of ${moto ? 'one moto server' : 'a stand-in that answers at once'}`,
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
