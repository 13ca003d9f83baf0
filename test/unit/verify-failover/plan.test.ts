import fc from 'fast-check'
import type { HealthCheck, HealthCheckObservation, ResourceRecordSet } from '@aws-sdk/client-route-53'
import {
  aliasTargetChecks,
  configurationChecks,
  minHealthyCheck,
  planLines,
  requiredHealthy,
  route53Checks,
} from '../../../actions/verify-failover/src/checks.js'
import { drillBlocker, drillNotStarted } from '../../../actions/verify-failover/src/drill-gate.js'
import {
  endpointHealth,
  healthyInRoute53,
  healthyNow,
  healthyRegionsOf,
  judgeHealth,
  route53View,
  unknownHealthRegions,
} from '../../../actions/verify-failover/src/health.js'
import {
  chooseRecordType,
  findRegion,
  recordRegion,
  toRoutedRecords,
  type RoutedRecord,
} from '../../../actions/verify-failover/src/records.js'
import {
  combinations,
  routeAnswer,
  simulate,
  simulationChecks,
} from '../../../actions/verify-failover/src/simulation.js'

const hc = (
  id: string,
  config: Partial<NonNullable<HealthCheck['HealthCheckConfig']>> = {},
): HealthCheck => ({
  Id: id,
  CallerReference: id,
  HealthCheckVersion: 1,
  HealthCheckConfig: {
    Type: 'HTTPS_STR_MATCH',
    FullyQualifiedDomainName: 'x.execute-api.us-east-1.amazonaws.com',
    SearchString: 'ok',
    RequestInterval: 10,
    FailureThreshold: 3,
    Inverted: false,
    Disabled: false,
    ...config,
  },
})

const latency = (region: string, extra: Partial<RoutedRecord> = {}): RoutedRecord => ({
  setIdentifier: region,
  region,
  policy: 'latency',
  ttl: 60,
  values: [`ip-${region}`],
  healthCheckId: `hc-${region}`,
  ...extra,
})

const observations = (ok: number, total: number): HealthCheckObservation[] =>
  Array.from({ length: total }, (_, i) => ({
    Region: 'us-east-1',
    StatusReport: { Status: i < ok ? 'Success: HTTP Status Code 200, OK' : 'Failure: timeout' },
  }))

describe('regions of records', () => {
  it('finds a region inside identifiers and host names, preferring the longest name', () => {
    expect(findRegion('primary-us-east-1')).toBe('us-east-1')
    expect(findRegion('abc.execute-api.ap-southeast-2.amazonaws.com')).toBe('ap-southeast-2')
    expect(findRegion('us-gov-west-1-blue')).toBe('us-gov-west-1')
    expect(findRegion('eu-west-10')).toBeUndefined()
    expect(findRegion('primary')).toBeUndefined()
  })
  it('uses the latency Region, then the identifier, the alias target, the health check host', () => {
    expect(recordRegion({ Name: 'a', Type: 'A', Region: 'eu-west-1', SetIdentifier: 'us-east-1' })).toBe(
      'eu-west-1',
    )
    expect(
      recordRegion({ Name: 'a', Type: 'A', Failover: 'PRIMARY', SetIdentifier: 'primary-us-west-2' }),
    ).toBe('us-west-2')
    expect(
      recordRegion({
        Name: 'a',
        Type: 'A',
        Failover: 'PRIMARY',
        SetIdentifier: 'p',
        AliasTarget: {
          DNSName: 'd-1.execute-api.eu-north-1.amazonaws.com',
          HostedZoneId: 'Z',
          EvaluateTargetHealth: true,
        },
      }),
    ).toBe('eu-north-1')
    expect(recordRegion({ Name: 'a', Type: 'A', Failover: 'PRIMARY', SetIdentifier: 'p' }, hc('1'))).toBe(
      'us-east-1',
    )
    expect(recordRegion({ Name: 'a', Type: 'A', Failover: 'PRIMARY', SetIdentifier: 'p' })).toBe('p')
  })
})

describe('chooseRecordType', () => {
  const sets: ResourceRecordSet[] = [
    { Name: 'a.', Type: 'TXT' },
    { Name: 'a.', Type: 'AAAA', SetIdentifier: 'x' },
    { Name: 'a.', Type: 'A', SetIdentifier: 'y' },
  ]
  it('prefers the asked type, then A among the routed types', () => {
    expect(chooseRecordType(sets, 'TXT')).toBe('TXT')
    expect(chooseRecordType(sets)).toBe('A')
    expect(chooseRecordType([sets[0]!, sets[1]!])).toBe('AAAA')
    expect(chooseRecordType([{ Name: 'a.', Type: 'CNAME' }])).toBe('CNAME')
  })
})

