import * as core from '@actions/core'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ACTION_INPUTS } from './catalog.js'
import { runAction } from '../../../lib/action.js'
import { InputError } from '../../../lib/inputs.js'

const STATE_KEY = 'multi-region-actions-action'

function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

/**
 * Chooses the action and prepares its inputs as the runner would for a direct
 * `uses:` of that action: its defaults fill the inputs left empty. An input the
 * chosen action does not have is an error, so a typo is not silently ignored.
 */
export function prepareInputs(env: NodeJS.ProcessEnv = process.env): string {
  const name = (env[inputVariable('action')] ?? '').trim()
  const inputs = ACTION_INPUTS[name]
  if (inputs === undefined)
    throw new InputError('action', name, `one of: ${Object.keys(ACTION_INPUTS).join(', ')}`)
  const known = new Set(Object.keys(inputs).map(inputVariable))
  known.add(inputVariable('action'))
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('INPUT_') && !known.has(key) && (value ?? '').trim() !== '') {
      const input = key.slice('INPUT_'.length).toLowerCase()
      throw new InputError(
        input,
        value ?? '',
        `only inputs of the '${name}' action (see actions/${name}/action.yml)`,
      )
    }
  }
  for (const [input, defaultValue] of Object.entries(inputs)) {
    const key = inputVariable(input)
    if ((env[key] ?? '').trim() === '' && defaultValue !== '') env[key] = defaultValue
  }
  return name
}

/**
 * The folder holding every action's bundle: beside this one when bundled
 * (dist/root/index.js, or dist/root/post/index.js one folder deeper), and the
 * repository's dist/ when this runs from its source (actions/root/src/, as
 * GitHub's local-action and tsx run it).
 */
export function distFolder(moduleDir = dirname(fileURLToPath(import.meta.url))): string {
  if (basename(moduleDir) === 'src' && basename(dirname(moduleDir)) === 'root')
    return join(moduleDir, '..', '..', '..', 'dist')
  return basename(moduleDir) === 'post' ? join(moduleDir, '..', '..') : join(moduleDir, '..')
}

/**
 * The chosen action's own bundle (dist/<name>/index.js, or its post step), so
 * the root action adds no second copy of any action's code.
 */
export function bundlePath(name: string, step: 'main' | 'post', dist = distFolder()) {
  return step === 'post' ? join(dist, name, 'post', 'index.js') : join(dist, name, 'index.js')
}

/**
 * Runs a bundle in a child Node.js process with this step's environment (the
 * inputs, output, state and summary files), passing a cancellation on to it.
 */
function runBundle(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path], { stdio: 'inherit', env: process.env })
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    process.on('SIGINT', forward)
    process.on('SIGTERM', forward)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward)
      process.off('SIGTERM', forward)
      resolve(code ?? (signal ? 1 : 0))
    })
  })
}

/** Fails the step as every action does (lib/action.ts): a bad `action` or input exits 2. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const name = prepareInputs()
    core.saveState(STATE_KEY, name)
    process.exitCode = await runBundle(bundlePath(name, 'main'))
  })
}

/** The post step of the chosen action, when it has one (a deploy's leftover change sets, a drill's restore). */
export async function runPost(): Promise<void> {
  const name = core.getState(STATE_KEY)
  if (!(name in ACTION_INPUTS)) return
  const path = bundlePath(name, 'post')
  if (existsSync(path)) process.exitCode = await runBundle(path)
}
