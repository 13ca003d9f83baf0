import type { HealthCheck } from '@aws-sdk/client-route-53'
import { predictFailover } from '../../../actions/verify-failover/src/prediction.js'
import type { RoutedRecord } from '../../../actions/verify-failover/src/records.js'
import {
  vantageBars,
  vantageResults,
  newTrack,
  observe,
} from '../../../actions/verify-failover/src/vantage.js'

const check = (id: string, config: NonNullable<HealthCheck['HealthCheckConfig']>): [string, HealthCheck] => [
  id,
  { Id: id, CallerReference: id, HealthCheckVersion: 1, HealthCheckConfig: config },
]
const record = (extra: Partial<RoutedRecord> = {}): RoutedRecord => ({
  setIdentifier: 'a',
  region: 'us-east-1',
  policy: 'latency',
  values: ['10.0.0.1'],
  healthCheckId: 'hc',
  ttl: 60,
  ...extra,
})

describe('predictFailover', () => {
  it('is request interval x failure threshold plus the TTL', () => {
    const checks = new Map([check('hc', { Type: 'HTTPS', RequestInterval: 10, FailureThreshold: 2 })])
    expect(predictFailover(record(), checks)).toEqual({
      seconds: 80,
      detail: 'interval 10 s x threshold 2 + TTL 60 s = 80 s',
    })
  })

  it("takes Route 53's defaults (30 s, 3), a CALCULATED check's slowest child, and no TTL for an alias", () => {
    const checks = new Map([
      check('hc', { Type: 'CALCULATED', ChildHealthChecks: ['a', 'b'] }),
      check('a', { Type: 'HTTP', RequestInterval: 10, FailureThreshold: 2 }),
      check('b', { Type: 'HTTP' }),
    ])
    expect(predictFailover(record({ ttl: 30 }), checks)!.seconds).toBe(120)
    const alias = record({
      alias: { dnsName: 'lb.example.com.', evaluateTargetHealth: true },
      ttl: undefined,
    })
    expect(predictFailover(alias, checks)!.detail).toBe(
      "interval 30 s x threshold 3 + alias record: the target's TTL, not known here = 90 s",
    )
  })

  it('predicts nothing for a check without an interval', () => {
    const checks = new Map([check('hc', { Type: 'CLOUDWATCH_METRIC' })])
    expect(predictFailover(record(), checks)).toBeUndefined()
  })
})

describe('vantage results', () => {
  it('times each vantage point from the inversion and the restore; null when it never moved', () => {
    const moved = newTrack({ name: 'virginia', clientSubnet: '3.80.0.1' }, ['10.0.0.1'], true, 0)
    const still = newTrack({ name: 'ireland', clientSubnet: '3.248.0.1' }, ['10.0.1.1'], false, 0)
    observe(moved, ['10.0.1.1'], 2500)
    moved.movedAt = 2500
    moved.during = ['10.0.1.1']
    still.during = ['10.0.1.1']
    observe(moved, ['10.0.0.1'], 6000)
    moved.backAt = 6000
    expect(vantageResults([moved, still], 1000, 5000)).toEqual([
      {
        name: 'virginia',
        clientSubnet: '3.80.0.1',
        answerBefore: ['10.0.0.1'],
        answerDuring: ['10.0.1.1'],
        failoverSeconds: 1.5,
        recoverySeconds: 1,
      },
      {
        name: 'ireland',
        clientSubnet: '3.248.0.1',
        answerBefore: ['10.0.1.1'],
        answerDuring: ['10.0.1.1'],
        failoverSeconds: null,
        recoverySeconds: null,
      },
    ])
    expect(moved.timeline.map((s) => s.answer)).toEqual([['10.0.0.1'], ['10.0.1.1'], ['10.0.0.1']])
    expect(vantageBars([moved, still], 1000, 5000).map((b) => `${b.section}: ${b.label}`)).toEqual([
      'virginia (3.80.0.1): Moved off',
      'virginia (3.80.0.1): Back',
      'ireland (3.248.0.1): Not routed to the drilled region',
    ])
  })
})
