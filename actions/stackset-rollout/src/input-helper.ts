import { parse as parseYaml } from 'yaml'
import { Inputs, InputError, parseKeyValuePairs } from '../../../lib/inputs.js'
import { readWorkspaceFile } from '../../../lib/files.js'
import { readCfnYaml } from '../../../lib/cfn-yaml.js'
import { localArtifactReferences } from '../../../lib/package/properties.js'
import { mappingInput } from '../../../lib/mapping-input.js'
import { parseCountOrPercent, type CountOrPercent } from './plan.js'

export type PermissionModel = 'SELF_MANAGED' | 'SERVICE_MANAGED'
export type CallAs = 'SELF' | 'DELEGATED_ADMIN'
export type AccountFilterType = 'INTERSECTION' | 'DIFFERENCE' | 'UNION' | 'NONE'
export type Capability = 'CAPABILITY_IAM' | 'CAPABILITY_NAMED_IAM' | 'CAPABILITY_AUTO_EXPAND'

export interface TemplateSource {
  /** The template text when it came from a workspace file. */
  body?: string
  /** An https:// S3 URL, passed to CloudFormation as TemplateURL. */
  url?: string
  /** What the user wrote, for logs. */
  shown: string
}

export interface Preferences {
  regionConcurrency?: 'SEQUENTIAL' | 'PARALLEL'
  regionOrder?: string[]
  maxConcurrent?: CountOrPercent
  failureTolerance?: CountOrPercent
  concurrencyMode?: 'STRICT_FAILURE_TOLERANCE' | 'SOFT_FAILURE_TOLERANCE'
}

export interface Settings {
  stackSetName: string
  /** The region whose CloudFormation endpoint administers the stack set. */
  homeRegion: string
  template: TemplateSource
  parameters: Record<string, string>
  capabilities: Capability[]
  tags: Record<string, string>
  description?: string
  permissionModel: PermissionModel
  administrationRoleArn?: string
  executionRoleName?: string
  organizationalUnits: string[]
  autoDeployment?: { enabled: boolean; retainStacksOnAccountRemoval: boolean }
  accountFilterType?: AccountFilterType
  accounts: string[]
  regions: string[]
  callAs: CallAs
  preferences: Preferences
  /** region -> parameter overrides for the stack instances in that region. */
  instanceParameters: Record<string, Record<string, string>>
  pruneInstances: boolean
  retainStacks: boolean
  managedExecution: boolean
  timeoutMinutes: number
}

/** CloudFormation's limit for a template passed inline (TemplateBody). */
export const MAX_TEMPLATE_BODY_BYTES = 51200

const STACK_SET_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/
const ACCOUNT_ID = /^\d{12}$/
const OU_ID = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/
const PARAMETER_KEY = /^[a-zA-Z0-9]{1,255}$/
const CAPABILITIES: readonly Capability[] = [
  'CAPABILITY_IAM',
  'CAPABILITY_NAMED_IAM',
  'CAPABILITY_AUTO_EXPAND',
]

/** Inputs that only mean something for one permission model. */
const SERVICE_MANAGED_ONLY = [
  'organizational-units',
  'auto-deployment',
  'retain-stacks-on-account-removal',
  'account-filter-type',
] as const
const SELF_MANAGED_ONLY = ['administration-role-arn', 'execution-role-name'] as const

