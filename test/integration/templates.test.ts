/**
 * Deploys the templates moto can create to a local moto_server through the real AWS SDK,
 * as a user would from the deploy workflows: the API to three regions, the Route 53
 * records and health checks in front of it (three and two regions), the account
 * baseline and the GitHub OIDC deploy role. moto skips the resource types it does not
 * model (AWS::Config::ConfigRule, AWS::IAM::OIDCProvider) and still completes the stack,
 * so those parts are covered by cfn-lint (test/unit/repo/templates.test.ts) instead.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  type Parameter,
} from '@aws-sdk/client-cloudformation'
import {
  CreateHostedZoneCommand,
  GetHealthCheckCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53'
import { expandNoValueLists } from '../support/cfn-novalue.js'
import { localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'

const TEMPLATES = join(process.cwd(), 'templates')
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']

let moto: MotoServer
let env: Record<string, string>

beforeAll(async () => {
  moto = await startMoto()
  env = localAwsEnv(moto.endpoint)
})

afterAll(async () => {
  await moto.stop()
})

function clientConfig(region: string) {
  return {
    region,
    endpoint: moto.endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  }
}

const params = (values: Record<string, string>): Parameter[] =>
  Object.entries(values).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }))

async function deploy(
  region: string,
  stackName: string,
  template: string,
  parameters: Record<string, string> = {},
) {
  const cfn = new CloudFormationClient(clientConfig(region))
  await cfn.send(
    new CreateStackCommand({
      StackName: stackName,
      // moto keeps a list element whose Fn::If gives AWS::NoValue (as null); CloudFormation drops it.
      TemplateBody: expandNoValueLists(readFileSync(join(TEMPLATES, template), 'utf8')),
      Parameters: params(parameters),
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
    }),
  )
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks![0]!
  const resources =
    (await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }))).StackResources ?? []
  const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]))
  return { status: stack.StackStatus, outputs, resources }
}

/** A raw IAM query call: moto picks the service from the credential scope and does not check signatures. */
async function iam(action: string, values: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ Action: action, Version: '2010-05-08', ...values })
  const res = await fetch(moto.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=${env.AWS_ACCESS_KEY_ID}/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body,
  })
  return res.text()
}

