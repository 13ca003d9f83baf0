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
  /**
   * Guard the record with a CALCULATED check instead: one endpoint check per
   * port as its children, healthy when `threshold` of them are (`port` unused).
   */
  calculated?: { ports: number[]; threshold: number }
  /** An alias to this DNS name (a load balancer's, say) instead of `value`; no health check. */
  aliasTarget?: { dnsName: string; evaluateTargetHealth: boolean }
}

export interface Topology {
  zoneId: string
  recordName: string
  healthCheckIds: Record<string, string>
  /** The child checks of each CALCULATED check, by region. */
  childHealthCheckIds: Record<string, string[]>
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
  const childHealthCheckIds: Record<string, string[]> = {}
  const changes: ResourceRecordSet[] = []
  const endpointCheck = async (port: number) => {
    const hc = await client.send(
      new CreateHealthCheckCommand({
        CallerReference: randomUUID(),
        HealthCheckConfig: {
          Type: 'HTTP_STR_MATCH',
          IPAddress: '127.0.0.1',
          Port: port,
          ResourcePath: '/health',
          SearchString: 'ok',
          RequestInterval: options.requestInterval ?? 10,
          FailureThreshold: options.failureThreshold ?? 3,
        },
      }),
    )
    return hc.HealthCheck!.Id!
  }
  for (const spec of specs) {
    let healthCheckId: string | undefined
    if (spec.calculated) {
      const children: string[] = []
      for (const port of spec.calculated.ports) children.push(await endpointCheck(port))
      const hc = await client.send(
        new CreateHealthCheckCommand({
          CallerReference: randomUUID(),
          HealthCheckConfig: {
            Type: 'CALCULATED',
            ChildHealthChecks: children,
            HealthThreshold: spec.calculated.threshold,
          },
        }),
      )
      healthCheckId = hc.HealthCheck!.Id!
      childHealthCheckIds[spec.region] = children
    } else if (spec.port !== undefined) {
      healthCheckId = await endpointCheck(spec.port)
    }
    if (healthCheckId) healthCheckIds[spec.region] = healthCheckId
    changes.push({
      Name: recordName,
      Type: 'A',
      SetIdentifier: spec.failover ? `${spec.failover.toLowerCase()}-${spec.region}` : spec.region,
      ...(spec.failover ? { Failover: spec.failover } : { Region: spec.region as never }),
      ...(spec.aliasTarget
        ? {
            AliasTarget: {
              DNSName: spec.aliasTarget.dnsName,
              EvaluateTargetHealth: spec.aliasTarget.evaluateTargetHealth,
              HostedZoneId: 'Z35SXDOTRQ7X7K',
            },
          }
        : { TTL: spec.ttl ?? 60, ResourceRecords: [{ Value: spec.value }] }),
      HealthCheckId: healthCheckId,
    })
  }
  await client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: changes.map((set) => ({ Action: 'CREATE', ResourceRecordSet: set })) },
    }),
  )
  return { zoneId, recordName, healthCheckIds, childHealthCheckIds }
}

export async function healthCheckConfig(client: Route53Client, id: string) {
  const out = await client.send(new GetHealthCheckCommand({ HealthCheckId: id }))
  return { ...out.HealthCheck!.HealthCheckConfig!, version: out.HealthCheck!.HealthCheckVersion! }
}
