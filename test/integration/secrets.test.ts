/**
 * The secret scan: every action runs with credentials, a session token and a
 * Redshift Data API secret ARN in its environment and inputs, once on its happy
 * path (the demo's steps, against moto and its layers) and once failing (every
 * AWS call refused, as child processes so their real stdout and stderr are
 * read). None of the values may appear in stdout, stderr, the job summary,
 * the outputs or the files the outputs name, except in the `::add-mask::`
 * commands through which the runner learns what to mask.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { parseCommandFile } from '../support/action-runner.js'
import {
  startLoopbackProxy,
  queryErrorReply,
  type LoopbackProxy,
  type ProxyReply,
  type ProxyRequest,
} from '../support/loopback-proxy.js'
import { startDemoEnvironment, type DemoEnvironment } from '../../demo/environment.js'
import { runSteps, STEPS, type DemoStep } from '../../demo/steps.js'
import { spectrumBenchmark } from '../../demo/spectrum.js'
import { DEMO_ACCOUNTS } from '../../demo/stackset-rollout.js'

const SECRETS = {
  AWS_ACCESS_KEY_ID: 'AKIAQSCANQ7XSECRETID',
  AWS_SECRET_ACCESS_KEY: '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',
  AWS_SESSION_TOKEN: 'FwoGZXIvYXdzEXscanSessionTokenQ7x/9kQ2xL7pV+vR3mT8nB1cW4zY6hJ0fD5gK==',
}
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:redshift-demo-AbCdEf'
const ALL_SECRETS = [...Object.values(SECRETS), SECRET_ARN]

const ACTIONS = [
  'deploy-multi-region',
  'verify-failover',
  'stackset-rollout',
  'prune-snapshots',
  'spectrum-benchmark',
] as const
type ActionName = (typeof ACTIONS)[number]

/** One thing a run produced that must be free of secrets. */
interface Capture {
  action: ActionName
  run: string
  kind: 'stdout' | 'stderr' | 'summary' | 'outputs' | 'file'
  text: string
}

/** Spellings a value may take on its way into a log: as is, URL-encoded, JSON-escaped, base64. */
function spellings(value: string): string[] {
  return [
    ...new Set([
      value,
      encodeURIComponent(value),
      JSON.stringify(value).slice(1, -1),
      Buffer.from(value).toString('base64'),
    ]),
  ]
}

interface Leak {
  action: string
  run: string
  kind: string
  secret: string
  line: string
}

function findLeaks(captures: readonly Capture[]): Leak[] {
  const leaks: Leak[] = []
  for (const c of captures) {
    for (const line of c.text.split('\n')) {
      // The runner masks what follows ::add-mask:: in every later line; the command itself is never shown.
      if (line.startsWith('::add-mask::')) continue
      for (const secret of ALL_SECRETS) {
        if (spellings(secret).some((s) => line.includes(s)))
          leaks.push({ action: c.action, run: c.run, kind: c.kind, secret: secret.slice(0, 6), line })
      }
    }
  }
  return leaks
}

/** The files an action's outputs point at (plan and results files). */
function namedFiles(outputs: Record<string, string>, workspace: string): string[] {
  return Object.values(outputs)
    .filter((v) => /\.(json|md)$/.test(v) && !v.includes('\n'))
    .map((v) => (isAbsolute(v) ? v : join(workspace, v)))
    .filter((f) => existsSync(f))
}

/**
 * AWS refusing every call, in each service's own error shape: the failing path
 * where error messages and request details get printed.
 */