describe('templates deployed to moto', () => {
  const hosts: Record<string, string> = {}

  it('multi-region-api.yaml deploys unchanged to three regions and names its regional host', async () => {
    for (const region of REGIONS) {
      const stack = await deploy(region, 'hello-api', 'multi-region-api.yaml', { Status: 'ok' })
      expect(stack.status).toBe('CREATE_COMPLETE')
      expect(stack.outputs.RegionalHost).toMatch(
        new RegExp(`^[a-z0-9]+\\.execute-api\\.${region}\\.amazonaws\\.com$`),
      )
      expect(stack.outputs.HealthPath).toBe('/prod/health')
      expect(stack.outputs.Region).toBe(region)
      expect(stack.resources.map((r) => r.ResourceType)).toEqual(
        expect.arrayContaining([
          'AWS::Lambda::Function',
          'AWS::ApiGateway::RestApi',
          'AWS::ApiGateway::Method',
        ]),
      )
      hosts[region] = stack.outputs.RegionalHost!
    }
  })

  it.each([
    ['three', REGIONS],
    ['two', REGIONS.slice(0, 2)],
  ])(
    'route53-failover.yaml creates latency records with HTTPS string-match checks for %s regions',
    async (_n, regions) => {
      const route53 = new Route53Client(clientConfig('us-east-1'))
      const zoneName = `${regions.length}.example.com`
      const zone = await route53.send(
        new CreateHostedZoneCommand({ Name: zoneName, CallerReference: `zone-${regions.length}` }),
      )
      const zoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '')
      const values: Record<string, string> = { HostedZoneId: zoneId, RecordName: `api.${zoneName}` }
      regions.forEach((region, i) => {
        values[`Region${i + 1}`] = region
        values[`Host${i + 1}`] = hosts[region] ?? `${region}.example.net`
      })
      const stack = await deploy('us-east-1', `routing-${regions.length}`, 'route53-failover.yaml', values)
      expect(stack.status).toBe('CREATE_COMPLETE')
      const records = (await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId })))
        .ResourceRecordSets!
      const routed = records.filter((r) => r.Type === 'CNAME')
      expect(routed.map((r) => r.Region).sort()).toEqual([...regions].sort())
      for (const record of routed) {
        expect(record.TTL).toBe(60)
        expect(record.SetIdentifier).toBe(record.Region)
        const check = await route53.send(new GetHealthCheckCommand({ HealthCheckId: record.HealthCheckId! }))
        const config = check.HealthCheck!.HealthCheckConfig!
        expect(config).toMatchObject({
          Type: 'HTTPS_STR_MATCH',
          ResourcePath: '/prod/health',
          SearchString: 'ok',
          RequestInterval: 10,
          FailureThreshold: 3,
        })
        expect(config.FullyQualifiedDomainName).toBe(record.ResourceRecords![0]!.Value)
      }
      expect(stack.outputs.HealthCheckIds!.split(',')).toHaveLength(regions.length)
    },
  )

  it('account-baseline.yaml completes with its recorder, role and delivery bucket', async () => {
    const stack = await deploy('eu-west-1', 'baseline', 'account-baseline.yaml', { CreateRecorder: 'true' })
    expect(stack.status).toBe('CREATE_COMPLETE')
    expect(stack.outputs.DeliveryBucket).toBeTruthy()
    expect(stack.outputs.BaselineVersion).toBe('1')
  })

  it('github-oidc-role.yaml trusts only the given subjects and attaches one policy per enabled action', async () => {
    const stack = await deploy('us-east-1', 'github-oidc', 'github-oidc-role.yaml', {
      CreateOidcProvider: 'false',
      ExistingOidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
      GitHubOrganization: 'octo-org',
      RepositoryName: 'service',
      Subject1: 'ref:refs/heads/main',
      Subject2: 'environment:production',
      RoleName: 'octo-deploy',
      EnableDeployMultiRegion: 'true',
      EnableStackSetRollout: 'true',
      EnableVerifyFailover: 'true',
      EnableFailoverDrill: 'false',
      EnablePruneSnapshots: 'true',
      EnableSpectrumBenchmark: 'false',
    })
    expect(stack.status).toBe('CREATE_COMPLETE')
    expect(stack.outputs.RoleArn).toBe('arn:aws:iam::123456789012:role/octo-deploy')
    const role = decodeURIComponent(await iam('GetRole', { RoleName: 'octo-deploy' }))
    expect(role).toContain('repo:octo-org/service:ref:refs/heads/main')
    expect(role).toContain('repo:octo-org/service:environment:production')
    expect(role).not.toContain('pull_request')
    expect(role).toContain('sts.amazonaws.com')
    const attached = await iam('ListAttachedRolePolicies', { RoleName: 'octo-deploy' })
    const names = [...attached.matchAll(/<PolicyName>([^<]+)<\/PolicyName>/g)].map((m) =>
      m[1]!.replace(/^github-oidc-|-[A-Z0-9]+$/g, ''),
    )
    expect(names.sort()).toEqual([
      'DeployMultiRegionPolicy',
      'PruneSnapshotsPolicy',
      'StackSetRolloutPolicy',
      'VerifyFailoverPolicy',
    ])
  })

  describe('github-oidc-role.yaml grants each action its documented least policy', () => {
    // The README of each action documents the least IAM policy it needs. Each statement is
    // checked against the policies attached to the role, evaluated as IAM does: "If
    // policies that apply to a request include an Allow statement and a Deny statement,
    // the Deny statement trumps the Allow statement" (IAM User Guide, the difference
    // between explicit and implicit denies). Conditions are taken as met; the README's
    // example account ids stand for the role's account. Simpler than IAM: a README action
    // with a wildcard (kms:ReEncrypt*) counts as granted when the role allows an action it
    // matches, and the README's own wildcards in resources are read as literal text that
    // the role's wildcards must cover.
    const ACCOUNT = '123456789012'
    type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[] }
    const list = (v: string | string[]) => (Array.isArray(v) ? v : [v])
    const glob = (pattern: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
        'i',
      )
    const covers = (pattern: string, value: string) =>
      glob(pattern).test(value) || (value.includes('*') && glob(value).test(pattern))
    const actionMatches = (pattern: string, action: string) =>
      action.includes('*') ? covers(pattern, action) : glob(pattern).test(action)
    const resourceMatches = (pattern: string, resource: string) => glob(pattern).test(resource)
    const decide = (statements: Statement[], action: string, resource: string) => {
      const applies = (s: Statement) =>
        list(s.Action).some((a) => actionMatches(a, action)) &&
        list(s.Resource).some((r) => resourceMatches(r, resource))
      if (statements.some((s) => s.Effect === 'Deny' && applies(s))) return 'explicit deny'
      return statements.some((s) => s.Effect === 'Allow' && applies(s)) ? 'allow' : 'implicit deny'
    }
    /** The README's statements, with its example accounts (and a * account) made the role's own. */
    function documentedPolicy(action: string): Statement[] {
      const readme = readFileSync(join(process.cwd(), 'actions', action, 'README.md'), 'utf8')
      const section = readme.slice(readme.search(/^## .*IAM policy/m))
      const json = /```json\n([\s\S]*?)```/.exec(section)![1]!
      return (JSON.parse(json) as { Statement: Statement[] }).Statement.map((s) => ({
        ...s,
        Resource: list(s.Resource).map((r) =>
          r.replace(
            /^(arn:aws:(?:cloudformation|iam|kms|secretsmanager|redshift|redshift-serverless|ec2):[^:]*:)(\d{12}|\*)(?=:)/,
            `$1${ACCOUNT}`,
          ),
        ),
      }))
    }
    async function attachedStatements(roleName: string): Promise<Statement[]> {
      const attached = await iam('ListAttachedRolePolicies', { RoleName: roleName })
      const arns = [...attached.matchAll(/<PolicyArn>([^<]+)<\/PolicyArn>/g)].map((m) => m[1]!)
      const statements: Statement[] = []
      for (const PolicyArn of arns) {
        const policy = await iam('GetPolicy', { PolicyArn })
        const VersionId = /<DefaultVersionId>([^<]+)</.exec(policy)![1]!
        const version = await iam('GetPolicyVersion', { PolicyArn, VersionId })
        const document = /<Document>([\s\S]*?)<\/Document>/.exec(version)![1]!
        const text = decodeURIComponent(document.replace(/&quot;/g, '"').replace(/&amp;/g, '&'))
        statements.push(...(JSON.parse(text) as { Statement: Statement[] }).Statement)
      }
      return statements
    }
    const refused = (statements: Statement[], documented: Statement[], skip: string[] = []) =>
      documented
        .filter((d) => d.Effect === 'Allow' && !skip.includes(d.Sid ?? ''))
        .flatMap((d) => list(d.Action).flatMap((a) => list(d.Resource).map((r) => [d.Sid, a, r] as const)))
        .map(([sid, a, r]) => [sid, a, r, decide(statements, a, r)] as const)
        .filter(([, , , decision]) => decision !== 'allow')
        .map(([sid, a, r, decision]) => `${sid}: ${a} on ${r} -> ${decision}`)
    const common = {
      CreateOidcProvider: 'false',
      ExistingOidcProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
      GitHubOrganization: 'octo-org',
      RepositoryName: 'service',
    }

    it('with every option set: all five actions, no Deny anywhere', async () => {
      await deploy('us-east-1', 'oidc-everything', 'github-oidc-role.yaml', {
        ...common,
        RoleName: 'octo-everything',
        PullRequestGateRoleName: 'octo-everything-gate',
        CloudFormationExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/cfn-orders`,
        TemplateBucketName: '*',
        StackSetAdministrationRoleArn: `arn:aws:iam::${ACCOUNT}:role/AWSCloudFormationStackSetAdministrationRole`,
        SnapshotKmsKeyArn: `arn:aws:kms:*:${ACCOUNT}:key/*`,
        TargetRoleName: 'multi-region-actions-target',
        BenchmarkSecretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:spectrum-poc-*`,
        EnableStackSetRollout: 'true',
        EnableFailoverDrill: 'true',
        EnablePruneSnapshots: 'true',
        EnableSpectrumBenchmark: 'true',
      })
      const statements = await attachedStatements('octo-everything')
      expect(statements.filter((s) => s.Effect === 'Deny')).toEqual([])
      const temporaryCredentials = ['ServerlessCredentials', 'ClusterCredentials'] // secret-arn given instead
      for (const action of ['deploy-multi-region', 'stackset-rollout', 'verify-failover', 'prune-snapshots'])
        expect(refused(statements, documentedPolicy(action))).toEqual([])
      expect(refused(statements, documentedPolicy('spectrum-benchmark'), temporaryCredentials)).toEqual([])
      // Templates with a Transform: CreateChangeSet on the transform as well.
      expect(
        decide(
          statements,
          'cloudformation:CreateChangeSet',
          'arn:aws:cloudformation:us-east-1:aws:transform/Serverless-2016-10-31',
        ),
      ).toBe('allow')
    })

    it('one action without its optional resource never blocks another action (no Deny fallback)', async () => {
      await deploy('us-east-1', 'oidc-partial', 'github-oidc-role.yaml', {
        ...common,
        RoleName: 'octo-partial',
        EnablePullRequestGate: 'false',
        // deploy-multi-region without an execution role, prune-snapshots without a KMS key:
        StackSetAdministrationRoleArn: `arn:aws:iam::${ACCOUNT}:role/AWSCloudFormationStackSetAdministrationRole`,
        EnableStackSetRollout: 'true',
        EnablePruneSnapshots: 'true',
        EnableSpectrumBenchmark: 'true',
      })
      const statements = await attachedStatements('octo-partial')
      expect(statements.filter((s) => s.Effect === 'Deny')).toEqual([])
      expect(refused(statements, documentedPolicy('stackset-rollout'), ['ReadTemplateFromS3'])).toEqual([])
      expect(refused(statements, documentedPolicy('spectrum-benchmark'), ['SecretCredentials'])).toEqual([])
      expect(decide(statements, 'iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/cfn-orders`)).toBe(
        'implicit deny',
      )
      // Without TargetRoleName the deploy role assumes no role: every account of 'accounts' is refused.
      expect(
        decide(statements, 'sts:AssumeRole', 'arn:aws:iam::222222222222:role/multi-region-actions-target'),
      ).toBe('implicit deny')
    })

    it('with TargetRoleName: AssumeRole of that role name in any account, and of no other role', async () => {
      await deploy('us-east-1', 'oidc-targets', 'github-oidc-role.yaml', {
        ...common,
        RoleName: 'octo-targets',
        EnablePullRequestGate: 'false',
        EnablePruneSnapshots: 'true',
        TargetRoleName: 'multi-region-actions-target',
      })
      const statements = await attachedStatements('octo-targets')
      for (const account of ['222222222222', '333333333333'])
        expect(
          decide(statements, 'sts:AssumeRole', `arn:aws:iam::${account}:role/multi-region-actions-target`),
        ).toBe('allow')
      expect(decide(statements, 'sts:AssumeRole', 'arn:aws:iam::222222222222:role/admin')).toBe(
        'implicit deny',
      )
      expect(
        decide(statements, 'sts:AssumeRole', 'arn:aws:iam::222222222222:role/ci/multi-region-actions-target'),
      ).toBe('implicit deny')
    })

    it('the pull request gate role trusts only pull_request and can plan, check and benchmark, nothing more', async () => {
      const stack = await deploy('us-east-1', 'oidc-gate', 'github-oidc-role.yaml', {
        ...common,
        RoleName: 'octo-deploy-2',
        PullRequestGateRoleName: 'octo-gate',
        EnableSpectrumBenchmark: 'true',
        EnablePruneSnapshots: 'true',
        EnableFailoverDrill: 'true',
        EnableStackSetRollout: 'true',
      })
      expect(stack.outputs.PullRequestGateRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/octo-gate`)
      const trust = decodeURIComponent(await iam('GetRole', { RoleName: 'octo-gate' }))
      expect([...trust.matchAll(/repo:[^"&<]+/g)].map((m) => m[0])).toEqual([
        'repo:octo-org/service:pull_request',
      ])
      const deployTrust = decodeURIComponent(await iam('GetRole', { RoleName: 'octo-deploy-2' }))
      expect(deployTrust).not.toContain('pull_request')
      const statements = await attachedStatements('octo-gate')
      expect(statements.filter((s) => s.Effect === 'Deny')).toEqual([])
      const plan = documentedPolicy('deploy-multi-region').map((s) => ({
        ...s,
        Action: list(s.Action).filter(
          (a) =>
            ![
              'cloudformation:ExecuteChangeSet',
              'cloudformation:CancelUpdateStack',
              'cloudformation:UpdateTerminationProtection',
            ].includes(a),
        ),
      }))
      expect(
        refused(statements, plan, ['PassTheServiceRole', 'LargeTemplates', 'FindTheTemplateBucket']),
      ).toEqual([])
      expect(refused(statements, documentedPolicy('verify-failover'), ['DrillOnly'])).toEqual([])
      expect(refused(statements, documentedPolicy('spectrum-benchmark'), ['SecretCredentials'])).toEqual([])
      const stack1 = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/orders/1`
      for (const [action, resource] of [
        [
          'cloudformation:ExecuteChangeSet',
          `arn:aws:cloudformation:us-east-1:${ACCOUNT}:changeSet/deploy-1/1`,
        ],
        ['cloudformation:UpdateTerminationProtection', stack1],
        ['cloudformation:UpdateStackSet', `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stackset/baseline:1`],
        ['route53:UpdateHealthCheck', 'arn:aws:route53:::healthcheck/1'],
        ['ec2:DeleteSnapshot', 'arn:aws:ec2:us-east-1::snapshot/snap-1'],
      ])
        expect([action, decide(statements, action!, resource!)]).toEqual([action, 'implicit deny'])
    })
  })
})
