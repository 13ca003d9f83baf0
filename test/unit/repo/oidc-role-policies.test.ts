/**
 * The roles templates/github-oidc-role.yaml and github-oidc-target-role.yaml make, resolved
 * as CloudFormation resolves them with every part enabled (test/support/cfn-resolve.ts),
 * and their policies evaluated by an IAM policy simulator (@cloud-copilot/iam-simulate, a
 * test-only dependency under the AGPL: it is never bundled or shipped). The simulator
 * checks each request's action, resource type and condition keys against the service
 * authorization reference and refuses the request otherwise, so a test cannot pass on a
 * condition key the action does not have.
 *
 * Trust policies: the simulator does not know the OIDC provider's `aud` and `sub` keys
 * (AWS documents them with the provider, not in the STS reference), so a trust statement
 * is checked here for its principal and action, and its conditions are evaluated by the
 * simulator's engine as an identity statement on the role.
 */
import { join } from 'node:path'
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'
import { requestTokens } from '../../../actions/deploy-multi-region/src/cloudformation-api.js'
import {
  ACCOUNT,
  brokenRules,
  readTemplate,
  resolveTemplate,
  rolesOf,
  type RolePolicies,
} from '../../support/cfn-resolve.js'

/** The target role's parameters (github-oidc-target-role.yaml) trusting the CI account's deploy and prune roles. */
const TARGET_PARAMETERS = {
  DeployRoleArn: `arn:aws:iam::${ACCOUNT}:role/multi-region-actions-deploy`,
  PruneRoleArn: `arn:aws:iam::${ACCOUNT}:role/multi-region-actions-prune`,
  StackNamePrefix: 'orders',
  ExternalId: 'external-1',
  CloudFormationExecutionRoleArn: `arn:aws:iam::222222222222:role/cfn-orders`,
  TemplateBucketName: 'cfn-templates-*',
  SnapshotKmsKeyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  DrAccountId: '444455556666',
  EnableDeployMultiRegion: 'true',
  EnablePruneSnapshots: 'true',
}
const TEMPLATE = readTemplate(join(process.cwd(), 'templates', 'github-oidc-role.yaml'))
const TARGET_TEMPLATE = readTemplate(join(process.cwd(), 'templates', 'github-oidc-target-role.yaml'))
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`
const TOOLKIT = 'octo-org/multi-region-actions'
const CLUSTER = `arn:aws:redshift:us-east-1:${ACCOUNT}:cluster:spectrum-poc`
const WORKGROUP = `arn:aws:redshift-serverless:us-east-1:${ACCOUNT}:workgroup/11111111-2222-3333-4444-555555555555`
const EXECUTION_ROLE = `arn:aws:iam::${ACCOUNT}:role/cfn-orders`
const KMS_KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`
const TARGET_TRUST = rolesOf(resolveTemplate(TARGET_TEMPLATE, TARGET_PARAMETERS))[0]!.trust
const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:spectrum-poc-AbCdEf`

/** Every role, every optional resource, every Enable... parameter true. */
const EVERYTHING: Record<string, string> = {
  CreateOidcProvider: 'true',
  GitHubOrganization: 'octo-org',
  RepositoryName: 'service',
  RepositoryId: '700100',
  RepositoryOwnerId: '900200',
  ToolkitRepository: TOOLKIT,
  StackNamePrefix: 'orders',
  CloudFormationExecutionRoleArn: EXECUTION_ROLE,
  TemplateBucketName: 'cfn-templates-*',
  StackSetAdministrationRoleArn: `arn:aws:iam::${ACCOUNT}:role/AWSCloudFormationStackSetAdministrationRole`,
  DrillHealthCheckIds: 'hc-1111,hc-2222',
  SnapshotKmsKeyArn: KMS_KEY,
  DrAccountId: '444455556666',
  TargetRoleName: 'multi-region-actions-target',
  OrganizationId: 'o-abcdef1234',
  BenchmarkDataTarget: CLUSTER,
  BenchmarkDbUser: 'benchmark',
  BenchmarkSecretArn: SECRET,
  EnableDeployMultiRegion: 'true',
  EnableStackSetRollout: 'true',
  EnableVerifyFailover: 'true',
  EnableFailoverDrill: 'true',
  EnablePruneSnapshots: 'true',
  EnableSpectrumBenchmark: 'true',
  EnablePullRequestGate: 'true',
  EnableBenchmarkOnGate: 'true',
}

function roles(parameters: Record<string, string> = EVERYTHING): Record<string, RolePolicies> {
  expect(brokenRules(TEMPLATE, parameters)).toEqual([])
  const all = rolesOf(resolveTemplate(TEMPLATE, parameters))
  return Object.fromEntries(all.map((r) => [r.name.replace(/^multi-region-actions-/, ''), r]))
}

type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied'

/** What IAM decides for the role's session calling `action` on `resource`. */
async function decide(
  role: RolePolicies,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
): Promise<Decision> {
  // A KMS key's own policy decides too: the default one, which lets IAM policies grant its use.
  const resourcePolicy = resource.startsWith('arn:aws:kms:')
    ? {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
        ],
      }
    : resource.endsWith(':role/multi-region-actions-target')
      ? TARGET_TRUST
      : undefined
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/run`,
        action,
        resource: { resource, accountId: /:(\d{12}):/.exec(resource)?.[1] ?? ACCOUNT },
        contextVariables: context,
      },
      identityPolicies: role.policies.map((policy, i) => ({ name: `policy-${i}`, policy })),
      ...(resourcePolicy ? { resourcePolicy } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  )
  if (result.resultType !== 'single') throw new Error(`${action} on ${resource}: ${JSON.stringify(result)}`)
  // A context key the action does not have would be dropped silently: refuse the test instead.
  expect(result.result.ignoredContextKeys ?? []).toEqual([])
  return result.overallResult as Decision
}

