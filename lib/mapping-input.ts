import { parse as parseYaml } from 'yaml'
import { InputError, type Inputs } from './inputs.js'

// A module of its own, not a method of Inputs: only the actions with a mapping
// input load the YAML parser, so the others start without it.

/** A JSON or YAML mapping input, written inline or as a path to a .json/.yaml/.yml file. */
export function mappingInput(
  inputs: Inputs,
  name: string,
  loadFile?: (path: string) => string,
): Record<string, unknown> | undefined {
  const value = inputs.raw(name)
  if (value === '') return undefined
  let text = value
  if (/\.(json|ya?ml)$/i.test(value) && !/[\n{:]/.test(value) && loadFile) text = loadFile(value)
  return parseMapping(name, value, text)
}

export function parseMapping(name: string, shown: string, text: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = parseYaml(text, { strict: true, uniqueKeys: true })
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new InputError(name, shown, `a JSON or YAML mapping (${reason})`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InputError(name, shown, 'a JSON or YAML mapping of keys to values')
  }
  return parsed as Record<string, unknown>
}
