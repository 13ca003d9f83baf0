/**
 * The `multi-region-actions` command line (bin/multi-region-actions.mjs, which
 * runs the bundles in dist/): the demo's whole story with every action run
 * through it against moto_server and the loopback layers, its help, its exit
 * codes, and its --json output against the outputs the same bundle writes when
 * a runner starts it.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDemoEnvironment, type DemoEnvironment, type StepRunner } from '../../demo/environment.js'
import { runSteps } from '../../demo/steps.js'
import type { ActionRun } from '../support/action-runner.js'
import { parseCommandFile } from '../support/action-runner.js'

const BIN = join(process.cwd(), 'bin', 'multi-region-actions.mjs')

/** The environment of a shell on a laptop or another CI system: nothing from a runner. */
function shellEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(INPUT_|STATE_|GITHUB_|RUNNER_)/.test(k)),
  )
  return { ...base, ...env }
}

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: shellEnv(env), cwd: process.cwd() })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }))
  })
}

function flags(inputs: Record<string, string | number | boolean>): string[] {
  return Object.entries(inputs).flatMap(([name, value]) => [`--${name}`, String(value)])
}

/** Runs a demo step through the command line, with --json and --summary. */
const cliRunner: StepRunner = async (step, env) => {
  const summary = join(mkdtempSync(join(tmpdir(), 'cli-summary-')), 'summary.md')
  const { code, stdout, stderr } = await cli(
    [step.action, ...flags(step.inputs), '--json', '--summary', summary],
    env,
  )
  const lines = stderr.split('\n')
  const run: ActionRun = {
    outputs: code === 2 && stdout === '' ? {} : (JSON.parse(stdout) as Record<string, string>),
    summary: readFileSync(summary, 'utf8'),
    stdout: stderr,
    failed: code !== 0,
    errors: lines.filter((l) => /^(\[\S+\] )?error: /.test(l)),
    warnings: lines.filter((l) => /^(\[\S+\] )?warning: /.test(l)),
    state: {},
  }
  if (run.failed) console.log(`${step.action} through the command line exited ${code}:\n${stderr}`)
  return run
}

