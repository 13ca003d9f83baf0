import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { ACTION_INPUTS } from '../../actions/root/src/catalog.js'

/** The actions the command line runs: the five the root action offers. */
export const ACTION_NAMES: readonly string[] = Object.keys(ACTION_INPUTS)

export interface InputSpec {
  description: string
  required: boolean
  /** The action.yml default as the runner passes it ('' when there is none). */
  default: string
}

export interface ActionMetadata {
  name: string
  title: string
  description: string
  inputs: Record<string, InputSpec>
  outputs: Record<string, string>
  /** The bundles the runner would start: runs.main and runs.post of action.yml. */
  main: string
  post?: string
}

interface ActionYaml {
  name?: string
  description?: string
  inputs?: Record<string, { description?: string; required?: boolean; default?: unknown }>
  outputs?: Record<string, { description?: string }>
  runs: { main: string; post?: string }
}

/**
 * The folder holding actions/ and dist/: a clone or the installed package. The
 * command line runs from dist/cli/index.js (bundled) or cli/src/ (source), both
 * two folders below it.
 */
export function packageRoot(moduleDir = dirname(fileURLToPath(import.meta.url))): string {
  return resolve(moduleDir, '..', '..')
}

/** An action's metadata, read from its action.yml as the runner reads it. */
export function readActionMetadata(name: string, root = packageRoot()): ActionMetadata {
  const file = join(root, 'actions', name, 'action.yml')
  const yml = parse(readFileSync(file, 'utf8')) as ActionYaml
  const inputs: Record<string, InputSpec> = {}
  for (const [input, spec] of Object.entries(yml.inputs ?? {})) {
    inputs[input] = {
      description: (spec.description ?? '').trim(),
      required: spec.required === true,
      default: spec.default === undefined || spec.default === null ? '' : String(spec.default),
    }
  }
  const outputs: Record<string, string> = {}
  for (const [output, spec] of Object.entries(yml.outputs ?? {}))
    outputs[output] = (spec.description ?? '').trim()
  return {
    name,
    title: yml.name ?? name,
    description: (yml.description ?? '').trim(),
    inputs,
    outputs,
    main: resolve(dirname(file), yml.runs.main),
    ...(yml.runs.post ? { post: resolve(dirname(file), yml.runs.post) } : {}),
  }
}
