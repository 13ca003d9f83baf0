import { parse as parseYaml } from 'yaml'
import { InputError, parseKeyValuePairs } from '../../../lib/inputs.js'

/** CloudFormation parameter keys are alphanumeric logical names. */
export const PARAMETER_KEY = /^[A-Za-z0-9]{1,255}$/

export type ParameterMap = Record<string, string>

const PAIRS_FORM =
  'Key=Value pairs separated by commas or newlines, or a path to a JSON/YAML file holding a mapping of keys to values'

/** True when the input names a parameters file rather than listing pairs. */
export function isParameterFile(value: string): boolean {
  return /^[^\s=,]+\.(json|ya?ml)$/i.test(value)
}

function scalar(input: string, shown: string, key: string, value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  // A CommaDelimitedList or List<...> parameter is passed as one comma-joined string.
  if (Array.isArray(value) && value.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    return value.map(String).join(',')
  }
  throw new InputError(
    input,
    shown,
    `${PAIRS_FORM}; the value of '${key}' must be a string, number, boolean or list`,
  )
}

function checkKey(input: string, shown: string, key: string): void {
  if (!PARAMETER_KEY.test(key)) {
    throw new InputError(input, shown, `parameter keys made of letters and digits; '${key}' is not one`)
  }
}

/**
 * Parameters from a parsed file: a mapping `{Key: Value}`, or the CLI's list
 * form `[{ParameterKey, ParameterValue}]`, so existing parameter files work.
 */
export function parametersFromDocument(input: string, shown: string, doc: unknown): ParameterMap {
  const result: ParameterMap = {}
  if (Array.isArray(doc)) {
    for (const entry of doc) {
      const e = entry as { ParameterKey?: unknown; ParameterValue?: unknown } | null
      if (
        !e ||
        typeof e !== 'object' ||
        typeof e.ParameterKey !== 'string' ||
        e.ParameterValue === undefined
      ) {
        throw new InputError(
          input,
          shown,
          `${PAIRS_FORM} (a list must hold {ParameterKey, ParameterValue} objects)`,
        )
      }
      checkKey(input, shown, e.ParameterKey)
      if (e.ParameterKey in result)
        throw new InputError(input, shown, `${PAIRS_FORM}; '${e.ParameterKey}' is given twice`)
      result[e.ParameterKey] = scalar(input, shown, e.ParameterKey, e.ParameterValue)
    }
    return result
  }
  if (doc === null || typeof doc !== 'object') throw new InputError(input, shown, PAIRS_FORM)
  for (const [key, value] of Object.entries(doc)) {
    checkKey(input, shown, key)
    result[key] = scalar(input, shown, key, value)
  }
  return result
}

export function parseParameterFileText(input: string, shown: string, text: string): ParameterMap {
  let doc: unknown
  try {
    doc = parseYaml(text, { strict: true, uniqueKeys: true })
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new InputError(input, shown, `${PAIRS_FORM} (the file does not parse: ${reason})`)
  }
  return parametersFromDocument(input, shown, doc)
}

/** The `parameters` input: pairs written inline, or a file read through `loadFile`. */
export function parseParameters(
  input: string,
  raw: string,
  loadFile: (path: string) => string,
): ParameterMap {
  const value = raw.trim()
  if (value === '') return {}
  if (isParameterFile(value)) return parseParameterFileText(input, value, loadFile(value))
  const result: ParameterMap = {}
  for (const [key, v] of parseKeyValuePairs(input, value)) {
    checkKey(input, value, key)
    result[key] = v
  }
  return result
}

/**
 * The `region-parameters` mapping, already parsed: each key a region being
 * deployed, each value a mapping of parameter keys to values.
 */
export function parseRegionParameters(
  input: string,
  shown: string,
  mapping: Record<string, unknown> | undefined,
  regions: readonly string[],
): Record<string, ParameterMap> {
  const result: Record<string, ParameterMap> = {}
  if (mapping === undefined) return result
  for (const [region, overlay] of Object.entries(mapping)) {
    if (!regions.includes(region)) {
      throw new InputError(
        input,
        shown,
        `a mapping whose keys are regions listed in 'regions'; '${region}' is not one`,
      )
    }
    if (overlay === null || typeof overlay !== 'object' || Array.isArray(overlay)) {
      throw new InputError(
        input,
        shown,
        `a mapping of region -> {Key: Value}; the entry for '${region}' is not a mapping`,
      )
    }
    result[region] = parametersFromDocument(input, shown, overlay)
  }
  return result
}

export type ChangeSetParameter =
  { ParameterKey: string; ParameterValue: string } | { ParameterKey: string; UsePreviousValue: true }

/** What an UPDATE change set needs to know to keep the values the inputs leave out. */
export interface PreviousParameters {
  /** The parameter keys the stack has now. */
  stackKeys: readonly string[]
  /** The parameter keys the new template declares. */
  declared: readonly string[]
}

/**
 * The parameters one region gets: the common ones with its overlay on top. On
 * an update (`previous` given), every parameter the stack has, the template
 * still declares and the inputs leave out keeps its current value through
 * UsePreviousValue, as `aws cloudformation deploy` does: CloudFormation would
 * otherwise reset it to the template's default ("If you don't specify a key and
 * value for a particular parameter, CloudFormation uses the default value"), or
 * fail for a NoEcho parameter without one. A parameter new to the template takes
 * its default. A kept parameter carries no value ("If you specify true, do not
 * specify a parameter value").
 */
export function parametersFor(
  region: string,
  common: ParameterMap,
  perRegion: Record<string, ParameterMap>,
  previous?: PreviousParameters,
): ChangeSetParameter[] {
  const merged = { ...common, ...(perRegion[region] ?? {}) }
  const given: ChangeSetParameter[] = Object.keys(merged).map((key) => ({
    ParameterKey: key,
    ParameterValue: merged[key]!,
  }))
  const kept: ChangeSetParameter[] = previous
    ? previous.stackKeys
        .filter((key) => !(key in merged) && previous.declared.includes(key))
        .map((key) => ({ ParameterKey: key, UsePreviousValue: true }))
    : []
  return [...given, ...kept].sort((a, b) => (a.ParameterKey < b.ParameterKey ? -1 : 1))
}

/** Parameter keys that look like they hold secrets; their values are masked in logs. */
export function looksSecret(key: string): boolean {
  return /(pass(word)?|secret|token|private|credential|apikey|api_key)/i.test(key)
}