describe('multi-region-actions', () => {
  let demo: DemoEnvironment

  beforeAll(async () => {
    demo = await startDemoEnvironment({
      runner: cliRunner,
      echo: false,
      outputDir: mkdtempSync(join(tmpdir(), 'cli-demo-')),
    })
  })
  afterAll(async () => {
    await demo.stop()
  })

  it('runs every action of the demo against moto, each step succeeding with its outputs and job summary', async () => {
    const results = await runSteps(demo)
    expect(results.map((r) => [r.title, r.ok])).toEqual(results.map((r) => [r.title, true]))
    const actions = new Set(demo.runs.map((r) => r.action))
    expect([...actions].sort()).toEqual([
      'deploy-multi-region',
      'prune-snapshots',
      'spectrum-benchmark',
      'stackset-rollout',
      'verify-failover',
    ])
    for (const { action, run } of demo.runs) {
      expect([action, Object.keys(run.outputs).length > 0]).toEqual([action, true])
      expect(run.summary).toContain(`## `)
    }
    // The drill's post step ran (verify-failover has one) and found the check already restored.
    const drill = demo.runs.find((r) => r.action === 'verify-failover')!.run
    expect(drill.stdout).toMatch(/already restored by the main step/)
  }, 600_000)

  it('prints the same outputs with --json as the bundle writes when a runner starts it', async () => {
    const inputs = {
      'stack-name': 'demo-api',
      template: 'templates/multi-region-api.yaml',
      'artifact-bucket': 'auto',
      regions: 'us-east-1,eu-west-1,ap-southeast-2',
      parameters: 'Status=ok,StageName=prod',
      capabilities: 'CAPABILITY_IAM',
      tags: 'project=multi-region-demo',
    }
    const env = demo.envFor(demo.endpoints.cloudformation)
    const viaCli = await cli(['deploy-multi-region', ...flags(inputs), '--json'], env)
    expect(viaCli.code).toBe(0)

    // The runner: INPUT_* with the action.yml defaults, an output file, `node dist/<name>/index.js`.
    const dir = mkdtempSync(join(tmpdir(), 'runner-'))
    const files = {
      GITHUB_OUTPUT: join(dir, 'o'),
      GITHUB_STATE: join(dir, 's'),
      GITHUB_STEP_SUMMARY: join(dir, 'm'),
    }
    for (const file of Object.values(files)) writeFileSync(file, '')
    const inputEnv = Object.fromEntries(
      Object.entries({
        'on-failure': 'ROLLBACK',
        'failure-tolerance': '0',
        'plan-only': 'false',
        ...inputs,
      }).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
    )
    const runner = spawnSync(process.execPath, ['dist/deploy-multi-region/index.js'], {
      env: shellEnv({ ...env, ...files, ...inputEnv }),
      encoding: 'utf8',
    })
    expect(runner.status).toBe(0)
    const written = parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8'))

    const printed = JSON.parse(viaCli.stdout) as Record<string, string>
    expect(Object.keys(printed).sort()).toEqual(Object.keys(written).sort())
    expect(printed.outputs).toBe(written.outputs)
    expect(printed['stack-ids']).toBe(written['stack-ids'])
    // Each run times itself; everything else in the results is the same.
    const untimed = (results: string) =>
      (JSON.parse(results) as Array<Record<string, unknown>>).map(({ durationMs: _, ...rest }) => rest)
    expect(untimed(printed.results!)).toEqual(untimed(written.results!))
    expect(untimed(printed.results!).map((r) => r.status)).toEqual(['unchanged', 'unchanged', 'unchanged'])
  }, 120_000)

  it('prints help for an action, generated from its action.yml', async () => {
    const { code, stdout } = await cli(['prune-snapshots', '--help'])
    expect(code).toBe(0)
    expect(stdout).toContain('Usage: multi-region-actions prune-snapshots')
    expect(stdout).toMatch(
      /--keep-last <value> +Keep the newest N snapshots of each volume\.[^]*?\(default: 7\)/,
    )
    const overview = await cli(['--help'])
    expect(overview.code).toBe(0)
    expect(overview.stdout).toMatch(/^ {2}verify-failover /m)
  })

  it('exits 2 naming an unknown flag, before anything runs', async () => {
    const { code, stdout, stderr } = await cli([
      'prune-snapshots',
      '--regions',
      'eu-west-1',
      '--keep-lats',
      '3',
    ])
    expect(code).toBe(2)
    expect(stderr).toContain("Unknown flag '--keep-lats': prune-snapshots has no input 'keep-lats'.")
    expect(stderr).toContain("Did you mean '--keep-last'?")
    expect(stdout).toBe('')
    expect((await cli(['prune', '--regions', 'eu-west-1'])).code).toBe(2)
  })

  it("exits 2 on a value the action's own validation rejects, naming the input", async () => {
    const { code, stdout, stderr } = await cli(
      ['prune-snapshots', '--regions', 'mars-north-1', '--json'],
      demo.envFor(demo.endpoints.ec2),
    )
    expect(code).toBe(2)
    expect(stderr).toMatch(/^error: Input 'regions': "mars-north-1" is not valid/m)
    expect(JSON.parse(stdout)).toEqual({})
  })

  it('exits 1 when the run fails, and never prints the credentials', async () => {
    const env: Record<string, string> = { ...demo.envFor('http://127.0.0.1:9'), AWS_MAX_ATTEMPTS: '1' }
    const { code, stdout } = await cli(
      ['prune-snapshots', '--regions', 'eu-west-1', '--all-volumes', 'true'],
      env,
    )
    expect(code).toBe(1)
    expect(stdout).toMatch(/error: /)
    expect(stdout).not.toContain(env.AWS_SECRET_ACCESS_KEY!)
    expect(stdout).not.toContain(env.AWS_ACCESS_KEY_ID!)
  })
})
