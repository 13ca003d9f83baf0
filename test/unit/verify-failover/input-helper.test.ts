import { Inputs, InputError, mapInputReader } from '../../../lib/inputs.js'
import {
  aliasProbePort,
  checkDrillRegion,
  checkMinHealthy,
  checkRecordType,
  checkResolvers,
  getSettings,
  normaliseRecordName,
  pollMaxMs,
} from '../../../actions/verify-failover/src/input-helper.js'

const settings = (values: Record<string, string>, env: NodeJS.ProcessEnv = {}) =>
  getSettings(
    new Inputs(
      mapInputReader({
        'hosted-zone-id': 'Z0123456789ABCDEFGHIJ',
        'record-name': 'api.example.com',
        ...values,
      }),
    ),
    env,
  )

describe('getSettings', () => {
  it('applies the documented defaults', () => {
    expect(settings({})).toEqual({
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      recordName: 'api.example.com.',
      recordType: undefined,
      probe: true,
      allowPrivateTargets: false,
      minHealthy: 'all',
      maxTtl: 60,
      maxDetectionSeconds: 120,
      simulateDepth: 1,
      drillRegion: undefined,
      drillTimeoutMs: 600000,
      pollMaxMs: 10000,
      aliasProbePort: 443,
      stopAlarms: [],
      alarmIntervalMs: 2000,
      vantagePoints: [],
      maxFailoverSeconds: undefined,
      resolvers: [],
    })
  })

  it('reads stop alarms by name or ARN, the ARN giving the region', () => {
    const s = settings({
      'drill-region': 'us-east-1',
      'stop-alarms': 'api-5xx\narn:aws:cloudwatch:eu-west-1:123456789012:alarm:latency p99',
    })
    expect(s.stopAlarms).toEqual([
      { name: 'api-5xx', given: 'api-5xx' },
      {
        name: 'latency p99',
        region: 'eu-west-1',
        given: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:latency p99',
      },
    ])
    // Read at least every 2 s, and as often as the polls when they are shorter.
    expect(s.alarmIntervalMs).toBe(2000)
    expect(
      settings({ 'drill-region': 'us-east-1' }, { VERIFY_FAILOVER_POLL_MAX_MS: '100' }).alarmIntervalMs,
    ).toBe(100)
  })

  it('reads vantage points as name=client-subnet-ip pairs, IPv4 or IPv6', () => {
    expect(
      settings({ 'drill-region': 'us-east-1', 'vantage-points': 'virginia=3.80.0.1, ireland=2a05:d018::1' })
        .vantagePoints,
    ).toEqual([
      { name: 'virginia', clientSubnet: '3.80.0.1' },
      { name: 'ireland', clientSubnet: '2a05:d018::1' },
    ])
  })

  it.each([
    [
      'stop-alarms',
      'arn:aws:cloudwatch:eu-west-1:123:alarm:x',
      /Input 'stop-alarms'.*CloudWatch alarm names or ARNs/,
    ],
    ['stop-alarms', 'arn:aws:cloudwatch:mars-north-1:123456789012:alarm:x', /Input 'stop-alarms'/],
    ['vantage-points', 'virginia', /Input 'vantage-points': "virginia".*name=client-subnet-ip/],
    ['vantage-points', 'virginia=3.80.0.300', /Input 'vantage-points': "virginia=3.80.0.300"/],
    ['vantage-points', 'a=3.80.0.1, a=3.248.0.1', /'a' is named twice/],
    ['max-failover-seconds', '-5', /Input 'max-failover-seconds': "-5".*whole number from 1/],
  ])('refuses %s %s', (input, value, message) => {
    expect(() => settings({ 'drill-region': 'us-east-1', [input]: value })).toThrow(message)
  })

  it('reads resolvers as addresses with an optional port, as node:dns takes them', () => {
    expect(
      settings({
        'drill-region': 'us-east-1',
        resolvers: '1.1.1.1, 9.9.9.9:53\n2606:4700:4700::1111, [2620:fe::fe]:5353',
      }).resolvers,
    ).toEqual([
      { server: '1.1.1.1', given: '1.1.1.1' },
      { server: '9.9.9.9:53', given: '9.9.9.9:53' },
      { server: '2606:4700:4700::1111', given: '2606:4700:4700::1111' },
      { server: '[2620:fe::fe]:5353', given: '[2620:fe::fe]:5353' },
    ])
    for (const bad of ['dns.google', '1.1.1.1:0', '1.1.1.1:70000', '[1.1.1.1]:53', '300.1.1.1'])
      expect(() => settings({ 'drill-region': 'us-east-1', resolvers: bad })).toThrow(/Input 'resolvers'/)
    expect(() => checkResolvers([{ server: '1.1.1.1', given: '1.1.1.1' }], 'TXT')).toThrow(
      /Input 'resolvers'.*empty for TXT records: resolvers are followed for A, AAAA, CNAME records/,
    )
    expect(() => checkResolvers([{ server: '1.1.1.1', given: '1.1.1.1' }], 'AAAA')).not.toThrow()
  })

  it.each(['stop-alarms', 'vantage-points', 'max-failover-seconds'])(
    'refuses %s without a drill',
    (input) => {
      expect(() => settings({ [input]: input === 'max-failover-seconds' ? '60' : 'a=3.80.0.1' })).toThrow(
        new RegExp(`Input '${input}'.*empty unless drill-region names a region to drill`),
      )
    },
  )

  it('accepts real and moto zone ids, with or without /hostedzone/', () => {
    expect(settings({ 'hosted-zone-id': '/hostedzone/Z06213492HIKF0LC3UU3Q' }).hostedZoneId).toBe(
      'Z06213492HIKF0LC3UU3Q',
    )
    expect(settings({ 'hosted-zone-id': 'TBZ38G64QYB1UDERWDV93Q' }).hostedZoneId).toBe(
      'TBZ38G64QYB1UDERWDV93Q',
    )
  })

  it.each([
    ['hosted-zone-id', 'zone-1'],
    ['hosted-zone-id', 'z0123456789abcdefghij'],
    ['hosted-zone-id', 'ABC'],
    ['hosted-zone-id', '/hostedzone/'],
    ['record-name', 'api..example.com'],
    ['record-name', 'localhost'],
    ['record-name', '-api.example.com'],
    ['record-name', `${'a'.repeat(64)}.example.com`],
    ['record-type', 'AXFR'],
    ['probe', 'maybe'],
    ['min-healthy', '0'],
    ['min-healthy', '-1'],
    ['min-healthy', 'most'],
    ['max-ttl', '-5'],
    ['max-ttl', '1.5'],
    ['max-detection-seconds', '5'],
    ['simulate-depth', '11'],
    ['drill-region', 'us-esat-1'],
    ['drill-region', 'US-EAST-1'],
    ['drill-timeout-minutes', '0'],
  ])('rejects %s = %j naming the input', (input, value) => {
    expect(() => settings({ [input]: value })).toThrow(InputError)
    expect(() => settings({ [input]: value })).toThrow(new RegExp(`^Input '${input}'`))
  })

  it('rejects a missing zone id or record name', () => {
    expect(() => getSettings(new Inputs(mapInputReader({ 'record-name': 'a.b' })), {})).toThrow(
      /Input 'hosted-zone-id'.*required/,
    )
    expect(() => settings({ 'record-name': '  ' })).toThrow(/Input 'record-name'.*required/)
  })

  it('parses the optional values', () => {
    const s = settings({
      'record-name': 'API.Example.com.',
      'record-type': 'aaaa',
      probe: 'false',
      'min-healthy': '2',
      'drill-region': 'eu-west-1',
      'drill-timeout-minutes': '3',
    })
    expect(s).toMatchObject({
      recordName: 'api.example.com.',
      recordType: 'AAAA',
      probe: false,
      minHealthy: 2,
      drillRegion: 'eu-west-1',
      drillTimeoutMs: 180000,
    })
    expect(settings({ 'min-healthy': 'ALL' }).minHealthy).toBe('all')
  })
})

