import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Display } from './display.js'

/** The environment variable the runner sets for an input (as @actions/core reads it). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

export interface StepFiles {
  GITHUB_OUTPUT: string
  GITHUB_STATE: string
  GITHUB_STEP_SUMMARY: string
  GITHUB_ENV: string
  GITHUB_PATH: string
}

/** The step's command files in `dir`, each made empty, as the runner gives a step fresh ones. */
export function createStepFiles(dir: string): StepFiles {
  const files: StepFiles = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_PATH: join(dir, 'path'),
  }
  for (const file of Object.values(files)) writeFileSync(file, '')
  return files
}

/**
 * A step's environment as the runner builds it: the caller's environment
 * without any INPUT_* or STATE_* of its own (the command line may itself run
 * inside a job), one INPUT_* per input, the step's command files, and the
 * current directory as the workspace when none is set.
 */
export function stepEnvironment(
  base: NodeJS.ProcessEnv,
  inputs: Record<string, string>,
  files: StepFiles,
  cwd = process.cwd(),
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(base)) {
    if (!key.startsWith('INPUT_') && !key.startsWith('STATE_')) env[key] = value
  }
  for (const [name, value] of Object.entries(inputs)) env[inputVariable(name)] = value
  Object.assign(env, files)
  if (!env.GITHUB_WORKSPACE) env.GITHUB_WORKSPACE = cwd
  return env
}

/**
 * Runs a bundle in a child Node.js process, as the runner runs `node <main>`,
 * each line it prints going to the display; a Ctrl-C or SIGTERM is passed on
 * so the action winds down as it does when a job is cancelled. `nodeArgs` go
 * before the bundle (a benchmark's `--import` of its own probe).
 */
export function runBundle(
  bundle: string,
  env: NodeJS.ProcessEnv,
  display: Display,
  nodeArgs: readonly string[] = [],
): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    process.on('SIGINT', forward)
    process.on('SIGTERM', forward)
    const stdout = createInterface({ input: child.stdout })
    const stderr = createInterface({ input: child.stderr })
    stdout.on('line', (line) => display.line(line))
    stderr.on('line', (line) => display.note(line))
    const closed = Promise.all([
      new Promise((r) => stdout.once('close', r)),
      new Promise((r) => stderr.once('close', r)),
    ])
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward)
      process.off('SIGTERM', forward)
      void closed.then(() => resolve(code ?? (signal ? 1 : 0)))
    })
  })
}
