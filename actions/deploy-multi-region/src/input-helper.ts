import { statSync } from 'node:fs'
import { Inputs, InputError, parseKeyValuePairs } from '../../../lib/inputs.js'
import { readWorkspaceFile, workspaceFile, workspaceOutputFile } from '../../../lib/files.js'
import { mappingInput } from '../../../lib/mapping-input.js'
import {
  parseCanaryTargets,
  readAccountSettings,
  targetsOf,
  type AccountSettings,
  type Target,
} from '../../../lib/targets.js'
import { DRIFT_MODES, type DriftMode } from './drift.js'
import { ALLOW_ALL, STATEFUL_TYPES, unmatchedAllowances } from './guard.js'
import { parsePlanFile, type PlanDocument } from './plan-file.js'
import { parseParameters, parseRegionParameters, type ParameterMap } from './parameters.js'
import { parseTemplate } from './template-document.js'

/** CloudFormation accepts at most 51,200 bytes in TemplateBody; larger templates come from S3 (up to 1 MB). */
export const MAX_TEMPLATE_BODY_BYTES = 51_200
export const MAX_TEMPLATE_URL_BYTES = 1_048_576

export const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'] as const
export type Capability = (typeof CAPABILITIES)[number]
export const ON_FAILURE = ['ROLLBACK', 'DELETE', 'DO_NOTHING'] as const
export type OnFailure = (typeof ON_FAILURE)[number]

export const MODES = ['deploy', 'plan-only', 'plan', 'apply'] as const
export type Mode = (typeof MODES)[number]

export const ON_REGION_FAILURE = ['continue', 'rollback-all'] as const
export type OnRegionFailure = (typeof ON_REGION_FAILURE)[number]

export type TemplateSource =
  | {
      kind: 'file'
      path: string
      input: string
      body: string
      bytes: number
      /** The parameter keys the template declares, read locally. */
      parameters: string[]
      /** The logical ids of the template's resources, read locally. */
      resources: string[]
      /** Where it names local artifacts, packaged into artifact-bucket before the change sets. */
      localArtifacts?: string[]
    }
  | { kind: 'url'; url: string }

export interface Settings extends AccountSettings {
  stackName: string
  template: TemplateSource
  regions: string[]
  parameters: ParameterMap
  regionParameters: Record<string, ParameterMap>
  capabilities: Capability[]
  tags: Array<{ Key: string; Value: string }>
  roleArn?: string
  notificationArns: string[]
  /** undefined: leave each stack's setting as it is. */
  terminationProtection?: boolean
  onFailure: OnFailure
  timeoutMinutes?: number
  /** artifact-bucket (or its older name template-bucket), `{region}` and `{account}` not yet replaced. */
  templateBucket?: string
  /** artifact-prefix: the key prefix of packaged artifacts and uploaded templates. */
  artifactPrefix: string
  maxParallel: number
  canaryRegions: string[]
  /** Every (account, region) pair, account by account; the regions alone without `accounts`. */
  targets: Target[]
  /** The targets `canary-regions` names: a region in every account, or one `account/region`. */
  canaryTargets: Target[]
  failureTolerance: number
  /**
   * deploy: plan and execute; plan-only: preview, change sets deleted; plan: change
   * sets kept and a plan file written; apply: execute exactly a plan file's change sets.
   */
  mode: Mode
  /** mode is plan-only. */
  planOnly: boolean
  /** mode plan: where the plan file is written; mode apply: the plan file read. */
  planFile?: string
  /** mode apply: the plan, read and checked before any call. */
  plan?: PlanDocument
  /**
   * continue: a failed region leaves the others as they are (failure-tolerance applies);
   * rollback-all: the first failure starts no further region and rolls back the regions this run
   * changed (earlier template and parameters; stacks it created are deleted).
   */
  onRegionFailure: OnRegionFailure
  /** CREATE change sets import existing named resources (ImportExistingResources). */
  importExistingResources: boolean
  /** Drift detection before planning: off, warn (report it) or fail (stop that region). */
  drift: DriftMode
  /** Resource types whose replacement or removal the guard refuses. */
  statefulTypes: string[]
  /** Logical ids (`Parent/Child` in a nested stack) whose replacement or removal is intended; `*` for all. */
  allowReplacement: string[]
}

