/**
 * GitHub's local-action (`npx @github/local-action run <action> src/main.ts
 * .env --post src/post.ts`) running each action's source, post steps
 * included, against moto_server and the loopback layers: the demo's story with
 * every step run through local-action, and the root action from its source.
 */
import { spawn } from 'node:child_process'
import { lstatSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startDemoEnvironment, type DemoEnvironment, type StepRunner } from '../../demo/environment.js'
import { runSteps } from '../../demo/steps.js'
import type { ActionRun } from '../support/action-runner.js'

const POST_STEPS = new Set(['deploy-multi-region', 'verify-failover'])

/** A dotenv file: one KEY="value" line each (dotenv expands \n in double quotes). */
function dotenv(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join('\n')
}

function shellEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(INPUT_|STATE_|GITHUB_|RUNNER_|NODE_OPTIONS$)/.test(k)),
  )
  // local-action replaces @actions/core by its file path; with node_modules a symbolic
  // link (a shared install) Node would load the real path instead and miss the stub.
  if (lstatSync('node_modules').isSymbolicLink()) env.NODE_OPTIONS = '--preserve-symlinks'
  return env
}

function localAction(
  actionPath: string,
  entry: string,
  values: Record<string, string>,
  post?: string,
): Promise<{ code: number; stdout: string; summary: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'local-action-'))
  const summary = join(dir, 'summary.md')
  writeFileSync(summary, '')
  const envFile = join(dir, '.env')
  writeFileSync(envFile, dotenv({ ...values, GITHUB_STEP_SUMMARY: summary }))
  const args = ['@github/local-action', 'run', actionPath, entry, envFile, ...(post ? ['--post', post] : [])]
  return new Promise((resolve, reject) => {
    const child = spawn('npx', args, { env: shellEnv(), cwd: process.cwd() })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, summary: readFileSync(summary, 'utf8') }))
  })
}

function inputEnv(inputs: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, String(v)]),
  )
}

/** The outputs local-action's @actions/core stub reports (`::set-output name=<name>::<value>`). */
function outputsOf(stdout: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  for (const m of stdout.matchAll(/^::set-output name=([^:]+)::(.*)$/gm)) outputs[m[1]!] = m[2]!
  return outputs
}

/** Runs a demo step's action from its source through local-action. */
const localActionRunner: StepRunner = async (step, env) => {
  // local-action 7.0.1 checks --post before it knows the action's folder, so against the
  // current directory: an absolute path is right either way.
  const post = POST_STEPS.has(step.action)
    ? join(process.cwd(), 'actions', step.action, 'src/post.ts')
    : undefined
  const { code, stdout, summary } = await localAction(
    `actions/${step.action}`,
    'src/main.ts',
    { ...env, ...inputEnv(step.inputs) },
    post,
  )
  const lines = stdout.split('\n')
  // The stub's setFailed prints the message as an ::error:: line and leaves the exit code alone.
  const errors = lines.filter((l) => l.startsWith('::error'))
  const run: ActionRun = {
    outputs: outputsOf(stdout),
    summary,
    stdout,
    failed: code !== 0 || errors.length > 0,
    errors,
    warnings: lines.filter((l) => l.startsWith('::warning')),
    state: {},
  }
  if (run.failed) console.log(`${step.action} through local-action exited ${code}:\n${stdout}`)
  return run
}

describe('GitHub local-action', () => {
  let demo: DemoEnvironment

  beforeAll(async () => {
    demo = await startDemoEnvironment({
      runner: localActionRunner,
      echo: false,
      outputDir: mkdtempSync(join(tmpdir(), 'local-action-demo-')),
    })
  })
  afterAll(async () => {
    await demo.stop()
  })

  it("runs every action's src/main.ts, and the post steps' src/post.ts, through the demo's story", async () => {
    const results = await runSteps(demo)
    expect(results.map((r) => [r.title, r.ok])).toEqual(results.map((r) => [r.title, true]))
    for (const { action, run } of demo.runs) {
      expect([action, Object.keys(run.outputs).length > 0]).toEqual([action, true])
      expect(run.stdout).toContain('Running Action')
      if (POST_STEPS.has(action)) expect(run.stdout).toContain('Running Post Step')
    }
    // The post steps read the state the main step saved through local-action's core.
    const drill = demo.runs.find((r) => r.action === 'verify-failover')!.run
    expect(drill.stdout).toMatch(/already restored by the main step/)
    const deploy = demo.runs.find((r) => r.action === 'deploy-multi-region')!.run
    expect(deploy.stdout).not.toMatch(/Running Post Step[\s\S]*::error/)
  }, 900_000)

  it("runs the root action's source, which starts the chosen action's bundle, and its post step", async () => {
    const { code, stdout } = await localAction(
      '.',
      'actions/root/src/main.ts',
      {
        ...demo.envFor(demo.endpoints.ec2),
        ...inputEnv({
          action: 'prune-snapshots',
          regions: 'eu-west-1',
          'all-volumes': 'true',
          'dry-run': 'true',
        }),
        RUNNER_TEMP: demo.outputDir,
      },
      join(process.cwd(), 'actions/root/src/post.ts'),
    )
    expect(code).toBe(0)
    expect(stdout).not.toMatch(/^::error/m)
    // The child bundle (real @actions/core, no output file) prints its outputs as commands.
    expect(stdout).toMatch(/::set-output name=kept::\d+/)
    expect(stdout).toContain('Running Post Step')
  }, 300_000)
})
