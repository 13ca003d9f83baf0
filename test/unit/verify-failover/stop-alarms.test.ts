import { RegionLog } from '../../../lib/log.js'
import type { AlarmReading } from '../../../actions/verify-failover/src/cloudwatch.js'
import {
  alarmReason,
  StopAlarmWatch,
  type ReadAlarms,
} from '../../../actions/verify-failover/src/stop-alarms.js'

const alarms = [
  { name: 'us-5xx', given: 'us-5xx' },
  { name: 'eu-5xx', region: 'eu-west-1', given: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:eu-5xx' },
]

/** Alarms by region and name, in a state the test changes. */
function cloudWatch(states: Record<string, string>) {
  const calls: string[] = []
  const read: ReadAlarms = async (region, names) => {
    calls.push(`${region}: ${names.join(', ')}`)
    return names
      .filter((n) => states[`${region}/${n}`] !== undefined)
      .map((n): AlarmReading => ({ name: n, state: states[`${region}/${n}`]!, reason: `reason of ${n}` }))
  }
  return { read, calls }
}

const watchOf = (read: ReadAlarms) =>
  StopAlarmWatch.of(alarms, 'us-east-1', read, 10, new RegionLog('us-east-1'))

describe('StopAlarmWatch', () => {
  it('reads a bare name in the drilled region and an ARN in its own, one call per region', async () => {
    const cw = cloudWatch({ 'us-east-1/us-5xx': 'OK', 'eu-west-1/eu-5xx': 'INSUFFICIENT_DATA' })
    expect(await watchOf(cw.read).blocker()).toBeUndefined()
    expect(cw.calls.sort()).toEqual(['eu-west-1: eu-5xx', 'us-east-1: us-5xx'])
  })

  it('keeps the drill from starting while an alarm is in ALARM, or is missing', async () => {
    const alarming = cloudWatch({ 'us-east-1/us-5xx': 'OK', 'eu-west-1/eu-5xx': 'ALARM' })
    expect(await watchOf(alarming.read).blocker()).toBe(
      'stop alarm arn:aws:cloudwatch:eu-west-1:123456789012:alarm:eu-5xx (eu-west-1) is in ALARM: reason of eu-5xx',
    )
    // Named in the wrong region: not found there.
    const missing = cloudWatch({ 'eu-west-1/us-5xx': 'OK', 'eu-west-1/eu-5xx': 'OK' })
    expect(await watchOf(missing.read).blocker()).toBe('stop alarm(s) not found: us-5xx (us-east-1)')
  })

  it('aborts its signal when an alarm goes to ALARM, and stops reading once stopped', async () => {
    const states: Record<string, string> = { 'us-east-1/us-5xx': 'OK', 'eu-west-1/eu-5xx': 'OK' }
    const cw = cloudWatch(states)
    const watch = watchOf(cw.read)
    watch.start()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(watch.signal.aborted).toBe(false)
    states['us-east-1/us-5xx'] = 'ALARM'
    await new Promise<void>((resolve) => watch.signal.addEventListener('abort', () => resolve()))
    expect(watch.tripped).toMatchObject({
      alarm: 'us-5xx',
      region: 'us-east-1',
      reason: 'in ALARM: reason of us-5xx',
    })
    await watch.stop()
    const reads = cw.calls.length
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(cw.calls.length).toBe(reads)
    expect(watch.rounds.at(-1)!.states).toContainEqual({
      alarm: 'us-5xx',
      region: 'us-east-1',
      state: 'ALARM',
      reason: 'reason of us-5xx',
    })
  })

  it('ends the drill when the alarms cannot be read three times in a row', async () => {
    const watch = watchOf(async () => {
      throw new Error('AccessDenied: not authorized to perform cloudwatch:DescribeAlarms')
    })
    watch.start()
    await new Promise<void>((resolve) => watch.signal.addEventListener('abort', () => resolve()))
    expect(watch.tripped!.reason).toBe(
      'stop alarms could not be read 3 times in a row: AccessDenied: not authorized to perform cloudwatch:DescribeAlarms',
    )
    await watch.stop()
  })

  it('never trips after stop(), even with an alarm in ALARM', async () => {
    const watch = watchOf(cloudWatch({ 'us-east-1/us-5xx': 'ALARM', 'eu-west-1/eu-5xx': 'OK' }).read)
    watch.start()
    await watch.stop()
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(watch.tripped).toBeUndefined()
    expect(watch.signal.aborted).toBe(false)
  })
})

describe('alarmReason', () => {
  it('keeps an alarm reason to one line of at most 300 characters', () => {
    expect(alarmReason('Threshold Crossed:\n  1 datapoint\r\n[42.0]')).toBe(
      'Threshold Crossed: 1 datapoint [42.0]',
    )
    expect(alarmReason('a'.repeat(400))).toHaveLength(300)
  })
})
