import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Inputs, InputError, mapInputReader } from '../../../lib/inputs.js'
import { getSettings } from '../../../actions/stackset-rollout/src/input-helper.js'
import { MAX_TEMPLATE_BODY_BYTES } from '../../../lib/cloudformation-inputs.js'

const workspace = mkdtempSync(join(tmpdir(), 'stackset-inputs-'))
writeFileSync(join(workspace, 'tpl.yaml'), 'Resources: {}\n')
writeFileSync(join(workspace, 'big.yaml'), `# ${'x'.repeat(MAX_TEMPLATE_BODY_BYTES)}\nResources: {}\n`)
writeFileSync(
  join(workspace, 'local-code.yaml'),
  'Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Code: functions/hello\n',
)
writeFileSync(join(workspace, 'overrides.yaml'), 'eu-west-1:\n  Environment: eu\n')
writeFileSync(
  join(workspace, 'params.json'),
  '[{"ParameterKey": "Environment", "ParameterValue": "prod"}, {"ParameterKey": "Size", "ParameterValue": 3}]',
)
writeFileSync(join(workspace, 'params.yaml'), 'Environment: prod\nSubnets: [a, b]\n')
writeFileSync(join(workspace, 'bad-params.yaml'), 'Environment: {nested: secret-value}\n')
const env = { GITHUB_WORKSPACE: workspace, AWS_REGION: 'us-east-1' }

const base = {
  'stack-set-name': 'baseline',
  template: 'tpl.yaml',
  accounts: '111111111111, 222222222222',
  regions: 'us-east-1,eu-west-1',
}
const settings = (values: Record<string, string>, environment: NodeJS.ProcessEnv = env) =>
  getSettings(new Inputs(mapInputReader({ ...base, ...values })), environment)

