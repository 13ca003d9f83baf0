import {
  GetHealthCheckCommand,
  HealthCheckVersionMismatch,
  UpdateHealthCheckCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53'
import {
  parseDrillState,
  restoreHealthCheck,
  setInverted,
} from '../../../actions/verify-failover/src/health-check-update.js'

/** A health check store that behaves like Route 53's versioned updates. */
function fakeRoute53(options: { loseFirstReply?: boolean; concurrentEditAt?: number } = {}) {
  const check = { inverted: false, version: 1 }
  const calls: string[] = []
  let updates = 0
  const client = {
    send: async (command: unknown) => {
      if (command instanceof GetHealthCheckCommand) {
        calls.push('get')
        return {
          HealthCheck: {
            Id: 'hc',
            HealthCheckVersion: check.version,
            HealthCheckConfig: { Type: 'HTTP', Inverted: check.inverted },
          },
        }
      }
      if (command instanceof UpdateHealthCheckCommand) {
        updates++
        calls.push(`update v${command.input.HealthCheckVersion}`)
        if (options.concurrentEditAt === updates) check.version++
        if (command.input.HealthCheckVersion !== check.version) {
          throw new HealthCheckVersionMismatch({ message: 'version mismatch', $metadata: {} })
        }
        check.inverted = command.input.Inverted ?? check.inverted
        check.version++
        if (options.loseFirstReply && updates === 1) {
          // Carried out, but the answer never arrived: the SDK's retry repeats the same version.
          throw new HealthCheckVersionMismatch({ message: 'version mismatch', $metadata: {} })
        }
        return { HealthCheck: {} }
      }
      throw new Error('unexpected command')
    },
  }
  return { client: client as unknown as Route53Client, check, calls }
}

describe('setInverted', () => {
  it('updates with the version it read', async () => {
    const r53 = fakeRoute53()
    expect(await setInverted(r53.client, 'hc', true)).toBe('changed')
    expect(r53.check).toEqual({ inverted: true, version: 2 })
    expect(r53.calls).toEqual(['get', 'update v1'])
  })
  it('does nothing when the flag is already as wanted', async () => {
    const r53 = fakeRoute53()
    expect(await setInverted(r53.client, 'hc', false)).toBe('already')
    expect(r53.calls).toEqual(['get'])
  })
  it('re-reads after a lost reply and sees its own change', async () => {
    const r53 = fakeRoute53({ loseFirstReply: true })
    const conflicts: string[] = []
    expect(await setInverted(r53.client, 'hc', true, (m) => conflicts.push(m))).toBe('changed')
    expect(r53.check).toEqual({ inverted: true, version: 2 })
    expect(r53.calls).toEqual(['get', 'update v1', 'get'])
    expect(conflicts).toHaveLength(1)
  })
  it('re-reads after someone else’s edit and tries again with the new version', async () => {
    const r53 = fakeRoute53({ concurrentEditAt: 1 })
    expect(await setInverted(r53.client, 'hc', true)).toBe('changed')
    expect(r53.calls).toEqual(['get', 'update v1', 'get', 'update v2'])
    expect(r53.check).toEqual({ inverted: true, version: 3 })
  })
  it('restores idempotently', async () => {
    const r53 = fakeRoute53()
    await setInverted(r53.client, 'hc', true)
    const state = {
      healthCheckId: 'hc',
      region: 'us-east-1',
      clientRegion: 'us-east-1',
      originalInverted: false,
      startedAt: '',
    }
    expect(await restoreHealthCheck(r53.client, state)).toBe('changed')
    expect(await restoreHealthCheck(r53.client, state)).toBe('already')
    expect(r53.check).toEqual({ inverted: false, version: 3 })
  })
})

describe('parseDrillState', () => {
  it('reads saved state, treats empty as none and refuses garbage', () => {
    expect(parseDrillState('')).toBeUndefined()
    expect(parseDrillState('{"healthCheckId":"hc","originalInverted":false}')).toEqual({
      healthCheckId: 'hc',
      region: '',
      clientRegion: 'us-east-1',
      originalInverted: false,
      startedAt: '',
    })
    expect(() => parseDrillState('{"x":1}')).toThrow(/not usable/)
  })
})