describe('toRoutedRecords', () => {
  it('keeps policy, values, TTL, health check and alias', () => {
    const [a, b] = toRoutedRecords(
      [
        {
          Name: 'a.',
          Type: 'A',
          SetIdentifier: 'use1',
          Region: 'us-east-1',
          TTL: 60,
          ResourceRecords: [{ Value: '1.1.1.1' }],
          HealthCheckId: 'h',
        },
        {
          Name: 'a.',
          Type: 'A',
          SetIdentifier: 'w',
          Weight: 0,
          AliasTarget: {
            DNSName: 'lb.eu-west-1.elb.amazonaws.com.',
            HostedZoneId: 'Z',
            EvaluateTargetHealth: true,
          },
        },
      ],
      new Map(),
    )
    expect(a).toMatchObject({
      policy: 'latency',
      region: 'us-east-1',
      ttl: 60,
      values: ['1.1.1.1'],
      healthCheckId: 'h',
    })
    expect(b).toMatchObject({
      policy: 'weighted',
      region: 'eu-west-1',
      weight: 0,
      alias: { evaluateTargetHealth: true },
    })
  })
})

describe('configurationChecks', () => {
  const limits = { maxTtl: 60, maxDetectionSeconds: 120 }
  const rows = (records: RoutedRecord[], checks: Map<string, HealthCheck | undefined>) =>
    configurationChecks(records, checks, limits)
      .filter((c) => !c.passed)
      .map((c) => `${c.name} [${c.subject}]: ${c.detail}`)

  it('passes a sound two-region setup', () => {
    const checks = new Map([
      ['hc-us-east-1', hc('hc-us-east-1')],
      ['hc-eu-west-1', hc('hc-eu-west-1')],
    ])
    expect(rows([latency('us-east-1'), latency('eu-west-1')], checks)).toEqual([])
  })

  it('flags each problem as its own row', () => {
    const checks = new Map<string, HealthCheck | undefined>([
      [
        'hc-us-east-1',
        hc('hc-us-east-1', {
          Disabled: true,
          Inverted: true,
          RequestInterval: 30,
          FailureThreshold: 5,
          SearchString: '',
        }),
      ],
      ['hc-eu-west-1', undefined],
    ])
    expect(
      rows(
        [
          latency('us-east-1', { ttl: 300 }),
          latency('eu-west-1'),
          latency('eu-west-1', { setIdentifier: 'b', healthCheckId: undefined }),
        ],
        checks,
      ),
    ).toEqual([
      'TTL [us-east-1]: 300 s (max-ttl 60 s)',
      'Health check enabled [us-east-1]: disabled: Route 53 treats it as healthy',
      'Health check not inverted [us-east-1]: left inverted',
      'Detection time [us-east-1]: 30 s x 5 = 150 s (max-detection-seconds 120 s)',
      'Search string [us-east-1]: string-match check without a search string',
      'Health check exists [eu-west-1]: hc-eu-west-1 not found',
      expect.stringMatching(/^Health check attached \[eu-west-1\]: no health check and no alias/),
    ])
  })

  it('needs two regions and accepts an alias that evaluates target health', () => {
    const alias = latency('us-east-1', {
      healthCheckId: undefined,
      alias: { dnsName: 'lb', evaluateTargetHealth: true },
      ttl: undefined,
    })
    expect(rows([alias], new Map())).toEqual(['At least two regions [group]: 1 region(s): us-east-1'])
  })
})

describe('route53View', () => {
  it('is healthy only when more than 18% of checkers report success', () => {
    expect(route53View(observations(3, 16))).toEqual({ healthy: true, successes: 3, total: 16 }) // 18.75%
    expect(route53View(observations(2, 16)).healthy).toBe(false) // 12.5%
    expect(route53View(observations(9, 50)).healthy).toBe(false) // exactly 18%
    expect(route53View([]).healthy).toBe(false)
  })
})