/** The claims of a job's OIDC token, subject in the form of the repository's customisation. */
function token(context: string, workflow: string, overrides: Record<string, string> = {}) {
  const claims: Record<string, string> = {
    aud: 'sts.amazonaws.com',
    repository_id: '700100',
    repository_owner_id: '900200',
    sub: `repo:octo-org/service:${context}:job_workflow_ref:${TOOLKIT}/.github/workflows/${workflow}@refs/tags/v1`,
    ...overrides,
  }
  return Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [`token.actions.githubusercontent.com:${k}`, v]),
  )
}

/** Whether the role's trust policy lets a job with these claims call AssumeRoleWithWebIdentity. */
function trusts(role: RolePolicies, claims: Record<string, string>): boolean {
  return role.trust.Statement.some((statement) => {
    const principal = statement.Principal as { Federated?: string }
    if (statement.Effect !== 'Allow' || principal.Federated !== PROVIDER) return false
    if (statement.Action !== 'sts:AssumeRoleWithWebIdentity') return false
    const { Principal: _principal, ...asIdentity } = statement
    const result = runUnsafeSimulation(
      {
        request: {
          principal: `arn:aws:iam::${ACCOUNT}:role/web-identity`,
          action: 'sts:AssumeRoleWithWebIdentity',
          resource: { resource: role.arn, accountId: ACCOUNT },
          contextVariables: claims,
        },
        identityPolicies: [
          {
            name: 'trust',
            policy: { Version: '2012-10-17', Statement: [{ ...asIdentity, Resource: role.arn }] },
          },
        ],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    )
    return result === 'Allowed'
  })
}

const STACK = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/orders-api/0b1c2d3e-aaaa-bbbb-cccc-000000000001`
const SNAPSHOT = 'arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0'
const IN_SCOPE = { 'aws:ResourceTag/multi-region-actions:prune': 'true' }
const WORKFLOWS = [
  'deploy.yml',
  'pr-gate.yml',
  'stackset-rollout.yml',
  'prune-snapshots.yml',
  'failover-drill.yml',
  'spectrum-benchmark.yml',
]

describe('github-oidc-role.yaml, every part enabled', () => {
  const all = roles()

  it('makes one role per workflow', () => {
    expect(Object.keys(all).sort()).toEqual(
      ['benchmark', 'deploy', 'drill', 'plan', 'pr-gate', 'prune', 'stacksets'].sort(),
    )
  })

  describe('the pull request gate role', () => {
    const gate = all['pr-gate']!

    it.each([
      ['cloudformation:DeleteStack', STACK, {}],
      [
        'cloudformation:ExecuteChangeSet',
        STACK,
        { 'cloudformation:ChangeSetName': 'gate-1-1-abc-us-east-1' },
      ],
      [
        'cloudformation:ExecuteChangeSet',
        STACK,
        { 'cloudformation:ChangeSetName': 'deploy-1-1-abc-us-east-1' },
      ],
      [
        'cloudformation:DeleteChangeSet',
        STACK,
        { 'cloudformation:ChangeSetName': 'deploy-1-1-abc-us-east-1' },
      ],
      [
        'cloudformation:CreateChangeSet',
        STACK,
        { 'cloudformation:ChangeSetName': 'deploy-9-1-abc-us-east-1' },
      ],
      [
        'cloudformation:DescribeChangeSet',
        STACK,
        { 'cloudformation:ChangeSetName': 'deploy-1-1-abc-us-east-1' },
      ],
      [
        'cloudformation:DeleteChangeSet',
        STACK,
        {
          'cloudformation:ChangeSetName': `arn:aws:cloudformation:us-east-1:${ACCOUNT}:changeSet/deploy-1-1-abc-us-east-1/0f0e`,
        },
      ],
      ['cloudformation:UpdateTerminationProtection', STACK, {}],
      ['iam:PassRole', EXECUTION_ROLE, { 'iam:PassedToService': 'cloudformation.amazonaws.com' }],
      ['s3:PutObject', 'arn:aws:s3:::cfn-templates-us-east-1/orders-api/template.yaml', {}],
      [
        'redshift:GetClusterCredentials',
        `arn:aws:redshift:us-east-1:${ACCOUNT}:dbuser:spectrum-poc/admin`,
        {},
      ],
      [
        'redshift:GetClusterCredentialsWithIAM',
        `arn:aws:redshift:us-east-1:${ACCOUNT}:dbname:spectrum-poc/dev`,
        {},
      ],
      ['redshift-serverless:GetCredentials', WORKGROUP, {}],
      ['secretsmanager:GetSecretValue', SECRET, {}],
      ['redshift-data:ExecuteStatement', `arn:aws:redshift:us-east-1:${ACCOUNT}:cluster:warehouse`, {}],
      ['ec2:DeleteSnapshot', SNAPSHOT, IN_SCOPE],
      ['route53:UpdateHealthCheck', 'arn:aws:route53:::healthcheck/hc-1111', {}],
      [
        'cloudformation:UpdateStackSet',
        `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stackset/orders-baseline:1`,
        {},
      ],
      ['sts:AssumeRole', 'arn:aws:iam::222222222222:role/multi-region-actions-target', {}],
    ])('is denied %s on %s %j', async (action, resource, context) => {
      expect(await decide(gate, action, resource, context)).not.toBe('Allowed')
    })

    it.each([
      ['cloudformation:CreateChangeSet', STACK, { 'cloudformation:ChangeSetName': 'gate-1-1-abc-us-east-1' }],
      [
        'cloudformation:DescribeChangeSet',
        STACK,
        { 'cloudformation:ChangeSetName': 'gate-1-1-abc-us-east-1' },
      ],
      ['cloudformation:DeleteChangeSet', STACK, { 'cloudformation:ChangeSetName': 'gate-1-1-abc-us-east-1' }],
      [
        'cloudformation:DeleteChangeSet',
        STACK,
        {
          'cloudformation:ChangeSetName': `arn:aws:cloudformation:us-east-1:${ACCOUNT}:changeSet/gate-1-1-abc-us-east-1/0f0e`,
        },
      ],
      ['cloudformation:DescribeStacks', STACK, {}],
      ['route53:GetHealthCheckStatus', 'arn:aws:route53:::healthcheck/hc-1111', {}],
      ['redshift-data:ExecuteStatement', CLUSTER, {}],
      [
        'redshift:GetClusterCredentials',
        `arn:aws:redshift:us-east-1:${ACCOUNT}:dbuser:spectrum-poc/benchmark`,
        {},
      ],
    ])('may still %s on %s %j (plan, check, benchmark)', async (action, resource, context) => {
      expect(await decide(gate, action, resource, context)).toBe('Allowed')
    })

    it('may make, read and delete the change sets plan-only names, and not those of a plan for apply', async () => {
      const gateName = requestTokens('deploy-1-1-abcd1234', 'us-east-1', { gate: true }).changeSetName
      const planName = requestTokens('deploy-1-1-abcd1234', 'us-east-1').changeSetName
      for (const action of ['CreateChangeSet', 'DescribeChangeSet', 'DeleteChangeSet']) {
        const named = { 'cloudformation:ChangeSetName': gateName }
        expect(await decide(gate, `cloudformation:${action}`, STACK, named)).toBe('Allowed')
      }
      const planned = { 'cloudformation:ChangeSetName': planName }
      expect(await decide(gate, 'cloudformation:DeleteChangeSet', STACK, planned)).not.toBe('Allowed')
      // The prefix is the action's, fixed: a parameter could only break plan-only.
      expect(TEMPLATE.Parameters).not.toHaveProperty('GateChangeSetPrefix')
    })

    it('trusts only pull_request runs of pr-gate.yml and spectrum-benchmark.yml', () => {
      expect(trusts(gate, token('pull_request', 'pr-gate.yml'))).toBe(true)
      expect(trusts(gate, token('pull_request', 'spectrum-benchmark.yml'))).toBe(true)
      expect(trusts(gate, token('pull_request', 'deploy.yml'))).toBe(false)
      expect(trusts(gate, token('environment:production', 'pr-gate.yml'))).toBe(false)
    })
  })

  it('the gate gets no benchmark policy unless EnableBenchmarkOnGate is true', async () => {
    const gate = roles({ ...EVERYTHING, EnableBenchmarkOnGate: 'false' })['pr-gate']!
    expect(await decide(gate, 'redshift-data:ExecuteStatement', CLUSTER)).toBe('ImplicitlyDenied')
    expect(
      await decide(
        gate,
        'redshift:GetClusterCredentials',
        `arn:aws:redshift:us-east-1:${ACCOUNT}:dbuser:spectrum-poc/benchmark`,
      ),
    ).toBe('ImplicitlyDenied')
  })

  it('the plan role plans and cannot execute, delete a stack or cancel an update', async () => {
    const plan = all.plan!
    const named = { 'cloudformation:ChangeSetName': 'deploy-1-1-abc-us-east-1' }
    expect(await decide(plan, 'cloudformation:CreateChangeSet', STACK, named)).toBe('Allowed')
    for (const action of [
      'cloudformation:ExecuteChangeSet',
      'cloudformation:DeleteStack',
      'cloudformation:CancelUpdateStack',
    ])
      expect([
        action,
        await decide(plan, action, STACK, action === 'cloudformation:ExecuteChangeSet' ? named : {}),
      ]).toEqual([action, 'ImplicitlyDenied'])
  })

  it('no role deletes an untagged, out-of-scope or protected snapshot; the prune role deletes one in scope', async () => {
    for (const role of Object.values(all)) {
      expect([role.name, await decide(role, 'ec2:DeleteSnapshot', SNAPSHOT)]).toEqual([
        role.name,
        'ImplicitlyDenied',
      ])
      for (const tags of [
        { 'aws:ResourceTag/multi-region-actions:prune': 'false' },
        { ...IN_SCOPE, 'aws:ResourceTag/DoNotDelete': 'yes' },
      ])
        expect([role.name, tags, await decide(role, 'ec2:DeleteSnapshot', SNAPSHOT, tags)]).toEqual([
          role.name,
          tags,
          'ImplicitlyDenied',
        ])
    }
    expect(await decide(all.prune!, 'ec2:DeleteSnapshot', SNAPSHOT, IN_SCOPE)).toBe('Allowed')
  })

  it('no role creates a KMS grant that is not for an AWS resource, or uses the key outside EC2', async () => {
    for (const role of Object.values(all)) {
      for (const context of [
        { 'kms:GrantIsForAWSResource': 'false', 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' } as Record<
          string,
          string
        >,
        { 'kms:GrantIsForAWSResource': 'true', 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
        {},
      ])
        expect([role.name, context, await decide(role, 'kms:CreateGrant', KMS_KEY, context)]).toEqual([
          role.name,
          context,
          'ImplicitlyDenied',
        ])
      expect([role.name, await decide(role, 'kms:Decrypt', KMS_KEY)]).toEqual([role.name, 'ImplicitlyDenied'])
    }
    const throughEc2 = {
      'kms:GrantIsForAWSResource': 'true',
      'kms:ViaService': 'ec2.eu-west-1.amazonaws.com',
    }
    expect(await decide(all.prune!, 'kms:CreateGrant', KMS_KEY, throughEc2)).toBe('Allowed')
    expect(
      await decide(all.prune!, 'kms:Decrypt', KMS_KEY, { 'kms:ViaService': 'ec2.eu-west-1.amazonaws.com' }),
    ).toBe('Allowed')
  })

  it('only the drill role changes health checks, and only the listed ones', async () => {
    for (const role of Object.values(all).filter((r) => r !== all.drill))
      expect([
        role.name,
        await decide(role, 'route53:UpdateHealthCheck', 'arn:aws:route53:::healthcheck/hc-1111'),
      ]).toEqual([role.name, 'ImplicitlyDenied'])
    expect(
      await decide(all.drill!, 'route53:UpdateHealthCheck', 'arn:aws:route53:::healthcheck/hc-2222'),
    ).toBe('Allowed')
    expect(
      await decide(all.drill!, 'route53:UpdateHealthCheck', 'arn:aws:route53:::healthcheck/hc-9999'),
    ).toBe('ImplicitlyDenied')
  })

  it('the prune role shares snapshots with the DR account only, never the public, and deletes only restore-test volumes', async () => {
    const snapshot = 'arn:aws:ec2:eu-west-1::snapshot/snap-0123456789abcdef0'
    const prune = all.prune!
    expect(
      await decide(prune, 'ec2:ModifySnapshotAttribute', snapshot, { 'ec2:Add/userId': '444455556666' }),
    ).toBe('Allowed')
    expect(
      await decide(prune, 'ec2:ModifySnapshotAttribute', snapshot, { 'ec2:Remove/userId': '444455556666' }),
    ).toBe('Allowed')
    expect(
      await decide(prune, 'ec2:ModifySnapshotAttribute', snapshot, { 'ec2:Add/userId': '999988887777' }),
    ).toBe('ImplicitlyDenied')
    expect(
      await decide(prune, 'ec2:ModifySnapshotAttribute', snapshot, {
        'ec2:Add/userId': '444455556666',
        'ec2:Add/group': 'all',
      }),
    ).toBe('ImplicitlyDenied')
    const volume = `arn:aws:ec2:eu-west-1:${ACCOUNT}:volume/vol-0123456789abcdef0`
    expect(await decide(prune, 'ec2:DeleteVolume', volume)).toBe('ImplicitlyDenied')
    expect(
      await decide(prune, 'ec2:DeleteVolume', volume, {
        'aws:ResourceTag/prune-snapshots:restore-test': 'run-1',
      }),
    ).toBe('Allowed')
    for (const role of Object.values(all).filter((r) => r !== prune))
      expect([role.name, await decide(role, 'ec2:ModifySnapshotAttribute', snapshot)]).toEqual([
        role.name,
        'ImplicitlyDenied',
      ])
  })

  it('the gate writes artifacts under gate/ only, never a key a deploy reads', async () => {
    const gate = all['pr-gate']!
    expect(await decide(gate, 's3:PutObject', 'arn:aws:s3:::cfn-templates-us-east-1/gate/0123abcd.zip')).toBe(
      'Allowed',
    )
    expect(await decide(gate, 's3:PutObject', 'arn:aws:s3:::cfn-templates-us-east-1/0123abcd.zip')).toBe(
      'ImplicitlyDenied',
    )
    // A deploy's own prefix (artifact-prefix: app) is out of reach too. (The bucket pattern's *
    // also matches a slash, so any key with a /gate/ segment is the gate's: a deploy never
    // writes one unless its own prefix names gate.)
    expect(await decide(gate, 's3:PutObject', 'arn:aws:s3:::cfn-templates-us-east-1/app/0123abcd.zip')).toBe(
      'ImplicitlyDenied',
    )
  })

  it("the drill role reads its stop alarms, and no role but the drill's needs to", async () => {
    const ALARM = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:api-5xx`
    expect(await decide(all.drill!, 'cloudwatch:DescribeAlarms', ALARM)).toBe('Allowed')
    expect(await decide(all['pr-gate']!, 'cloudwatch:DescribeAlarms', ALARM)).toBe('ImplicitlyDenied')
  })

  it('target roles are assumed only within the organisation, or only in the listed accounts', async () => {
    const target = 'arn:aws:iam::222222222222:role/multi-region-actions-target'
    const EXTERNAL_ID = { 'sts:ExternalId': 'external-1' }
    for (const role of [all.deploy!, all.prune!]) {
      expect(
        await decide(role, 'sts:AssumeRole', target, { ...EXTERNAL_ID, 'aws:ResourceOrgID': 'o-abcdef1234' }),
      ).toBe('Allowed')
      expect(
        await decide(role, 'sts:AssumeRole', target, { ...EXTERNAL_ID, 'aws:ResourceOrgID': 'o-zzzzzz9999' }),
      ).toBe('ImplicitlyDenied')
      expect(
        await decide(role, 'sts:AssumeRole', 'arn:aws:iam::222222222222:role/admin', {
          ...EXTERNAL_ID,
          'aws:ResourceOrgID': 'o-abcdef1234',
        }),
      ).toBe('ImplicitlyDenied')
    }
    const listed = roles({ ...EVERYTHING, OrganizationId: '', TargetAccountIds: '222222222222,333333333333' })
    for (const role of [listed.deploy!, listed.prune!]) {
      expect(
        await decide(role, 'sts:AssumeRole', target, {
          ...EXTERNAL_ID,
          'aws:ResourceAccount': '222222222222',
        }),
      ).toBe('Allowed')
      expect(
        await decide(role, 'sts:AssumeRole', 'arn:aws:iam::444444444444:role/multi-region-actions-target', {
          ...EXTERNAL_ID,
          'aws:ResourceAccount': '444444444444',
        }),
      ).toBe('ImplicitlyDenied')
    }
    for (const role of Object.values(all).filter((r) => r !== all.deploy && r !== all.prune))
      expect([
        role.name,
        await decide(role, 'sts:AssumeRole', target, { ...EXTERNAL_ID, 'aws:ResourceOrgID': 'o-abcdef1234' }),
      ]).toEqual([role.name, 'ImplicitlyDenied'])
  })

  it('the benchmark role gets credentials of one user on one cluster, or of its own identity on one workgroup', async () => {
    const onCluster = all.benchmark!
    const dbuser = (user: string) => `arn:aws:redshift:us-east-1:${ACCOUNT}:dbuser:spectrum-poc/${user}`
    expect(await decide(onCluster, 'redshift:GetClusterCredentials', dbuser('benchmark'))).toBe('Allowed')
    expect(await decide(onCluster, 'redshift:GetClusterCredentials', dbuser('admin'))).toBe(
      'ImplicitlyDenied',
    )
    expect(await decide(onCluster, 'redshift-serverless:GetCredentials', WORKGROUP)).toBe('ImplicitlyDenied')
    const onWorkgroup = roles({ ...EVERYTHING, BenchmarkDataTarget: WORKGROUP, BenchmarkDbUser: '' })
    for (const role of [onWorkgroup.benchmark!, onWorkgroup['pr-gate']!]) {
      expect(await decide(role, 'redshift-serverless:GetCredentials', WORKGROUP)).toBe('Allowed')
      expect(await decide(role, 'redshift:GetClusterCredentials', dbuser('admin'))).toBe('ImplicitlyDenied')
      expect(
        await decide(role, 'redshift-serverless:GetCredentials', WORKGROUP.replace('11111111', '99999999')),
      ).toBe('ImplicitlyDenied')
    }
  })

  describe('trust', () => {
    const own: Record<string, [string, string]> = {
      deploy: ['environment:production', 'deploy.yml'],
      plan: ['environment:production-plan', 'deploy.yml'],
      stacksets: ['environment:organization', 'stackset-rollout.yml'],
      prune: ['environment:snapshots', 'prune-snapshots.yml'],
      drill: ['environment:failover-drill', 'failover-drill.yml'],
      benchmark: ['environment:benchmark', 'spectrum-benchmark.yml'],
      'pr-gate': ['pull_request', 'pr-gate.yml'],
    }

    it.each(Object.entries(own))('%s trusts its own job and nothing like it', (name, [context, workflow]) => {
      const role = all[name]!
      expect(trusts(role, token(context, workflow))).toBe(true)
      // Another repository, owner, environment, branch, workflow or toolkit ref:
      expect(trusts(role, token(context, workflow, { repository_id: '700101' }))).toBe(false)
      expect(trusts(role, token(context, workflow, { repository_owner_id: '1' }))).toBe(false)
      expect(trusts(role, token(context, workflow, { aud: 'https://github.com/octo-org' }))).toBe(false)
      expect(trusts(role, token('environment:staging', workflow))).toBe(false)
      expect(trusts(role, token('ref:refs/heads/main', workflow))).toBe(false)
      const other = WORKFLOWS.find(
        (w) => w !== workflow && !(name === 'pr-gate' && w === 'spectrum-benchmark.yml'),
      )!
      expect(trusts(role, token(context, other))).toBe(false)
      const sub = token(context, workflow)['token.actions.githubusercontent.com:sub']!
      expect(
        trusts(role, {
          ...token(context, workflow),
          'token.actions.githubusercontent.com:sub': sub.replace('@refs/tags/v1', '@refs/heads/evil'),
        }),
      ).toBe(false)
    })

    it('no role trusts a wildcard subject by default: every subject is compared with StringEquals', () => {
      for (const role of Object.values(all))
        for (const statement of role.trust.Statement) {
          const condition = statement.Condition as Record<string, Record<string, unknown>>
          expect([role.name, Object.keys(condition)]).toEqual([role.name, ['StringEquals']])
          for (const sub of [condition.StringEquals!['token.actions.githubusercontent.com:sub']].flat())
            expect(String(sub)).not.toMatch(/[*?]/)
        }
      // A * in a parameter is then a literal character no token carries.
      const starred = roles({ ...EVERYTHING, DeployEnvironment: 'prod*' })
      expect(trusts(starred.deploy!, token('environment:prod-eu', 'deploy.yml'))).toBe(false)
    })

    it('AllowSubjectWildcards is the one way to widen a subject', () => {
      const widened = roles({ ...EVERYTHING, AllowSubjectWildcards: 'true', DeployEnvironment: 'prod-*' })
      expect(trusts(widened.deploy!, token('environment:prod-eu', 'deploy.yml'))).toBe(true)
      expect(
        trusts(widened.deploy!, token('environment:prod-eu', 'deploy.yml', { repository_id: '5' })),
      ).toBe(false)
    })

    it('no role that can change anything trusts a pull_request run', async () => {
      const changes: Array<[string, string, Record<string, string>]> = [
        [
          'cloudformation:ExecuteChangeSet',
          STACK,
          { 'cloudformation:ChangeSetName': 'deploy-1-1-abc-us-east-1' },
        ],
        ['cloudformation:DeleteStack', STACK, {}],
        [
          'cloudformation:UpdateStackSet',
          `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stackset/orders-baseline:1`,
          {},
        ],
        ['ec2:DeleteSnapshot', SNAPSHOT, IN_SCOPE],
        ['route53:UpdateHealthCheck', 'arn:aws:route53:::healthcheck/hc-1111', {}],
        ['iam:PassRole', EXECUTION_ROLE, { 'iam:PassedToService': 'cloudformation.amazonaws.com' }],
      ]
      const changers: string[] = []
      for (const role of Object.values(all)) {
        let changesSomething = false
        for (const [action, resource, context] of changes)
          if ((await decide(role, action, resource, context)) === 'Allowed') changesSomething = true
        if (!changesSomething) continue
        changers.push(role.name)
        for (const workflow of WORKFLOWS)
          expect([role.name, workflow, trusts(role, token('pull_request', workflow))]).toEqual([
            role.name,
            workflow,
            false,
          ])
      }
      expect(changers.sort()).toEqual(
        ['deploy', 'drill', 'plan', 'prune', 'stacksets'].map((n) => `multi-region-actions-${n}`).sort(),
      )
    })
  })

  it('refuses a deployment that would leave a power unbounded', () => {
    expect(brokenRules(TEMPLATE, { ...EVERYTHING, DrillHealthCheckIds: '' })).toEqual([
      'DrillNamesItsHealthChecks',
    ])
    expect(brokenRules(TEMPLATE, { ...EVERYTHING, BenchmarkDataTarget: '' })).toEqual([
      'BenchmarkNamesItsTarget',
    ])
    expect(brokenRules(TEMPLATE, { ...EVERYTHING, OrganizationId: '', TargetAccountIds: '' })).toEqual([
      'TargetAccountsBounded',
    ])
    const { StackNamePrefix: _required, ...withoutScope } = EVERYTHING
    expect(() => resolveTemplate(TEMPLATE, withoutScope)).toThrow(/StackNamePrefix has no value/)
  })
})

