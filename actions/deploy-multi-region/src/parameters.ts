/** The parameters a target's change set gets, and which keys are masked in logs. */
import * as core from '@actions/core'
import { readCfnYaml } from '../../../lib/cfn-yaml.js'
import type { ParameterMap } from '../../../lib/cloudformation-inputs.js'

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
  const given: ChangeSetParameter[] = Object.entries(merged).map(([key, value]) => ({
    ParameterKey: key,
    ParameterValue: value,
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

/** Values of parameters whose keys look secret are masked before anything is printed. */
export function maskSecretParameters(
  settings: {
    parameters: ParameterMap
    regionParameters: Record<string, ParameterMap>
  },
  /** The template's NoEcho parameters: masked whatever their names. */
  noEcho: readonly string[] = [],
): void {
  const all = [settings.parameters, ...Object.values(settings.regionParameters)]
  for (const map of all)
    for (const [key, value] of Object.entries(map))
      if ((looksSecret(key) || noEcho.includes(key)) && value) core.setSecret(value)
}

/** The names of a template's parameters declared `NoEcho: true`; none for a template that does not parse. */
export function noEchoParameters(body: string): string[] {
  let parsed: unknown
  try {
    parsed = readCfnYaml(body)
  } catch {
    return []
  }
  const parameters = (parsed as { Parameters?: unknown } | null)?.Parameters
  if (!parameters || typeof parameters !== 'object') return []
  return Object.entries(parameters as Record<string, { NoEcho?: unknown } | null>)
    .filter(([, p]) => p && String(p.NoEcho).toLowerCase() === 'true')
    .map(([name]) => name)
}