describe('routeAnswer', () => {
  const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2'].map((r) => latency(r))
  const allBut =
    (...down: string[]) =>
    (r: RoutedRecord) =>
      !down.includes(r.region)
  it('latency: the closest healthy region to the resolver', () => {
    expect(routeAnswer(regions, () => true, 'eu-central-1').map((r) => r.region)).toEqual(['eu-west-1'])
    expect(routeAnswer(regions, allBut('eu-west-1'), 'eu-central-1').map((r) => r.region)).toEqual([
      'us-east-1',
    ])
    expect(routeAnswer(regions, allBut('ap-southeast-2'), 'ap-southeast-2').map((r) => r.region)).toEqual([
      'us-east-1',
    ])
  })
  it('treats every record as healthy when none is', () => {
    expect(routeAnswer(regions, () => false, 'ap-northeast-1').map((r) => r.region)).toEqual([
      'ap-southeast-2',
    ])
  })
  it('failover: primary while healthy, then secondary, primary when both are down', () => {
    const pair: RoutedRecord[] = [
      { ...latency('us-east-1'), policy: 'failover', failover: 'PRIMARY' },
      { ...latency('us-west-2'), policy: 'failover', failover: 'SECONDARY' },
    ]
    expect(routeAnswer(pair, () => true)[0]!.region).toBe('us-east-1')
    expect(routeAnswer(pair, allBut('us-east-1'))[0]!.region).toBe('us-west-2')
    expect(routeAnswer(pair, () => false)[0]!.region).toBe('us-east-1')
  })
  it('weighted: healthy non-zero weights, zero weights only as a last resort', () => {
    const w = (region: string, weight: number): RoutedRecord => ({
      ...latency(region),
      policy: 'weighted',
      weight,
    })
    const set = [w('us-east-1', 10), w('eu-west-1', 10), w('us-west-2', 0)]
    expect(routeAnswer(set, () => true).map((r) => r.region)).toEqual(['us-east-1', 'eu-west-1'])
    expect(routeAnswer(set, allBut('us-east-1', 'eu-west-1')).map((r) => r.region)).toEqual(['us-west-2'])
  })
  it('multivalue: at most eight healthy records', () => {
    const many = Array.from({ length: 10 }, (_, i) => ({
      ...latency(`r${i}`),
      policy: 'multivalue' as const,
    }))
    expect(routeAnswer(many, () => true)).toHaveLength(8)
    expect(routeAnswer(many, (r) => r.region === 'r9').map((r) => r.region)).toEqual(['r9'])
  })
})

describe('simulate', () => {
  const three = ['us-east-1', 'eu-west-1', 'ap-southeast-2'].map((r) => latency(r))
  it('enumerates failure sets up to the depth, capped below the number of regions', () => {
    expect([...combinations(['a', 'b', 'c'], 2)]).toEqual([
      ['a', 'b'],
      ['a', 'c'],
      ['b', 'c'],
    ])
    expect(simulate(three, () => true, 1).map((c) => c.failed.length)).toEqual([0, 1, 1, 1])
    expect(simulate(three, () => true, 5).map((c) => c.failed.length)).toEqual([0, 1, 1, 1, 2, 2, 2])
    expect(simulate(three, () => true, 0)).toHaveLength(1)
  })
  it('passes when monitored regions cover each other', () => {
    const cases = simulate(three, () => true, 2)
    expect(cases.every((c) => c.passed)).toBe(true)
    const euDown = cases.find((c) => c.failed.join() === 'eu-west-1')!
    expect(euDown.answers.find((a) => a.resolver === 'eu-west-1')!.serving).toEqual(['us-east-1'])
  })
  it('fails where an unmonitored record keeps being answered from a failed region', () => {
    const records = [latency('us-east-1'), latency('eu-west-1', { healthCheckId: undefined })]
    const cases = simulate(records, () => true, 1)
    const failing = simulationChecks(cases).filter((c) => !c.passed)
    expect(failing).toEqual([
      {
        category: 'simulation',
        name: 'Answer with 1 region(s) failed',
        subject: 'eu-west-1',
        passed: false,
        detail: 'resolver near eu-west-1: eu-west-1 (not serving)',
      },
    ])
  })
  it('counts regions Route 53 sees as unhealthy now as already failed', () => {
    const cases = simulate(three, (r) => r.region !== 'eu-west-1', 2)
    expect(cases.filter((c) => !c.passed).map((c) => c.failed)).toEqual([['us-east-1', 'ap-southeast-2']])
  })
  it('property: fully monitored, healthy groups survive any failure short of all regions', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.constantFrom('us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-south-1', 'sa-east-1'),
          { minLength: 2, maxLength: 6 },
        ),
        fc.integer({ min: 0, max: 6 }),
        (regions, depth) => {
          const cases = simulate(
            regions.map((r) => latency(r)),
            () => true,
            depth,
          )
          return cases.every((c) => c.passed) && cases.every((c) => c.failed.length < regions.length)
        },
      ),
    )
  })
})

