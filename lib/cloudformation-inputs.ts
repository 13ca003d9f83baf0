/**
 * The CloudFormation inputs that deploy-multi-region and stackset-rollout share,
 * read once here with one set of rules: the template (a workspace file parsed
 * locally, or an S3 URL), parameters (inline pairs, or a JSON/YAML file in the
 * mapping or the AWS CLI's list form), per-region overrides, capabilities, tags,
 * a role ARN and CloudFormation's size limits.
 *
 * Parameter values may be secret: no error here quotes one. An inline value is
 * hidden, a file is named by its path, a key by itself.
 */
import { statSync } from 'node:fs'
import { parse as parseYaml, parseDocument } from 'yaml'
import { CFN_YAML_TAGS } from './cfn-yaml.js'
import { readWorkspaceFile, workspaceFile } from './files.js'
import { InputError, parseKeyValuePairs, type Inputs } from './inputs.js'
import { mappingInput } from './mapping-input.js'
import { localArtifactReferences } from './package/properties.js'

/** CloudFormation accepts at most 51,200 bytes in TemplateBody; larger templates come from S3 (up to 1 MB). */
export const MAX_TEMPLATE_BODY_BYTES = 51_200
export const MAX_TEMPLATE_URL_BYTES = 1_048_576

export const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] as const
export type Capability = (typeof CAPABILITIES)[number]

export type ParameterMap = Record<string, string>

export interface Tag {
  Key: string
  Value: string
}

export type TemplateSource =
  | {
      kind: 'file'
      path: string
      /** The input as given, for logs and annotations. */
      input: string
      body: string
      bytes: number
      /** The parameter keys the template declares, read locally. */
      parameters: string[]
      /** The logical ids of the template's resources, read locally. */
      resources: string[]
      /** Where it names local artifacts (packaged into artifact-bucket before the change sets); absent: none. */
      localArtifacts?: LocalArtifact[]
    }
  | { kind: 'url'; url: string }

/** A local path a template names where `aws cloudformation package` would upload it. */
export interface LocalArtifact {
  /** The logical id (or the Metadata entry, or `AWS::Include`). */
  resource: string
  /** Resources.<id>.Properties.Code, ... */
  where: string
  /** The path as written. */
  path: string
}

/** A template's declared parameters and resources, read locally. */
export interface TemplateDocument {
  /** The parameter keys the template declares (its `Parameters` section). */
  parameters: string[]
  /** The logical ids of its resources (its `Resources` section). */
  resources: string[]
  /** Where it names local artifacts to package, in template order. */
  localArtifacts: LocalArtifact[]
}

/** Aliases expanded at most this many times: a small template never needs more, a "billion laughs" does. */
export const MAX_ALIASES = 50

/** CloudFormation's quota on a parameter value: "Maximum size of a parameter value", 4,096 bytes. */
export const MAX_PARAMETER_VALUE_BYTES = 4_096

/** CloudFormation parameter keys are alphanumeric logical names. */
export const PARAMETER_KEY = /^[A-Za-z0-9]{1,255}$/

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/
/** An https:// URL of an S3 object, virtual-hosted or path style, in any partition's S3 domain. */
const S3_TEMPLATE_URL = /^https:\/\/([a-z0-9.-]+\.)?s3[a-z0-9.-]*\.amazonaws\.com(\.cn)?\/\S+$/
const TEMPLATE_FORM = 'a CloudFormation template (YAML or JSON) with a Resources mapping'
const PAIRS_FORM =
  'Key=Value pairs separated by commas or newlines, or a path to a JSON/YAML file holding a mapping of keys to values'

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!
}

/**
 * Parses the template text and checks its shape; a template that is not one
 * throws InputError here, before any call: not eight failed calls per target
 * and a REVIEW_IN_PROGRESS stack left behind. Aliases are bounded (MAX_ALIASES).
 */
export function parseTemplate(input: string, shown: string, text: string): TemplateDocument {
  let doc: unknown
  try {
    const parsed = parseDocument(text, { customTags: CFN_YAML_TAGS, uniqueKeys: true, prettyErrors: false })
    if (parsed.errors.length > 0) throw parsed.errors[0]
    const unresolved = parsed.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED')
    if (unresolved) throw unresolved
    doc = parsed.toJS({ maxAliasCount: MAX_ALIASES })
  } catch (error) {
    throw new InputError(input, shown, `${TEMPLATE_FORM} (the file does not parse: ${firstLine(error)})`)
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InputError(input, shown, `${TEMPLATE_FORM} (the file does not hold a mapping)`)
  }
  const { Resources, Parameters } = doc as { Resources?: unknown; Parameters?: unknown }
  if (Resources === null || typeof Resources !== 'object' || Array.isArray(Resources)) {
    throw new InputError(input, shown, `${TEMPLATE_FORM} (the file has no Resources mapping)`)
  }
  const declared =
    Parameters !== null && typeof Parameters === 'object' && !Array.isArray(Parameters)
      ? Object.keys(Parameters)
      : []
  const localArtifacts = localArtifactReferences(doc).map(({ resource, where, path }) => ({
    resource,
    where,
    path,
  }))
  return { parameters: declared, resources: Object.keys(Resources), localArtifacts }
}

