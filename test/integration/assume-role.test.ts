/**
 * lib/assume-role.ts against moto through the real SDK: roles created in three
 * accounts are assumed once each, and calls made with each account's credentials
 * land in that account (moto keys its state by the account the access key belongs
 * to; keys from its AssumeRole belong to the role's account). A fourth account has
 * no role: AWS refuses it (test/support/sts-role-layer.ts supplies the refusal moto
 * does not make) and only that account comes back failed, with AWS's reason.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation'
import { CreateVolumeCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2'
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import { clientFactory, type AccountCredentials } from '../../lib/aws.js'
import { assumeRoles, type AccountAccess } from '../../lib/assume-role.js'
import { directClientConfig, localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'
import { startStsRoleLayer, type StsRoleLayer } from '../support/sts-role-layer.js'

const ACCOUNTS = ['111111111111', '222222222222', '333333333333']
const NO_ROLE = '444444444444'
const ROLE = 'multi-region-actions-target'

let moto: MotoServer
let layer: StsRoleLayer
const saved = { ...process.env }

/** A raw IAM query call acting in `account`: moto takes the account from the access key. */
async function iamIn(account: string, action: string, values: Record<string, string>): Promise<string> {
  const sts = new STSClient(directClientConfig(moto.endpoint))
  const { AssumeRoleCommand } = await import('@aws-sdk/client-sts')
  // moto hands out keys for any role ARN; these act in `account`, to set it up.
  const setup = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/setup`, RoleSessionName: 'setup' }),
  )
  const res = await fetch(moto.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=${setup.Credentials!.AccessKeyId}/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Action: action, Version: '2010-05-08', ...values }),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${action} in ${account}: ${res.status} ${text}`)
  return text
}

const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:role/multi-region-actions-deploy' },
      Action: 'sts:AssumeRole',
    },
  ],
})

const settings = {
  roleName: ROLE,
  externalId: 'ci-external-1',
  durationSeconds: 900,
  partition: 'aws',
  stsRegion: 'us-east-1',
  sessionName: 'multi-region-actions-42-1',
}

beforeAll(async () => {
  moto = await startMoto()
  layer = await startStsRoleLayer(moto.endpoint)
  Object.assign(process.env, localAwsEnv(layer.endpoint), { AWS_MAX_ATTEMPTS: '1' })
  for (const account of ACCOUNTS) {
    await iamIn(account, 'CreateRole', { RoleName: ROLE, AssumeRolePolicyDocument: trust })
  }
})

afterAll(async () => {
  process.env = saved
  await layer.close()
  await moto.stop()
})

describe('assumeRoles against moto', () => {
  let access: Map<string, AccountAccess>

  it('assumes the role once in each account, sending the ARN of the partition, the external id and the duration', async () => {
    access = await assumeRoles([...ACCOUNTS, NO_ROLE], settings)
    expect(layer.requests.map((r) => r.roleArn).sort()).toEqual(
      [...ACCOUNTS, NO_ROLE].map((a) => `arn:aws:iam::${a}:role/${ROLE}`),
    )
    for (const r of layer.requests) {
      expect(r).toMatchObject({ externalId: 'ci-external-1', durationSeconds: '900' })
      expect(r.sessionName).toBe('multi-region-actions-42-1')
    }
    expect(ACCOUNTS.every((a) => access.get(a)?.ok)).toBe(true)
  })

  it('fails only the account whose role does not exist, with AWS’s reason', () => {
    const failed = access.get(NO_ROLE)!
    expect(failed.ok).toBe(false)
    expect(failed.ok ? '' : failed.reason).toMatch(
      /^cannot assume arn:aws:iam::444444444444:role\/multi-region-actions-target: AccessDenied: User: .* is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444444444444:role\/multi-region-actions-target$/,
    )
  })

  it('acts in each role’s account: caller identity, EC2 volumes and CloudFormation stacks', async () => {
    const accountAccess = (a: string): AccountCredentials => {
      const entry = access.get(a)!
      if (!entry.ok) throw new Error(entry.reason)
      return entry.access
    }
    const sts = clientFactory(STSClient)
    const ec2 = clientFactory(EC2Client)
    const cfn = clientFactory(CloudFormationClient)
    for (const account of ACCOUNTS) {
      const me = await sts('us-east-1', accountAccess(account)).send(new GetCallerIdentityCommand({}))
      expect(me.Account).toBe(account)
      await ec2('eu-west-1', accountAccess(account)).send(
        new CreateVolumeCommand({ AvailabilityZone: 'eu-west-1a', Size: 1 }),
      )
      await cfn('eu-west-1', accountAccess(account)).send(
        new CreateStackCommand({
          StackName: `stack-of-${account}`,
          TemplateBody: JSON.stringify({
            Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
          }),
        }),
      )
    }
    for (const account of ACCOUNTS) {
      const volumes = await ec2('eu-west-1', accountAccess(account)).send(new DescribeVolumesCommand({}))
      expect(volumes.Volumes).toHaveLength(1)
      const stacks = await cfn('eu-west-1', accountAccess(account)).send(new DescribeStacksCommand({}))
      expect(stacks.Stacks!.map((s) => s.StackName)).toEqual([`stack-of-${account}`])
      expect(stacks.Stacks![0]!.StackId).toContain(`:${account}:stack/stack-of-${account}/`)
    }
    // The job's own account (moto's default) saw none of it.
    const own = await new EC2Client(directClientConfig(moto.endpoint, 'eu-west-1')).send(
      new DescribeVolumesCommand({}),
    )
    expect(own.Volumes).toHaveLength(0)
    // Every client of an account shared its one AssumeRole.
    expect(layer.requests).toHaveLength(ACCOUNTS.length + 1)
  })

  it('assumes the role again, once per account, when the SDK finds the credentials about to expire', async () => {
    const account = ACCOUNTS[0]!
    const before = layer.requests.length
    // The first credentials have 4 minutes left: inside the SDK's 5-minute window.
    layer.expireNextIn(4 * 60_000)
    const entry = (await assumeRoles([account], settings)).get(account)!
    if (!entry.ok) throw new Error(entry.reason)
    const ec2 = clientFactory(EC2Client)
    await Promise.all(
      ['us-east-1', 'eu-west-1', 'ap-southeast-2'].map((region) =>
        ec2(region, entry.access).send(new DescribeVolumesCommand({})),
      ),
    )
    // One AssumeRole to start and one refresh shared by the three clients.
    expect(layer.requests.slice(before).map((r) => r.roleArn)).toEqual([
      `arn:aws:iam::${account}:role/${ROLE}`,
      `arn:aws:iam::${account}:role/${ROLE}`,
    ])
    const fresh = await entry.access.credentials()
    expect(fresh.expiration!.getTime() - Date.now()).toBeGreaterThan(10 * 60_000)
    const me = await clientFactory(STSClient)('us-east-1', entry.access).send(
      new GetCallerIdentityCommand({}),
    )
    expect(me.Account).toBe(account)
  })
})