describe('normaliseRecordName', () => {
  it('lower-cases, adds the final dot and allows a leading wildcard and underscores', () => {
    expect(normaliseRecordName('n', '*.Api.example.com')).toBe('*.api.example.com.')
    expect(normaliseRecordName('n', '_svc.example.com.')).toBe('_svc.example.com.')
  })
})

describe('pollMaxMs', () => {
  it('probes alias targets on 443 unless a test points them elsewhere', () => {
    expect(aliasProbePort({})).toBe(443)
    expect(aliasProbePort({ VERIFY_FAILOVER_ALIAS_PROBE_PORT: '8443' })).toBe(8443)
    expect(() => aliasProbePort({ VERIFY_FAILOVER_ALIAS_PROBE_PORT: '70000' })).toThrow(
      /VERIFY_FAILOVER_ALIAS_PROBE_PORT.*a TCP port from 1 to 65535/,
    )
  })
  it('defaults to 10 s and accepts a shorter pause for tests', () => {
    expect(pollMaxMs({})).toBe(10000)
    expect(pollMaxMs({ VERIFY_FAILOVER_POLL_MAX_MS: '100' })).toBe(100)
    expect(() => pollMaxMs({ VERIFY_FAILOVER_POLL_MAX_MS: 'fast' })).toThrow(/VERIFY_FAILOVER_POLL_MAX_MS/)
  })
})

describe('checks against what was read', () => {
  it('needs the drill region among the records’ regions', () => {
    expect(() => checkDrillRegion(undefined, ['us-east-1'])).not.toThrow()
    expect(() => checkDrillRegion('us-east-1', ['us-east-1', 'eu-west-1'])).not.toThrow()
    expect(() => checkDrillRegion('eu-central-1', ['us-east-1', 'eu-west-1'])).toThrow(
      /^Input 'drill-region': "eu-central-1" is not valid\. Expected one of the regions the records route to \(us-east-1, eu-west-1\)/,
    )
  })
  it('names min-healthy when it asks for more regions than the records route to', () => {
    const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2']
    expect(() => checkMinHealthy('all', regions)).not.toThrow()
    expect(() => checkMinHealthy(3, regions)).not.toThrow()
    expect(() => checkMinHealthy(4, regions)).toThrow(
      /^Input 'min-healthy': "4" is not valid\. Expected `all` or at most the 3 region\(s\) the records route to \(us-east-1, eu-west-1, ap-southeast-2\)/,
    )
  })
  it('needs records, and the record type among theirs', () => {
    expect(() => checkRecordType('a.example.com.', 'A', [])).toThrow(/No records named a\.example\.com\./)
    expect(() => checkRecordType('a.example.com.', 'AAAA', ['A', 'TXT'])).toThrow(
      /^Input 'record-type': "AAAA".*\(A, TXT\)/,
    )
    expect(() => checkRecordType('a.example.com.', 'A', ['A'])).not.toThrow()
  })
})