/**
 * The `template` input: an https:// URL of an S3 object, or a workspace file of
 * at most MAX_TEMPLATE_URL_BYTES, read and parsed here. Whether a file over
 * MAX_TEMPLATE_BODY_BYTES can be used (uploaded to S3) is the action's to say.
 */
export function readTemplate(raw: string, env: NodeJS.ProcessEnv): TemplateSource {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    if (!S3_TEMPLATE_URL.test(raw)) {
      throw new InputError(
        'template',
        raw,
        'a template file in the workspace, or an https:// URL of an S3 object',
      )
    }
    return { kind: 'url', url: raw }
  }
  const path = workspaceFile('template', raw, env)
  const bytes = statSync(path).size
  if (bytes === 0) throw new InputError('template', raw, 'a non-empty CloudFormation template file')
  if (bytes > MAX_TEMPLATE_URL_BYTES) {
    throw new InputError(
      'template',
      raw,
      `a template of at most ${MAX_TEMPLATE_URL_BYTES} bytes (this one has ${bytes})`,
    )
  }
  const body = readWorkspaceFile('template', raw, env)
  const { parameters, resources, localArtifacts } = parseTemplate('template', raw, body)
  return { kind: 'file', path, input: raw, body, bytes, parameters, resources, localArtifacts }
}

/** The template as given: the workspace path or the URL. */
export function templateShown(template: TemplateSource): string {
  return template.kind === 'file' ? template.input : template.url
}

/**
 * `capabilities`: CloudFormation's names, in any case, with or without the
 * `CAPABILITY_` prefix (`iam`, `named_iam` and `auto_expand` are accepted), each
 * kept once. Anything else is refused.
 */
export function readCapabilities(inputs: Inputs): Capability[] {
  const found = inputs.list('capabilities').map((raw) => {
    const value = raw.toUpperCase()
    const match = CAPABILITIES.find((known) => known === value || known === `CAPABILITY_${value}`)
    if (!match) {
      throw new InputError(
        'capabilities',
        raw,
        `capabilities from: ${CAPABILITIES.join(', ')} (any case, the CAPABILITY_ prefix optional)`,
      )
    }
    return match
  })
  return [...new Set(found)]
}

/** `tags`: at most 50 Key=Value pairs, keys up to 127 characters not starting with `aws:`, values up to 255. */
export function readTags(inputs: Inputs): Tag[] {
  const raw = inputs.raw('tags')
  const pairs = parseKeyValuePairs('tags', raw)
  if (pairs.length > 50) throw new InputError('tags', raw, 'at most 50 Key=Value tags')
  for (const [key, value] of pairs) {
    if (key.length > 127 || value.length > 255 || /^aws:/i.test(key)) {
      throw new InputError(
        'tags',
        raw,
        `Key=Value tags with keys up to 127 characters not starting with 'aws:' and values up to 255; '${key}' is not one`,
      )
    }
  }
  return pairs.map(([Key, Value]) => ({ Key, Value }))
}

/** An IAM role ARN input (`role-arn`, `administration-role-arn`), or undefined when empty. */
export function readRoleArn(inputs: Inputs, name: string, example: string): string | undefined {
  return inputs.matching(name, ROLE_ARN, `an IAM role ARN such as ${example}`)
}

/** True when the input names a parameters file rather than listing pairs. */
export function isParameterFile(value: string): boolean {
  return /^[^\s=,]+\.(json|ya?ml)$/i.test(value)
}

/** How an error shows the input: a file by its path; inline text is hidden (it holds values). */
interface Shown {
  input: string
  shown: string
  secret: boolean
}

function refuse(where: Shown, accepted: string): never {
  throw new InputError(where.input, where.shown, accepted, { secret: where.secret })
}

function checkKey(where: Shown, key: string): void {
  if (!PARAMETER_KEY.test(key)) {
    // The key is no secret: it is named; the text around it is not quoted.
    throw new InputError(where.input, key, 'parameter keys made of letters and digits')
  }
}

/** A value over CloudFormation's limit is refused by its key and size; the value itself is never quoted. */
function checkValue(where: Shown, key: string, value: string): string {
  const bytes = Buffer.byteLength(value, 'utf8')
  if (bytes > MAX_PARAMETER_VALUE_BYTES) {
    throw new InputError(
      where.input,
      key,
      `parameter values of at most ${MAX_PARAMETER_VALUE_BYTES} bytes (CloudFormation's quota); the value of '${key}' has ${bytes}`,
    )
  }
  return value
}

