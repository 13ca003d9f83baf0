import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
  type StateValue,
} from '@aws-sdk/client-cloudwatch'
import { readFileSync } from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DrillRecord } from '../../actions/verify-failover/src/evidence.js'
import { RESTORED_KEY, STATE_KEY } from '../../actions/verify-failover/src/health-check-update.js'
import { run } from '../../actions/verify-failover/src/main.js'
import { runPost } from '../../actions/verify-failover/src/post-main.js'
import type { Report } from '../../actions/verify-failover/src/summary.js'
import type { VantageResult } from '../../actions/verify-failover/src/vantage.js'
import type { ResolverResult } from '../../actions/verify-failover/src/vantage.js'
import { runActionInProcess } from '../support/action-runner.js'
import { startCachingResolver } from '../support/caching-resolver.js'
import { startHealthEndpoint, type HealthEndpoint } from '../support/health-endpoint.js'
import { startLoopbackProxy, type LoopbackProxy } from '../support/loopback-proxy.js'
import { directClientConfig, localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'
import { startRoute53Loopback, type Route53Loopback } from '../support/route53-loopback.js'
import { createTopology, healthCheckConfig, route53Client } from '../support/route53-topology.js'

/**
 * The drill as a production team runs it: stop alarms (moto's CloudWatch),
 * vantage points (the Route 53 layer answers by EDNS0 client subnet), the
 * predicted failover beside the measured one, and the drill record.
 */
describe('verify-failover drill: stop alarms, vantage points, predicted and measured', () => {
  let moto: MotoServer
  let r53: Route53Loopback
  const endpoints: Record<string, HealthEndpoint> = {}
  const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']
  const SUBNETS = { virginia: '3.80.0.1', ireland: '3.248.0.1' }
  let runnerTemp: string

  beforeAll(async () => {
    moto = await startMoto()
    r53 = await startRoute53Loopback(moto.endpoint, {
      roundMs: 50,
      clientSubnetRegions: { '3.80.0.0/12': 'us-east-1', '3.248.0.0/13': 'eu-west-1' },
    })
    for (const region of REGIONS) endpoints[region] = await startHealthEndpoint('ok')
    runnerTemp = mkdtempSync(join(tmpdir(), 'runner-temp-'))
  })
  afterAll(async () => {
    await r53.close()
    await Promise.all(Object.values(endpoints).map((e) => e.close()))
    await moto.stop()
    rmSync(runnerTemp, { recursive: true, force: true })
  })
  beforeEach(async () => {
    await moto.reset()
    r53.reset()
  })

  const cloudWatch = (region: string) => new CloudWatchClient(directClientConfig(moto.endpoint, region))
  const putAlarm = async (region: string, name: string, state: StateValue, reason = 'test') => {
    await cloudWatch(region).send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: 'Api',
        MetricName: '5xx',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 10,
        ComparisonOperator: 'GreaterThanThreshold',
      }),
    )
    await cloudWatch(region).send(
      new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: reason }),
    )
  }
  const topology = (options: { failureThreshold?: number; requestInterval?: number; ttl?: number } = {}) =>
    createTopology(
      route53Client(r53.endpoint),
      REGIONS.map((region, i) => ({
        region,
        port: endpoints[region]!.port,
        value: `10.0.${i}.1`,
        ttl: options.ttl,
      })),
      options,
    )
  const drill = (inputs: Record<string, string | number | boolean>, endpoint = r53.endpoint) =>
    runActionInProcess(
      run,
      { 'allow-private-targets': true, 'drill-region': 'us-east-1', 'drill-timeout-minutes': 1, ...inputs },
      { ...localAwsEnv(endpoint), VERIFY_FAILOVER_POLL_MAX_MS: '100', RUNNER_TEMP: runnerTemp },
    )

  it('does not start while a stop alarm is in ALARM: nothing is inverted, and the step names the alarm', async () => {
    const t = await topology()
    await putAlarm(
      'eu-west-1',
      'eu-5xx',
      'ALARM',
      'Threshold Crossed: 1 datapoint [42.0] was greater than 10.0',
    )
    await putAlarm('us-east-1', 'us-5xx', 'OK')
    const result = await drill({
      'hosted-zone-id': t.zoneId,
      'record-name': t.recordName,
      'stop-alarms': 'us-5xx, arn:aws:cloudwatch:eu-west-1:123456789012:alarm:eu-5xx',
    })
    expect(result.failed).toBe(true)
    const message = result.errors.at(-1)!
    expect(message).toMatch(
      /stop alarm arn:aws:cloudwatch:eu-west-1:123456789012:alarm:eu-5xx \(eu-west-1\) is in ALARM/,
    )
    expect(message).toContain('Threshold Crossed: 1 datapoint [42.0] was greater than 10.0')
    const report = JSON.parse(result.outputs.report!) as Report
    expect(report.checks.find((c) => c.name === 'Drill allowed')).toMatchObject({ passed: false })
    // Nothing was changed, and nothing was left for the post step.
    expect(
      await healthCheckConfig(route53Client(r53.endpoint), t.healthCheckIds['us-east-1']!),
    ).toMatchObject({
      Inverted: false,
      version: 1,
    })
    expect(result.state[STATE_KEY]).toBeUndefined()
  })

  it('does not start when a stop alarm does not exist in its region', async () => {
    const t = await topology()
    await putAlarm('eu-west-1', 'us-5xx', 'OK')
    const result = await drill({
      'hosted-zone-id': t.zoneId,
      'record-name': t.recordName,
      'stop-alarms': 'us-5xx',
    })
    expect(result.failed).toBe(true)
    expect(result.errors.at(-1)).toMatch(/stop alarm\(s\) not found: us-5xx \(us-east-1\)/)
    expect(result.state[STATE_KEY]).toBeUndefined()
  })

  it('ends the drill when a stop alarm goes to ALARM: restored within seconds, the step names it, the post step has nothing to do', async () => {
    const t = await topology()
    const id = t.healthCheckIds['us-east-1']!
    await putAlarm('eu-west-1', 'eu-latency', 'OK')
    // Route 53 is slow to fail over here (TestDNSAnswer keeps its first answer while
    // the check is inverted), and the alarm fires half a second into the drill.
    let baseline: string | undefined
    let inverted = false
    const slow: LoopbackProxy = await startLoopbackProxy(r53.endpoint, async (req, forward) => {
      if (req.method === 'POST' && req.path.endsWith(`/healthcheck/${id}`)) {
        const reply = await forward()
        inverted = req.body.toString().includes('<Inverted>true</Inverted>')
        if (inverted)
          setTimeout(
            () => void putAlarm('eu-west-1', 'eu-latency', 'ALARM', 'Threshold Crossed: p99 above 2 s'),
            500,
          )
        return reply
      }
      if (req.path.startsWith('/2013-04-01/testdnsanswer')) {
        const reply = await forward()
        if (!inverted) baseline = String(reply.body)
        return inverted && baseline ? { ...reply, body: baseline } : reply
      }
      return forward()
    })
    try {
      const started = Date.now()
      const result = await drill(
        {
          'hosted-zone-id': t.zoneId,
          'record-name': t.recordName,
          'stop-alarms': 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:eu-latency',
        },
        slow.endpoint,
      )
      // Far short of the one-minute drill timeout.
      expect(Date.now() - started).toBeLessThan(30000)
      expect(result.failed).toBe(true)
      expect(result.errors.at(-1)).toMatch(
        /The drill of us-east-1 was stopped: stop alarm arn:aws:cloudwatch:eu-west-1:123456789012:alarm:eu-latency \(eu-west-1\) in ALARM: Threshold Crossed: p99 above 2 s; the health check was restored [\d.]+ s after the alarm was seen/,
      )
      const report = JSON.parse(result.outputs.report!) as Report
      const stopped = report.drill!.stopped!
      expect(stopped.restoreSeconds).toBeLessThan(5)
      expect(
        report.checks.filter((c) => c.category === 'drill').map((c) => `${c.name}: ${c.passed}`),
      ).toEqual(['Failover: false', 'Health check restored: true', 'Stop alarm: false'])
      expect(result.summary).toContain(
        'was stopped by alarm arn:aws:cloudwatch:eu-west-1:123456789012:alarm:eu-latency',
      )
      expect(await healthCheckConfig(route53Client(r53.endpoint), id)).toMatchObject({
        Inverted: false,
        version: 3,
      })
      expect(result.state[RESTORED_KEY]).toBe('true')
      // The alarm readings are in the drill record.
      const record = JSON.parse(readFileSync(result.outputs['drill-record']!, 'utf8')) as DrillRecord
      expect(record.stoppedBy).toMatchObject({ alarm: stopped.alarm, region: 'eu-west-1' })
      expect(record.alarms.at(-1)!.states).toEqual([
        {
          alarm: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:eu-latency',
          region: 'eu-west-1',
          state: 'ALARM',
          reason: 'Threshold Crossed: p99 above 2 s',
        },
      ])

      const post = await runActionInProcess(
        runPost,
        {},
        {
          ...localAwsEnv(r53.endpoint),
          [`STATE_${STATE_KEY}`]: result.state[STATE_KEY]!,
          [`STATE_${RESTORED_KEY}`]: result.state[RESTORED_KEY]!,
        },
      )
      expect(post.failed).toBe(false)
      expect(post.stdout).toContain(`Health check ${id} was already restored by the main step.`)
      expect(await healthCheckConfig(route53Client(r53.endpoint), id)).toMatchObject({
        Inverted: false,
        version: 3,
      })
    } finally {
      await slow.close()
    }
  })

  it('follows each vantage point: only the one near the drilled region moves, and comes back', async () => {
    const t = await topology()
    const result = await drill({
      'hosted-zone-id': t.zoneId,
      'record-name': t.recordName,
      'vantage-points': `virginia=${SUBNETS.virginia}, ireland=${SUBNETS.ireland}`,
    })
    expect(result.failed).toBe(false)
    const vantage = JSON.parse(result.outputs.vantage!) as VantageResult[]
    expect(vantage).toEqual([
      expect.objectContaining({
        name: 'virginia',
        clientSubnet: SUBNETS.virginia,
        answerBefore: ['10.0.0.1'],
        answerDuring: ['10.0.1.1'],
      }),
      expect.objectContaining({
        name: 'ireland',
        clientSubnet: SUBNETS.ireland,
        answerBefore: ['10.0.1.1'],
        answerDuring: ['10.0.1.1'],
        failoverSeconds: null,
        recoverySeconds: null,
      }),
    ])
    expect(vantage[0]!.failoverSeconds).toBeGreaterThan(0)
    expect(vantage[0]!.recoverySeconds).toBeGreaterThanOrEqual(0)
    // One lane per vantage point.
    expect(result.summary).toContain(`section virginia ${SUBNETS.virginia}`)
    expect(result.summary).toContain(`section ireland ${SUBNETS.ireland}`)
    expect(result.summary).toContain('| ireland | 3.248.0.1 | 10.0.1.1 | 10.0.1.1 | not moved | — |')
    const record = JSON.parse(readFileSync(result.outputs['drill-record']!, 'utf8')) as DrillRecord
    expect(result.outputs['drill-record']!.startsWith(runnerTemp)).toBe(true)
    expect(record.vantage).toEqual(vantage)
    expect(record.timeline.find((l) => l.name === 'virginia')!.answers.map((a) => a.answer)).toEqual([
      ['10.0.0.1'],
      ['10.0.1.1'],
      ['10.0.0.1'],
    ])
    expect(record.timeline.find((l) => l.name === 'ireland')!.answers.map((a) => a.answer)).toEqual([
      ['10.0.1.1'],
    ])
  })

  it('follows a resolver from the runner: its cache keeps the drilled region until the TTL runs out', async () => {
    const t = await topology({ ttl: 2 })
    const resolver = await startCachingResolver(r53.endpoint, t.zoneId, {
      ttlSeconds: 2,
      clientSubnet: SUBNETS.virginia,
    })
    try {
      const result = await drill({
        'hosted-zone-id': t.zoneId,
        'record-name': t.recordName,
        'vantage-points': `virginia=${SUBNETS.virginia}`,
        resolvers: resolver.server,
      })
      expect(result.failed).toBe(false)
      const [seen] = JSON.parse(result.outputs.resolvers!) as ResolverResult[]
      const [virginia] = JSON.parse(result.outputs.vantage!) as VantageResult[]
      expect(seen).toMatchObject({
        name: resolver.server,
        resolver: resolver.server,
        answerBefore: ['10.0.0.1'],
        answerDuring: ['10.0.1.1'],
      })
      // Route 53 moved first; the resolver answered from its cache until the TTL ran out.
      expect(seen!.failoverSeconds!).toBeGreaterThanOrEqual(virginia!.failoverSeconds!)
      expect(seen!.recoverySeconds).not.toBeNull()
      expect(resolver.stats.cached).toBeGreaterThan(0)
      // Mermaid drops the colon of the lane's name.
      expect(result.summary).toContain(`section resolver ${resolver.server.replace(':', ' ')}`)
      expect(result.summary).toMatch(
        new RegExp(
          `\\| ${resolver.server} \\| 10\\.0\\.0\\.1 \\| 10\\.0\\.1\\.1 \\| [\\d.]+ \\| [\\d.]+ \\|`,
        ),
      )
      const record = JSON.parse(readFileSync(result.outputs['drill-record']!, 'utf8')) as DrillRecord
      expect(record.resolvers).toEqual([seen])
    } finally {
      await resolver.close()
    }
  })

  it('predicts the failover from interval 10 s x threshold 2 plus TTL 60, beside the measured one', async () => {
    const t = await topology({ requestInterval: 10, failureThreshold: 2 })
    const result = await drill({ 'hosted-zone-id': t.zoneId, 'record-name': t.recordName })
    expect(result.failed).toBe(false)
    expect(result.outputs['predicted-failover-seconds']).toBe('80')
    expect(Number(result.outputs['failover-seconds'])).toBeGreaterThan(0)
    expect(result.summary).toContain(
      'Predicted for a real failure: interval 10 s x threshold 2 + TTL 60 s = 80 s.',
    )
    expect(result.summary).toMatch(/failed over in [\d.]+ s \(predicted 80 s\)/)
    const record = JSON.parse(readFileSync(result.outputs['drill-record']!, 'utf8')) as DrillRecord
    expect(record).toMatchObject({ predictedFailoverSeconds: 80, region: 'us-east-1', passed: true })
  })

  it('fails the step when the failover takes longer than max-failover-seconds', async () => {
    const t = await topology()
    // TestDNSAnswer is held for 1.2 s once the check is inverted: failover takes at least that.
    const id = t.healthCheckIds['us-east-1']!
    let inverted = false
    const slow = await startLoopbackProxy(r53.endpoint, async (req, forward) => {
      if (req.method === 'POST' && req.path.endsWith(`/healthcheck/${id}`))
        inverted = req.body.toString().includes('<Inverted>true</Inverted>')
      if (inverted && req.path.startsWith('/2013-04-01/testdnsanswer'))
        await new Promise((resolve) => setTimeout(resolve, 1200))
      return forward()
    })
    try {
      const result = await drill(
        { 'hosted-zone-id': t.zoneId, 'record-name': t.recordName, 'max-failover-seconds': 1 },
        slow.endpoint,
      )
      expect(result.failed).toBe(true)
      const report = JSON.parse(result.outputs.report!) as Report
      const objective = report.checks.find((c) => c.name === 'Failover within max-failover-seconds')!
      expect(objective.passed).toBe(false)
      expect(objective.detail).toMatch(/^failover [\d.]+ s; max-failover-seconds 1 s$/)
      expect(result.errors.at(-1)).toMatch(/Failover within max-failover-seconds \[us-east-1\]/)
      expect(await healthCheckConfig(route53Client(r53.endpoint), id)).toMatchObject({ Inverted: false })
    } finally {
      await slow.close()
    }
  })
})
