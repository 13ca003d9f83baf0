import { ListResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53'
import {
  isRetryable,
  readCurrentState,
  readRecordSets,
  route53ClientRegion,
} from '../../../actions/verify-failover/src/route53.js'

describe('route53 helpers', () => {
  it('signs for the partition’s Route 53 region', () => {
    expect(route53ClientRegion(undefined)).toBe('us-east-1')
    expect(route53ClientRegion('eu-west-1')).toBe('us-east-1')
    expect(route53ClientRegion('cn-north-1')).toBe('cn-northwest-1')
    expect(route53ClientRegion('us-gov-east-1')).toBe('us-gov-west-1')
  })
  it('retries busy answers and server errors, not client errors', () => {
    expect(isRetryable({ name: 'PriorRequestNotComplete' })).toBe(true)
    expect(isRetryable({ name: 'Throttling' })).toBe(true)
    expect(isRetryable({ name: 'InternalError', $metadata: { httpStatusCode: 503 } })).toBe(true)
    expect(isRetryable({ name: 'HealthCheckVersionMismatch', $metadata: { httpStatusCode: 409 } })).toBe(
      false,
    )
    expect(isRetryable({ name: 'NoSuchHostedZone', $metadata: { httpStatusCode: 404 } })).toBe(false)
    expect(isRetryable(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true)
  })
  it('reads the pages of one name only', async () => {
    const pages = [
      {
        ResourceRecordSets: [
          { Name: 'api.example.com.', Type: 'A', SetIdentifier: 'a' },
          { Name: 'api.example.com.', Type: 'A', SetIdentifier: 'b' },
        ],
        IsTruncated: true,
        NextRecordName: 'api.example.com.',
        NextRecordType: 'A',
        NextRecordIdentifier: 'c',
      },
      {
        ResourceRecordSets: [
          { Name: 'API.example.com.', Type: 'A', SetIdentifier: 'c' },
          { Name: 'www.example.com.', Type: 'A' },
        ],
        IsTruncated: true,
        NextRecordName: 'x',
      },
    ]
    const seen: unknown[] = []
    const client = {
      send: async (command: ListResourceRecordSetsCommand) => {
        seen.push(command.input)
        return pages.shift()
      },
    } as unknown as Route53Client
    const sets = await readRecordSets(client, 'Z1', 'api.example.com')
    expect(sets.map((s) => s.SetIdentifier)).toEqual(['a', 'b', 'c'])
    expect(seen).toEqual([
      {
        HostedZoneId: 'Z1',
        StartRecordName: 'api.example.com.',
        StartRecordType: undefined,
        StartRecordIdentifier: undefined,
      },
      {
        HostedZoneId: 'Z1',
        StartRecordName: 'api.example.com.',
        StartRecordType: 'A',
        StartRecordIdentifier: 'c',
      },
    ])
  })
})

describe('readCurrentState', () => {
  it('reads the records, each health check once and the status of those that exist', async () => {
    const calls: string[] = []
    const client = {
      send: async (command: { constructor: { name: string }; input: Record<string, string> }) => {
        const name = command.constructor.name.replace('Command', '')
        calls.push(`${name} ${command.input.HealthCheckId ?? ''}`.trim())
        if (name === 'ListResourceRecordSets') {
          return {
            ResourceRecordSets: [
              {
                Name: 'api.example.com.',
                Type: 'A',
                SetIdentifier: 'a',
                Region: 'us-east-1',
                HealthCheckId: 'h1',
              },
              {
                Name: 'api.example.com.',
                Type: 'A',
                SetIdentifier: 'b',
                Region: 'eu-west-1',
                HealthCheckId: 'h2',
              },
              {
                Name: 'api.example.com.',
                Type: 'AAAA',
                SetIdentifier: 'a6',
                Region: 'us-east-1',
                HealthCheckId: 'h1',
              },
              { Name: 'api.example.com.', Type: 'TXT' },
            ],
          }
        }
        if (name === 'GetHealthCheck') {
          if (command.input.HealthCheckId === 'h2')
            throw Object.assign(new Error('gone'), { name: 'NoSuchHealthCheck' })
          return { HealthCheck: { Id: 'h1', HealthCheckConfig: { Type: 'HTTP' } } }
        }
        if (name === 'GetHealthCheckStatus')
          return { HealthCheckObservations: [{ StatusReport: { Status: 'Success' } }] }
        throw new Error(name)
      },
    } as unknown as Route53Client
    const state = await readCurrentState(client, 'Z1', 'api.example.com', undefined)
    expect(state.recordType).toBe('A')
    expect(state.types).toEqual(['A', 'AAAA', 'TXT'])
    expect(state.records.map((r) => r.region)).toEqual(['us-east-1', 'eu-west-1'])
    expect([...state.healthChecks.keys()]).toEqual(['h1', 'h2'])
    expect(state.healthChecks.get('h2')).toBeUndefined()
    expect([...state.statuses.keys()]).toEqual(['h1'])
    expect(calls.sort()).toEqual([
      'GetHealthCheck h1',
      'GetHealthCheck h2',
      'GetHealthCheckStatus h1',
      'ListResourceRecordSets',
    ])
  })

  it('never asks GetHealthCheckStatus about a CALCULATED check: reads its children and judges it from them', async () => {
    const calls: string[] = []
    const configs: Record<string, object> = {
      calc: { Type: 'CALCULATED', ChildHealthChecks: ['c1', 'c2'], HealthThreshold: 1 },
      c1: { Type: 'HTTPS', FullyQualifiedDomainName: 'a.example.com' },
      c2: { Type: 'HTTPS', FullyQualifiedDomainName: 'b.example.com' },
      h2: { Type: 'HTTP', IPAddress: '192.0.2.1' },
    }
    const client = {
      send: async (command: { constructor: { name: string }; input: Record<string, string> }) => {
        const name = command.constructor.name.replace('Command', '')
        const id = command.input.HealthCheckId ?? ''
        calls.push(`${name} ${id}`.trim())
        if (name === 'ListResourceRecordSets') {
          return {
            ResourceRecordSets: [
              {
                Name: 'api.example.com.',
                Type: 'A',
                SetIdentifier: 'a',
                Region: 'us-east-1',
                HealthCheckId: 'calc',
              },
              {
                Name: 'api.example.com.',
                Type: 'A',
                SetIdentifier: 'b',
                Region: 'eu-west-1',
                HealthCheckId: 'h2',
              },
            ],
          }
        }
        if (name === 'GetHealthCheck') return { HealthCheck: { Id: id, HealthCheckConfig: configs[id] } }
        if (name === 'GetHealthCheckStatus') {
          if (id === 'calc') throw Object.assign(new Error('calculated'), { name: 'InvalidInput' })
          return {
            HealthCheckObservations: [{ StatusReport: { Status: id === 'c1' ? 'Failure' : 'Success' } }],
          }
        }
        throw new Error(name)
      },
    } as unknown as Route53Client
    const state = await readCurrentState(client, 'Z1', 'api.example.com', undefined)
    expect(calls.filter((c) => c.startsWith('GetHealthCheckStatus')).sort()).toEqual([
      'GetHealthCheckStatus c1',
      'GetHealthCheckStatus c2',
      'GetHealthCheckStatus h2',
    ])
    expect(state.health.get('calc')).toMatchObject({
      healthy: true,
      calculated: true,
      detail: 'calculated health check: 1 of 2 child checks healthy, 1 required (HealthThreshold)',
    })
    expect(state.health.get('h2')).toMatchObject({ healthy: true, successes: 1, total: 1 })
  })
})
