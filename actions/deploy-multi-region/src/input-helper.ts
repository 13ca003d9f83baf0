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
    `a bucket for the local artifacts ${template.input} names (${template.localArtifacts
      .slice(0, 3)
      .map((a) => a.where)
      .join(
        ', ',
      )}${template.localArtifacts.length > 3 ? ', ...' : ''}), one per region with {region}, e.g. my-artifacts-{account}-{region}`,
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
 * `allow-replacement`: logical ids, or `*`. The names are checked against the
 * plan's changes once they are known, not against the template: a resource the
 * new template removes is named by its old logical id, which only the plan has.
 */
function readAllowReplacement(inputs: Inputs): string[] {
  const names = inputs.list('allow-replacement', { unique: true })
  if (names.includes(ALLOW_ALL) && names.length > 1) {
    throw new InputError(
      'allow-replacement',
      inputs.raw('allow-replacement'),
      "either '*' alone or logical ids",
    )
  }
  for (const name of names) {
    if (name !== ALLOW_ALL && !LOGICAL_ID_PATH.test(name)) {
      throw new InputError(
        'allow-replacement',
        name,
        "logical ids of the template's resources (Parent/Child for a resource of a nested stack), or '*'",
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
  refuseUnpackaged(template, templateBucket)
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
  const allowReplacement = readAllowReplacement(inputs)
  const onRegionFailure = readOnRegionFailure(inputs, mode)
  if (accountSettings.accounts.length > 0) refuseWithAccounts(inputs, templateBucket)
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
    artifactPrefix: readArtifactPrefix(inputs),
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
 * What a run over several accounts cannot do: a bucket that cannot be in every
 * account (CloudFormation and Lambda in another account read with that account's
 * role, from that account's bucket). rollback-all is not refused: each target is
 * undone with its own account's credentials, as it was deployed.
 */
function refuseWithAccounts(inputs: Inputs, templateBucket: string | undefined): void {
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