describe('drill guards', () => {
  const records = [latency('us-east-1'), latency('eu-west-1')]
  const checks = new Map([
    ['hc-us-east-1', hc('hc-us-east-1')],
    ['hc-eu-west-1', hc('hc-eu-west-1')],
  ])
  it('allows a drill with a usable check and another healthy region', () => {
    expect(drillBlocker('us-east-1', records, checks, ['us-east-1', 'eu-west-1'])).toBeUndefined()
  })
  it('refuses otherwise', () => {
    expect(drillBlocker('us-east-1', records, checks, ['us-east-1'])).toBe(
      'no other region is healthy to take over',
    )
    expect(
      drillBlocker(
        'us-east-1',
        [latency('us-east-1', { healthCheckId: undefined }), records[1]!],
        checks,
        [],
      ),
    ).toMatch(/no health check/)
    const inverted = new Map(checks).set('hc-us-east-1', hc('hc-us-east-1', { Inverted: true }))
    expect(drillBlocker('us-east-1', records, inverted, ['eu-west-1'])).toMatch(/already inverted/)
    const disabled = new Map(checks).set('hc-us-east-1', hc('hc-us-east-1', { Disabled: true }))
    expect(drillBlocker('us-east-1', records, disabled, ['eu-west-1'])).toMatch(/disabled/)
    const shared = [latency('us-east-1'), latency('eu-west-1', { healthCheckId: 'hc-us-east-1' })]
    expect(drillBlocker('us-east-1', shared, checks, ['eu-west-1'])).toMatch(/also guards eu-west-1/)
  })
  it('counts the required healthy regions', () => {
    expect(requiredHealthy('all', 3)).toBe(3)
    expect(requiredHealthy(2, 3)).toBe(2)
  })
})

describe('rows from Route 53’s view', () => {
  const records = [
    latency('us-east-1'),
    latency('eu-west-1'),
    latency('ap-southeast-2', { healthCheckId: undefined }),
  ]
  const statuses = new Map([
    ['hc-us-east-1', observations(16, 16)],
    ['hc-eu-west-1', observations(1, 16)],
  ])
  const health = new Map([...statuses].map(([id, o]) => [id, endpointHealth(o)]))
  it('gives one row per checked record and the healthy regions', () => {
    expect(route53Checks(records, health).map((c) => `${c.subject} ${c.passed} ${c.detail}`)).toEqual([
      'us-east-1 true 16 of 16 checkers report healthy (healthy when more than 18%)',
      'eu-west-1 false 1 of 16 checkers report healthy (healthy when more than 18%)',
    ])
    expect(healthyRegionsOf(records, health, new Set())).toEqual(['us-east-1'])
    expect(healthyRegionsOf(records, health, new Set(['us-east-1']))).toEqual([])
    expect(healthyInRoute53(health)(records[2]!)).toBe(false)
  })
  it('checks the minimum and prints the plan', () => {
    expect(minHealthyCheck(['us-east-1'], 'all', 3)).toMatchObject({
      passed: false,
      detail: '1 healthy (us-east-1), 3 required',
    })
    expect(minHealthyCheck(['us-east-1'], 1, 3).passed).toBe(true)
    expect(planLines([minHealthyCheck([], 1, 2), drillNotStarted('us-east-1', 'cancelled')])).toEqual([
      '  FAIL  route53/Minimum healthy regions [group]: 0 healthy (none), 1 required',
      '  FAIL  drill/Drill allowed [us-east-1]: not started: cancelled',
    ])
  })
})

