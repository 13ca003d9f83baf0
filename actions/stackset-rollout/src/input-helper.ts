import {
  MAX_TEMPLATE_BODY_BYTES,
  parseParameters,
  readCapabilities,
  readRegionParameters,
  readRoleArn,
  readTags,
  readTemplate,
  type Capability,
  type LocalArtifact,
  type ParameterMap,
  type TemplateSource,
} from '../../../lib/cloudformation-inputs.js'
import { readWorkspaceFile } from '../../../lib/files.js'
import { Inputs, InputError } from '../../../lib/inputs.js'
import { parseCountOrPercent, type CountOrPercent } from './plan.js'

export type PermissionModel = 'SELF_MANAGED' | 'SERVICE_MANAGED'
export type CallAs = 'SELF' | 'DELEGATED_ADMIN'
export type AccountFilterType = 'INTERSECTION' | 'DIFFERENCE' | 'UNION' | 'NONE'

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
  parameters: ParameterMap
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
  instanceParameters: Record<string, ParameterMap>
  pruneInstances: boolean
  retainStacks: boolean
  managedExecution: boolean
  timeoutMinutes: number
}

const STACK_SET_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/
const ACCOUNT_ID = /^\d{12}$/
const OU_ID = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/

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
  const { accounts, organizationalUnits, accountFilterType } = readDeploymentTargets(inputs, serviceManaged)

  const callAs = inputs.choice('call-as', ['self', 'delegated-admin'] as const, 'self')
  if (callAs === 'delegated-admin' && !serviceManaged) {
    throw new InputError('call-as', inputs.raw('call-as'), 'self when permission-model is self-managed')
  }

  const template = getTemplate(inputs, env)
  const parameters = parseParameters('parameters', inputs.raw('parameters'), (path) =>
    readWorkspaceFile('parameters', path, env),
  )
  const tags = Object.fromEntries(readTags(inputs).map((t) => [t.Key, t.Value]))
  const capabilities = readCapabilities(inputs)

  const description = inputs.optional('description')
  if (description !== undefined && description.length > 1024) {
    throw new InputError('description', description, 'at most 1024 characters')
  }

  const preferences = getPreferences(inputs, regions)
  const instanceParameters = readRegionParameters(inputs, 'instance-parameters', regions, env)

  const autoDeployment = serviceManaged ? readAutoDeployment(inputs, accountFilterType) : undefined
  const homeRegion = readHomeRegion(env)

  return {
    stackSetName,
    homeRegion,
    template,
    parameters,
    capabilities,
    tags,
    description,
    permissionModel: serviceManaged ? 'SERVICE_MANAGED' : 'SELF_MANAGED',
    administrationRoleArn: serviceManaged
      ? undefined
      : readRoleArn(
          inputs,
          'administration-role-arn',
          'arn:aws:iam::111122223333:role/AWSCloudFormationStackSetAdministrationRole',
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

/** Where the instances go: accounts (self-managed), or organizational units filtered by accounts (service-managed). */
function readDeploymentTargets(
  inputs: Inputs,
  serviceManaged: boolean,
): { accounts: string[]; organizationalUnits: string[]; accountFilterType?: AccountFilterType } {
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
  return { accounts, organizationalUnits, accountFilterType }
}

/**
 * Auto-deployment is on by default, except where `accounts` filters the
 * organizational units: AutoDeployment has no account filter ("StackSets
 * automatically deploys additional stack instances to Organizations accounts
 * that are added to a target organization or organizational unit"; the filter is
 * part of each operation's DeploymentTargets only), so the accounts the filter
 * leaves out would get stacks as soon as they join. There it is on only when
 * asked for. RetainStacksOnAccountRemoval means something only with
 * auto-deployment on ("Specify only if Enabled is set to True").
 */
function readAutoDeployment(
  inputs: Inputs,
  accountFilterType: AccountFilterType | undefined,
): NonNullable<Settings['autoDeployment']> {
  const filtered = accountFilterType === 'INTERSECTION' || accountFilterType === 'DIFFERENCE'
  const autoDeployment = {
    enabled: inputs.boolean('auto-deployment', !filtered),
    retainStacksOnAccountRemoval: inputs.boolean('retain-stacks-on-account-removal', false),
  }
  if (!autoDeployment.enabled && inputs.raw('retain-stacks-on-account-removal') !== '') {
    throw new InputError(
      'retain-stacks-on-account-removal',
      inputs.raw('retain-stacks-on-account-removal'),
      filtered && inputs.raw('auto-deployment') === ''
        ? 'no value while auto-deployment is off, which it is by default when accounts filter the organizational units (it only applies to automatic deployments)'
        : 'no value when auto-deployment is false (it only applies to automatic deployments)',
    )
  }
  return autoDeployment
}

/** The region that administers the stack set: the job's, from the environment. */
function readHomeRegion(env: NodeJS.ProcessEnv): string {
  const homeRegion = env.AWS_REGION || env.AWS_DEFAULT_REGION || ''
  if (homeRegion === '') {
    throw new InputError(
      'AWS_REGION (environment)',
      '',
      'the region that administers the stack set, as set by aws-actions/configure-aws-credentials',
    )
  }
  return homeRegion
}

/**
 * The template, read and parsed by lib/cloudformation-inputs.ts (a template that
 * does not parse, or an alias bomb, is refused before any call); a file must fit
 * in TemplateBody, as stack sets take no upload.
 */
function getTemplate(inputs: Inputs, env: NodeJS.ProcessEnv): TemplateSource {
  const template = readTemplate(inputs.string('template', { required: true }), env)
  if (template.kind === 'file' && template.bytes > MAX_TEMPLATE_BODY_BYTES) {
    throw new InputError(
      'template',
      template.input,
      `a template of at most ${MAX_TEMPLATE_BODY_BYTES} bytes (this one has ${template.bytes}); upload a larger one to S3 and give its https:// URL`,
    )
  }
  if (template.kind === 'file') refuseLocalArtifacts(template.input, template.localArtifacts ?? [])
  return template
}

/**
 * A stack set's instances all read the one template, in every account and region, so a local
 * path (`Code: functions/hello`) can be packaged into no bucket that suits them all: it is refused,
 * naming each resource and property.
 */
function refuseLocalArtifacts(shown: string, references: readonly LocalArtifact[]): void {
  if (references.length === 0) return
  const named = references.map((r) => `${r.where} (${r.resource}): ${JSON.stringify(r.path)}`).join('; ')
  throw new InputError(
    'template',
    shown,
    `a template whose artifacts are in S3, not local paths (${named}): package it first into a bucket every target account can read and give the packaged template (see "Templates with local artifacts" in the stackset-rollout README)`,
  )
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
