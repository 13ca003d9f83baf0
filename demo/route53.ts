/**
 * Demo step: the Route 53 side of the multi-region API, created through the SDK
 * against the Route 53 layer: a hosted zone, one latency record per region and a
 * string-match health check of each region's health endpoint (HTTPS where the
 * endpoint serves TLS, HTTP otherwise), as templates/route53-failover.yaml
 * describes them. The endpoints are local servers, so the checks name 127.0.0.1
 * and their port; the records answer documentation addresses.
 */
import {
  ChangeResourceRecordSetsCommand,
  CreateHealthCheckCommand,
  CreateHostedZoneCommand,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53'
import { randomUUID } from 'node:crypto'
import { markdownTable } from '../lib/summary.js'
import { DEMO_REGIONS, type DemoEnvironment } from './environment.js'

export interface DemoRouting {
  zoneId: string
  recordName: string
  healthCheckIds: Record<string, string>
}

const ZONE = 'api.demo.example.com'
export const RECORD_NAME = `orders.${ZONE}`

/** Set by the Route 53 step, read by the verify-failover step. */
export const routing: { current?: DemoRouting } = {}

export async function createRoute53Records(demo: DemoEnvironment): Promise<boolean> {
  const client = new Route53Client({
    endpoint: demo.endpoints.route53,
    region: 'us-east-1',
    maxAttempts: 2,
    credentials: demo.credentials,
  })
  try {
    const zone = await client.send(new CreateHostedZoneCommand({ Name: ZONE, CallerReference: randomUUID() }))
    const zoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '')
    const healthCheckIds: Record<string, string> = {}
    const records: ResourceRecordSet[] = []
    const rows: string[][] = []
    for (const [i, region] of DEMO_REGIONS.entries()) {
      const endpoint = demo.health[region]!
      const type = endpoint.url.startsWith('https:') ? 'HTTPS_STR_MATCH' : 'HTTP_STR_MATCH'
      const check = await client.send(
        new CreateHealthCheckCommand({
          CallerReference: randomUUID(),
          HealthCheckConfig: {
            Type: type,
            IPAddress: '127.0.0.1',
            Port: endpoint.port,
            ResourcePath: '/health',
            SearchString: 'ok',
            RequestInterval: 10,
            FailureThreshold: 3,
          },
        }),
      )
      const id = check.HealthCheck!.Id!
      healthCheckIds[region] = id
      const value = `192.0.2.${i + 10}`
      records.push({
        Name: RECORD_NAME,
        Type: 'A',
        SetIdentifier: region,
        Region: region as ResourceRecordSet['Region'],
        TTL: 60,
        ResourceRecords: [{ Value: value }],
        HealthCheckId: id,
      })
      rows.push([region, value, `\`${id}\``, type, endpoint.url])
    }
    await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Comment: 'Latency records of the demo API',
          Changes: records.map((set) => ({ Action: 'CREATE', ResourceRecordSet: set })),
        },
      }),
    )
    routing.current = { zoneId, recordName: RECORD_NAME, healthCheckIds }
    const table = markdownTable(['Region', 'Answer', 'Health check', 'Type', 'Endpoint'], rows)
    const text = `## Route 53 records for \`${RECORD_NAME}\`\n\nHosted zone \`${zoneId}\`, latency routing, TTL 60 s.\n\n${table}\n`
    if (demo.echo) console.log(text)
    demo.writeOutput('route53-records.md', text)
    return true
  } finally {
    client.destroy()
  }
}
