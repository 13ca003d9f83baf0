import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'
import { bundleOptions } from '../../../scripts/bundle-options.mjs'
import { runInWorker, YOUNG_GENERATION_MB } from '../../../lib/worker.js'
import { LINES } from '../../support/worker-action/main.js'

let bundle: string

beforeAll(async () => {
  // Bundled as scripts/build.mjs bundles an action (the main a chunk of its own), since the
  // worker runs what the runner starts: dist/<action>/index.js, JavaScript.
  const outdir = mkdtempSync(join(tmpdir(), 'worker-action-'))
  await build({
    ...bundleOptions,
    entryPoints: [resolve(import.meta.dirname, '../../support/worker-action/index.ts')],
    outdir,
  })
  writeFileSync(join(outdir, 'package.json'), '{"type":"module"}\n')
  bundle = join(outdir, 'index.js')
}, 30_000)

interface Step {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  output: string
}

/** Starts the stand-in action as the runner starts a step; `onStdout` may signal it. */
function step(mode: string, onStdout?: (text: string, kill: (s: NodeJS.Signals) => void) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'worker-step-'))
  const output = join(dir, 'output')
  writeFileSync(output, '')
  const env: NodeJS.ProcessEnv = { ...process.env, WORKER_ACTION_MODE: mode, GITHUB_OUTPUT: output }
  const child = spawn(process.execPath, [bundle], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    onStdout?.(stdout, (s) => child.kill(s))
  })
  child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  return new Promise<Step>((done) =>
    child.once('close', (code, signal) =>
      done({ code, signal, stdout, output: readFileSync(output, 'utf8') }),
    ),
  )
}

describe('runInWorker', () => {
  it('runs the action in a worker with the young generation capped, every line in order, then exits 0', async () => {
    const r = await step('ok')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`main thread: false; young generation cap: ${YOUNG_GENERATION_MB} MB`)
    const numbered = r.stdout.split('\n').filter((l) => l.startsWith('line '))
    expect(numbered).toEqual(Array.from({ length: LINES }, (_, i) => `line ${i + 1}`))
    expect(r.output).toContain('result')
  }, 30_000)

  it('ends the step with the exit code the action set: 2 for bad input, 1 for a failure', async () => {
    const bad = await step('bad-input')
    expect(bad.code).toBe(2)
    expect(bad.stdout).toContain('::error::Input \'accounts\': "12345678901" is not valid')
    const failed = await step('fail')
    expect(failed.code).toBe(1)
    expect(failed.stdout).toContain('::error::Throttling: Rate exceeded')
  }, 30_000)

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'passes %s on to the action, which cleans up and fails the step',
    async (signal) => {
      let sent = false
      const r = await step('wait', (text, kill) => {
        if (!sent && text.includes('waiting for a signal')) {
          sent = true
          kill(signal)
        }
      })
      expect(r.signal).toBeNull()
      expect(r.code).toBe(1)
      expect(r.stdout).toContain(`::warning::Received ${signal}: finishing what is in flight`)
      expect(r.stdout).toContain(`cleaning up after: Cancelled by ${signal}`)
      expect(r.stdout).toContain(`::error::Cancelled by ${signal}`)
    },
    30_000,
  )

  it('fails the step with one error when the worker crashes outside runAction', async () => {
    const r = await step('crash')
    expect(r.code).toBe(1)
    expect(r.stdout.match(/::error::/g)).toHaveLength(1)
    expect(r.stdout).toContain('::error::crashed outside runAction')
  }, 30_000)

  it('runs TypeScript source (tsx, the tests, the demo) in the thread it started in', async () => {
    let ranIn: string | undefined
    await new Promise<void>((done) => {
      runInWorker('file:///repo/actions/x/src/index.ts', () =>
        Promise.resolve({
          run: () => {
            ranIn = 'this thread'
            done()
            return Promise.resolve()
          },
        }),
      )
    })
    expect(ranIn).toBe('this thread')
  })
})
