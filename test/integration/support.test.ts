import { CloudFormationClient, ListStacksCommand } from '@aws-sdk/client-cloudformation'
import { awsClientConfig } from '../../lib/aws.js'
import { localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'
import { startLoopbackProxy, type LoopbackProxy } from '../support/loopback-proxy.js'

describe('moto and the loopback proxy', () => {
  let moto: MotoServer
  let proxy: LoopbackProxy
  const saved = { ...process.env }
  beforeAll(async () => {
    moto = await startMoto()
    proxy = await startLoopbackProxy(moto.endpoint)
    Object.assign(process.env, localAwsEnv(proxy.endpoint))
  })
  afterAll(async () => {
    process.env = saved
    await proxy.close()
    await moto.stop()
  })

  it('sends real SDK calls through the proxy, which parses service, region and operation', async () => {
    const seen: string[] = []
    const client = new CloudFormationClient(awsClientConfig('eu-west-1'))
    await client.send(new ListStacksCommand({}))
    expect(proxy.stats.byOperation.get('ListStacks')).toBe(1)
    seen.push('ok')
    expect(seen).toEqual(['ok'])
  })
})
