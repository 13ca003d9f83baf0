import type { ActionMetadata, InputSpec } from './metadata.js'

/** A command line that cannot be run as written; the command exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** The command line's own flags; no action has an input of these names. */
export const OWN_FLAGS = ['json', 'summary', 'help'] as const

export interface StepRequest {
  /** Every input the runner would pass: the flags given, and action.yml defaults for the rest. */
  inputs: Record<string, string>
  json: boolean
  summaryFile?: string
  help: boolean
}

/** An input whose default is true or false may be given as a bare flag, meaning true. */
function isSwitch(spec: InputSpec | undefined): boolean {
  return spec !== undefined && (spec.default === 'true' || spec.default === 'false')
}

/**
 * Reads `--<input> <value>` (or `--<input>=<value>`) flags for one action. An
 * unknown flag, a flag without a value or a flag given twice is a usage
 * error naming the flag; the values themselves are checked by the action.
 */
export function parseActionArguments(args: readonly string[], metadata: ActionMetadata): StepRequest {
  const given = new Map<string, string>()
  let json = false
  let help = false
  let summaryFile: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '-h' || arg === '--help') {
      help = true
      continue
    }
    if (!arg.startsWith('--') || arg === '--') {
      throw new UsageError(
        `Unexpected argument '${arg}': inputs are given as --<input> <value> (see 'multi-region-actions ${metadata.name} --help').`,
      )
    }
    const eq = arg.indexOf('=')
    const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
    let value = eq === -1 ? undefined : arg.slice(eq + 1)
    if (flag === 'json') {
      if (value !== undefined) throw new UsageError(`Flag '--json' takes no value.`)
      json = true
      continue
    }
    const spec = metadata.inputs[flag]
    if (flag !== 'summary' && spec === undefined) throw new UsageError(unknownFlag(flag, metadata))
    if (value === undefined) {
      const next = args[i + 1]
      if (next !== undefined && !next.startsWith('--')) {
        value = next
        i++
      } else if (isSwitch(spec)) {
        value = 'true'
      } else {
        throw new UsageError(`Flag '--${flag}' needs a value: --${flag} <value>.`)
      }
    }
    if (flag === 'summary') {
      if (value === '') throw new UsageError(`Flag '--summary' needs a file name.`)
      summaryFile = value
      continue
    }
    if (given.has(flag)) {
      throw new UsageError(`Flag '--${flag}' is given twice; give it once (a list is separated by commas).`)
    }
    given.set(flag, value)
  }
  const inputs: Record<string, string> = {}
  for (const [name, spec] of Object.entries(metadata.inputs)) {
    const value = given.get(name) ?? spec.default
    if (value !== '') inputs[name] = value
  }
  return { inputs, json, help, ...(summaryFile !== undefined ? { summaryFile } : {}) }
}

function unknownFlag(flag: string, metadata: ActionMetadata): string {
  const near = Object.keys(metadata.inputs)
    .map((name) => ({ name, distance: editDistance(flag, name) }))
    .filter((c) => c.distance <= 2)
    .sort((a, b) => a.distance - b.distance)[0]
  const hint = near ? ` Did you mean '--${near.name}'?` : ''
  return `Unknown flag '--${flag}': ${metadata.name} has no input '${flag}'.${hint} See 'multi-region-actions ${metadata.name} --help'.`
}

/** Levenshtein distance, for the "did you mean" hint. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution))
    }
    previous = current
  }
  return previous[b.length]!
}
