import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Inputs, InputError, mapInputReader } from '../../../lib/inputs.js'
import { getSettings } from '../../../actions/deploy-multi-region/src/input-helper.js'

const workspace = mkdtempSync(join(tmpdir(), 'dmr-inputs-'))
mkdirSync(join(workspace, 'params'))
writeFileSync(join(workspace, 'stack.yaml'), 'Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n')
writeFileSync(join(workspace, 'big.yaml'), `# ${'x'.repeat(60_000)}\nResources: {}\n`)
writeFileSync(join(workspace, 'empty.yaml'), '')
writeFileSync(join(workspace, 'params', 'prod.json'), '{"Environment": "prod"}')
writeFileSync(join(workspace, 'params', 'regions.yaml'), 'eu-west-1:\n  Environment: prod-eu\n')
const env = { GITHUB_WORKSPACE: workspace }

const base = { 'stack-name': 'orders', template: 'stack.yaml', regions: 'us-east-1, eu-west-1' }
const settings = (values: Record<string, string>) =>
  getSettings(new Inputs(mapInputReader({ ...base, ...values })), env)

describe('getSettings', () => {
  it('builds the settings with defaults', () => {
    const s = settings({})
    expect(s).toMatchObject({
      stackName: 'orders',
      regions: ['us-east-1', 'eu-west-1'],
      parameters: {},
      regionParameters: {},
      capabilities: [],
      tags: [],
      notificationArns: [],
      terminationProtection: undefined,
      onFailure: 'ROLLBACK',
      timeoutMinutes: undefined,
      maxParallel: 2,
      canaryRegions: [],
      failureTolerance: 0,
      mode: 'deploy',
    })
    expect(s.template).toMatchObject({ kind: 'file', bytes: 46 })
  })

  it('reads every input', () => {
    const s = settings({
      parameters: 'params/prod.json',
      'region-parameters': 'params/regions.yaml',
      capabilities: 'capability_iam,CAPABILITY_AUTO_EXPAND',
      tags: 'team=payments\ncost-center="a,b"',
      'role-arn': 'arn:aws:iam::123456789012:role/cfn-deploy',
      'notification-arns': 'arn:aws:sns:us-east-1:123456789012:deploys',
      'termination-protection': 'false',
      'on-failure': 'do_nothing',
      'timeout-minutes': '30',
      'template-bucket': 'templates-{region}',
      'max-parallel': '1',
      'canary-regions': 'eu-west-1',
      'failure-tolerance': '1',
      'plan-only': 'true',
    })
    expect(s).toMatchObject({
      parameters: { Environment: 'prod' },
      regionParameters: { 'eu-west-1': { Environment: 'prod-eu' } },
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'],
      tags: [
        { Key: 'team', Value: 'payments' },
        { Key: 'cost-center', Value: 'a,b' },
      ],
      roleArn: 'arn:aws:iam::123456789012:role/cfn-deploy',
      terminationProtection: false,
      onFailure: 'DO_NOTHING',
      timeoutMinutes: 30,
      templateBucket: 'templates-{region}',
      maxParallel: 1,
      canaryRegions: ['eu-west-1'],
      failureTolerance: 1,
      mode: 'plan-only',
    })
  })

  it('accepts an S3 template URL and a large template with a bucket', () => {
    expect(
      settings({ template: 'https://my-bucket.s3.eu-west-1.amazonaws.com/app/stack.yaml' }).template,
    ).toEqual({
      kind: 'url',
      url: 'https://my-bucket.s3.eu-west-1.amazonaws.com/app/stack.yaml',
    })
    expect(settings({ template: 'big.yaml', 'template-bucket': 'cfn-templates' }).template).toMatchObject({
      kind: 'file',
    })
  })

  it('reads artifact-bucket ({region}, {account} or auto), its older name template-bucket, and artifact-prefix', () => {
    expect(
      settings({ 'artifact-bucket': 'art-{account}-{region}', 'artifact-prefix': '/app/v1/' }),
    ).toMatchObject({
      templateBucket: 'art-{account}-{region}',
      artifactPrefix: 'app/v1',
    })
    expect(settings({ 'artifact-bucket': 'auto' }).templateBucket).toBe('auto')
    expect(settings({ 'template-bucket': 'cfn-{region}' }).templateBucket).toBe('cfn-{region}')
    expect(settings({ 'artifact-bucket': 'same', 'template-bucket': 'same' }).templateBucket).toBe('same')
  })

  it.each([
    [
      'artifact-bucket',
      { 'artifact-bucket': 'Bad_Bucket' },
      /Input 'artifact-bucket'.*auto, or an S3 bucket name/,
    ],
    [
      'template-bucket',
      { 'artifact-bucket': 'a-bucket', 'template-bucket': 'other' },
      /Input 'template-bucket'.*older name/,
    ],
    ['artifact-prefix', { 'artifact-prefix': 'a/../b' }, /Input 'artifact-prefix'.*without a \.\. segment/],
    ['artifact-prefix', { 'artifact-prefix': 'with space' }, /Input 'artifact-prefix'/],
  ])('refuses %s', (_name, values, message) => {
    expect(() => settings(values)).toThrow(message)
  })

  it.each([
    ['stack-name', { 'stack-name': '' }, /Input 'stack-name'.*required/],
    ['stack-name', { 'stack-name': '1-orders' }, /Input 'stack-name': "1-orders"/],
    ['stack-name', { 'stack-name': 'orders_v2' }, /a letter, then up to 127/],
    ['regions', { regions: '' }, /Input 'regions'/],
    ['regions', { regions: 'us-east-1,moon-1' }, /Input 'regions'/],
    ['regions', { regions: 'us-east-1,us-east-1' }, /listed twice/],
    ['template', { template: '' }, /Input 'template'.*required/],
    ['template', { template: '../outside.yaml' }, /Input 'template'.*inside the workspace/],
    ['template', { template: 'missing.yaml' }, /no such file/],
    ['template', { template: 'empty.yaml' }, /non-empty/],
    ['template', { template: 'http://example.com/t.yaml' }, /https:\/\/ URL of an S3 object/],
    ['template', { template: 'big.yaml' }, /Input 'template'.*set 'template-bucket'/],
    ['parameters', { parameters: 'A=1,A=2' }, /Input 'parameters'.*given twice/],
    ['parameters', { parameters: 'missing.json' }, /Input 'parameters'.*no such file/],
    [
      'region-parameters',
      { 'region-parameters': '{"us-east-1": ' },
      /Input 'region-parameters'.*JSON or YAML/,
    ],
    ['region-parameters', { 'region-parameters': '{"sa-east-1": {"A": "1"}}' }, /'sa-east-1' is not one/],
    ['capabilities', { capabilities: 'CAPABILITY_ROOT' }, /Input 'capabilities': "CAPABILITY_ROOT"/],
    ['tags', { tags: 'aws:owner=me' }, /Input 'tags'/],
    ['role-arn', { 'role-arn': 'cfn-deploy' }, /Input 'role-arn'.*IAM role ARN/],
    [
      'notification-arns',
      { 'notification-arns': 'arn:aws:sqs:us-east-1:123456789012:q' },
      /Input 'notification-arns'/,
    ],
    ['termination-protection', { 'termination-protection': 'maybe' }, /true or false/],
    ['on-failure', { 'on-failure': 'IGNORE' }, /one of: ROLLBACK, DELETE, DO_NOTHING/],
    ['timeout-minutes', { 'timeout-minutes': '0' }, /Input 'timeout-minutes'.*from 1 to 4320/],
    ['timeout-minutes', { 'timeout-minutes': '1.5' }, /whole number/],
    ['template-bucket', { 'template-bucket': 'Bad_Bucket' }, /Input 'template-bucket'/],
    ['max-parallel', { 'max-parallel': '-1' }, /Input 'max-parallel'/],
    [
      'canary-regions',
      { 'canary-regions': 'ap-south-1' },
      /Input 'canary-regions': "ap-south-1".*listed in 'regions'/,
    ],
    ['failure-tolerance', { 'failure-tolerance': '3' }, /Input 'failure-tolerance'.*from 0 to 2/],
    ['plan-only', { 'plan-only': 'sometimes' }, /Input 'plan-only'/],
  ])('rejects a bad %s', (_name, values, message) => {
    expect(() => settings(values)).toThrow(InputError)
    expect(() => settings(values)).toThrow(message)
  })
})

