import * as core from '@actions/core'
import { UpdateHealthCheckCommand } from '@aws-sdk/client-route-53'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../actions/verify-failover/src/main.js'
import { RESTORED_KEY, STATE_KEY } from '../../actions/verify-failover/src/health-check-update.js'
import type { Report } from '../../actions/verify-failover/src/summary.js'
import { runActionInProcess } from '../support/action-runner.js'
import { startHealthEndpoint, type HealthEndpoint } from '../support/health-endpoint.js'
import { startLoopbackProxy } from '../support/loopback-proxy.js'
import { localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'
import { startRoute53Loopback, type Route53Loopback } from '../support/route53-loopback.js'
import {
  createTopology,
  healthCheckConfig,
  route53Client,
  type RegionSpec,
} from '../support/route53-topology.js'

describe('verify-failover against moto with the Route 53 layer', () => {
  let moto: MotoServer
  let r53: Route53Loopback
  const endpoints: Record<string, HealthEndpoint> = {}
  const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']
  const client = () => route53Client(r53.endpoint)

  // Where the drills write their records, as a runner's RUNNER_TEMP.
  const runnerTemp = mkdtempSync(join(tmpdir(), 'runner-temp-'))

  beforeAll(async () => {
    moto = await startMoto()
    r53 = await startRoute53Loopback(moto.endpoint, { roundMs: 50 })
    for (const region of REGIONS) endpoints[region] = await startHealthEndpoint('ok')
  })
  afterAll(async () => {
    await r53.close()
    await Promise.all(Object.values(endpoints).map((e) => e.close()))
    await moto.stop()
    rmSync(runnerTemp, { recursive: true, force: true })
  })
  beforeEach(async () => {
    // core.summary remembers the first GITHUB_STEP_SUMMARY it saw; each run has its own file.
    ;(core.summary as unknown as { _filePath?: string })._filePath = undefined
    await moto.reset()
    r53.reset()
    r53.setUnreachableCheckers(0)
    for (const e of Object.values(endpoints)) {
      e.setBody('ok')
      e.setStatus(200)
    }
  })

  const specs = (overrides: Partial<Record<string, Partial<RegionSpec>>> = {}): RegionSpec[] =>
    REGIONS.map((region, i) => ({
      region,
      port: endpoints[region]!.port,
      value: `10.0.${i}.1`,
      ...overrides[region],
    }))

  // The health endpoints listen on 127.0.0.1, so the probes need allow-private-targets.
  const runAction = (inputs: Record<string, string | number | boolean>) =>
    runActionInProcess(
      run,
      { 'allow-private-targets': true, ...inputs },
      { ...localAwsEnv(r53.endpoint), VERIFY_FAILOVER_POLL_MAX_MS: '100', RUNNER_TEMP: runnerTemp },
    )

  const failedRows = (report: Report) =>
    report.checks.filter((c) => !c.passed).map((c) => `${c.name} [${c.subject}]`)

  it('passes when every region is healthy, and reports each check', async () => {
    const t = await createTopology(client(), specs())
    const result = await runAction({
      'hosted-zone-id': `/hostedzone/${t.zoneId}`,
      'record-name': t.recordName,
    })
    const report = JSON.parse(result.outputs.report!) as Report
    expect(failedRows(report)).toEqual([])
    expect(result.failed).toBe(false)
    expect(JSON.parse(result.outputs['healthy-regions']!)).toEqual(REGIONS)
    expect(report.recordType).toBe('A')
    const categories = new Set(report.checks.map((c) => c.category))
    expect([...categories].sort()).toEqual(['configuration', 'probe', 'route53', 'simulation'])
    // Depth 1 over three regions: no failure, then each region failed alone.
    expect(report.simulation.map((s) => s.failed)).toEqual([
      [],
      ['us-east-1'],
      ['eu-west-1'],
      ['ap-southeast-2'],
    ])
    expect(result.outputs['failover-seconds']).toBeUndefined()
    expect(result.summary).toContain('| Area | Check | Subject | Result | Detail |')
    expect(result.stdout).toMatch(/\[eu-west-1\] Probe passed: http:\/\/127\.0\.0\.1:\d+\/health/)
  })

  it("does not probe targets on the runner's own network unless allow-private-targets is true", async () => {
    const t = await createTopology(client(), specs())
    const result = await runAction({
      'hosted-zone-id': t.zoneId,
      'record-name': t.recordName,
      'allow-private-targets': false,
    })
    const report = JSON.parse(result.outputs.report!) as Report
    expect(failedRows(report)).toEqual([])
    const probes = report.checks.filter((c) => c.category === 'probe')
    expect(probes).toHaveLength(3)
    for (const p of probes) expect(p.detail).toMatch(/not probed: 127\.0\.0\.1 is a loopback address/)
    expect(report.notProbed?.map((n) => n.region)).toEqual(REGIONS)
    expect(result.summary).toMatch(
      /Not probed from the runner \(`allow-private-targets` is false\): us-east-1 http:\/\/127\.0\.0\.1:\d+\/health \(127\.0\.0\.1 is a loopback address\)/,
    )
    expect(result.stdout).toMatch(/\[eu-west-1\] Probe skipped: /)
  })

  it('fails when one region answers "fail", in Route 53 and from the runner', async () => {
    endpoints['eu-west-1']!.setBody('fail')
    const t = await createTopology(client(), specs())
    const result = await runAction({
      'hosted-zone-id': t.zoneId,
      'record-name': t.recordName,
      'simulate-depth': 2,
    })
    const report = JSON.parse(result.outputs.report!) as Report
    expect(result.failed).toBe(true)
    expect(failedRows(report)).toEqual(
      expect.arrayContaining([
        'Route 53 status [eu-west-1]',
        'Runner probe [eu-west-1]',
        'Minimum healthy regions [group]',
      ]),
    )
    expect(JSON.parse(result.outputs['healthy-regions']!)).toEqual(['us-east-1', 'ap-southeast-2'])
    // With eu-west-1 already down, losing both others leaves nothing serving.
    expect(failedRows(report)).toContain('Answer with 2 region(s) failed [us-east-1 + ap-southeast-2]')
    expect(failedRows(report)).not.toContain('Answer with 1 region(s) failed [us-east-1]')
    expect(result.errors.join('\n')).toMatch(/Route 53 status \[eu-west-1\]: 0 of 16 checkers report healthy/)
  })

  it('fails a record without a health check, and the simulation shows where traffic would go dead', async () => {
    const t = await createTopology(client(), specs({ 'eu-west-1': { port: undefined } }))
    const result = await runAction({
      'hosted-zone-id': t.zoneId,
      'record-name': t.recordName,
      'min-healthy': 2,
    })
    const report = JSON.parse(result.outputs.report!) as Report
    expect(result.failed).toBe(true)
    expect(failedRows(report)).toEqual([
      'Health check attached [eu-west-1]',
      'Answer with 1 region(s) failed [eu-west-1]',
    ])
    const dead = report.simulation.find((s) => s.failed.join() === 'eu-west-1')!
    expect(dead.answers.find((a) => a.resolver === 'eu-west-1')).toEqual({
      resolver: 'eu-west-1',
      answer: ['eu-west-1'],
      serving: [],
    })
  })

  it('judges a CALCULATED health check from its children, and drills it', async () => {
    const t = await createTopology(
      client(),
      specs({
        'us-east-1': {
          calculated: { ports: [endpoints['us-east-1']!.port, endpoints['eu-west-1']!.port], threshold: 2 },
        },
      }),
    )
    r53.resetStats()
    const result = await runAction({
      'hosted-zone-id': t.zoneId,
      'record-name': t.recordName,
      'drill-region': 'us-east-1',
      'drill-timeout-minutes': 1,
    })
    const report = JSON.parse(result.outputs.report!) as Report
    expect(failedRows(report)).toEqual([])
    expect(result.failed).toBe(false)
    expect(report.checks.find((c) => c.name === 'Route 53 status' && c.subject === 'us-east-1')!.detail).toBe(
      'calculated health check: 2 of 2 child checks healthy, 2 required (HealthThreshold)',
    )
    expect(JSON.parse(result.outputs['healthy-regions']!)).toEqual(REGIONS)
    expect(report.drill).toMatchObject({
      baseline: ['10.0.0.1'],
      duringFailover: ['10.0.1.1'],
      restore: 'changed',
    })
    // GetHealthCheckStatus is never asked about the calculated check itself.
    const calc = t.healthCheckIds['us-east-1']!
    expect(r53.stats.byOperation.get(`GET /2013-04-01/healthcheck/${calc}/status`)).toBeUndefined()
    expect(await healthCheckConfig(client(), calc)).toMatchObject({
      Inverted: false,
      HealthThreshold: 2,
      ChildHealthChecks: t.childHealthCheckIds['us-east-1'],
    })
  })

  it('fails a CALCULATED check whose children fall below HealthThreshold', async () => {
    endpoints['eu-west-1']!.setBody('fail')
    const t = await createTopology(
      client(),
      specs({
        'us-east-1': {
          calculated: { ports: [endpoints['us-east-1']!.port, endpoints['eu-west-1']!.port], threshold: 2 },
        },
      }),
    )
    await r53.rounds(2)
    const result = await runAction({
      'hosted-zone-id': t.zoneId,
      'record-name': t.recordName,
      'min-healthy': 1,
    })
    const report = JSON.parse(result.outputs.report!) as Report
    expect(
      report.checks.find((c) => c.name === 'Route 53 status' && c.subject === 'us-east-1'),
    ).toMatchObject({
      passed: false,
      detail: 'calculated health check: 1 of 2 child checks healthy, 2 required (HealthThreshold)',
    })
    expect(JSON.parse(result.outputs['healthy-regions']!)).toEqual(['ap-southeast-2'])
  })

  describe('an alias record that evaluates target health', () => {
    const aliasSpecs = () =>
      specs({
        'ap-southeast-2': {
          port: undefined,
          aliasTarget: { dnsName: 'localhost.', evaluateTargetHealth: true },
        },
      })
    const runWithAliasPort = (inputs: Record<string, string | number | boolean>, port: number) =>
      runActionInProcess(
        run,
        { 'allow-private-targets': true, ...inputs },
        {
          ...localAwsEnv(r53.endpoint),
          VERIFY_FAILOVER_POLL_MAX_MS: '100',
          RUNNER_TEMP: runnerTemp,
          VERIFY_FAILOVER_ALIAS_PROBE_PORT: String(port),
        },
      )

    it('is not unhealthy for want of a health check: unknown without a probe, and not counted', async () => {
      const t = await createTopology(client(), aliasSpecs())
      const result = await runAction({
        'hosted-zone-id': t.zoneId,
        'record-name': t.recordName,
        probe: false,
      })
      const report = JSON.parse(result.outputs.report!) as Report
      expect(failedRows(report)).toEqual([])
      expect(result.failed).toBe(false)
      expect(report.checks.find((c) => c.name === 'Alias target health')).toMatchObject({
        subject: 'ap-southeast-2',
        passed: true,
        detail:
          'alias target health of localhost: not known (probe is off); Route 53 evaluates it itself; not counted in min-healthy',
      })
      expect(report.checks.find((c) => c.name === 'Minimum healthy regions')!.detail).toBe(
        '2 healthy (us-east-1, eu-west-1), 2 required; not counted, health not known: ap-southeast-2',
      )
      expect(JSON.parse(result.outputs['healthy-regions']!)).toEqual(['us-east-1', 'eu-west-1'])
      expect(report.unknownHealth).toEqual(['ap-southeast-2'])
      expect(result.summary).toContain('Alias target health not known for ap-southeast-2')
      // Failing its region takes it out of the answer, like any monitored record.
      const failed = report.simulation.find((c) => c.failed.join() === 'ap-southeast-2')!
      expect(failed.answers.find((a) => a.resolver === 'ap-southeast-2')!.serving).not.toContain(
        'ap-southeast-2',
      )
      expect(failed.passed).toBe(true)
    })

    it('counts it when the probe of its target answers, and fails it when the probe fails', async () => {
      const t = await createTopology(client(), aliasSpecs())
      const up = await runWithAliasPort(
        { 'hosted-zone-id': t.zoneId, 'record-name': t.recordName },
        endpoints['ap-southeast-2']!.port,
      )
      let report = JSON.parse(up.outputs.report!) as Report
      expect(failedRows(report)).toEqual([])
      expect(report.checks.find((c) => c.name === 'Alias target probe')).toMatchObject({
        subject: 'ap-southeast-2',
        passed: true,
      })
      expect(JSON.parse(up.outputs['healthy-regions']!)).toEqual(REGIONS)

      const closed = await startHealthEndpoint('ok')
      const closedPort = closed.port
      await closed.close()
      const down = await runWithAliasPort(
        { 'hosted-zone-id': t.zoneId, 'record-name': t.recordName },
        closedPort,
      )
      report = JSON.parse(down.outputs.report!) as Report
      expect(down.failed).toBe(true)
      expect(failedRows(report)).toEqual([
        'Alias target probe [ap-southeast-2]',
        'Alias target health [ap-southeast-2]',
        'Minimum healthy regions [group]',
      ])
      expect(JSON.parse(down.outputs['healthy-regions']!)).toEqual(['us-east-1', 'eu-west-1'])
      // Known unhealthy now: the simulation does not count on it.
      const none = report.simulation.find((c) => c.failed.length === 0)!
      expect(none.answers.find((a) => a.resolver === 'ap-southeast-2')!.serving).not.toContain(
        'ap-southeast-2',
      )
    })
  })

  it('fails a TTL above max-ttl', async () => {
    const t = await createTopology(client(), specs({ 'ap-southeast-2': { ttl: 300 } }))
    const result = await runAction({ 'hosted-zone-id': t.zoneId, 'record-name': t.recordName, 'max-ttl': 60 })
    const report = JSON.parse(result.outputs.report!) as Report
    expect(result.failed).toBe(true)
    expect(failedRows(report)).toEqual(['TTL [ap-southeast-2]'])
    expect(report.checks.find((c) => c.name === 'TTL' && !c.passed)!.detail).toBe('300 s (max-ttl 60 s)')
  })

  it('applies the 18% rule to the checkers’ reports', async () => {
    const t = await createTopology(client(), specs())
    // 3 of 16 checkers still reach us-east-1 (18.75%): healthy.
    r53.setUnreachableCheckers(13)
    await r53.rounds(5)
    let report = JSON.parse(
      (await runAction({ 'hosted-zone-id': t.zoneId, 'record-name': t.recordName })).outputs.report!,
    ) as Report
    expect(failedRows(report)).toEqual([])
    expect(report.checks.find((c) => c.name === 'Route 53 status')!.detail).toBe(
      '3 of 16 checkers report healthy (healthy when more than 18%)',
    )
    // 2 of 16 (12.5%): unhealthy everywhere.
    r53.setUnreachableCheckers(14)
    await r53.rounds(5)
    report = JSON.parse(
      (await runAction({ 'hosted-zone-id': t.zoneId, 'record-name': t.recordName })).outputs.report!,
    ) as Report
    expect(failedRows(report)).toEqual(
      expect.arrayContaining(['Route 53 status [us-east-1]', 'Route 53 status [eu-west-1]']),
    )
  })

  it('runs a drill that fails over, measures it and restores the health check', async () => {
    const t = await createTopology(client(), specs())
    const id = t.healthCheckIds['us-east-1']!
    const result = await runAction({
      'hosted-zone-id': t.zoneId,
      'record-name': t.recordName,
      'drill-region': 'us-east-1',
      'drill-timeout-minutes': 1,
    })
    const report = JSON.parse(result.outputs.report!) as Report
    expect(failedRows(report)).toEqual([])
    expect(result.failed).toBe(false)
    const failover = Number(result.outputs['failover-seconds'])
    const recovery = Number(result.outputs['recovery-seconds'])
    expect(failover).toBeGreaterThan(0)
    expect(failover).toBeLessThan(10)
    expect(recovery).toBeGreaterThanOrEqual(0)
    expect(recovery).toBeLessThan(10)
    // Before: the resolver near us-east-1 got us-east-1; during: the nearest healthy region instead.
    expect(report.drill).toMatchObject({
      region: 'us-east-1',
      baseline: ['10.0.0.1'],
      duringFailover: ['10.0.1.1'],
      restore: 'changed',
    })
    expect(
      report.checks.filter((c) => c.category === 'drill').map((c) => `${c.name} [${c.subject}]`),
    ).toEqual([
      'Failover [us-east-1]',
      'Takeover probe [eu-west-1]',
      'Health check restored [us-east-1]',
      'Recovery [us-east-1]',
    ])
    const config = await healthCheckConfig(client(), id)
    expect(config.Inverted).toBe(false)
    // Inverted, then put back: two versioned updates.
    expect(config.version).toBe(3)
    expect(JSON.parse(result.state[STATE_KEY]!)).toMatchObject({ healthCheckId: id, originalInverted: false })
    expect(result.state[RESTORED_KEY]).toBe('true')
    expect(result.summary).toContain('```mermaid')
    expect(r53.health(id)?.healthy).toBe(true)
  })

  it('survives a lost reply to the inversion: the retry meets the new version and re-reads', async () => {
    const t = await createTopology(client(), specs())
    const id = t.healthCheckIds['us-east-1']!
    let lost = 0
    // UpdateHealthCheck is carried out but its first reply never arrives, so the SDK repeats it.
    const lossy = await startLoopbackProxy(r53.endpoint, async (req, forward) => {
      if (req.method === 'POST' && req.path.endsWith(`/healthcheck/${id}`) && lost === 0) {
        lost++
        await forward()
        return 'drop'
      }
      return forward()
    })
    try {
      const result = await runActionInProcess(
        run,
        {
          'hosted-zone-id': t.zoneId,
          'record-name': t.recordName,
          'drill-region': 'us-east-1',
          'allow-private-targets': true,
        },
        { ...localAwsEnv(lossy.endpoint), VERIFY_FAILOVER_POLL_MAX_MS: '100', RUNNER_TEMP: runnerTemp },
      )
      const report = JSON.parse(result.outputs.report!) as Report
      expect(failedRows(report)).toEqual([])
      expect(lost).toBe(1)
      expect(result.warnings.join('\n')).toMatch(/changed since version 1; reading it again/)
      const config = await healthCheckConfig(client(), id)
      expect(config).toMatchObject({ Inverted: false, version: 3 })
    } finally {
      await lossy.close()
    }
  })

  it('drills a failover pair: the secondary takes over from the primary', async () => {
    const t = await createTopology(client(), [
      { region: 'us-east-1', port: endpoints['us-east-1']!.port, value: '10.1.0.1', failover: 'PRIMARY' },
      { region: 'us-west-2', port: endpoints['eu-west-1']!.port, value: '10.1.0.2', failover: 'SECONDARY' },
    ])
    const result = await runAction({
      'hosted-zone-id': t.zoneId,
      'record-name': t.recordName,
      'drill-region': 'us-east-1',
    })
    const report = JSON.parse(result.outputs.report!) as Report
    expect(failedRows(report)).toEqual([])
    expect(report.drill).toMatchObject({ baseline: ['10.1.0.1'], duringFailover: ['10.1.0.2'] })
    expect((await healthCheckConfig(client(), t.healthCheckIds['us-east-1']!)).Inverted).toBe(false)
  })

  it('refuses to drill a check that was left inverted, and changes nothing', async () => {
    const t = await createTopology(client(), specs())
    const id = t.healthCheckIds['eu-west-1']!
    await client().send(
      new UpdateHealthCheckCommand({ HealthCheckId: id, HealthCheckVersion: 1, Inverted: true }),
    )
    const result = await runAction({
      'hosted-zone-id': t.zoneId,
      'record-name': t.recordName,
      'drill-region': 'eu-west-1',
    })
    const report = JSON.parse(result.outputs.report!) as Report
    expect(result.failed).toBe(true)
    expect(failedRows(report)).toEqual(
      expect.arrayContaining(['Health check not inverted [eu-west-1]', 'Drill allowed [eu-west-1]']),
    )
    expect((await healthCheckConfig(client(), id)).version).toBe(2)
    expect(result.state[STATE_KEY]).toBeUndefined()
  })

  describe('bad input', () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      [
        'a malformed zone id',
        { 'hosted-zone-id': 'zone-1' },
        /Input 'hosted-zone-id': "zone-1" is not valid/,
      ],
      ['a lower-case zone id', { 'hosted-zone-id': 'z123abc' }, /Input 'hosted-zone-id'/],
      [
        'an unknown drill region',
        { 'drill-region': 'us-esat-1' },
        /Input 'drill-region': "us-esat-1" is not valid\. Expected a known AWS region/,
      ],
      ['a malformed record name', { 'record-name': 'api..example.com' }, /Input 'record-name'/],
      ['a negative TTL', { 'max-ttl': '-5' }, /Input 'max-ttl'/],
      ['a depth out of range', { 'simulate-depth': '11' }, /Input 'simulate-depth'/],
      [
        'a wrong min-healthy',
        { 'min-healthy': 'most' },
        /Input 'min-healthy': "most" is not valid\. Expected `all` or a whole number/,
      ],
      ['a wrong record type', { 'record-type': 'AXFR' }, /Input 'record-type'/],
      ['a non-boolean probe', { probe: 'maybe' }, /Input 'probe'/],
      ['a missing record name', { 'record-name': ' ' }, /Input 'record-name'.*required/],
    ]
    it.each(cases)('rejects %s before any request', async (_label, bad, message) => {
      r53.resetStats()
      const result = await runAction({
        'hosted-zone-id': 'Z0123456789ABCDEFGHIJ',
        'record-name': 'api.example.com',
        ...bad,
      })
      expect(result.failed).toBe(true)
      expect(result.errors.join('\n')).toMatch(message)
      expect(r53.stats.total).toBe(0)
    })

    it('names min-healthy when it asks for more regions than the records route to', async () => {
      const t = await createTopology(client(), specs())
      r53.resetStats()
      const result = await runAction({
        'hosted-zone-id': t.zoneId,
        'record-name': t.recordName,
        'min-healthy': 5,
        'drill-region': 'us-east-1',
      })
      expect(result.failed).toBe(true)
      expect(result.errors.join('\n')).toMatch(
        /Input 'min-healthy': "5" is not valid\. Expected `all` or at most the 3 region\(s\) the records route to/,
      )
      expect(result.outputs.report).toBeUndefined()
      expect([...r53.stats.byOperation.keys()].filter((op) => op.startsWith('POST'))).toEqual([])
    })

    it('refuses a drill timeout that cannot end, restore included, before the credentials expire or the job times out', async () => {
      const t = await createTopology(client(), specs())
      const inputs = {
        'hosted-zone-id': t.zoneId,
        'record-name': t.recordName,
        'drill-region': 'us-east-1',
        'drill-timeout-minutes': 10,
        'allow-private-targets': true,
      }
      const base = {
        ...localAwsEnv(r53.endpoint),
        VERIFY_FAILOVER_POLL_MAX_MS: '100',
        RUNNER_TEMP: runnerTemp,
      }
      const inMinutes = (m: number) => new Date(Date.now() + m * 60000).toISOString()
      r53.resetStats()
      // The SDK's environment credentials carry their expiry in AWS_CREDENTIAL_EXPIRATION.
      const expiring = await runActionInProcess(run, inputs, {
        ...base,
        AWS_CREDENTIAL_EXPIRATION: inMinutes(8),
      })
      expect(expiring.failed).toBe(true)
      expect(expiring.errors.join('\n')).toMatch(
        /Input 'drill-timeout-minutes': "10" is not valid\. Expected at most [56]: the AWS credentials expire at .*, in [78] min, and the restore needs 2 min after the failover wait/,
      )
      const late = await runActionInProcess(run, inputs, {
        ...base,
        AWS_CREDENTIAL_EXPIRATION: inMinutes(60),
        VERIFY_FAILOVER_JOB_DEADLINE: inMinutes(11),
      })
      expect(late.errors.join('\n')).toMatch(/Input 'drill-timeout-minutes'.*the job times out at/)
      expect(r53.stats.total).toBe(0)
      for (const id of Object.values(t.healthCheckIds))
        expect((await healthCheckConfig(client(), id)).version).toBe(1)
    })

    it('rejects a drill region the records do not route to before changing anything', async () => {
      const t = await createTopology(client(), specs())
      r53.resetStats()
      const result = await runAction({
        'hosted-zone-id': t.zoneId,
        'record-name': t.recordName,
        'drill-region': 'eu-central-1',
      })
      expect(result.failed).toBe(true)
      expect(result.errors.join('\n')).toMatch(
        /Input 'drill-region': "eu-central-1" is not valid\. Expected one of the regions the records route to \(us-east-1, eu-west-1, ap-southeast-2\)/,
      )
      expect([...r53.stats.byOperation.keys()].filter((op) => op.startsWith('POST'))).toEqual([])
      for (const id of Object.values(t.healthCheckIds))
        expect((await healthCheckConfig(client(), id)).version).toBe(1)
    })
  })
})
