import * as core from '@actions/core'
import { EXTRA_REGIONS_ENV, REGION_SHAPE, partitionOf } from './regions.js'
import { splitList } from './target-list.js'

export { splitList } from './target-list.js'

/**
 * A bad input. The message names the input, quotes the value (unless it is
 * secret) and states the accepted form, so the user can fix it without reading code.
 */
export class InputError extends Error {
  constructor(
    readonly input: string,
    readonly value: string,
    readonly accepted: string,
    options: { secret?: boolean } = {},
  ) {
    const shown = options.secret
      ? '(value hidden)'
      : JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}...` : value)
    super(`Input '${input}': ${shown} is not valid. Expected ${accepted}.`)
    this.name = 'InputError'
  }
}

/** Reads one raw input by name; the actions use `core.getInput`, tests pass a map. */
export type InputReader = (name: string) => string

export const actionInputReader: InputReader = (name) => core.getInput(name, { trimWhitespace: true })

export function mapInputReader(values: Record<string, string | number | boolean | undefined>): InputReader {
  return (name) => {
    const value = values[name]
    return value === undefined ? '' : String(value).trim()
  }
}

const TRUE_WORDS = ['true', 'yes', 'on', '1']
const FALSE_WORDS = ['false', 'no', 'off', '0']

/**
 * Typed accessors over the raw inputs. Each one validates and throws an
 * InputError that names the input; an action builds its settings object from
 * these before it makes any AWS call.
 */
export class Inputs {
  constructor(private readonly read: InputReader = actionInputReader) {}

  raw(name: string): string {
    return this.read(name).trim()
  }

  string(name: string, options: { required?: boolean; default?: string } = {}): string {
    const value = this.raw(name)
    if (value === '') {
      if (options.required) throw new InputError(name, value, 'a non-empty value (this input is required)')
      return options.default ?? ''
    }
    return value
  }

  optional(name: string): string | undefined {
    const value = this.raw(name)
    return value === '' ? undefined : value
  }

  /** A string that must match a pattern, such as an ARN or an id. */
  matching(
    name: string,
    pattern: RegExp,
    accepted: string,
    options: { required?: boolean; secret?: boolean } = {},
  ) {
    const value = this.string(name, { required: options.required })
    if (value !== '' && !pattern.test(value))
      throw new InputError(name, value, accepted, { secret: options.secret })
    return value === '' ? undefined : value
  }

  list(name: string, options: { required?: boolean; unique?: boolean } = {}): string[] {
    const raw = this.raw(name)
    const items = splitList(raw)
    if (options.required && items.length === 0) {
      throw new InputError(name, raw, 'at least one item, separated by commas or newlines')
    }
    if (options.unique !== false) {
      const seen = new Set<string>()
      for (const item of items) {
        if (seen.has(item)) throw new InputError(name, raw, `each item once; '${item}' is listed twice`)
        seen.add(item)
      }
    }
    return items
  }

  boolean(name: string, defaultValue: boolean): boolean {
    const value = this.raw(name)
    if (value === '') return defaultValue
    const lower = value.toLowerCase()
    if (TRUE_WORDS.includes(lower)) return true
    if (FALSE_WORDS.includes(lower)) return false
    throw new InputError(name, value, 'true or false')
  }

  integer(
    name: string,
    options: { default?: number; min?: number; max?: number; required?: boolean } = {},
  ): number {
    const value = this.raw(name)
    const min = options.min ?? Number.MIN_SAFE_INTEGER
    const max = options.max ?? Number.MAX_SAFE_INTEGER
    const accepted = `a whole number from ${min} to ${max}`
    if (value === '') {
      if (options.default !== undefined) return options.default
      throw new InputError(name, value, `${accepted} (this input is required)`)
    }
    if (!/^[+-]?\d+$/.test(value)) throw new InputError(name, value, accepted)
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InputError(name, value, accepted)
    return n
  }

  optionalInteger(name: string, options: { min?: number; max?: number } = {}): number | undefined {
    return this.raw(name) === '' ? undefined : this.integer(name, options)
  }

  /** A positive decimal number, such as a rate. */
  optionalNumber(name: string, options: { min: number; max: number }): number | undefined {
    const value = this.raw(name)
    if (value === '') return undefined
    const accepted = `a number from ${options.min} to ${options.max}`
    if (!/^\d+(\.\d+)?$/.test(value)) throw new InputError(name, value, accepted)
    const n = Number(value)
    if (n < options.min || n > options.max) throw new InputError(name, value, accepted)
    return n
  }

  choice<T extends string>(name: string, choices: readonly T[], defaultValue?: T): T {
    const value = this.raw(name)
    if (value === '' && defaultValue !== undefined) return defaultValue
    const match = choices.find((c) => c.toLowerCase() === value.toLowerCase())
    if (match === undefined) throw new InputError(name, value, `one of: ${choices.join(', ')}`)
    return match
  }

  /**
   * A list of AWS region names: known regions of one partition, each once.
   * A region launched after this release can be allowed with the
   * MULTI_REGION_ACTIONS_EXTRA_REGIONS environment variable.
   */
  regions(name: string, options: { required?: boolean } = {}): string[] {
    const regions = this.list(name, { required: options.required })
    return validateRegions(name, this.raw(name), regions)
  }

  region(name: string, options: { required?: boolean } = {}): string | undefined {
    const value = this.string(name, { required: options.required })
    if (value === '') return undefined
    return validateRegions(name, value, [value], 'an AWS region name such as us-east-1')[0]
  }
}

export function validateRegions(
  name: string,
  raw: string,
  regions: string[],
  shape = 'AWS region names such as us-east-1 or eu-west-2, separated by commas or newlines',
): string[] {
  const partitions = new Set<string>()
  for (const region of regions) {
    if (!REGION_SHAPE.test(region)) {
      throw new InputError(name, region, shape)
    }
    const partition = partitionOf(region)
    if (partition === undefined) {
      throw new InputError(
        name,
        region,
        `a known AWS region (a newer region can be allowed with the ${EXTRA_REGIONS_ENV} environment variable)`,
      )
    }
    partitions.add(partition)
  }
  if (partitions.size > 1) {
    throw new InputError(name, raw, `regions of one partition; these span ${[...partitions].join(' and ')}`)
  }
  return regions
}

/**
 * Parses `Key=Value` pairs separated by commas or newlines. A value may be
 * quoted ("a,b" or 'a,b') to hold commas; `Key=` gives an empty value.
 */
export function parseKeyValuePairs(name: string, raw: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  let i = 0
  const text = raw.trim()
  const accepted = 'Key=Value pairs separated by commas or newlines (quote a value to hold commas)'
  while (i < text.length) {
    while (i < text.length && /[\s,]/.test(text[i]!)) i++
    if (i >= text.length) break
    const eq = text.indexOf('=', i)
    const keyEnd = eq === -1 ? -1 : eq
    const key = keyEnd === -1 ? '' : text.slice(i, keyEnd).trim()
    if (keyEnd === -1 || key === '' || /[,\n]/.test(key)) {
      throw new InputError(name, raw, accepted)
    }
    i = keyEnd + 1
    let value = ''
    const quote = text[i]
    if (quote === '"' || quote === "'") {
      const close = text.indexOf(quote, i + 1)
      if (close === -1) throw new InputError(name, raw, `${accepted}; a quote is not closed`)
      value = text.slice(i + 1, close)
      i = close + 1
      while (i < text.length && text[i] !== ',' && text[i] !== '\n') {
        if (!/\s/.test(text[i]!)) throw new InputError(name, raw, `${accepted}; text follows a closing quote`)
        i++
      }
    } else {
      const end = text.slice(i).search(/[,\n]/)
      const stop = end === -1 ? text.length : i + end
      value = text.slice(i, stop).trim()
      i = stop
    }
    if (pairs.some(([k]) => k === key))
      throw new InputError(name, raw, `${accepted}; '${key}' is given twice`)
    pairs.push([key, value])
  }
  return pairs
}
