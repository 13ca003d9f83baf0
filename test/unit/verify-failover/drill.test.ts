import { jest } from '@jest/globals'
import { GetHealthCheckCommand, UpdateHealthCheckCommand, type Route53Client } from '@aws-sdk/client-route-53'
import { RegionLog } from '../../../lib/log.js'
import {
  regionsInAnswer,
  regionValues,
  runDrill,
  type DrillInput,
} from '../../../actions/verify-failover/src/drill.js'
import type { RoutedRecord } from '../../../actions/verify-failover/src/records.js'
import { RESTORE_RESERVE_MS } from '../../../actions/verify-failover/src/time-budget.js'

const records: RoutedRecord[] = [
  { setIdentifier: 'a', region: 'us-east-1', policy: 'latency', values: ['10.0.0.1'], healthCheckId: 'hc-a' },
  { setIdentifier: 'b', region: 'eu-west-1', policy: 'latency', values: ['10.0.1.1'], healthCheckId: 'hc-b' },
  {
    setIdentifier: 'c',
    region: 'ap-southeast-2',
    policy: 'latency',
    values: [],
    alias: { dnsName: 'lb.ap-southeast-2.elb.amazonaws.com.', evaluateTargetHealth: true },
  },
]

/** A Route 53 whose health and answer follow the Inverted flag, with a chosen lag. */
function world(options: { failUpdatesFrom?: number; neverUnhealthy?: boolean } = {}) {
  const events: string[] = []
  const check = { inverted: false, version: 1 }
  let updates = 0
  const client = {
    send: async (command: unknown) => {
      if (command instanceof GetHealthCheckCommand) {
        return {
          HealthCheck: {
            Id: 'hc-a',
            HealthCheckVersion: check.version,
            HealthCheckConfig: { Inverted: check.inverted },
          },
        }
      }
      if (command instanceof UpdateHealthCheckCommand) {
        updates++
        if (options.failUpdatesFrom !== undefined && updates >= options.failUpdatesFrom)
          throw new Error('AccessDenied')
        events.push(`update Inverted=${command.input.Inverted}`)
        check.inverted = command.input.Inverted!
        check.version++
        return {}
      }
      throw new Error('unexpected')
    },
  } as unknown as Route53Client
  const unhealthy = () => check.inverted && !options.neverUnhealthy
  const api = {
    healthy: async () => !unhealthy(),
    answer: async () => (unhealthy() ? ['10.0.1.1'] : ['10.0.0.1']),
  }
  return { client, api, events, check }
}

function input(w: ReturnType<typeof world>, extra: Partial<DrillInput> = {}): DrillInput {
  return {
    client: w.client,
    api: w.api,
    region: 'us-east-1',
    healthCheckId: 'hc-a',
    clientRegion: 'us-east-1',
    records,
    timeoutMs: 1000,
    pollMaxMs: 20,
    log: new RegionLog('us-east-1'),
    signal: new AbortController().signal,
    saveState: (state) => w.events.push(`save ${state.healthCheckId} original=${state.originalInverted}`),
    markRestored: () => w.events.push('restored'),
    probeRegions: async (regions) =>
      regions.map((subject) => ({
        category: 'probe' as const,
        name: 'Runner probe',
        subject,
        passed: true,
        detail: 'ok',
      })),
    ...extra,
  }
}

describe('regions and values', () => {
  it('maps records to the values they answer with and back', () => {
    expect(regionValues(records, 'us-east-1')).toEqual(['10.0.0.1'])
    expect(regionValues(records, 'ap-southeast-2')).toEqual(['lb.ap-southeast-2.elb.amazonaws.com'])
    expect(regionsInAnswer(records, ['10.0.1.1', 'lb.ap-southeast-2.elb.amazonaws.com.'])).toEqual([
      'eu-west-1',
      'ap-southeast-2',
    ])
  })
})