export function getSettings(inputs: Inputs, env: NodeJS.ProcessEnv = process.env): Settings {
  const stackSetName = inputs.matching(
    'stack-set-name',
    STACK_SET_NAME,
    'a name of 1 to 128 letters, digits and hyphens that starts with a letter',
    { required: true },
  )!
  const permissionModel = inputs.choice(
    'permission-model',
    ['self-managed', 'service-managed'] as const,
    'self-managed',
  )
  const serviceManaged = permissionModel === 'service-managed'
  for (const name of serviceManaged ? SELF_MANAGED_ONLY : SERVICE_MANAGED_ONLY) {
    const value = inputs.raw(name)
    if (value !== '') {
      throw new InputError(
        name,
        value,
        `no value with permission-model ${permissionModel} (it applies to the other model only)`,
      )
    }
  }

  const regions = inputs.regions('regions', { required: true })
  const accounts = inputs.list('accounts')
  for (const account of accounts) {
    if (!ACCOUNT_ID.test(account))
      throw new InputError('accounts', account, 'AWS account ids of exactly 12 digits')
  }
  const organizationalUnits = serviceManaged ? inputs.list('organizational-units') : []
  for (const ou of organizationalUnits) {
    if (!OU_ID.test(ou)) {
      throw new InputError(
        'organizational-units',
        ou,
        'organizational unit ids such as ou-ab12-cd34ef56, or a root id such as r-ab12',
      )
    }
  }
  let accountFilterType: AccountFilterType | undefined
  if (serviceManaged) {
    if (organizationalUnits.length === 0) {
      throw new InputError(
        'organizational-units',
        '',
        'at least one organizational unit id (required with permission-model service-managed)',
      )
    }
    if (inputs.raw('account-filter-type') !== '') {
      accountFilterType = inputs.choice('account-filter-type', [
        'INTERSECTION',
        'DIFFERENCE',
        'UNION',
        'NONE',
      ] as const)
    }
    if (accountFilterType === 'UNION') {
      // DeploymentTargets: "Note that UNION is not supported for CreateStackInstances operations."
      throw new InputError(
        'account-filter-type',
        inputs.raw('account-filter-type'),
        'intersection or difference (CloudFormation does not support union for CreateStackInstances; ' +
          "list the extra accounts' organizational units in organizational-units instead)",
      )
    }
    if (accounts.length > 0 && (accountFilterType === undefined || accountFilterType === 'NONE')) {
      throw new InputError(
        'account-filter-type',
        inputs.raw('account-filter-type'),
        'intersection or difference when accounts are listed with permission-model service-managed',
      )
    }
    if (accounts.length === 0 && accountFilterType !== undefined && accountFilterType !== 'NONE') {
      throw new InputError(
        'account-filter-type',
        inputs.raw('account-filter-type'),
        'none (or no value) when no accounts are listed',
      )
    }
  } else if (accounts.length === 0) {
    throw new InputError(
      'accounts',
      '',
      'at least one 12-digit AWS account id (required with permission-model self-managed)',
    )
  }

  const callAs = inputs.choice('call-as', ['self', 'delegated-admin'] as const, 'self')
  if (callAs === 'delegated-admin' && !serviceManaged) {
    throw new InputError('call-as', inputs.raw('call-as'), 'self when permission-model is self-managed')
  }

  const template = getTemplate(inputs, env)
  const parameters = getParameters(inputs.raw('parameters'), env)
  const tags = pairsToRecord('tags', inputs.raw('tags'))
  if (Object.keys(tags).length > 50) throw new InputError('tags', inputs.raw('tags'), 'at most 50 tags')

  const capabilities = inputs.list('capabilities').map((raw) => {
    const value = raw.toUpperCase()
    const match = CAPABILITIES.find((c) => c === value || c === `CAPABILITY_${value}`)
    if (!match) throw new InputError('capabilities', raw, `one or more of: ${CAPABILITIES.join(', ')}`)
    return match
  })

  const description = inputs.optional('description')
  if (description !== undefined && description.length > 1024) {
    throw new InputError('description', description, 'at most 1024 characters')
  }

  const preferences = getPreferences(inputs, regions)
  const instanceParameters = getInstanceParameters(inputs, regions, env)

  const autoDeployment = serviceManaged
    ? {
        enabled: inputs.boolean('auto-deployment', true),
        retainStacksOnAccountRemoval: inputs.boolean('retain-stacks-on-account-removal', false),
      }
    : undefined
  if (autoDeployment && !autoDeployment.enabled && inputs.raw('retain-stacks-on-account-removal') !== '') {
    throw new InputError(
      'retain-stacks-on-account-removal',
      inputs.raw('retain-stacks-on-account-removal'),
      'no value when auto-deployment is false (it only applies to automatic deployments)',
    )
  }

  const homeRegion = env.AWS_REGION || env.AWS_DEFAULT_REGION || ''
  if (homeRegion === '') {
    throw new InputError(
      'AWS_REGION (environment)',
      '',
      'the region that administers the stack set, as set by aws-actions/configure-aws-credentials',
    )
  }

  return {
    stackSetName,
    homeRegion,
    template,
    parameters,
    capabilities: [...new Set(capabilities)],
    tags,
    description,
    permissionModel: serviceManaged ? 'SERVICE_MANAGED' : 'SELF_MANAGED',
    administrationRoleArn: serviceManaged
      ? undefined
      : inputs.matching(
          'administration-role-arn',
          ROLE_ARN,
          'an IAM role ARN such as arn:aws:iam::111122223333:role/AWSCloudFormationStackSetAdministrationRole',
        ),
    executionRoleName: serviceManaged
      ? undefined
      : inputs.matching(
          'execution-role-name',
          ROLE_NAME,
          'an IAM role name of 1 to 64 characters (letters, digits and +=,.@_-)',
        ),
    organizationalUnits,
    autoDeployment,
    accountFilterType,
    accounts,
    regions,
    callAs: callAs === 'self' ? 'SELF' : 'DELEGATED_ADMIN',
    preferences,
    instanceParameters,
    pruneInstances: inputs.boolean('prune-instances', false),
    retainStacks: inputs.boolean('retain-stacks', false),
    managedExecution: inputs.boolean('managed-execution', true),
    timeoutMinutes: inputs.integer('timeout-minutes', { default: 60, min: 1, max: 1440 }),
  }
}

