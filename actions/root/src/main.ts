import * as core from '@actions/core'
import { run as deployMultiRegion } from '../../deploy-multi-region/src/main.js'
import { run as pruneSnapshots } from '../../prune-snapshots/src/main.js'
import { run as spectrumBenchmark } from '../../spectrum-benchmark/src/main.js'
import { run as stacksetRollout } from '../../stackset-rollout/src/main.js'
import { run as verifyFailover } from '../../verify-failover/src/main.js'
import { runPost as deployMultiRegionPost } from '../../deploy-multi-region/src/cleanup.js'
import { runPost as verifyFailoverPost } from '../../verify-failover/src/post-main.js'
import { ACTION_INPUTS } from './catalog.js'
import { InputError } from '../../../lib/inputs.js'

const RUNNERS: Record<string, () => Promise<void>> = {
  'deploy-multi-region': deployMultiRegion,
  'stackset-rollout': stacksetRollout,
  'verify-failover': verifyFailover,
  'prune-snapshots': pruneSnapshots,
  'spectrum-benchmark': spectrumBenchmark,
}

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

export async function run(): Promise<void> {
  let name: string
  try {
    name = prepareInputs()
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error))
    return
  }
  core.saveState(STATE_KEY, name)
  await RUNNERS[name]!()
}

/** Post steps of the actions that have one: a deploy's leftover change sets, a drill's restore. */
const POST_RUNNERS: Record<string, () => Promise<void>> = {
  'deploy-multi-region': deployMultiRegionPost,
  'verify-failover': verifyFailoverPost,
}

export async function runPost(): Promise<void> {
  await POST_RUNNERS[core.getState(STATE_KEY)]?.()
}
