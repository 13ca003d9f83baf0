/**
 * templates/github-oidc-target-role.yaml deployed to moto in a target account, then
 * assumed there through lib/assume-role.ts as a run across accounts would: the role
 * trusts the CI account's deploy role (with the external id condition) and carries
 * the enabled actions' policies; an account without the stack has no role to assume.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation'
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts'
import { assumeRoles } from '../../lib/assume-role.js'
import { expandNoValueLists } from '../support/cfn-novalue.js'
import { inlineStringPolicies } from '../support/cfn-resolve.js'
import { directClientConfig, localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'
import { startStsRoleLayer, type StsRoleLayer } from '../support/sts-role-layer.js'

const TARGET = '222222222222'
const WITHOUT_STACK = '333333333333'
const DEPLOY_ROLE = 'arn:aws:iam::111111111111:role/multi-region-actions-deploy'

let moto: MotoServer
let layer: StsRoleLayer
const saved = { ...process.env }

/** Credentials that act in `account` in moto (its AssumeRole takes any role ARN), to set the account up. */
async function setupCredentials(account: string) {
  const sts = new STSClient(directClientConfig(moto.endpoint))
  const answer = await sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/setup`, RoleSessionName: 'setup' }),
  )
  const c = answer.Credentials!
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }
}

async function iamIn(account: string, action: string, values: Record<string, string>): Promise<string> {
  const { accessKeyId } = await setupCredentials(account)
  const res = await fetch(moto.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Action: action, Version: '2010-05-08', ...values }),
  })
  return res.text()
}

type Statement = { Effect: string; Action: string | string[]; Resource: string | string[] }
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v])
const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  )
/** An Allow statement whose action and resource patterns match (conditions taken as met). */
const allows = (statements: Statement[], action: string, resource: string) =>
  statements.some(
    (st) =>
      st.Effect === 'Allow' &&
      list(st.Action).some((a) => glob(a).test(action)) &&
      list(st.Resource).some((r) => glob(r).test(resource)),
  )

async function attachedStatements(account: string, attached: string): Promise<Statement[]> {
  const statements: Statement[] = []
  for (const [, PolicyArn] of attached.matchAll(/<PolicyArn>([^<]+)<\/PolicyArn>/g)) {
    const policy = await iamIn(account, 'GetPolicy', { PolicyArn: PolicyArn! })
    const VersionId = /<DefaultVersionId>([^<]+)</.exec(policy)![1]!
    const version = await iamIn(account, 'GetPolicyVersion', { PolicyArn: PolicyArn!, VersionId })
    const document = /<Document>([\s\S]*?)<\/Document>/.exec(version)![1]!
    const text = decodeURIComponent(document.replace(/&quot;/g, '"').replace(/&amp;/g, '&'))
    statements.push(...(JSON.parse(text) as { Statement: Statement[] }).Statement)
  }
  return statements
}

beforeAll(async () => {
  moto = await startMoto()
  layer = await startStsRoleLayer(moto.endpoint)
  Object.assign(process.env, localAwsEnv(layer.endpoint), { AWS_MAX_ATTEMPTS: '1' })
})

afterAll(async () => {
  process.env = saved
  await layer.close()
  await moto.stop()
})

describe('github-oidc-target-role.yaml', () => {
  it('deploys in a target account with the trust and the enabled policies, and is assumable there', async () => {
    const cfn = new CloudFormationClient({
      ...directClientConfig(moto.endpoint, 'eu-west-1'),
      credentials: await setupCredentials(TARGET),
    })
    const parameters = {
      DeployRoleArn: DEPLOY_ROLE,
      ExternalId: 'ci-external-1',
      StackNamePrefix: 'orders',
      EnablePruneSnapshots: 'true',
    }
    await cfn.send(
      new CreateStackCommand({
        StackName: 'multi-region-actions-target',
        // A policy written as a JSON string is parsed by CloudFormation, not by moto.
        TemplateBody: expandNoValueLists(
          inlineStringPolicies(
            readFileSync(join(process.cwd(), 'templates', 'github-oidc-target-role.yaml'), 'utf8'),
            parameters,
          ),
        ),
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
          ParameterKey,
          ParameterValue,
        })),
      }),
    )
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: 'multi-region-actions-target' })))
      .Stacks![0]!
    expect(stack.StackStatus).toBe('CREATE_COMPLETE')

    const role = decodeURIComponent(
      await iamIn(TARGET, 'GetRole', { RoleName: 'multi-region-actions-target' }),
    )
    expect(role).toContain(`<Arn>arn:aws:iam::${TARGET}:role/multi-region-actions-target</Arn>`)
    expect(role).toContain(DEPLOY_ROLE)
    expect(role).toMatch(/"sts:ExternalId":\s*"ci-external-1"/)
    const attached = await iamIn(TARGET, 'ListAttachedRolePolicies', {
      RoleName: 'multi-region-actions-target',
    })
    // deploy-multi-region's, and prune-snapshots' two (the deletes apart: their condition names a tag key).
    expect(attached.match(/<PolicyName>/g)).toHaveLength(3)
    // What the policies allow, on the ARNs AWS gives: a snapshot's names no account.
    const statements = await attachedStatements(TARGET, attached)
    expect(statements.filter((st) => st.Effect === 'Deny')).toEqual([])
    const snapshot = 'arn:aws:ec2:eu-west-1::snapshot/snap-0123456789abcdef0'
    for (const action of ['ec2:DeleteSnapshot', 'ec2:CopySnapshot', 'ec2:CreateTags'])
      expect([action, allows(statements, action, snapshot)]).toEqual([action, true])
    // The role exists in the target account only.
    expect(await iamIn(WITHOUT_STACK, 'GetRole', { RoleName: 'multi-region-actions-target' })).toContain(
      'NoSuchEntity',
    )

    const access = await assumeRoles([TARGET, WITHOUT_STACK], {
      roleName: 'multi-region-actions-target',
      externalId: 'ci-external-1',
      partition: 'aws',
      stsRegion: 'eu-west-1',
      sessionName: 'multi-region-actions',
    })
    expect(access.get(TARGET)!.ok).toBe(true)
    const refused = access.get(WITHOUT_STACK)!
    expect(refused.ok ? '' : refused.reason).toContain('AccessDenied')
  })
})