function getTemplate(inputs: Inputs, env: NodeJS.ProcessEnv): TemplateSource {
  const value = inputs.string('template', { required: true })
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const accepted = 'an https:// Amazon S3 object URL or a path to a template file inside the workspace'
    let url: URL
    try {
      url = new URL(value)
    } catch {
      throw new InputError('template', value, accepted)
    }
    if (
      url.protocol !== 'https:' ||
      !/(^|\.)s3[.-]([a-z0-9-]+\.)?amazonaws\.com(\.cn)?$/.test(url.hostname)
    ) {
      throw new InputError('template', value, accepted)
    }
    return { url: value, shown: value }
  }
  const body = readWorkspaceFile('template', value, env)
  const bytes = Buffer.byteLength(body, 'utf8')
  if (bytes > MAX_TEMPLATE_BODY_BYTES) {
    throw new InputError(
      'template',
      value,
      `a template of at most ${MAX_TEMPLATE_BODY_BYTES} bytes (this one has ${bytes}); upload a larger one to S3 and give its https:// URL`,
    )
  }
  if (body.trim() === '')
    throw new InputError('template', value, 'a file holding a CloudFormation template (this one is empty)')
  refuseLocalArtifacts(value, body)
  return { body, shown: value }
}

/**
 * A stack set's instances all read the one template, in every account and region, so a local
 * path (`Code: functions/hello`) can be packaged into no bucket that suits them all: it is refused,
 * naming each resource and property. A template that does not parse is CloudFormation's to refuse.
 */
function refuseLocalArtifacts(value: string, body: string): void {
  let document: unknown
  try {
    document = readCfnYaml(body)
  } catch {
    return
  }
  const references = localArtifactReferences(document)
  if (references.length === 0) return
  const named = references.map((r) => `${r.where} (${r.resource}): ${JSON.stringify(r.path)}`).join('; ')
  throw new InputError(
    'template',
    value,
    `a template whose artifacts are in S3, not local paths (${named}): package it first into a bucket every target account can read and give the packaged template (see "Templates with local artifacts" in the stackset-rollout README)`,
  )
}

const PARAMETERS_FORM =
  'Key=Value pairs separated by commas or newlines, or a path to a .json/.yaml file holding ' +
  'a mapping of names to values or a list of {ParameterKey, ParameterValue}'

/**
 * Stack set parameters: `Key=Value` pairs, or a workspace file in either the
 * mapping form or the list form the AWS CLI uses, so existing files work.
 * Values may be secret, so errors never quote them.
 */
