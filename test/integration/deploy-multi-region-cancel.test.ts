/**
 * A cancelled job, the way the runner cancels it: the action runs as its own
 * process and gets a real SIGTERM or SIGINT while the first region's change set
 * is being made. (deploy-multi-region-safety.test.ts covers the same path with
 * a signal emitted inside the test process.)
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListChangeSetsCommand,
  type ChangeSetSummary,
  type Stack,
} from '@aws-sdk/client-cloudformation'
import { parseCommandFile } from '../support/action-runner.js'
import { startDelayProxy } from '../support/delay-proxy.js'
import type { LoopbackProxy } from '../support/loopback-proxy.js'
import { localAwsEnv, startMoto, type MotoServer, directClientConfig } from '../support/moto.js'

const ROOT = resolve(import.meta.dirname, '../..')
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2']
const [FIRST, ...LATER] = REGIONS as [string, ...string[]]

interface ChildRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  outputs: Record<string, string>
  state: Record<string, string>
  /** Milliseconds from the signal to the process's exit. */
  exitAfterMs: number
}

describe('deploy-multi-region cancelled by a real signal', () => {
  let moto: MotoServer
  let slow: LoopbackProxy

  beforeAll(async () => {
    moto = await startMoto()
    // About as slow as AWS answers, so the signal lands while the first region is busy.
    slow = await startDelayProxy(moto.endpoint, 250)
  })
  afterAll(async () => {
    await slow.close()
    await moto.stop()
  })

  const cfn = (region: string) => new CloudFormationClient(directClientConfig(moto.endpoint, region))

  async function changeSets(region: string, stackName: string): Promise<ChangeSetSummary[]> {
    try {
      const answer = await cfn(region).send(new ListChangeSetsCommand({ StackName: stackName }))
      return (answer.Summaries ?? []).filter((s) => s.StackName === stackName)
    } catch {
      return []
    }
  }

  /** Stacks of that name that are not deleted (moto lists deleted ones too). */
  async function stacks(region: string, stackName: string): Promise<Stack[]> {
    const answer = await cfn(region).send(new DescribeStacksCommand({}))
    return (answer.Stacks ?? []).filter(
      (s) => s.StackName === stackName && s.StackStatus !== 'DELETE_COMPLETE',
    )
  }

  /** Starts the action as the runner does and sends `signal` once the first region's change set exists. */
  async function deployAndCancel(stackName: string, signal: NodeJS.Signals): Promise<ChildRun> {
    const dir = mkdtempSync(join(tmpdir(), 'dmr-cancel-'))
    const files = {
      GITHUB_OUTPUT: join(dir, 'output'),
      GITHUB_STATE: join(dir, 'state'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    }
    for (const file of Object.values(files)) writeFileSync(file, '')
    const env: NodeJS.ProcessEnv = { ...process.env }
    for (const key of Object.keys(env)) if (key.startsWith('INPUT_')) delete env[key]
    Object.assign(env, localAwsEnv(slow.endpoint), files, {
      GITHUB_WORKSPACE: ROOT,
      INPUT_TEMPLATE: 'templates/sample-queue.yaml',
      'INPUT_STACK-NAME': stackName,
      INPUT_REGIONS: REGIONS.join(','),
      'INPUT_MAX-PARALLEL': '1',
    })
    const child = spawn(process.execPath, ['--import', 'tsx', 'actions/deploy-multi-region/src/index.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.once('exit', (code, sig) => done({ code, signal: sig })),
    )

    // Watch moto itself (not through the slow proxy) for the first region's change set.
    const deadline = Date.now() + 45_000
    while ((await changeSets(FIRST, stackName)).length === 0) {
      if (child.exitCode !== null) throw new Error(`the action ended before its first change set:\n${stdout}`)
      if (Date.now() > deadline) throw new Error(`no change set appeared in ${FIRST}:\n${stdout}`)
      await new Promise((r) => setTimeout(r, 25))
    }
    const sentAt = Date.now()
    child.kill(signal)
    const end = await exited
    return {
      ...end,
      stdout,
      outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
      state: parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8')),
      exitAfterMs: Date.now() - sentAt,
    }
  }

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s while the first region is in progress: nothing new starts, nothing is left behind',
    async (signal) => {
      await moto.reset()
      const stackName = `cancelled-${signal.toLowerCase()}`
      const r = await deployAndCancel(stackName, signal)

      // The process handled the signal itself and failed the step.
      expect(r.signal).toBeNull()
      expect(r.code).not.toBe(0)
      expect(r.stdout).toContain(`::warning::Received ${signal}: finishing what is in flight`)
      // What was still going on is named, per region.
      expect(r.stdout).toMatch(new RegExp(`::warning::\\[${FIRST}\\] Cancelled while in progress: \\S`))
      expect(r.stdout).toMatch(/::error::.*Cancelled/i)

      const results = JSON.parse(r.outputs.results ?? '[]') as Array<{
        region: string
        status: string
        reason?: string
      }>
      expect(results.map((x) => x.region)).toEqual(REGIONS)
      for (const region of LATER) {
        expect(results.find((x) => x.region === region)).toMatchObject({
          status: 'skipped',
          reason: 'cancelled before it started',
        })
        // Never started: no stack and no change set there.
        expect(await stacks(region, stackName)).toEqual([])
        expect(await changeSets(region, stackName)).toEqual([])
      }
      // The first region: its change set was deleted (or executed before the signal);
      // no stack is left holding an unexecuted change set in review.
      const first = results.find((x) => x.region === FIRST)!
      const inProgress = r.stdout.split('\n').filter((l) => l.includes('Cancelled while in progress'))
      console.log(
        `${signal}: exit ${r.code} after ${r.exitAfterMs} ms; ${inProgress.join(' ')}; ${FIRST} ${first.status} (${first.reason ?? ''})`,
      )
      expect(['skipped', 'failed', 'created']).toContain(first.status)
      const open = (await changeSets(FIRST, stackName)).filter(
        (c) => c.Status === 'CREATE_COMPLETE' && c.ExecutionStatus === 'AVAILABLE',
      )
      expect(open).toEqual([])
      for (const s of await stacks(FIRST, stackName)) expect(s.StackStatus).not.toBe('REVIEW_IN_PROGRESS')
      // The post step would still find this run's cleanup record.
      expect(r.state['deploy-multi-region-cleanup']).toContain(`"stackName":"${stackName}"`)
      expect(r.exitAfterMs).toBeLessThan(15_000)
    },
    90_000,
  )
})
