import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  CreateHostedZoneCommand,
  GetHealthCheckCommand,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53'
import { randomUUID } from 'node:crypto'
import { directClientConfig } from './moto.js'

/**
 * Builds the multi-region API pattern in a (moto) Route 53: one routed record
 * per region, each tied to an HTTP_STR_MATCH health check of that region's
 * health endpoint on 127.0.0.1.
 */
export interface RegionSpec {
  region: string
  /** The local health endpoint's port; omit to leave the record without a health check. */
  port?: number
  value: string
  ttl?: number
  failover?: 'PRIMARY' | 'SECONDARY'
}

export interface Topology {
  zoneId: string
  recordName: string
  healthCheckIds: Record<string, string>
}

export function route53Client(endpoint: string): Route53Client {
  return new Route53Client(directClientConfig(endpoint))
}

export async function createTopology(
  client: Route53Client,
  specs: readonly RegionSpec[],
  options: { zone?: string; record?: string; failureThreshold?: number; requestInterval?: number } = {},
): Promise<Topology> {
  const zone = options.zone ?? `example-${randomUUID().slice(0, 8)}.com`
  const recordName = `${options.record ?? 'api'}.${zone}`
  const created = await client.send(
    new CreateHostedZoneCommand({ Name: zone, CallerReference: randomUUID() }),
  )
  const zoneId = created.HostedZone!.Id!.replace('/hostedzone/', '')
  const healthCheckIds: Record<string, string> = {}
  const changes: ResourceRecordSet[] = []
  for (const spec of specs) {
    let healthCheckId: string | undefined
    if (spec.port !== undefined) {
      const hc = await client.send(
        new CreateHealthCheckCommand({
          CallerReference: randomUUID(),
          HealthCheckConfig: {
            Type: 'HTTP_STR_MATCH',
            IPAddress: '127.0.0.1',
            Port: spec.port,
            ResourcePath: '/health',
            SearchString: 'ok',
            RequestInterval: options.requestInterval ?? 10,
            FailureThreshold: options.failureThreshold ?? 3,
          },
        }),
      )
      healthCheckId = hc.HealthCheck!.Id!
      healthCheckIds[spec.region] = healthCheckId
    }
    changes.push({
      Name: recordName,
      Type: 'A',
      SetIdentifier: spec.failover ? `${spec.failover.toLowerCase()}-${spec.region}` : spec.region,
      ...(spec.failover ? { Failover: spec.failover } : { Region: spec.region as never }),
      TTL: spec.ttl ?? 60,
      ResourceRecords: [{ Value: spec.value }],
      HealthCheckId: healthCheckId,
    })
  }
  await client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: changes.map((set) => ({ Action: 'CREATE', ResourceRecordSet: set })) },
    }),
  )
  return { zoneId, recordName, healthCheckIds }
}

export async function healthCheckConfig(client: Route53Client, id: string) {
  const out = await client.send(new GetHealthCheckCommand({ HealthCheckId: id }))
  return { ...out.HealthCheck!.HealthCheckConfig!, version: out.HealthCheck!.HealthCheckVersion! }
}
