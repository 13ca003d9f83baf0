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
      TemplateBody: readFileSync(join(TEMPLATES, template), 'utf8'),
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
      Subject2: 'pull_request',
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
    expect(role).toContain('repo:octo-org/service:pull_request')
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
})