describe('getSettings: the destructive-change guard', () => {
  it('defaults to the built-in stateful types and allows nothing', () => {
    const s = settings({})
    expect(s.statefulTypes).toContain('AWS::DynamoDB::Table')
    expect(s.allowReplacement).toEqual([])
  })

  it('stateful-types replaces the list', () => {
    expect(settings({ 'stateful-types': 'AWS::SNS::Topic, Custom::Store::Thing' }).statefulTypes).toEqual([
      'AWS::SNS::Topic',
      'Custom::Store::Thing',
    ])
  })

  it('allow-replacement takes logical ids, a nested path under one, or *', () => {
    expect(settings({ 'allow-replacement': 'Topic' }).allowReplacement).toEqual(['Topic'])
    // A resource the new template removes is named by its old id: the plan's changes decide.
    expect(settings({ 'allow-replacement': 'Removed' }).allowReplacement).toEqual(['Removed'])
    expect(settings({ 'allow-replacement': 'Topic/Inner' }).allowReplacement).toEqual(['Topic/Inner'])
    expect(settings({ 'allow-replacement': '*' }).allowReplacement).toEqual(['*'])
  })

  it.each([
    ['allow-replacement', 'Topic-1', /logical ids/],
    ['allow-replacement', '*, Topic', /either '\*' alone/],
    ['stateful-types', 'DynamoDB Table', /resource types/],
  ])('%s %p is an input error', (input, value, message) => {
    expect(() => settings({ [input]: value })).toThrow(InputError)
    expect(() => settings({ [input]: value })).toThrow(message)
  })
})

