import type { HealthCheck } from '@aws-sdk/client-route-53'
import type { RoutedRecord } from '../../../actions/verify-failover/src/records.js'
import { notProbed, probeChecks, probeRecords } from '../../../actions/verify-failover/src/probes.js'
import { startHealthEndpoint, type HealthEndpoint } from '../../support/health-endpoint.js'

describe('probeRecords', () => {
  let ok: HealthEndpoint
  let bad: HealthEndpoint
  beforeAll(async () => {
    ok = await startHealthEndpoint('ok')
    bad = await startHealthEndpoint('fail')
  })
  afterAll(async () => {
    await ok.close()
    await bad.close()
  })

  it('probes each record’s health check endpoint and skips records without one', async () => {
    const check = (id: string, port: number): [string, HealthCheck] => [
      id,
      {
        Id: id,
        CallerReference: id,
        HealthCheckVersion: 1,
        HealthCheckConfig: {
          Type: 'HTTP_STR_MATCH',
          IPAddress: '127.0.0.1',
          Port: port,
          ResourcePath: '/health',
          SearchString: 'ok',
        },
      },
    ]
    const checks = new Map([
      check('a', ok.port),
      check('b', bad.port),
      [
        'c',
        { Id: 'c', CallerReference: 'c', HealthCheckVersion: 1, HealthCheckConfig: { Type: 'CALCULATED' } },
      ] as [string, HealthCheck],
    ])
    const record = (region: string, healthCheckId?: string): RoutedRecord => ({
      setIdentifier: region,
      region,
      policy: 'latency',
      values: [],
      healthCheckId,
    })
    const outcomes = await probeRecords(
      [record('us-east-1', 'a'), record('eu-west-1', 'b'), record('us-west-2', 'c'), record('sa-east-1')],
      checks,
      undefined,
      { allowPrivateTargets: true },
    )
    expect(outcomes.map((o) => [o.record.region, o.result.ok])).toEqual([
      ['us-east-1', true],
      ['eu-west-1', false],
    ])
    const rows = probeChecks(outcomes)
    expect(rows[1]).toMatchObject({
      category: 'probe',
      name: 'Runner probe',
      subject: 'eu-west-1',
      passed: false,
    })
    expect(rows[1]!.detail).toMatch(
      new RegExp(
        `^http://127\\.0\\.0\\.1:${bad.port}/health: HTTP status 200, "ok" not in the first 5120 bytes in \\d+ ms$`,
      ),
    )
  })

  it('skips loopback targets by default: the row passes, says why, and the report lists it', async () => {
    const checks = new Map<string, HealthCheck>([
      [
        'a',
        {
          Id: 'a',
          CallerReference: 'a',
          HealthCheckVersion: 1,
          HealthCheckConfig: { Type: 'TCP', IPAddress: '127.0.0.1', Port: 9 },
        },
      ],
    ])
    const record: RoutedRecord = {
      setIdentifier: 'x',
      region: 'us-east-1',
      policy: 'latency',
      values: [],
      healthCheckId: 'a',
    }
    const outcomes = await probeRecords([record], checks)
    expect(probeChecks(outcomes)).toEqual([
      {
        category: 'probe',
        name: 'Runner probe',
        subject: 'us-east-1',
        passed: true,
        detail:
          'tcp://127.0.0.1:9: not probed: 127.0.0.1 is a loopback address (set allow-private-targets: true to probe it)',
      },
    ])
    expect(notProbed(outcomes)).toEqual([
      { region: 'us-east-1', target: 'tcp://127.0.0.1:9', reason: '127.0.0.1 is a loopback address' },
    ])
  })
})