describe('runDrill', () => {
  beforeAll(() => {
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
  })
  afterAll(() => jest.restoreAllMocks())

  it('saves state before inverting, measures failover and recovery, and restores', async () => {
    const w = world()
    const result = await runDrill(input(w))
    expect(w.events).toEqual([
      'save hc-a original=false',
      'update Inverted=true',
      'update Inverted=false',
      'restored',
    ])
    expect(result.checks.map((c) => `${c.name} [${c.subject}] ${c.passed}`)).toEqual([
      'Failover [us-east-1] true',
      'Takeover probe [eu-west-1] true',
      'Health check restored [us-east-1] true',
      'Recovery [us-east-1] true',
    ])
    expect(result.failoverSeconds).toBeGreaterThanOrEqual(0)
    expect(result.recoverySeconds).toBeGreaterThanOrEqual(0)
    expect(result).toMatchObject({ baseline: ['10.0.0.1'], duringFailover: ['10.0.1.1'], restore: 'changed' })
    expect(result.bars.map((b) => b.label)).toEqual(['Failover', 'Probe takeover', 'Recovery'])
  })

  it('ends at once when a stop condition trips: restores, skips the recovery wait, and times the restore', async () => {
    const w = world({ neverUnhealthy: true })
    const controller = new AbortController()
    const event = { alarm: 'eu-5xx', region: 'eu-west-1', reason: 'in ALARM: p99', seenAt: 0 }
    let halted = false
    setTimeout(() => {
      event.seenAt = Date.now()
      controller.abort()
    }, 50)
    const started = Date.now()
    const result = await runDrill(
      input(w, {
        timeoutMs: 60000,
        stop: {
          signal: controller.signal,
          tripped: () => (controller.signal.aborted ? event : undefined),
          halt: async () => {
            halted = true
          },
        },
      }),
    )
    expect(Date.now() - started).toBeLessThan(5000)
    expect(halted).toBe(true)
    expect(w.events).toEqual([
      'save hc-a original=false',
      'update Inverted=true',
      'update Inverted=false',
      'restored',
    ])
    expect(result.checks.map((c) => `${c.name} ${c.passed}`)).toEqual([
      'Failover false',
      'Health check restored true',
      'Stop alarm false',
    ])
    expect(result.checks[0]!.detail).toBe('stopped: stop alarm eu-5xx (eu-west-1) in ALARM: p99')
    expect(result.stopped).toMatchObject({ alarm: 'eu-5xx', region: 'eu-west-1' })
    expect(result.stopped!.restoreSeconds).toBeLessThan(5)
    expect(result.recoverySeconds).toBeUndefined()
  })

  it('fails max-failover-seconds on the slowest vantage point', async () => {
    const w = world()
    // virginia is answered with the drilled region until 300 ms after the inversion.
    let invertedAt = 0
    const api = {
      healthy: w.api.healthy,
      answer: async (_signal?: AbortSignal, subnet?: string) => {
        if (w.check.inverted && invertedAt === 0) invertedAt = Date.now()
        const slow = subnet === '3.80.0.1' && Date.now() - invertedAt < 300
        return w.check.inverted && !slow ? ['10.0.1.1'] : ['10.0.0.1']
      },
    }
    const result = await runDrill(
      input(w, {
        api,
        vantagePoints: [
          { name: 'virginia', clientSubnet: '3.80.0.1' },
          { name: 'ohio', clientSubnet: '3.128.0.1' },
        ],
        maxFailoverSeconds: 0,
      }),
    )
    const objective = result.checks.find((c) => c.name === 'Failover within max-failover-seconds')!
    expect(objective.passed).toBe(false)
    expect(objective.detail).toMatch(
      /^failover [\d.]+ s, slowest vantage point virginia [\d.]+ s; max-failover-seconds 0 s$/,
    )
    const [virginia, ohio] = result.vantage!
    expect(virginia!.failoverSeconds!).toBeGreaterThanOrEqual(ohio!.failoverSeconds!)
  })

  it('restores after a failover that never comes', async () => {
    const w = world({ neverUnhealthy: true })
    const result = await runDrill(input(w, { timeoutMs: 200 }))
    expect(result.checks[0]).toMatchObject({
      name: 'Failover',
      passed: false,
      detail: expect.stringMatching(/^Timed out/),
    })
    expect(w.check.inverted).toBe(false)
    expect(result.failoverSeconds).toBeUndefined()
  })

  it('restores when cancelled mid-wait and skips the recovery wait', async () => {
    const w = world({ neverUnhealthy: true })
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    const result = await runDrill(input(w, { signal: controller.signal, timeoutMs: 5000 }))
    expect(result.checks.map((c) => `${c.name} ${c.passed}`)).toEqual([
      'Failover false',
      'Health check restored true',
    ])
    expect(result.checks[0]!.detail).toBe('cancelled before Route 53 failed over')
    expect(w.check.inverted).toBe(false)
    expect(w.events).toContain('restored')
  })

  it('leaves the restore to the post step when it fails', async () => {
    const w = world({ failUpdatesFrom: 2 })
    const result = await runDrill(input(w))
    expect(result.restore).toBe('failed')
    expect(result.checks.find((c) => c.name === 'Health check restored')).toMatchObject({ passed: false })
    expect(w.events).not.toContain('restored')
    expect(w.check.inverted).toBe(true)
  })

  it('restores first when time is short: the failover wait ends in time for the restore', async () => {
    const w = world({ neverUnhealthy: true })
    const started = Date.now()
    // The credentials expire just after the restore reserve: the wait is cut to about 300 ms, not 60 s.
    const limit = { at: new Date(started + RESTORE_RESERVE_MS + 300), what: 'the AWS credentials expire' }
    const result = await runDrill(input(w, { timeoutMs: 60000, limit }))
    expect(Date.now() - started).toBeLessThan(5000)
    expect(result.checks[0]).toMatchObject({
      name: 'Failover',
      passed: false,
      detail: expect.stringMatching(/cut short to restore before the AWS credentials expire at /),
    })
    expect(w.check.inverted).toBe(false)
    expect(w.events).toContain('restored')
    // The recovery wait has what is left after the restore, less a moment for the post step.
    expect(result.checks.at(-1)).toMatchObject({ name: 'Recovery', passed: true })
  })

  it('does not wait for recovery when no time is left for it', async () => {
    const w = world()
    const limit = { at: new Date(Date.now() + RESTORE_RESERVE_MS / 8), what: 'the job times out' }
    const result = await runDrill(input(w, { limit }))
    expect(w.check.inverted).toBe(false)
    expect(result.checks.at(-1)).toMatchObject({
      name: 'Recovery',
      passed: false,
      detail: expect.stringMatching(/^not measured: the job times out at /),
    })
  })
})