function getParameters(raw: string, env: NodeJS.ProcessEnv): Record<string, string> {
  if (!/^[^\s=,]+\.(json|ya?ml)$/i.test(raw)) return pairsToRecord('parameters', raw, PARAMETER_KEY)
  const text = readWorkspaceFile('parameters', raw, env)
  const fail = (detail: string): never => {
    throw new InputError('parameters', raw, `${PARAMETERS_FORM}; ${detail}`)
  }
  let doc: unknown
  try {
    doc = parseYaml(text, { strict: true, uniqueKeys: true })
  } catch (error) {
    return fail(
      `the file does not parse (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
    )
  }
  const entries: Array<[string, unknown]> = Array.isArray(doc)
    ? doc.map((item: unknown) => {
        const e = item as { ParameterKey?: unknown; ParameterValue?: unknown } | null
        if (!e || typeof e.ParameterKey !== 'string') return fail('each list item needs a ParameterKey')
        return [e.ParameterKey, e.ParameterValue]
      })
    : doc !== null && typeof doc === 'object'
      ? Object.entries(doc)
      : fail('the file holds neither a mapping nor a list')
  const record: Record<string, string> = {}
  for (const [key, value] of entries) {
    if (!PARAMETER_KEY.test(key)) fail(`'${key}' is not a parameter name (letters and digits)`)
    if (key in record) fail(`'${key}' is given twice`)
    if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) record[key] = value.join(',')
    else if (value !== null && value !== undefined && typeof value !== 'object') record[key] = String(value)
    else fail(`the value of '${key}' must be a string, number, boolean or list`)
  }
  return record
}

function pairsToRecord(name: string, raw: string, keyPattern?: RegExp): Record<string, string> {
  const record: Record<string, string> = {}
  let pairs: Array<[string, string]>
  try {
    pairs = parseKeyValuePairs(name, raw)
  } catch (error) {
    // Parameter values may be secret: the message states the form without quoting them.
    if (error instanceof InputError && keyPattern)
      throw new InputError(name, raw, error.accepted, { secret: true })
    throw error
  }
  for (const [key, value] of pairs) {
    if (keyPattern && !keyPattern.test(key))
      throw new InputError(name, key, 'parameter names made of letters and digits')
    record[key] = value
  }
  return record
}

function getPreferences(inputs: Inputs, regions: string[]): Preferences {
  const preferences: Preferences = {}
  if (inputs.raw('region-concurrency') !== '') {
    const value = inputs.choice('region-concurrency', ['sequential', 'parallel'] as const)
    preferences.regionConcurrency = value === 'parallel' ? 'PARALLEL' : 'SEQUENTIAL'
  }
  if (inputs.raw('concurrency-mode') !== '') {
    const value = inputs.choice('concurrency-mode', ['strict', 'soft'] as const)
    preferences.concurrencyMode = value === 'soft' ? 'SOFT_FAILURE_TOLERANCE' : 'STRICT_FAILURE_TOLERANCE'
  }
  const order = inputs.list('region-order')
  for (const region of order) {
    if (!regions.includes(region)) {
      throw new InputError('region-order', region, `regions listed in 'regions' (${regions.join(', ')})`)
    }
  }
  if (order.length > 0) preferences.regionOrder = order
  preferences.maxConcurrent = parseCountOrPercent('max-concurrent', inputs.raw('max-concurrent'), {
    minCount: 1,
    minPercent: 1,
  })
  preferences.failureTolerance = parseCountOrPercent('failure-tolerance', inputs.raw('failure-tolerance'), {
    minCount: 0,
    minPercent: 0,
  })
  return preferences
}

function getInstanceParameters(inputs: Inputs, regions: string[], env: NodeJS.ProcessEnv) {
  let mapping: Record<string, unknown> | undefined
  try {
    mapping = mappingInput(inputs, 'instance-parameters', (path) =>
      readWorkspaceFile('instance-parameters', path, env),
    )
  } catch (error) {
    // A file path is safe to show; inline text may hold secret values.
    const raw = inputs.raw('instance-parameters')
    const inline = /[\n{:]/.test(raw)
    if (error instanceof InputError && inline) {
      throw new InputError('instance-parameters', raw, error.accepted, { secret: true })
    }
    throw error
  }
  const result: Record<string, Record<string, string>> = {}
  if (!mapping) return result
  // Override values may be secret: errors name the region and key, not the text.
  const raw = inputs.raw('instance-parameters')
  const hidden = { secret: true }
  for (const [region, overrides] of Object.entries(mapping)) {
    if (!regions.includes(region)) {
      throw new InputError(
        'instance-parameters',
        raw,
        `regions listed in 'regions' as keys; '${region}' is not one of them`,
        hidden,
      )
    }
    if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) {
      throw new InputError(
        'instance-parameters',
        raw,
        `a mapping of parameter names to values under '${region}'`,
        hidden,
      )
    }
    const values: Record<string, string> = {}
    for (const [key, value] of Object.entries(overrides as Record<string, unknown>)) {
      if (!PARAMETER_KEY.test(key)) {
        throw new InputError(
          'instance-parameters',
          raw,
          `parameter names made of letters and digits; '${key}' under '${region}' is not`,
          hidden,
        )
      }
      if (value === null || typeof value === 'object') {
        throw new InputError(
          'instance-parameters',
          raw,
          `a plain value for '${key}' under '${region}' (a string, number or boolean)`,
          hidden,
        )
      }
      values[key] = String(value)
    }
    result[region] = values
  }
  return result
}