function scalar(where: Shown, key: string, value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  // A CommaDelimitedList or List<...> parameter is passed as one comma-joined string.
  if (Array.isArray(value) && value.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    return value.map(String).join(',')
  }
  return refuse(where, `${PAIRS_FORM}; the value of '${key}' must be a string, number, boolean or list`)
}

/**
 * Parameters from a parsed document: a mapping `{Key: Value}`, or the CLI's list
 * form `[{ParameterKey, ParameterValue}]`, so existing parameter files work.
 */
function parametersFromDocument(where: Shown, doc: unknown): ParameterMap {
  const result: ParameterMap = {}
  if (Array.isArray(doc)) {
    for (const entry of doc) {
      const e = entry as { ParameterKey?: unknown; ParameterValue?: unknown } | null
      if (!e || typeof e !== 'object' || typeof e.ParameterKey !== 'string' || e.ParameterValue === undefined)
        refuse(where, `${PAIRS_FORM} (a list must hold {ParameterKey, ParameterValue} objects)`)
      checkKey(where, e.ParameterKey)
      if (e.ParameterKey in result) refuse(where, `${PAIRS_FORM}; '${e.ParameterKey}' is given twice`)
      result[e.ParameterKey] = checkValue(
        where,
        e.ParameterKey,
        scalar(where, e.ParameterKey, e.ParameterValue),
      )
    }
    return result
  }
  if (doc === null || typeof doc !== 'object') refuse(where, PAIRS_FORM)
  for (const [key, value] of Object.entries(doc as object)) {
    checkKey(where, key)
    result[key] = checkValue(where, key, scalar(where, key, value))
  }
  return result
}

/** A parameters file's text, named by its path in errors. */
export function parseParameterFileText(input: string, path: string, text: string): ParameterMap {
  const where = { input, shown: path, secret: false }
  let doc: unknown
  try {
    doc = parseYaml(text, { strict: true, uniqueKeys: true })
  } catch (error) {
    return refuse(where, `${PAIRS_FORM} (the file does not parse: ${firstLine(error)})`)
  }
  return parametersFromDocument(where, doc)
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
  let pairs: Array<[string, string]>
  try {
    pairs = parseKeyValuePairs(input, value)
  } catch (error) {
    if (error instanceof InputError) throw new InputError(input, value, error.accepted, { secret: true })
    throw error
  }
  const result: ParameterMap = {}
  for (const [key, v] of pairs) {
    checkKey({ input, shown: value, secret: true }, key)
    result[key] = checkValue({ input, shown: value, secret: true }, key, v)
  }
  return result
}

/**
 * Per-region parameter overrides (`region-parameters`, `instance-parameters`):
 * a JSON/YAML mapping, inline or a file, of a region being deployed to a mapping
 * of parameter keys to plain values (a string, number or boolean; a list
 * parameter's value is written comma-joined, as CloudFormation takes it).
 */
export function readRegionParameters(
  inputs: Inputs,
  input: string,
  regions: readonly string[],
  env: NodeJS.ProcessEnv,
): Record<string, ParameterMap> {
  const raw = inputs.raw(input)
  // A file path is safe to show; inline text may hold secret values.
  const where = { input, shown: raw, secret: /[\n{:]/.test(raw) || !/\.(json|ya?ml)$/i.test(raw) }
  let mapping: Record<string, unknown> | undefined
  try {
    mapping = mappingInput(inputs, input, (path) => readWorkspaceFile(input, path, env))
  } catch (error) {
    if (error instanceof InputError && where.secret) refuse(where, error.accepted)
    throw error
  }
  return parseRegionParameters(input, raw, mapping, regions, where.secret)
}

/** The per-region overrides, already parsed: each key a region being deployed, each value a mapping. */
export function parseRegionParameters(
  input: string,
  shown: string,
  mapping: Record<string, unknown> | undefined,
  regions: readonly string[],
  secret = false,
): Record<string, ParameterMap> {
  const where = { input, shown, secret }
  const result: Record<string, ParameterMap> = {}
  if (mapping === undefined) return result
  for (const [region, overlay] of Object.entries(mapping)) {
    if (!regions.includes(region))
      refuse(where, `a mapping whose keys are regions listed in 'regions'; '${region}' is not one`)
    if (overlay === null || typeof overlay !== 'object' || Array.isArray(overlay))
      refuse(where, `a mapping of region -> {Key: Value}; the entry for '${region}' is not a mapping`)
    const values: ParameterMap = {}
    for (const [key, value] of Object.entries(overlay)) {
      checkKey(where, key)
      if (value === null || typeof value === 'object')
        refuse(where, `a plain value for '${key}' under '${region}' (a string, number or boolean)`)
      values[key] = checkValue(where, key, String(value))
    }
    result[region] = values
  }
  return result
}
