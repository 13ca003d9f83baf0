import {
  CloudFormationClient,
  CreateChangeSetCommand,
  ListStacksCommand,
} from '@aws-sdk/client-cloudformation'
import { DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2'
import { ListHostedZonesCommand, Route53Client } from '@aws-sdk/client-route-53'
import { startFaultProxy, uniform, type FaultProxy } from '../support/fault-proxy.js'
import { localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'

const TEMPLATE = JSON.stringify({
  Resources: { Param: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: 'x' } } },
})

describe('fault proxy', () => {
  let moto: MotoServer
  const saved = { ...process.env }
  beforeAll(async () => {
    moto = await startMoto()
    Object.assign(process.env, localAwsEnv(moto.endpoint))
  })
  afterAll(async () => {
    process.env = saved
    await moto.stop()
  })

  const clients = (endpoint: string) => {
    const config = { region: 'us-east-1', endpoint, maxAttempts: 1 }
    return {
      cfn: new CloudFormationClient(config),
      ec2: new EC2Client(config),
      r53: new Route53Client(config),
    }
  }

  it('is deterministic for a seed and key', () => {
    expect(uniform(7, 'cloudformation:us-east-1:ListStacks#1')).toBe(
      uniform(7, 'cloudformation:us-east-1:ListStacks#1'),
    )
    expect(uniform(7, 'a')).not.toBe(uniform(8, 'a'))
  })

  it("answers with each service's own throttling error shape", async () => {
    const proxy = await startFaultProxy(moto.endpoint, { seed: 1, rate: 1, kinds: ['throttle'] })
    try {
      const { cfn, ec2, r53 } = clients(proxy.endpoint)
      await expect(cfn.send(new ListStacksCommand({}))).rejects.toMatchObject({ name: 'Throttling' })
      await expect(ec2.send(new DescribeSnapshotsCommand({}))).rejects.toMatchObject({
        name: 'RequestLimitExceeded',
      })
      const r53Error = await r53.send(new ListHostedZonesCommand({})).catch((e: Error) => e)
      expect(['Throttling', 'PriorRequestNotComplete']).toContain((r53Error as Error).name)
      expect(proxy.faults.injected).toBe(3)
    } finally {
      await proxy.close()
    }
  })

  it('carries out a call whose reply is lost, then answers a repeat as AWS does', async () => {
    const proxy: FaultProxy = await startFaultProxy(moto.endpoint, {
      seed: 1,
      rate: 1,
      kinds: ['lost-reply'],
    })
    try {
      const { cfn } = clients(proxy.endpoint)
      const input = {
        StackName: 'lost-reply',
        ChangeSetName: 'cs-1',
        ChangeSetType: 'CREATE' as const,
        TemplateBody: TEMPLATE,
        ClientToken: 'token-1',
      }
      await expect(cfn.send(new CreateChangeSetCommand(input))).rejects.toThrow()
      proxy.setEnabled(false)
      const repeat = await cfn.send(new CreateChangeSetCommand(input))
      expect(repeat.Id).toContain('cs-1')
      await expect(
        cfn.send(new CreateChangeSetCommand({ ...input, ClientToken: 'token-2' })),
      ).rejects.toMatchObject({
        name: 'AlreadyExistsException',
      })
    } finally {
      await proxy.close()
    }
  })
})
