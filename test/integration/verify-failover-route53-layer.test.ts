import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  ListHealthChecksCommand,
  TestDNSAnswerCommand,
  UpdateHealthCheckCommand,
} from '@aws-sdk/client-route-53'
import {
  selfSignedCertificate,
  startHealthEndpoint,
  type HealthEndpoint,
} from '../support/health-endpoint.js'
import { startMoto, type MotoServer } from '../support/moto.js'
import { startRoute53Loopback, type Route53Loopback } from '../support/route53-loopback.js'
import { createTopology, route53Client } from '../support/route53-topology.js'

/** The Route 53 layer on its own: what moto lacks, as Route 53 documents it. */
describe('Route 53 loopback layer', () => {
  let moto: MotoServer
  let r53: Route53Loopback
  let use1: HealthEndpoint
  let euw1: HealthEndpoint
  const client = () => route53Client(r53.endpoint)

  beforeAll(async () => {
    moto = await startMoto()
    r53 = await startRoute53Loopback(moto.endpoint, {
      roundMs: 30,
      resolverRegions: { '192.0.2.10': 'eu-central-1', '198.51.100.20': 'us-east-2' },
      clientSubnetRegions: {
        '3.80.0.0/12': 'us-east-1',
        '3.248.0.0/13': 'eu-west-1',
        '2a05:d018::/36': 'eu-west-1',
      },
    })
    use1 = await startHealthEndpoint('ok')
    euw1 = await startHealthEndpoint('ok')
  })
  afterAll(async () => {
    await r53.close()
    await use1.close()
    await euw1.close()
    await moto.stop()
  })
  beforeEach(async () => {
    await moto.reset()
    r53.reset()
    use1.setBody('ok')
    euw1.setBody('ok')
  })

  const topology = () =>
    createTopology(client(), [
      { region: 'us-east-1', port: use1.port, value: '10.0.0.1' },
      { region: 'eu-west-1', port: euw1.port, value: '10.0.1.1' },
    ])
  const answer = async (zoneId: string, name: string, resolver?: string) =>
    (
      await client().send(
        new TestDNSAnswerCommand({
          HostedZoneId: zoneId,
          RecordName: name,
          RecordType: 'A',
          ResolverIP: resolver,
        }),
      )
    ).RecordData
  const status = async (id: string) => {
    const out = await client().send(new GetHealthCheckStatusCommand({ HealthCheckId: id }))
    return out.HealthCheckObservations!
  }

  it('answers TestDNSAnswer with the healthy latency record closest to the resolver', async () => {
    const t = await topology()
    expect(await answer(t.zoneId, t.recordName)).toEqual(['10.0.0.1'])
    expect(await answer(t.zoneId, t.recordName, '192.0.2.10')).toEqual(['10.0.1.1'])
    expect(await answer(t.zoneId, t.recordName, '198.51.100.20')).toEqual(['10.0.0.1'])
    const out = await client().send(
      new TestDNSAnswerCommand({ HostedZoneId: t.zoneId, RecordName: `x.${t.recordName}`, RecordType: 'A' }),
    )
    expect(out).toMatchObject({ ResponseCode: 'NXDOMAIN', RecordData: [], Protocol: 'UDP' })
  })

  it('answers latency records by the EDNS0 client subnet, before the resolver, healthy records first', async () => {
    const t = await topology()
    const bySubnet = async (subnet: string, resolver?: string) =>
      (
        await client().send(
          new TestDNSAnswerCommand({
            HostedZoneId: t.zoneId,
            RecordName: t.recordName,
            RecordType: 'A',
            EDNS0ClientSubnetIP: subnet,
            ResolverIP: resolver,
          }),
        )
      ).RecordData
    expect(await bySubnet('3.80.0.1')).toEqual(['10.0.0.1'])
    expect(await bySubnet('3.248.0.1')).toEqual(['10.0.1.1'])
    expect(await bySubnet('2a05:d018::1')).toEqual(['10.0.1.1'])
    // The client's subnet decides, not the resolver that asks for it.
    expect(await bySubnet('3.248.0.1', '198.51.100.20')).toEqual(['10.0.1.1'])
    // The subnet's own region unhealthy: the nearest healthy one answers.
    euw1.setBody('fail')
    await r53.rounds(4)
    expect(await bySubnet('3.248.0.1')).toEqual(['10.0.0.1'])
  })

  it('evaluates health by probing the endpoint, with a FailureThreshold of consecutive observations', async () => {
    const t = await topology()
    const id = t.healthCheckIds['eu-west-1']!
    const observations = await status(id)
    expect(observations).toHaveLength(16)
    expect(observations.every((o) => o.StatusReport!.Status!.startsWith('Success'))).toBe(true)
    expect(new Set(observations.map((o) => o.Region)).size).toBe(8)
    euw1.setBody('fail')
    await r53.rounds(1)
    // One failed observation is not enough with FailureThreshold 3.
    expect(r53.health(id)?.healthy).toBe(true)
    await r53.rounds(3)
    expect(r53.health(id)).toEqual({ healthy: false, successes: 0, total: 16 })
    expect((await status(id))[0]!.StatusReport!.Status).toMatch(/^Failure: Search string not found/)
    expect(await answer(t.zoneId, t.recordName, '192.0.2.10')).toEqual(['10.0.0.1'])
  })

  it('answers as if all were healthy when every record is unhealthy', async () => {
    const t = await topology()
    use1.setBody('fail')
    euw1.setBody('fail')
    await r53.rounds(4)
    expect(r53.health(t.healthCheckIds['us-east-1']!)?.healthy).toBe(false)
    expect(await answer(t.zoneId, t.recordName, '192.0.2.10')).toEqual(['10.0.1.1'])
    expect(await answer(t.zoneId, t.recordName)).toEqual(['10.0.0.1'])
  })

  it('honours Inverted and Disabled, and versions every update', async () => {
    const t = await topology()
    const id = t.healthCheckIds['us-east-1']!
    await client().send(
      new UpdateHealthCheckCommand({ HealthCheckId: id, HealthCheckVersion: 1, Inverted: true }),
    )
    // Changes apply from the next full round (one may be under way).
    await r53.rounds(2)
    expect(
      (await status(id)).every((o) =>
        o.StatusReport!.Status!.startsWith('Failure: The health check is inverted.'),
      ),
    ).toBe(true)
    expect(await answer(t.zoneId, t.recordName)).toEqual(['10.0.1.1'])
    // A stale version is refused and changes nothing.
    await expect(
      client().send(
        new UpdateHealthCheckCommand({ HealthCheckId: id, HealthCheckVersion: 1, Inverted: false }),
      ),
    ).rejects.toMatchObject({ name: 'HealthCheckVersionMismatch', $metadata: { httpStatusCode: 409 } })
    const read = await client().send(new GetHealthCheckCommand({ HealthCheckId: id }))
    expect(read.HealthCheck).toMatchObject({ HealthCheckVersion: 2, HealthCheckConfig: { Inverted: true } })
    // Disabled: Route 53 considers the check healthy, whatever the endpoint or the inversion.
    await client().send(
      new UpdateHealthCheckCommand({ HealthCheckId: id, HealthCheckVersion: 2, Disabled: true }),
    )
    await r53.rounds(2)
    expect(r53.health(id)?.healthy).toBe(true)
    expect(await answer(t.zoneId, t.recordName)).toEqual(['10.0.0.1'])
    const listed = await client().send(new ListHealthChecksCommand({}))
    expect(listed.HealthChecks!.find((h) => h.Id === id)!.HealthCheckVersion).toBe(3)
  })

  it('answers failover records: primary, then secondary', async () => {
    const t = await createTopology(client(), [
      { region: 'us-east-1', port: use1.port, value: '10.2.0.1', failover: 'PRIMARY' },
      { region: 'eu-west-1', port: euw1.port, value: '10.2.0.2', failover: 'SECONDARY' },
    ])
    expect(await answer(t.zoneId, t.recordName)).toEqual(['10.2.0.1'])
    use1.setBody('fail')
    await r53.rounds(4)
    expect(await answer(t.zoneId, t.recordName)).toEqual(['10.2.0.2'])
  })

  it('resolves an alias that evaluates target health inside the zone', async () => {
    const t = await topology()
    await client().send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: t.zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: `www.${t.recordName.split('.').slice(1).join('.')}`,
                Type: 'A',
                AliasTarget: { HostedZoneId: t.zoneId, DNSName: t.recordName, EvaluateTargetHealth: true },
              },
            },
          ],
        },
      }),
    )
    const www = `www.${t.recordName.split('.').slice(1).join('.')}`
    expect(await answer(t.zoneId, www, '192.0.2.10')).toEqual(['10.0.1.1'])
  })

  it('checks HTTPS endpoints without validating their certificate, and TCP endpoints by connecting', async () => {
    const tls = await startHealthEndpoint('ok', '/health', { tls: selfSignedCertificate() })
    try {
      const create = async (Type: 'HTTPS_STR_MATCH' | 'TCP', SearchString?: string) =>
        (
          await client().send(
            new CreateHealthCheckCommand({
              CallerReference: `${Type}-${Date.now()}`,
              HealthCheckConfig: {
                Type,
                IPAddress: '127.0.0.1',
                Port: tls.port,
                ResourcePath: '/health',
                SearchString,
              },
            }),
          )
        ).HealthCheck!.Id!
      const https = await create('HTTPS_STR_MATCH', 'ok')
      const tcp = await create('TCP')
      expect((await status(https)).every((o) => o.StatusReport!.Status!.startsWith('Success'))).toBe(true)
      expect((await status(tcp))[0]!.StatusReport!.Status).toBe('Success: TCP connection established.')
    } finally {
      await tls.close()
    }
  })

  it('answers NoSuchHostedZone and NoSuchHealthCheck like Route 53', async () => {
    await expect(
      client().send(
        new TestDNSAnswerCommand({
          HostedZoneId: 'ZNOSUCHZONE',
          RecordName: 'a.example.com',
          RecordType: 'A',
        }),
      ),
    ).rejects.toMatchObject({ name: 'NoSuchHostedZone' })
    await expect(
      client().send(new GetHealthCheckStatusCommand({ HealthCheckId: 'missing' })),
    ).rejects.toMatchObject({
      name: 'NoSuchHealthCheck',
    })
  })

  it('judges a CALCULATED check from its children and refuses GetHealthCheckStatus for it with InvalidInput', async () => {
    const t = await createTopology(client(), [
      { region: 'us-east-1', value: '10.0.0.1', calculated: { ports: [use1.port, euw1.port], threshold: 2 } },
      { region: 'eu-west-1', port: euw1.port, value: '10.0.1.1' },
    ])
    const calc = t.healthCheckIds['us-east-1']!
    await r53.rounds(2)
    expect(r53.health(calc)).toEqual({ healthy: true, successes: 2, total: 2 })
    await expect(
      client().send(new GetHealthCheckStatusCommand({ HealthCheckId: calc })),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      $metadata: { httpStatusCode: 400 },
    })
    // Its children answer as endpoint checks do.
    expect(await status(t.childHealthCheckIds['us-east-1']![0]!)).toHaveLength(16)
    use1.setBody('fail')
    await r53.rounds(5)
    expect(r53.health(calc)).toEqual({ healthy: false, successes: 1, total: 2 })
    expect(await answer(t.zoneId, t.recordName)).toEqual(['10.0.1.1'])
  })
})