describe('getSettings', () => {
  it('builds self-managed settings with defaults', () => {
    const s = settings({})
    expect(s).toMatchObject({
      stackSetName: 'baseline',
      homeRegion: 'us-east-1',
      template: { kind: 'file', body: 'Resources: {}\n', input: 'tpl.yaml' },
      permissionModel: 'SELF_MANAGED',
      accounts: ['111111111111', '222222222222'],
      regions: ['us-east-1', 'eu-west-1'],
      callAs: 'SELF',
      pruneInstances: false,
      retainStacks: false,
      managedExecution: true,
      timeoutMinutes: 60,
      preferences: {},
      instanceParameters: {},
      parameters: {},
      tags: {},
      capabilities: [],
    })
    expect(s.autoDeployment).toBeUndefined()
  })
  it('reads parameters, tags, capabilities and preferences', () => {
    const s = settings({
      parameters: 'Environment=prod, Owner="a,b"',
      tags: 'team=platform',
      capabilities: 'named_iam,CAPABILITY_AUTO_EXPAND',
      'region-concurrency': 'parallel',
      'region-order': 'eu-west-1,us-east-1',
      'max-concurrent': '25%',
      'failure-tolerance': '2',
      'concurrency-mode': 'soft',
      'instance-parameters': 'overrides.yaml',
    })
    expect(s.parameters).toEqual({ Environment: 'prod', Owner: 'a,b' })
    expect(s.tags).toEqual({ team: 'platform' })
    expect(s.capabilities).toEqual(['CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'])
    expect(s.preferences).toEqual({
      regionConcurrency: 'PARALLEL',
      regionOrder: ['eu-west-1', 'us-east-1'],
      maxConcurrent: { kind: 'percent', value: 25 },
      failureTolerance: { kind: 'count', value: 2 },
      concurrencyMode: 'SOFT_FAILURE_TOLERANCE',
    })
    expect(s.instanceParameters).toEqual({ 'eu-west-1': { Environment: 'eu' } })
  })
  it('reads parameters from a file in the mapping or the CLI list form', () => {
    expect(settings({ parameters: 'params.json' }).parameters).toEqual({ Environment: 'prod', Size: '3' })
    expect(settings({ parameters: 'params.yaml' }).parameters).toEqual({
      Environment: 'prod',
      Subnets: 'a,b',
    })
    expect(() => settings({ parameters: 'bad-params.yaml' })).toThrow(
      /Input 'parameters'.*the value of 'Environment' must be/,
    )
    expect(() => settings({ parameters: 'bad-params.yaml' })).not.toThrow(/secret-value/)
    expect(() => settings({ parameters: 'missing.yaml' })).toThrow(/Input 'parameters'.*no such file/)
  })
  it('reads inline JSON instance parameters and stringifies values', () => {
    expect(
      settings({ 'instance-parameters': '{"us-east-1": {"Size": 3, "On": true}}' }).instanceParameters,
    ).toEqual({
      'us-east-1': { Size: '3', On: 'true' },
    })
  })
  it('builds service-managed settings', () => {
    const s = settings({
      accounts: '',
      'permission-model': 'service-managed',
      'organizational-units': 'ou-ab12-cd34ef56, r-ab12',
      'call-as': 'delegated-admin',
      'retain-stacks-on-account-removal': 'true',
    })
    expect(s).toMatchObject({
      permissionModel: 'SERVICE_MANAGED',
      organizationalUnits: ['ou-ab12-cd34ef56', 'r-ab12'],
      callAs: 'DELEGATED_ADMIN',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: true },
    })
    const filtered = settings({
      'permission-model': 'service-managed',
      'organizational-units': 'ou-ab12-cd34ef56',
      'account-filter-type': 'difference',
    })
    expect(filtered.accountFilterType).toBe('DIFFERENCE')
    // AWS applies no account filter to automatic deployments: off unless asked for.
    expect(filtered.autoDeployment).toEqual({ enabled: false, retainStacksOnAccountRemoval: false })
    const asked = settings({
      'permission-model': 'service-managed',
      'organizational-units': 'ou-ab12-cd34ef56',
      'account-filter-type': 'intersection',
      'auto-deployment': 'true',
    })
    expect(asked.autoDeployment?.enabled).toBe(true)
  })
  it('accepts an https S3 template URL', () => {
    const url = 'https://bucket.s3.eu-west-1.amazonaws.com/stack.yaml'
    expect(settings({ template: url }).template).toEqual({ kind: 'url', url })
  })

  const rejects: Array<[string, Record<string, string>, RegExp]> = [
    [
      'a short account id',
      { accounts: '12345' },
      /Input 'accounts': "12345" is not valid\. Expected AWS account ids of exactly 12 digits/,
    ],
    [
      'no accounts when self-managed',
      { accounts: '' },
      /Input 'accounts'.*required with permission-model self-managed/,
    ],
    ['a bad stack set name', { 'stack-set-name': 'my_stack' }, /Input 'stack-set-name'/],
    ['a missing template', { template: 'nope.yaml' }, /Input 'template'.*no such file/],
    [
      'a template too big for TemplateBody',
      { template: 'big.yaml' },
      /Input 'template'.*upload a larger one to S3/,
    ],
    [
      'a template with local artifacts',
      { template: 'local-code.yaml' },
      /Input 'template'.*Resources\.Fn\.Properties\.Code \(Fn\): "functions\/hello".*Templates with local artifacts/,
    ],
    ['a non-S3 URL', { template: 'https://example.com/t.yaml' }, /Input 'template'/],
    ['an ftp URL', { template: 'ftp://bucket.s3.amazonaws.com/t.yaml' }, /Input 'template'/],
    [
      'an admin role that is not an ARN',
      { 'administration-role-arn': 'AdminRole' },
      /Input 'administration-role-arn'/,
    ],
    ['a bad execution role name', { 'execution-role-name': 'a role' }, /Input 'execution-role-name'/],
    [
      'auto-deployment with self-managed',
      { 'auto-deployment': 'true' },
      /Input 'auto-deployment'.*self-managed/,
    ],
    [
      'execution role with service-managed',
      {
        'permission-model': 'service-managed',
        'organizational-units': 'r-ab12',
        accounts: '',
        'execution-role-name': 'x',
      },
      /Input 'execution-role-name'/,
    ],
    [
      'service-managed without OUs',
      { 'permission-model': 'service-managed', accounts: '' },
      /Input 'organizational-units'/,
    ],
    [
      'a bad OU id',
      { 'permission-model': 'service-managed', accounts: '', 'organizational-units': 'ou-1' },
      /Input 'organizational-units': "ou-1"/,
    ],
    [
      'accounts without a filter type',
      { 'permission-model': 'service-managed', 'organizational-units': 'r-ab12' },
      /Input 'account-filter-type'/,
    ],
    [
      'a filter without accounts',
      {
        'permission-model': 'service-managed',
        'organizational-units': 'r-ab12',
        accounts: '',
        'account-filter-type': 'union',
      },
      /Input 'account-filter-type'/,
    ],
    [
      'retain on removal without auto-deployment',
      {
        'permission-model': 'service-managed',
        'organizational-units': 'r-ab12',
        accounts: '',
        'auto-deployment': 'false',
        'retain-stacks-on-account-removal': 'true',
      },
      /Input 'retain-stacks-on-account-removal'/,
    ],
    [
      'retain on removal with accounts filtered and auto-deployment left at its default (off)',
      {
        'permission-model': 'service-managed',
        'organizational-units': 'r-ab12',
        accounts: '111111111111',
        'account-filter-type': 'intersection',
        'retain-stacks-on-account-removal': 'true',
      },
      /Input 'retain-stacks-on-account-removal'.*by default when accounts filter/,
    ],
    [
      'union, which CreateStackInstances does not support',
      {
        'permission-model': 'service-managed',
        'organizational-units': 'r-ab12',
        accounts: '333333333333',
        'account-filter-type': 'union',
      },
      /Input 'account-filter-type': "union".*intersection or difference.*CreateStackInstances/,
    ],
    ['an unknown permission model', { 'permission-model': 'org' }, /Input 'permission-model'/],
    ['a bad parameter name', { parameters: 'my-param=1' }, /Input 'parameters': "my-param"/],
    [
      'a list in instance-parameters',
      { 'instance-parameters': '{"us-east-1": {"A": [1]}}' },
      /Input 'instance-parameters'/,
    ],
    [
      'a non-mapping override',
      { 'instance-parameters': '{"us-east-1": "x"}' },
      /Input 'instance-parameters'/,
    ],
    [
      'a region-order region not in regions',
      { 'region-order': 'us-west-2' },
      /Input 'region-order': "us-west-2"/,
    ],
    ['a bad region-concurrency', { 'region-concurrency': 'both' }, /Input 'region-concurrency'/],
    ['a huge timeout', { 'timeout-minutes': '100000' }, /Input 'timeout-minutes'/],
    ['a non-boolean prune', { 'prune-instances': 'maybe' }, /Input 'prune-instances'/],
    ['a long description', { description: 'x'.repeat(1025) }, /Input 'description'/],
  ]
  it.each(rejects)('rejects %s', (_label, values, message) => {
    expect(() => settings(values)).toThrow(InputError)
    expect(() => settings(values)).toThrow(message)
  })

  it('does not quote parameter values in errors, which may be secret', () => {
    const cases: Array<Record<string, string>> = [
      { parameters: 'Password=hunter2-secret,Broken' },
      { 'instance-parameters': '{"us-east-1": {"Password": "hunter2-secret", "Bad": [1]}}' },
      { 'instance-parameters': '{"us-east-1": {"Password": "hunter2-secret"' },
    ]
    for (const values of cases) {
      expect(() => settings(values)).toThrow(/\(value hidden\)/)
      expect(() => settings(values)).not.toThrow(/hunter2/)
    }
  })

  it('needs the administering region from the environment', () => {
    expect(() => settings({}, { GITHUB_WORKSPACE: workspace })).toThrow(/AWS_REGION/)
    expect(settings({}, { GITHUB_WORKSPACE: workspace, AWS_DEFAULT_REGION: 'eu-west-1' }).homeRegion).toBe(
      'eu-west-1',
    )
  })
})
