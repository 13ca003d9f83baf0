/** deploy-multi-region's settings from its inputs, checked before any call. */
import {
  MAX_TEMPLATE_BODY_BYTES,
  readCapabilities,
  readRegionParameters,
  readRoleArn,
  readTags,
  readTemplate,
  parseParameters,
  type TemplateSource,
} from '../../../lib/cloudformation-inputs.js'
import { Inputs, InputError } from '../../../lib/inputs.js'
import { readWorkspaceFile, workspaceFile, workspaceOutputFile } from '../../../lib/files.js'
import { parseCanaryTargets, readAccountSettings, targetsOf } from '../../../lib/targets.js'
import { ALLOW_ALL, STATEFUL_TYPES, unmatchedAllowances } from './guard.js'
import {
  DRIFT_MODES,
  MODES,
  ON_FAILURE,
  ON_REGION_FAILURE,
  type CommonSettings,
  type Mode,
  type OnRegionFailure,
  type Settings,
} from './model.js'
import { parsePlanFile } from './plan-file.js'

const STACK_NAME = /^[A-Za-z][-A-Za-z0-9]{0,127}$/
const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

function readBucket(inputs: Inputs, regions: readonly string[]): string | undefined {
  const bucket = inputs.optional('template-bucket')
  if (bucket === undefined) return undefined
  for (const region of regions) {
    if (!BUCKET_NAME.test(bucket.replaceAll('{region}', region))) {
      throw new InputError(
        'template-bucket',
        bucket,
        'an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens) that may contain {region}',
      )
    }
  }
  return bucket
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
    const [top = name] = name.split('/')
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

/**
 * `drift-values`: drifted properties' values go into logs, the summary and the
 * `results` output only when asked, and never in a pull-request preview
 * (plan-only), whose log is readable wherever the pull request is.
 */
function readDriftValues(inputs: Inputs, mode: Mode): boolean {
  const values = inputs.boolean('drift-values', false)
  if (values && mode === 'plan-only')
    throw new InputError(
      'drift-values',
      inputs.raw('drift-values'),
      'false (or empty) with plan-only: a preview never prints drifted values',
    )
  return values
}

function readMode(inputs: Inputs): Mode {
  const mode = inputs.choice('mode', MODES, 'deploy')
  const planOnly = inputs.boolean('plan-only', false)
  if (planOnly && mode !== 'deploy' && mode !== 'plan-only') {
    throw new InputError('plan-only', inputs.raw('plan-only'), `false (or empty) with mode: ${mode}`)
  }
  return planOnly ? 'plan-only' : mode
}

/**
 * The mode's own part of the settings: for plan, where the plan file is written;
 * for apply, the plan file, read and checked before any call. `plan` is refused
 * with the other modes.
 */
function withMode(inputs: Inputs, env: NodeJS.ProcessEnv, mode: Mode, common: CommonSettings): Settings {
  const raw = inputs.raw('plan')
  if (mode === 'deploy' || mode === 'plan-only') {
    if (raw !== '') throw new InputError('plan', raw, 'empty unless mode is plan or apply')
    return { ...common, mode }
  }
  const { template } = common
  if (template.kind !== 'file') {
    throw new InputError(
      'template',
      template.url,
      `a template file in the workspace with mode: ${mode} (apply checks the file's SHA-256 against the plan)`,
    )
  }
  if (mode === 'plan') {
    const path = raw === '' ? `${common.stackName}.plan.json` : raw
    return { ...common, mode, template, planFile: workspaceOutputFile('plan', path, env) }
  }
  if (raw === '') {
    throw new InputError(
      'plan',
      raw,
      'the path of the plan file that a run with mode: plan wrote (required with mode: apply)',
    )
  }
  const plan = parsePlanFile(raw, readWorkspaceFile('plan', raw, env), common)
  const unmatched = unmatchedAllowances(
    common.allowReplacement,
    plan.regions.map((r) => r.changes),
  )
  if (unmatched.length > 0) {
    throw new InputError(
      'allow-replacement',
      unmatched.join(', '),
      `logical ids of resources that the plan ${raw} changes in some region, or *`,
    )
  }
  return { ...common, mode, template, planFile: workspaceFile('plan', raw, env), plan }
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
  const parameters = parseParameters('parameters', inputs.raw('parameters'), (path) =>
    readWorkspaceFile('parameters', path, env),
  )
  const regionParameters = readRegionParameters(inputs, 'region-parameters', regions, env)
  const capabilities = readCapabilities(inputs)
  const roleArn = readRoleArn(inputs, 'role-arn', 'arn:aws:iam::123456789012:role/cfn-deploy')
  const notificationArns = readNotificationArns(inputs)
  const terminationProtection =
    inputs.raw('termination-protection') === '' ? undefined : inputs.boolean('termination-protection', false)
  const templateBucket = readBucket(inputs, regions)
  checkTemplateSize(template, templateBucket)
  const accountSettings = readAccountSettings(inputs)
  const targets = targetsOf(accountSettings.accounts, regions)
  const canaryTargets = parseCanaryTargets(
    'canary-regions',
    inputs.raw('canary-regions'),
    accountSettings.accounts,
    regions,
  )
  const mode = readMode(inputs)
  const allowReplacement = readAllowReplacement(inputs, template)
  const onRegionFailure = readOnRegionFailure(inputs, mode)
  if (accountSettings.accounts.length > 0) refuseWithAccounts(inputs, onRegionFailure, templateBucket)
  const common: CommonSettings = {
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
    maxParallel: inputs.integer('max-parallel', { default: targets.length, min: 1, max: 1000 }),
    canaryRegions: [...new Set(canaryTargets.map((t) => t.region))],
    targets,
    canaryTargets,
    failureTolerance: inputs.integer('failure-tolerance', { default: 0, min: 0, max: targets.length }),
    drift: inputs.choice('drift', DRIFT_MODES, 'warn'),
    driftValues: readDriftValues(inputs, mode),
    importExistingResources: inputs.boolean('import-existing-resources', false),
    onRegionFailure,
    statefulTypes: readStatefulTypes(inputs),
    allowReplacement,
    ...accountSettings,
  }
  return withMode(inputs, env, mode, common)
}

function readNotificationArns(inputs: Inputs): string[] {
  const arns = inputs.list('notification-arns')
  if (arns.length > 5) {
    throw new InputError('notification-arns', inputs.raw('notification-arns'), 'at most 5 SNS topic ARNs')
  }
  for (const arn of arns) {
    if (!SNS_ARN.test(arn))
      throw new InputError(
        'notification-arns',
        arn,
        'SNS topic ARNs such as arn:aws:sns:us-east-1:123456789012:deploys',
      )
  }
  return arns
}

/** A template over TemplateBody's limit is uploaded to `template-bucket`, so it needs one. */
function checkTemplateSize(template: TemplateSource, templateBucket: string | undefined): void {
  if (template.kind === 'file' && template.bytes > MAX_TEMPLATE_BODY_BYTES && templateBucket === undefined) {
    throw new InputError(
      'template',
      template.input,
      `a template of at most ${MAX_TEMPLATE_BODY_BYTES} bytes, or set 'template-bucket' so this ${template.bytes}-byte template is uploaded to S3`,
    )
  }
}

/**
 * What a run over several accounts does not do yet: a plan file and its apply
 * (one change set per region), rollback-all, and a template uploaded to a
 * bucket of the job's own account (CloudFormation in another account reads the
 * template with that account's role). Refused rather than half done.
 */
function refuseWithAccounts(
  inputs: Inputs,
  onRegionFailure: OnRegionFailure,
  templateBucket: string | undefined,
): void {
  const accepted = "empty 'accounts' (the job's own account)"
  // mode plan and apply work per (account, region) target: the plan file names each target's
  // account, and apply checks every change set's ARN against its target's account.
  if (onRegionFailure === 'rollback-all') {
    throw new InputError(
      'accounts',
      inputs.raw('accounts'),
      `${accepted} with on-region-failure: rollback-all; use on-region-failure continue with 'accounts'`,
    )
  }
  if (templateBucket !== undefined) {
    throw new InputError(
      'accounts',
      inputs.raw('accounts'),
      `${accepted} with template-bucket (the bucket is in the job's own account); use a template file of at most ${MAX_TEMPLATE_BODY_BYTES} bytes with 'accounts'`,
    )
  }
}
