import {
  checkDrillTimeout,
  credentialsExpiry,
  earliestLimit,
  jobDeadline,
  RESTORE_RESERVE_MS,
  waitWithin,
} from '../../../actions/verify-failover/src/time-budget.js'

const NOW = Date.parse('2026-12-01T12:00:00Z')
const at = (minutes: number) => new Date(NOW + minutes * 60000)

describe('jobDeadline', () => {
  it('reads the ISO time the workflow gives, and names the variable when it is not one', () => {
    expect(jobDeadline({})).toBeUndefined()
    expect(jobDeadline({ VERIFY_FAILOVER_JOB_DEADLINE: '2026-12-01T12:45:00Z' })).toEqual(at(45))
    expect(() => jobDeadline({ VERIFY_FAILOVER_JOB_DEADLINE: 'soon' })).toThrow(
      /^Input 'VERIFY_FAILOVER_JOB_DEADLINE': "soon" is not valid\. Expected an ISO 8601 time/,
    )
  })
})

describe('earliestLimit and credentialsExpiry', () => {
  it('takes whichever comes first, and nothing when neither is known', () => {
    expect(earliestLimit(undefined, undefined)).toBeUndefined()
    expect(earliestLimit(at(30), at(45))).toEqual({ at: at(30), what: 'the AWS credentials expire' })
    expect(earliestLimit(at(60), at(45))).toEqual({ at: at(45), what: 'the job times out' })
  })
  it('reads the resolved credentials’ expiration, and nothing when they cannot be resolved', async () => {
    const client = (credentials: () => Promise<{ expiration?: Date }>) => ({ config: { credentials } })
    expect(await credentialsExpiry(client(async () => ({ expiration: at(50) })))).toEqual(at(50))
    expect(await credentialsExpiry(client(async () => ({})))).toBeUndefined()
    expect(
      await credentialsExpiry(
        client(async () => {
          throw new Error('Could not load credentials from any providers')
        }),
      ),
    ).toBeUndefined()
  })
})

describe('checkDrillTimeout', () => {
  it('accepts a timeout that leaves the restore its time, and refuses one that does not, naming the input', () => {
    expect(() => checkDrillTimeout(10 * 60000, undefined, NOW)).not.toThrow()
    expect(() => checkDrillTimeout(10 * 60000, earliestLimit(at(12)), NOW)).not.toThrow()
    expect(() => checkDrillTimeout(10 * 60000, earliestLimit(at(11)), NOW)).toThrow(
      /^Input 'drill-timeout-minutes': "10" is not valid\. Expected at most 9: the AWS credentials expire at 2026-12-01T12:11:00\.000Z, in 11 min, and the restore needs 2 min after the failover wait\.$/,
    )
    expect(() => checkDrillTimeout(60000, earliestLimit(undefined, at(2)), NOW)).toThrow(
      /Expected less than 1 \(no drill fits\): the job times out at/,
    )
  })
})

describe('waitWithin', () => {
  it('cuts a wait short so the reserve is left before the limit', () => {
    const limit = earliestLimit(at(5))
    expect(waitWithin(60000, undefined, RESTORE_RESERVE_MS, NOW)).toBe(60000)
    expect(waitWithin(60000, limit, RESTORE_RESERVE_MS, NOW)).toBe(60000)
    expect(waitWithin(10 * 60000, limit, RESTORE_RESERVE_MS, NOW)).toBe(3 * 60000)
    expect(waitWithin(10 * 60000, earliestLimit(at(1)), RESTORE_RESERVE_MS, NOW)).toBe(0)
  })
})