describe('github-oidc-target-role.yaml, every part enabled', () => {
  const parameters = TARGET_PARAMETERS
  const [target] = rolesOf(resolveTemplate(TARGET_TEMPLATE, parameters))

  it('trusts the deploy and prune roles only', () => {
    const principals = target!.trust.Statement.flatMap((s) => (s.Principal as { AWS: string[] }).AWS)
    expect(principals).toEqual([parameters.DeployRoleArn, parameters.PruneRoleArn])
  })

  it('deletes no untagged or protected snapshot and creates no KMS grant outside EC2', async () => {
    expect(await decide(target!, 'ec2:DeleteSnapshot', SNAPSHOT)).toBe('ImplicitlyDenied')
    expect(
      await decide(target!, 'ec2:DeleteSnapshot', SNAPSHOT, {
        ...IN_SCOPE,
        'aws:ResourceTag/DoNotDelete': '',
      }),
    ).toBe('ImplicitlyDenied')
    expect(await decide(target!, 'ec2:DeleteSnapshot', SNAPSHOT, IN_SCOPE)).toBe('Allowed')
    expect(
      await decide(target!, 'kms:CreateGrant', KMS_KEY, {
        'kms:GrantIsForAWSResource': 'false',
        'kms:ViaService': 'ec2.eu-west-1.amazonaws.com',
      }),
    ).toBe('ImplicitlyDenied')
    expect(
      await decide(target!, 'kms:CreateGrant', KMS_KEY, {
        'kms:GrantIsForAWSResource': 'true',
        'kms:ViaService': 'ec2.eu-west-1.amazonaws.com',
      }),
    ).toBe('Allowed')
  })
})
