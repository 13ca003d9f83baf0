import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RESTORED_KEY, STATE_KEY } from '../../actions/verify-failover/src/health-check-update.js'
import { parseCommandFile } from '../support/action-runner.js'
import { startHealthEndpoint, type HealthEndpoint } from '../support/health-endpoint.js'
import { localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'
import { startRoute53Loopback, type Route53Loopback } from '../support/route53-loopback.js'
import { createTopology, healthCheckConfig, route53Client } from '../support/route53-topology.js'

/**
 * The action runs as the runner runs it: its own process, inputs in INPUT_*
 * variables, state written to GITHUB_STATE and handed to the post step as
 * STATE_* variables. The Route 53 layer evaluates slowly here (5 s rounds), so
 * the drill is still waiting for failover when it is interrupted.
 */

interface Child {
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  output: () => string
  waitFor(pattern: RegExp): Promise<void>
  kill(signal: NodeJS.Signals): void
}

function startChild(script: string, env: Record<string, string>): Child {
  // `node --import tsx` keeps it one process, so SIGKILL reaches the action itself (the tsx CLI would fork).
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const listeners: Array<() => void> = []
  const onData = (chunk: Buffer) => {
    out += chunk.toString()
    for (const l of [...listeners]) l()
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  return {
    done,
    output: () => out,
    kill: (signal) => child.kill(signal),
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            listeners.splice(listeners.indexOf(check), 1)
            resolve()
          }
        }
        listeners.push(check)
        void done.then(() => reject(new Error(`exited before ${pattern}:\n${out}`)))
        check()
      }),
  }
}

describe('verify-failover drill interrupted', () => {
  let moto: MotoServer
  let r53: Route53Loopback
  const endpoints: HealthEndpoint[] = []

  beforeAll(async () => {
    moto = await startMoto()
    r53 = await startRoute53Loopback(moto.endpoint, { roundMs: 5000 })
    for (let i = 0; i < 2; i++) endpoints.push(await startHealthEndpoint('ok'))
  })
  afterAll(async () => {
    await r53.close()
    await Promise.all(endpoints.map((e) => e.close()))
    await moto.stop()
  })

  async function startDrill() {
    const client = route53Client(r53.endpoint)
    const t = await createTopology(client, [
      { region: 'us-east-1', port: endpoints[0]!.port, value: '10.0.0.1' },
      { region: 'eu-west-1', port: endpoints[1]!.port, value: '10.0.1.1' },
    ])
    const dir = mkdtempSync(join(tmpdir(), 'verify-failover-'))
    const files = {
      GITHUB_STATE: join(dir, 'state'),
      GITHUB_OUTPUT: join(dir, 'output'),
      GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    }
    for (const f of Object.values(files)) writeFileSync(f, '')
    const env = { ...localAwsEnv(r53.endpoint), VERIFY_FAILOVER_POLL_MAX_MS: '100', ...files }
    const main = startChild('actions/verify-failover/src/index.ts', {
      ...env,
      'INPUT_HOSTED-ZONE-ID': t.zoneId,
      'INPUT_RECORD-NAME': t.recordName,
      'INPUT_DRILL-REGION': 'us-east-1',
      'INPUT_DRILL-TIMEOUT-MINUTES': '2',
      'INPUT_ALLOW-PRIVATE-TARGETS': 'true',
    })
    await main.waitFor(/Inverted health check/)
    const id = t.healthCheckIds['us-east-1']!
    return { client, id, main, env, state: () => parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8')) }
  }

  const runPost = async (env: Record<string, string>, state: Record<string, string>) => {
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]))
    const post = startChild('actions/verify-failover/src/post-index.ts', { ...env, ...stateEnv })
    const exit = await post.done
    return { exit, output: post.output() }
  }

  it('is put back by the post step after the process is killed mid-drill', async () => {
    const { client, id, main, env, state } = await startDrill()
    main.kill('SIGKILL')
    expect((await main.done).signal).toBe('SIGKILL')
    // Killed while waiting for failover: the check is left inverted, and the state says so.
    expect((await healthCheckConfig(client, id)).Inverted).toBe(true)
    const saved = state()
    expect(JSON.parse(saved[STATE_KEY]!)).toMatchObject({
      healthCheckId: id,
      region: 'us-east-1',
      originalInverted: false,
    })
    expect(saved[RESTORED_KEY]).toBeUndefined()

    const first = await runPost(env, saved)
    expect(first.exit.code).toBe(0)
    expect(first.output).toMatch(/\[us-east-1\] Restored health check .* left by an interrupted drill/)
    const after = await healthCheckConfig(client, id)
    expect(after.Inverted).toBe(false)
    expect(after.version).toBe(3)

    // Running it again changes nothing.
    const second = await runPost(env, saved)
    expect(second.exit.code).toBe(0)
    expect(second.output).toMatch(/nothing to restore/)
    expect((await healthCheckConfig(client, id)).version).toBe(3)
  })

  it('restores the check itself when cancelled with SIGTERM, and the post step has nothing left to do', async () => {
    const { client, id, main, env, state } = await startDrill()
    main.kill('SIGTERM')
    const exit = await main.done
    expect(exit.code).toBe(1)
    expect(main.output()).toMatch(/Received SIGTERM/)
    expect(main.output()).toMatch(/\[us-east-1\] Health check .* restored \(Inverted=false\)/)
    expect((await healthCheckConfig(client, id)).Inverted).toBe(false)
    const saved = state()
    expect(saved[RESTORED_KEY]).toBe('true')
    const post = await runPost(env, saved)
    expect(post.exit.code).toBe(0)
    expect(post.output).toMatch(/already restored by the main step/)
  })
})