describe('getSettings: mode and plan', () => {
  it('mode plan writes to <stack-name>.plan.json in the workspace by default', () => {
    const s = settings({ mode: 'plan' })
    expect(s).toMatchObject({ mode: 'plan', planFile: join(workspace, 'orders.plan.json') })
  })

  it('plan-only: true is mode plan-only', () => {
    expect(settings({ 'plan-only': 'true' })).toMatchObject({ mode: 'plan-only' })
  })

  it.each([
    [{ mode: 'apply' }, 'plan', /required with mode: apply/],
    [{ mode: 'plan', 'plan-only': 'true' }, 'plan-only', /false/],
    [{ plan: 'x.json' }, 'plan', /empty unless/],
    [
      { mode: 'plan', template: 'https://bucket.s3.amazonaws.com/t.yaml' },
      'template',
      /template file in the workspace/,
    ],
    [{ mode: 'plan', plan: '../out.json' }, 'plan', /inside the workspace/],
  ])('%p is an input error naming %s', (values, input, message) => {
    expect(() => settings(values)).toThrow(new RegExp(`Input '${input}'`))
    expect(() => settings(values)).toThrow(message)
  })
})

describe('getSettings with accounts', () => {
  const accounts = { accounts: '111111111111, 222222222222', 'role-name': 'deploy-target' }

  it('makes (account, region) targets and reads account/region canaries', () => {
    const s = settings({ ...accounts, 'canary-regions': '222222222222/eu-west-1' })
    expect(s.targets).toEqual([
      { account: '111111111111', region: 'us-east-1' },
      { account: '111111111111', region: 'eu-west-1' },
      { account: '222222222222', region: 'us-east-1' },
      { account: '222222222222', region: 'eu-west-1' },
    ])
    expect(s.canaryTargets).toEqual([{ account: '222222222222', region: 'eu-west-1' }])
    // Defaults count every target, not only the regions.
    expect(s.maxParallel).toBe(4)
    expect(settings({ ...accounts, 'failure-tolerance': '4' }).failureTolerance).toBe(4)
  })

  it('keeps region targets without accounts', () => {
    expect(settings({}).targets).toEqual([{ region: 'us-east-1' }, { region: 'eu-west-1' }])
  })

  it('accepts accounts with mode plan: the plan file names each target’s account', () => {
    const s = settings({ ...accounts, mode: 'plan' })
    expect(s.mode).toBe('plan')
    expect(s.targets.every((t) => t.account !== undefined)).toBe(true)
  })

  it('accepts accounts with on-region-failure rollback-all: each target rolls back in its own account', () => {
    const s = settings({ ...accounts, 'on-region-failure': 'rollback-all' })
    expect(s.onRegionFailure).toBe('rollback-all')
    expect(s.targets.every((t) => t.account !== undefined)).toBe(true)
  })

  it('takes a bucket per account with accounts: {account} in its name, or auto', () => {
    expect(settings({ ...accounts, 'artifact-bucket': 'art-{account}-{region}' }).templateBucket).toBe(
      'art-{account}-{region}',
    )
    expect(settings({ ...accounts, 'artifact-bucket': 'auto' }).templateBucket).toBe('auto')
    expect(() => settings({ ...accounts, 'template-bucket': 'templates-{region}' })).toThrow(
      /Input 'template-bucket'.*with 'accounts', a bucket name containing \{account\}/,
    )
  })
})
