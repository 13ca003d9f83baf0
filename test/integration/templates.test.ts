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
import { CreateBucketCommand, S3Client, type BucketLocationConstraint } from '@aws-sdk/client-s3'
import { packageTemplate, uploadPackage } from '../../lib/package/index.js'
import { expandNoValueLists } from '../support/cfn-novalue.js'
import { inlineStringPolicies } from '../support/cfn-resolve.js'
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

/**
 * The template packaged into a bucket of the region, as deploy-multi-region's artifact-bucket
 * does (the API's functions are folders beside it); a template without local artifacts as it is.
 */
async function templateBody(region: string, template: string): Promise<string> {
  const local = await packageTemplate(join('templates', template), process.cwd())
  try {
    if (local.artifacts.length === 0) return readFileSync(join(TEMPLATES, template), 'utf8')
    const s3 = new S3Client({ ...clientConfig(region), forcePathStyle: true })
    const bucket = `artifacts-${region}`
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ...(region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
      }),
    )
    const uploaded = await uploadPackage(local, { s3, bucket, region, owner: '123456789012', prefix: '' })
    if (!('TemplateBody' in uploaded.template)) throw new Error('the packaged template went by URL')
    return uploaded.template.TemplateBody
  } finally {
    local.dispose()
  }
}

async function deploy(
  region: string,
  stackName: string,
  template: string,
  parameters: Record<string, string> = {},
) {
  const body = await templateBody(region, template)
  const cfn = new CloudFormationClient(clientConfig(region))
  await cfn.send(
    new CreateStackCommand({
      StackName: stackName,
      // moto keeps a list element whose Fn::If gives AWS::NoValue (as null); CloudFormation drops it.
      // A policy written as a JSON string is parsed by CloudFormation, not by moto.
      TemplateBody: expandNoValueLists(inlineStringPolicies(body, parameters)),
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

  it('multi-region-api.yaml, packaged into a bucket of each region, deploys unchanged to three regions and names its regional host', async () => {
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

  it("route53-failover.yaml points each latency record at its region's RegionalDomainTarget, the health checks still at execute-api", async () => {
    const route53 = new Route53Client(clientConfig('us-east-1'))
    const zone = await route53.send(
      new CreateHostedZoneCommand({ Name: 'domain.example.com', CallerReference: 'zone-domain' }),
    )
    const zoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '')
    const values: Record<string, string> = { HostedZoneId: zoneId, RecordName: 'api.domain.example.com' }
    const targets: Record<string, string> = {}
    REGIONS.forEach((region, i) => {
      values[`Region${i + 1}`] = region
      values[`Host${i + 1}`] = `abc${i}.execute-api.${region}.amazonaws.com`
      targets[region] = `d-abc${i}.execute-api.${region}.amazonaws.com`
      values[`DomainTarget${i + 1}`] = targets[region]
    })
    const stack = await deploy('us-east-1', 'routing-domain', 'route53-failover.yaml', values)
    expect(stack.status).toBe('CREATE_COMPLETE')
    const records = (await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId })))
      .ResourceRecordSets!
    const routed = records.filter((r) => r.Type === 'CNAME')
    expect(routed).toHaveLength(REGIONS.length)
    for (const record of routed) {
      expect(record.ResourceRecords![0]!.Value).toBe(targets[record.Region!])
      const check = await route53.send(new GetHealthCheckCommand({ HealthCheckId: record.HealthCheckId! }))
      expect(check.HealthCheck!.HealthCheckConfig!.FullyQualifiedDomainName).toMatch(/^abc\d\.execute-api\./)
    }
  })

  it('account-baseline.yaml completes with its recorder, role and delivery bucket', async () => {
    const stack = await deploy('eu-west-1', 'baseline', 'account-baseline.yaml', { CreateRecorder: 'true' })
    expect(stack.status).toBe('CREATE_COMPLETE')
    expect(stack.outputs.DeliveryBucket).toBeTruthy()
    expect(stack.outputs.BaselineVersion).toBe('1')
  })

  const oidcIdentity = {
    CreateOidcProvider: 'false',
    ExistingOidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
    GitHubOrganization: 'octo-org',
    RepositoryName: 'service',
    RepositoryId: '700100',
    RepositoryOwnerId: '900200',
    ToolkitRepository: 'octo-org/multi-region-actions',
    StackNamePrefix: 'orders',
  }

  it('github-oidc-role.yaml makes one role per workflow, each trusting its exact subject, with its own policies', async () => {
    const stack = await deploy('us-east-1', 'github-oidc', 'github-oidc-role.yaml', {
      ...oidcIdentity,
      RoleName: 'octo-deploy',
      PlanRoleName: 'octo-plan',
      StackSetRoleName: 'octo-stacksets',
      PruneRoleName: 'octo-prune',
      PullRequestGateRoleName: 'octo-gate',
      EnableStackSetRollout: 'true',
      EnablePruneSnapshots: 'true',
    })
    expect(stack.status).toBe('CREATE_COMPLETE')
    expect(stack.outputs.RoleArn).toBe('arn:aws:iam::123456789012:role/octo-deploy')
    expect(stack.outputs.PlanRoleArn).toBe('arn:aws:iam::123456789012:role/octo-plan')
    const workflowRef = (file: string) =>
      `job_workflow_ref:octo-org/multi-region-actions/.github/workflows/${file}@refs/tags/v1`
    const trust = async (roleName: string) =>
      decodeURIComponent(await iam('GetRole', { RoleName: roleName })).replace(/&quot;/g, '"')
    const deployTrust = await trust('octo-deploy')
    expect(deployTrust).toContain(`repo:octo-org/service:environment:production:${workflowRef('deploy.yml')}`)
    expect(deployTrust).toContain('"token.actions.githubusercontent.com:repository_id": "700100"')
    expect(deployTrust).toContain('"token.actions.githubusercontent.com:repository_owner_id": "900200"')
    expect(deployTrust).not.toContain('pull_request')
    expect(deployTrust).not.toContain('StringLike')
    expect(await trust('octo-plan')).toContain(`environment:production-plan:${workflowRef('deploy.yml')}`)
    expect(await trust('octo-gate')).toContain(
      `repo:octo-org/service:pull_request:${workflowRef('pr-gate.yml')}`,
    )
    const attachedTo = async (roleName: string) => {
      const attached = await iam('ListAttachedRolePolicies', { RoleName: roleName })
      return [...attached.matchAll(/<PolicyName>([^<]+)<\/PolicyName>/g)]
        .map((m) => m[1]!.replace(/^github-oidc-|-[A-Z0-9]+$/g, ''))
        .sort()
    }
    expect(await attachedTo('octo-deploy')).toEqual(['DeployMultiRegionPolicy', 'VerifyFailoverPolicy'])
    expect(await attachedTo('octo-plan')).toEqual(['PlanPolicy', 'VerifyFailoverPolicy'])
    expect(await attachedTo('octo-stacksets')).toEqual(['StackSetRolloutPolicy'])
    expect(await attachedTo('octo-prune')).toEqual(['PruneSnapshotsDeletePolicy', 'PruneSnapshotsPolicy'])
    expect(await attachedTo('octo-gate')).toEqual(['GatePlanPolicy', 'VerifyFailoverPolicy'])
  })

  describe('github-oidc-role.yaml grants each action its documented least policy', () => {
    // The README of each action documents the least IAM policy it needs. Each statement is
    // checked against the policies attached to the role of the workflow that runs the
    // action, evaluated as IAM does: "If policies that apply to a request include an Allow
    // statement and a Deny statement, the Deny statement trumps the Allow statement" (IAM
    // User Guide, the difference between explicit and implicit denies). Conditions are
    // taken as met (test/unit/repo/oidc-role-policies.test.ts evaluates them with a policy
    // simulator); the README's example account ids stand for the role's account. Simpler
    // than IAM: a README action with a wildcard (kms:ReEncrypt*) counts as granted when the
    // role allows an action it matches, and the README's own wildcards in resources are
    // read as literal text that the role's wildcards must cover.
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
    /**
     * The README's statements, with its example accounts (and a * account) made the role's
     * own, and its example names (`renamed`) those of this deployment.
     */
    function documentedPolicy(action: string, renamed: Record<string, string> = {}): Statement[] {
      const readme = readFileSync(join(process.cwd(), 'actions', action, 'README.md'), 'utf8')
      const section = readme.slice(readme.search(/^## .*IAM policy/m))
      const json = /```json\n([\s\S]*?)```/.exec(section)![1]!
      return (JSON.parse(json) as { Statement: Statement[] }).Statement.map((s) => ({
        ...s,
        Resource: list(s.Resource).map((r) =>
          Object.entries(renamed)
            .reduce((named, [from, to]) => named.replaceAll(from, to), r)
            .replace(
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
    /** The documented statements without the resources and actions of the authentication not chosen. */
    const without = (documented: Statement[], resource: RegExp, actions: string[] = []) =>
      documented.map((s) => ({
        ...s,
        Action: list(s.Action).filter((a) => !actions.includes(a)),
        Resource: list(s.Resource).filter((r) => !resource.test(r)),
      }))
    const everything = {
      ...oidcIdentity,
      CloudFormationExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/cfn-orders`,
      TemplateBucketName: 'cfn-templates-*',
      StackSetAdministrationRoleArn: `arn:aws:iam::${ACCOUNT}:role/AWSCloudFormationStackSetAdministrationRole`,
      DrillHealthCheckIds: 'hc-1111,hc-2222',
      SnapshotKmsKeyArn: `arn:aws:kms:*:${ACCOUNT}:key/*`,
      DrAccountId: '444455556666',
      TargetRoleName: 'multi-region-actions-target',
      OrganizationId: 'o-abcdef1234',
      BenchmarkDataTarget: `arn:aws:redshift:us-east-1:${ACCOUNT}:cluster:spectrum-poc`,
      BenchmarkDbUser: 'benchmark',
      BenchmarkSecretArn: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:spectrum-poc-*`,
      EnableStackSetRollout: 'true',
      EnableFailoverDrill: 'true',
      EnablePruneSnapshots: 'true',
      EnableSpectrumBenchmark: 'true',
      EnableBenchmarkOnGate: 'true',
    }
    // The stack set README's example names, as StackNamePrefix and TemplateBucketName name them here.
    const stackSetNames = { 'account-baseline': 'orders-baseline', 'my-templates': 'cfn-templates-us-east-1' }
    const named = (prefix: string) => ({
      RoleName: `${prefix}-deploy`,
      PlanRoleName: `${prefix}-plan`,
      StackSetRoleName: `${prefix}-stacksets`,
      PruneRoleName: `${prefix}-prune`,
      DrillRoleName: `${prefix}-drill`,
      BenchmarkRoleName: `${prefix}-benchmark`,
      PullRequestGateRoleName: `${prefix}-gate`,
    })

    it('with every option set: each workflow role allows its actions, no Deny anywhere', async () => {
      await deploy('us-east-1', 'oidc-everything', 'github-oidc-role.yaml', {
        ...everything,
        ...named('all'),
      })
      const role = async (name: string) => {
        const statements = await attachedStatements(`all-${name}`)
        expect(statements.filter((s) => s.Effect === 'Deny')).toEqual([])
        return statements
      }
      const deployRole = await role('deploy')
      expect(refused(deployRole, documentedPolicy('deploy-multi-region'))).toEqual([])
      expect(refused(await role('stacksets'), documentedPolicy('stackset-rollout', stackSetNames))).toEqual(
        [],
      )
      // The drill role may change only DrillHealthCheckIds (not the README's healthcheck/*).
      expect(refused(await role('drill'), documentedPolicy('verify-failover'), ['DrillOnly'])).toEqual([])
      // The plan role checks failover without a drill: neither the inversion nor the stop alarms.
      expect(
        refused(await role('plan'), documentedPolicy('verify-failover'), ['DrillOnly', 'DrillStopAlarms']),
      ).toEqual([])
      expect(refused(await role('prune'), documentedPolicy('prune-snapshots'))).toEqual([])
      // One cluster, one database user: not the README's workgroup, nor the IAM-identity variant.
      const onCluster = without(documentedPolicy('spectrum-benchmark'), /redshift-serverless/, [
        'redshift:GetClusterCredentialsWithIAM',
      ])
      expect(refused(await role('benchmark'), onCluster, ['ServerlessCredentials'])).toEqual([])
      // Templates with a Transform: CreateChangeSet on the transform as well.
      expect(
        decide(
          deployRole,
          'cloudformation:CreateChangeSet',
          'arn:aws:cloudformation:us-east-1:aws:transform/Serverless-2016-10-31',
        ),
      ).toBe('allow')
    })

    it('one action without its optional resource never blocks another action (no Deny fallback)', async () => {
      await deploy('us-east-1', 'oidc-partial', 'github-oidc-role.yaml', {
        ...oidcIdentity,
        ...named('partial'),
        EnablePullRequestGate: 'false',
        // deploy-multi-region without an execution role, prune-snapshots without a KMS key:
        StackSetAdministrationRoleArn: `arn:aws:iam::${ACCOUNT}:role/AWSCloudFormationStackSetAdministrationRole`,
        EnableStackSetRollout: 'true',
        EnablePruneSnapshots: 'true',
      })
      const stacksets = await attachedStatements('partial-stacksets')
      expect(stacksets.filter((s) => s.Effect === 'Deny')).toEqual([])
      expect(
        refused(stacksets, documentedPolicy('stackset-rollout', stackSetNames), ['ReadTemplateFromS3']),
      ).toEqual([])
      const deployRole = await attachedStatements('partial-deploy')
      expect(decide(deployRole, 'iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/cfn-orders`)).toBe(
        'implicit deny',
      )
      // Without TargetRoleName no role assumes another: every account of 'accounts' is refused.
      for (const name of ['partial-deploy', 'partial-prune'])
        expect(
          decide(
            await attachedStatements(name),
            'sts:AssumeRole',
            'arn:aws:iam::222222222222:role/multi-region-actions-target',
          ),
        ).toBe('implicit deny')
    })

    it('the pull request gate role can plan into gate change sets, check and benchmark, nothing more', async () => {
      const stack = await deploy('us-east-1', 'oidc-gate', 'github-oidc-role.yaml', {
        ...everything,
        ...named('gate'),
      })
      expect(stack.outputs.PullRequestGateRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/gate-gate`)
      const statements = await attachedStatements('gate-gate')
      expect(statements.filter((s) => s.Effect === 'Deny')).toEqual([])
      const plan = documentedPolicy('deploy-multi-region').map((s) => ({
        ...s,
        Action: list(s.Action).filter(
          (a) =>
            ![
              'cloudformation:ExecuteChangeSet',
              'cloudformation:CancelUpdateStack',
              'cloudformation:UpdateTerminationProtection',
              'cloudformation:DeleteStack',
            ].includes(a),
        ),
        // Change set actions are authorised on the stack (the name is a condition key).
        Resource: list(s.Resource).filter((r) => !r.includes(':changeSet/')),
      }))
      expect(
        refused(statements, plan, ['PassTheServiceRole', 'LargeTemplates', 'FindTheTemplateBucket']),
      ).toEqual([])
      expect(
        refused(statements, documentedPolicy('verify-failover'), ['DrillOnly', 'DrillStopAlarms']),
      ).toEqual([])
      const stack1 = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/orders/1`
      for (const [action, resource] of [
        ['cloudformation:ExecuteChangeSet', stack1],
        ['cloudformation:DeleteStack', stack1],
        ['cloudformation:UpdateTerminationProtection', stack1],
        ['cloudformation:UpdateStackSet', `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stackset/orders:1`],
        ['iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/cfn-orders`],
        ['s3:PutObject', 'arn:aws:s3:::cfn-templates-us-east-1/orders/template.yaml'],
        [
          'secretsmanager:GetSecretValue',
          `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:spectrum-poc-1`,
        ],
        ['route53:UpdateHealthCheck', 'arn:aws:route53:::healthcheck/hc-1111'],
        ['ec2:DeleteSnapshot', 'arn:aws:ec2:us-east-1::snapshot/snap-1'],
      ])
        expect([action, decide(statements, action!, resource!)]).toEqual([action, 'implicit deny'])
    })
  })
})