function denyAll(req: ProxyRequest): ProxyReply {
  const message =
    'User: arn:aws:sts::123456789012:assumed-role/deploy/ci is not authorized to perform this operation'
  switch (req.service) {
    case 'route53':
      return {
        status: 403,
        headers: { 'content-type': 'text/xml' },
        body: `<?xml version="1.0"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${message}</Message></Error><RequestId>11111111-2222-3333-4444-555555555555</RequestId></ErrorResponse>`,
      }
    case 'ec2':
      return {
        status: 403,
        headers: { 'content-type': 'text/xml' },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>11111111-2222-3333-4444-555555555555</RequestID></Response>`,
      }
    case 'redshift-data':
      return {
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({ __type: 'AccessDeniedException', message }),
      }
    default:
      return queryErrorReply(403, 'AccessDenied', message)
  }
}

interface ChildRun {
  stdout: string
  stderr: string
  summary: string
  outputs: Record<string, string>
  code: number | null
}

/** Runs an action's entry point in its own Node process, the way the runner starts it. */
async function runActionChild(
  action: ActionName,
  inputs: Record<string, string>,
  env: Record<string, string>,
  workspace: string,
): Promise<ChildRun> {
  const dir = mkdtempSync(join(tmpdir(), 'secret-scan-'))
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    GITHUB_STATE: join(dir, 'state'),
  }
  for (const file of Object.values(files)) writeFileSync(file, '')
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('INPUT_') && !k.startsWith('AWS_')),
  ) as Record<string, string>
  // Jest's VM-module flag is not for the action's process.
  delete base.NODE_OPTIONS
  const childEnv: Record<string, string> = {
    ...base,
    ...env,
    ...files,
    RUNNER_TEMP: dir,
    GITHUB_WORKSPACE: workspace,
  }
  for (const [name, value] of Object.entries(inputs))
    childEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(workspace, 'actions', action, 'src', 'index.ts')],
    {
      cwd: workspace,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  const result = {
    stdout,
    stderr,
    code,
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
  }
  rmSync(dir, { recursive: true, force: true })
  return result
}

describe('secret scan', () => {
  const captures: Capture[] = []
  /** Action runs whose output was captured. */
  let actionRuns = 0
  const workspace = process.cwd()
  let outputDir: string
  let demo: DemoEnvironment | undefined
  let deny: LoopbackProxy

  beforeAll(async () => {
    mkdirSync(join(workspace, '.tmp'), { recursive: true })
    outputDir = mkdtempSync(join(workspace, '.tmp', 'secret-scan-'))
    deny = await startLoopbackProxy('http://127.0.0.1:9', async (req) => denyAll(req))
  })
  afterAll(async () => {
    await demo?.stop()
    await deny?.close()
    rmSync(outputDir, { recursive: true, force: true })
  })

  it('runs every action on its happy path with the secrets set, and nothing leaks', async () => {
    const stderr: string[] = []
    const write = process.stderr.write.bind(process.stderr)
    // Whatever reaches stderr during the runs (the SDK's warnings, console output) is scanned too.
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      stderr.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString())
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest)
    }) as typeof process.stderr.write
    const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const
    const savedConsole = consoleMethods.map((m) => console[m])
    for (const m of consoleMethods)
      console[m] = (...args: unknown[]) => {
        stderr.push(args.map(String).join(' '))
      }
    try {
      demo = await startDemoEnvironment({ outputDir, env: SECRETS, echo: false })
      const steps: DemoStep[] = STEPS.map((step) =>
        step.run === STEPS[STEPS.length - 1]!.run
          ? {
              title: step.title,
              run: (d) =>
                spectrumBenchmark(d, {
                  iterations: 2,
                  // Timings are not what this test is about: no regression gate.
                  maxRegression: '1000%',
                  inputs: { 'secret-arn': SECRET_ARN },
                }),
            }
          : step,
      )
      const results = await runSteps(demo, steps)
      expect(results.filter((r) => !r.ok)).toEqual([])
    } finally {
      process.stderr.write = write
      consoleMethods.forEach((m, i) => (console[m] = savedConsole[i]!))
    }
    expect(new Set(demo.runs.map((r) => r.action))).toEqual(new Set(ACTIONS))
    actionRuns += demo.runs.length
    for (const { action, label, run } of demo.runs) {
      const name = action as ActionName
      // runAction masked each credential before the action printed anything.
      for (const value of Object.values(SECRETS)) expect(run.stdout).toContain(`::add-mask::${value}`)
      if (name === 'spectrum-benchmark') expect(run.stdout).toContain(`::add-mask::${SECRET_ARN}`)
      captures.push(
        { action: name, run: label, kind: 'stdout', text: run.stdout },
        { action: name, run: label, kind: 'summary', text: run.summary },
        { action: name, run: label, kind: 'outputs', text: JSON.stringify(run.outputs) },
        ...namedFiles(run.outputs, workspace).map((f) => ({
          action: name,
          run: label,
          kind: 'file' as const,
          text: readFileSync(f, 'utf8'),
        })),
      )
    }
    captures.push({
      action: 'deploy-multi-region',
      run: 'happy paths',
      kind: 'stderr',
      text: stderr.join(''),
    })
    expect(findLeaks(captures)).toEqual([])
  })

  it('runs every action failing on AWS errors, as child processes, and nothing leaks', async () => {
    const env = {
      ...SECRETS,
      AWS_ENDPOINT_URL: deny.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_MAX_ATTEMPTS: '1',
    }
    const failing: Record<ActionName, Record<string, string>> = {
      'deploy-multi-region': {
        'stack-name': 'demo-api',
        template: 'templates/multi-region-api.yaml',
        'artifact-bucket': 'auto',
        regions: 'us-east-1,eu-west-1',
        capabilities: 'CAPABILITY_IAM',
      },
      'verify-failover': {
        'hosted-zone-id': 'Z0123456789ABCDEFGHIJ',
        'record-name': 'orders.api.demo.example.com',
        'drill-region': 'us-east-1',
      },
      'stackset-rollout': {
        'stack-set-name': 'account-baseline',
        template: 'templates/account-baseline.yaml',
        capabilities: 'CAPABILITY_IAM',
        accounts: DEMO_ACCOUNTS.join(','),
        regions: 'us-east-1,eu-west-1',
      },
      'prune-snapshots': {
        regions: 'eu-west-1',
        filters: 'Backup=nightly',
        'dr-region': 'eu-central-1',
        'keep-last': '3',
      },
      'spectrum-benchmark': {
        'workgroup-name': 'spectrum-poc',
        database: 'dev',
        'secret-arn': SECRET_ARN,
        queries: 'queries/spectrum-poc/*.sql',
        iterations: '1',
      },
    }
    const runs = await Promise.all(
      ACTIONS.map(async (action) => ({
        action,
        run: await runActionChild(
          action,
          failing[action],
          action === 'spectrum-benchmark' ? { ...env, AWS_ENDPOINT_URL_REDSHIFT_DATA: deny.endpoint } : env,
          workspace,
        ),
      })),
    )
    actionRuns += runs.length
    for (const { action, run } of runs) {
      // Each run failed on the refusal, not on anything else.
      expect({ action, code: run.code }).toEqual({ action, code: 1 })
      expect(run.stdout).toMatch(/^::error[^:]*::.*(AccessDenied|UnauthorizedOperation|not authorized)/m)
      for (const value of Object.values(SECRETS)) expect(run.stdout).toContain(`::add-mask::${value}`)
      const label = `${action} (AWS refuses)`
      captures.push(
        { action, run: label, kind: 'stdout', text: run.stdout },
        { action, run: label, kind: 'stderr', text: run.stderr },
        { action, run: label, kind: 'summary', text: run.summary },
        { action, run: label, kind: 'outputs', text: JSON.stringify(run.outputs) },
      )
    }
    expect(deny.stats.total).toBeGreaterThanOrEqual(ACTIONS.length)
    expect(findLeaks(captures)).toEqual([])
  })

  it('scans every action and would see a leak', () => {
    const actions = new Set(captures.map((c) => c.action))
    expect([...actions].sort()).toEqual([...ACTIONS].sort())
    const bytes = captures.reduce((n, c) => n + Buffer.byteLength(c.text), 0)
    // The scanner itself finds a secret outside an ::add-mask:: line, in any of its spellings.
    const planted: Capture[] = [
      {
        action: 'prune-snapshots',
        run: 'planted',
        kind: 'stdout',
        text: `::add-mask::${SECRET_ARN}\nusing ${SECRET_ARN}`,
      },
      {
        action: 'prune-snapshots',
        run: 'planted',
        kind: 'summary',
        text: encodeURIComponent(SECRETS.AWS_SECRET_ACCESS_KEY),
      },
    ]
    expect(findLeaks(planted)).toHaveLength(2)
    expect(findLeaks(captures)).toEqual([])
    process.stdout.write(
      `secret scan: ${actions.size} actions, ${actionRuns} runs, ${captures.length} captures, ${bytes} bytes scanned, 0 leaks\n`,
    )
  })
})