const STACK_NAME = /^[A-Za-z][-A-Za-z0-9]{0,127}$/
const S3_TEMPLATE_URL = /^https:\/\/([a-z0-9.-]+\.)?s3[a-z0-9.-]*\.amazonaws\.com(\.cn)?\/\S+$/
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/
const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

function readTemplate(raw: string, env: NodeJS.ProcessEnv): TemplateSource {
  if (/^https?:\/\//i.test(raw)) {
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

function readTags(inputs: Inputs): Array<{ Key: string; Value: string }> {
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

/** artifact-bucket, or template-bucket, its older name; `{region}` and `{account}` are replaced per target. */
function readBucket(inputs: Inputs, regions: readonly string[]): string | undefined {
  const artifactBucket = inputs.optional('artifact-bucket')
  const templateBucket = inputs.optional('template-bucket')
  if (artifactBucket !== undefined && templateBucket !== undefined && artifactBucket !== templateBucket)
    throw new InputError(
      'template-bucket',
      templateBucket,
      `the same bucket as artifact-bucket (${artifactBucket}), or empty: template-bucket is artifact-bucket's older name`,
    )
  const name = artifactBucket !== undefined ? 'artifact-bucket' : 'template-bucket'
  const bucket = artifactBucket ?? templateBucket
  if (bucket === undefined || bucket === 'auto') return bucket
  for (const region of regions) {
    if (!BUCKET_NAME.test(bucket.replaceAll('{region}', region).replaceAll('{account}', '123456789012'))) {
      throw new InputError(
        name,
        bucket,
        'auto, or an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens) that may contain {region} and {account}',
      )
    }
  }
  return bucket
}

/** S3's safe key characters ("0-9 a-z A-Z ! - _ . * ' ( )" and "/"), no `..` segment. */
function readArtifactPrefix(inputs: Inputs): string {
  const prefix = inputs.string('artifact-prefix').replace(/^\/+|\/+$/g, '')
  if (prefix.length > 200 || !/^[A-Za-z0-9!_.*'()/-]*$/.test(prefix) || prefix.split('/').includes('..'))
    throw new InputError(
      'artifact-prefix',
      prefix,
      "an S3 key prefix of at most 200 of S3's safe characters (letters, digits, ! - _ . * ' ( ) and /), without a .. segment",
    )
  return prefix
}

/** Local artifacts need a bucket in each region to be packaged into. */
function refuseUnpackaged(template: TemplateSource, bucket: string | undefined): void {
  if (template.kind !== 'file' || !template.localArtifacts?.length || bucket !== undefined) return
  throw new InputError(
    'artifact-bucket',
    '',
    `a bucket for the local artifacts ${template.input} names (${template.localArtifacts.slice(0, 3).join(', ')}${template.localArtifacts.length > 3 ? ', ...' : ''}), one per region with {region}, e.g. my-artifacts-{account}-{region}`,
  )
}

const RESOURCE_TYPE = /^[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}(::MODULE)?$/
const LOGICAL_ID_PATH = /^[A-Za-z0-9]{1,255}(\/[A-Za-z0-9]{1,255})*$/

function readStatefulTypes(inputs: Inputs): string[] {
  const types = inputs.list('stateful-types', { unique: true })
  if (types.length === 0) return [...STATEFUL_TYPES]
  for (const type of types) {
    if (!RESOURCE_TYPE.test(type)) {
      throw new InputError(
        'stateful-types',
        type,
        'CloudFormation resource types such as AWS::DynamoDB::Table',
      )
    }
  }
  return types
}

/**
 * `allow-replacement`: logical ids, or `*`. A name that is no resource of a
 * local template cannot be in any plan, so it is refused before any call.
 */
function readAllowReplacement(inputs: Inputs, template: TemplateSource): string[] {
  const names = inputs.list('allow-replacement', { unique: true })
  if (names.includes(ALLOW_ALL) && names.length > 1) {
    throw new InputError(
      'allow-replacement',
      inputs.raw('allow-replacement'),
      "either '*' alone or logical ids",
    )
  }
  for (const name of names) {
    if (name === ALLOW_ALL) continue
    if (!LOGICAL_ID_PATH.test(name)) {
      throw new InputError(
        'allow-replacement',
        name,
        "logical ids of the template's resources (Parent/Child for a resource of a nested stack), or '*'",
      )
    }
    const top = name.split('/')[0]!
    if (template.kind === 'file' && !template.resources.includes(top)) {
      throw new InputError(
        'allow-replacement',
        name,
        `logical ids of resources of ${template.input} (it has no resource '${top}'), or '*'`,
      )
    }
  }
  return names
}

function readOnRegionFailure(inputs: Inputs, mode: Mode): OnRegionFailure {
  const value = inputs.choice('on-region-failure', ON_REGION_FAILURE, 'continue')
  if (value === 'rollback-all' && (mode === 'plan' || mode === 'plan-only')) {
    throw new InputError(
      'on-region-failure',
      value,
      `continue with mode: ${mode} (nothing is executed to roll back)`,
    )
  }
  if (
    value === 'rollback-all' &&
    inputs.raw('failure-tolerance') !== '' &&
    inputs.raw('failure-tolerance') !== '0'
  ) {
    throw new InputError(
      'failure-tolerance',
      inputs.raw('failure-tolerance'),
      '0 (or empty) with on-region-failure: rollback-all, where one failed region rolls back all',
    )
  }
  return value
}

function readMode(inputs: Inputs): Mode {
  const mode = inputs.choice('mode', MODES, 'deploy')
  const planOnly = inputs.boolean('plan-only', false)
  if (planOnly && mode !== 'deploy' && mode !== 'plan-only') {
    throw new InputError('plan-only', inputs.raw('plan-only'), `false (or empty) with mode: ${mode}`)
  }
  return planOnly ? 'plan-only' : mode
}

/** `plan`: where mode plan writes the plan file, or the plan file mode apply executes. */
function readPlan(
  inputs: Inputs,
  env: NodeJS.ProcessEnv,
  mode: Mode,
  context: { stackName: string; regions: string[]; template: TemplateSource; allowReplacement: string[] },
): { planFile?: string; plan?: PlanDocument } {
  const raw = inputs.raw('plan')
  if (mode === 'deploy' || mode === 'plan-only') {
    if (raw !== '') throw new InputError('plan', raw, 'empty unless mode is plan or apply')
    return {}
  }
  if (context.template.kind !== 'file') {
    throw new InputError(
      'template',
      context.template.url,
      `a template file in the workspace with mode: ${mode} (apply checks the file's SHA-256 against the plan)`,
    )
  }
  if (mode === 'plan') {
    const path = raw === '' ? `${context.stackName}.plan.json` : raw
    return { planFile: workspaceOutputFile('plan', path, env) }
  }
  if (raw === '') {
    throw new InputError(
      'plan',
      raw,
      'the path of the plan file that a run with mode: plan wrote (required with mode: apply)',
    )
  }
  const plan = parsePlanFile(raw, readWorkspaceFile('plan', raw, env), context)
  const unmatched = unmatchedAllowances(
    context.allowReplacement,
    plan.regions.map((r) => r.changes),
  )
  if (unmatched.length > 0) {
    throw new InputError(
      'allow-replacement',
      unmatched.join(', '),
      `logical ids of resources that the plan ${raw} changes in some region, or *`,
    )
  }
  return { planFile: workspaceFile('plan', raw, env), plan }
}

/**
 * Reads and checks every input once. Anything wrong throws an InputError that
 * names the input, before a single AWS call is made.
 */
export function getSettings(inputs: Inputs = new Inputs(), env: NodeJS.ProcessEnv = process.env): Settings {
  const stackName = inputs.string('stack-name', { required: true })
  if (!STACK_NAME.test(stackName)) {
    throw new InputError(
      'stack-name',
      stackName,
      'a stack name: a letter, then up to 127 letters, digits and hyphens',
    )
  }
  const regions = inputs.regions('regions', { required: true })
  const template = readTemplate(inputs.string('template', { required: true }), env)
  const loadFile = (name: string) => (path: string) => readWorkspaceFile(name, path, env)
  const parameters = parseParameters('parameters', inputs.raw('parameters'), loadFile('parameters'))
  const regionParameters = parseRegionParameters(
    'region-parameters',
    inputs.raw('region-parameters'),
    mappingInput(inputs, 'region-parameters', loadFile('region-parameters')),
    regions,
  )
  const capabilities = inputs.list('capabilities').map((c) => {
    const match = CAPABILITIES.find((known) => known === c.toUpperCase())
    if (!match) throw new InputError('capabilities', c, `capabilities from: ${CAPABILITIES.join(', ')}`)
    return match
  })
  const roleArn = inputs.matching(
    'role-arn',
    ROLE_ARN,
    'an IAM role ARN such as arn:aws:iam::123456789012:role/cfn-deploy',
  )
  const notificationArns = inputs.list('notification-arns')
  if (notificationArns.length > 5) {
    throw new InputError('notification-arns', inputs.raw('notification-arns'), 'at most 5 SNS topic ARNs')
  }
  for (const arn of notificationArns) {
    if (!SNS_ARN.test(arn))
      throw new InputError(
        'notification-arns',
        arn,
        'SNS topic ARNs such as arn:aws:sns:us-east-1:123456789012:deploys',
      )
  }
  const terminationProtection =
    inputs.raw('termination-protection') === '' ? undefined : inputs.boolean('termination-protection', false)
  const templateBucket = readBucket(inputs, regions)
  refuseUnpackaged(template, templateBucket)
  if (template.kind === 'file' && template.bytes > MAX_TEMPLATE_BODY_BYTES && templateBucket === undefined) {
    throw new InputError(
      'template',
      template.input,
      `a template of at most ${MAX_TEMPLATE_BODY_BYTES} bytes, or set 'template-bucket' so this ${template.bytes}-byte template is uploaded to S3`,
    )
  }
  const accountSettings = readAccountSettings(inputs)
  const targets = targetsOf(accountSettings.accounts, regions)
  const canaryTargets = parseCanaryTargets(
    'canary-regions',
    inputs.raw('canary-regions'),
    accountSettings.accounts,
    regions,
  )
  const canaryRegions = [...new Set(canaryTargets.map((t) => t.region))]
  const mode = readMode(inputs)
  const allowReplacement = readAllowReplacement(inputs, template)
  const onRegionFailure = readOnRegionFailure(inputs, mode)
  if (accountSettings.accounts.length > 0) refuseWithAccounts(inputs, mode, onRegionFailure, templateBucket)
  const planned = readPlan(inputs, env, mode, { stackName, regions, template, allowReplacement })
  return {
    stackName,
    template,
    regions,
    parameters,
    regionParameters,
    capabilities,
    tags: readTags(inputs),
    roleArn,
    notificationArns,
    terminationProtection,
    onFailure: inputs.choice('on-failure', ON_FAILURE, 'ROLLBACK'),
    timeoutMinutes: inputs.optionalInteger('timeout-minutes', { min: 1, max: 4320 }),
    templateBucket,
    artifactPrefix: readArtifactPrefix(inputs),
    maxParallel: inputs.integer('max-parallel', { default: targets.length, min: 1, max: 1000 }),
    canaryRegions,
    targets,
    canaryTargets,
    failureTolerance: inputs.integer('failure-tolerance', { default: 0, min: 0, max: targets.length }),
    mode,
    planOnly: mode === 'plan-only',
    ...planned,
    drift: inputs.choice('drift', DRIFT_MODES, 'warn'),
    importExistingResources: inputs.boolean('import-existing-resources', false),
    onRegionFailure,
    statefulTypes: readStatefulTypes(inputs),
    allowReplacement,
    ...accountSettings,
  }
}

/**
 * What a run over several accounts does not do yet: a plan file and its apply
 * (one change set per region) and rollback-all, refused rather than half done;
 * and a bucket that cannot be in every account (CloudFormation and Lambda in
 * another account read with that account's role, from that account's bucket).
 */
function refuseWithAccounts(
  inputs: Inputs,
  mode: Mode,
  onRegionFailure: OnRegionFailure,
  templateBucket: string | undefined,
): void {
  const accepted = "empty 'accounts' (the job's own account)"
  if (mode === 'plan' || mode === 'apply') {
    throw new InputError(
      'accounts',
      inputs.raw('accounts'),
      `${accepted} with mode: ${mode}; use mode deploy or plan-only with 'accounts'`,
    )
  }
  if (onRegionFailure === 'rollback-all') {
    throw new InputError(
      'accounts',
      inputs.raw('accounts'),
      `${accepted} with on-region-failure: rollback-all; use on-region-failure continue with 'accounts'`,
    )
  }
  // Each account's stacks read from a bucket of that account: one name cannot be in every account.
  if (templateBucket !== undefined && templateBucket !== 'auto' && !templateBucket.includes('{account}')) {
    const name = inputs.raw('artifact-bucket') !== '' ? 'artifact-bucket' : 'template-bucket'
    throw new InputError(
      name,
      templateBucket,
      `with 'accounts', a bucket name containing {account} (a bucket in each account, e.g. artifacts-{account}-{region}) or auto`,
    )
  }
}