describe('judgeHealth', () => {
  const check = (id: string, config: Partial<HealthCheck['HealthCheckConfig']>): [string, HealthCheck] => [
    id,
    {
      Id: id,
      CallerReference: id,
      HealthCheckVersion: 1,
      HealthCheckConfig: { Type: 'HTTP', ...config } as never,
    },
  ]
  const calculated = (extra: object = {}) =>
    check('calc', { Type: 'CALCULATED', ChildHealthChecks: ['a', 'b', 'c'], HealthThreshold: 2, ...extra })
  const statuses = new Map([
    ['a', observations(16, 16)],
    ['b', observations(0, 16)],
    ['c', observations(16, 16)],
  ])
  const judge = (parent: [string, HealthCheck], extra: Array<[string, HealthCheck]> = []) =>
    judgeHealth('calc', new Map([parent, check('a', {}), check('b', {}), check('c', {}), ...extra]), statuses)

  it('judges a CALCULATED check from its children against HealthThreshold', () => {
    expect(judge(calculated())).toEqual({
      healthy: true,
      successes: 2,
      total: 3,
      calculated: true,
      detail: 'calculated health check: 2 of 3 child checks healthy, 2 required (HealthThreshold)',
    })
    expect(judge(calculated({ HealthThreshold: 3 }))?.healthy).toBe(false)
    // More than the children: always unhealthy; 0: always healthy.
    expect(judge(calculated({ HealthThreshold: 4 }))?.healthy).toBe(false)
    expect(judge(calculated({ HealthThreshold: 0, ChildHealthChecks: ['b'] }))?.healthy).toBe(true)
  })
  it('inverts, treats disabled checks as healthy and missing children as not healthy', () => {
    expect(judge(calculated({ Inverted: true }))).toMatchObject({
      healthy: false,
      detail:
        'calculated health check: 2 of 3 child checks healthy, 2 required (HealthThreshold), inverted: unhealthy',
    })
    expect(judge(calculated({ Disabled: true, HealthThreshold: 3 }))?.healthy).toBe(true)
    expect(judge(calculated({ HealthThreshold: 3 }), [check('b', { Disabled: true })])?.healthy).toBe(true)
    expect(judge(calculated({ ChildHealthChecks: ['a', 'gone'] }))).toMatchObject({
      healthy: false,
      detail: expect.stringMatching(/1 of 2 child checks healthy, 2 required.*not found: gone$/),
    })
  })
  it('judges an endpoint check from its checkers, and an unknown check not at all', () => {
    expect(judgeHealth('a', new Map([check('a', {})]), statuses)).toMatchObject({
      healthy: true,
      successes: 16,
    })
    expect(judgeHealth('x', new Map(), statuses)).toBeUndefined()
  })
})

describe('alias records that evaluate target health', () => {
  const alias = latency('ap-southeast-2', {
    healthCheckId: undefined,
    values: [],
    alias: { dnsName: 'lb.ap-southeast-2.elb.amazonaws.com.', evaluateTargetHealth: true },
  })
  const records = [latency('us-east-1'), latency('eu-west-1'), alias]
  const health = new Map([
    ['hc-us-east-1', endpointHealth(observations(16, 16))],
    ['hc-eu-west-1', endpointHealth(observations(16, 16))],
  ])

  it('are counted only when the probe of their target is known', () => {
    expect(healthyRegionsOf(records, health, new Set())).toEqual(['us-east-1', 'eu-west-1'])
    expect(unknownHealthRegions(records, new Map())).toEqual(['ap-southeast-2'])
    expect(minHealthyCheck(['us-east-1', 'eu-west-1'], 'all', 3, ['ap-southeast-2'])).toMatchObject({
      passed: true,
      detail: '2 healthy (us-east-1, eu-west-1), 2 required; not counted, health not known: ap-southeast-2',
    })
    const probed = new Map([['ap-southeast-2', true]])
    expect(healthyRegionsOf(records, health, new Set(), probed)).toEqual([
      'us-east-1',
      'eu-west-1',
      'ap-southeast-2',
    ])
    expect(unknownHealthRegions(records, probed)).toEqual([])
    expect(aliasTargetChecks(records, new Map([['ap-southeast-2', false]]), true)).toEqual([
      {
        category: 'route53',
        name: 'Alias target health',
        subject: 'ap-southeast-2',
        passed: false,
        detail: "alias target health of lb.ap-southeast-2.elb.amazonaws.com: failed the runner's probe",
      },
    ])
  })

  it('are simulated like monitored records: serving unless known down, taken out when their region fails', () => {
    const cases = simulate(records, healthyNow(health, new Map()), 1)
    const none = cases.find((c) => c.failed.length === 0)!
    expect(none.answers.find((a) => a.resolver === 'ap-southeast-2')!.serving).toEqual(['ap-southeast-2'])
    const down = cases.find((c) => c.failed.join() === 'ap-southeast-2')!
    expect(down.passed).toBe(true)
    expect(down.answers.find((a) => a.resolver === 'ap-southeast-2')!.serving).not.toContain('ap-southeast-2')
    const known = simulate(records, healthyNow(health, new Map([['ap-southeast-2', false]])), 0)
    expect(known[0]!.answers.find((a) => a.resolver === 'ap-southeast-2')!.answer).not.toContain(
      'ap-southeast-2',
    )
  })
})
