import { describeError } from '../../../lib/aws.js'
import type { RegionLog } from '../../../lib/log.js'
import { sleep } from '../../../lib/poll.js'
import type { AlarmReading } from './cloudwatch.js'
import type { StopAlarm } from './input-helper.js'

/** Reads the named alarms of one region (DescribeAlarms); injected so the watch can be unit tested. */
export type ReadAlarms = (region: string, names: string[], signal?: AbortSignal) => Promise<AlarmReading[]>

/** An alarm that went to ALARM (or could no longer be read) during the drill. */
export interface StopEvent {
  alarm: string
  region: string
  reason: string
  /** When the watch saw it (ms since the epoch). */
  seenAt: number
}

/** One reading of every stop alarm, kept for the drill record. */
export interface AlarmRound {
  at: string
  states: Array<{ alarm: string; region: string; state: string; reason?: string }>
}

/**
 * An alarm's StateReason, written by whoever configured the alarm: one line of at
 * most 300 characters. Where it is printed, the log (logSafe) and the summary
 * (markdownText) keep it from steering the runner or opening HTML.
 */
export function alarmReason(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > 300 ? `${line.slice(0, 299)}…` : line
}

/** Reads that may fail in a row before the watch stops the drill: it no longer knows the alarms' state. */
const MAX_FAILED_READS = 3

/**
 * The drill's stop conditions, in the spirit of AWS Fault Injection Service: no
 * drill starts while one of the alarms is in ALARM (or does not exist), and
 * during the drill the alarms are read every `intervalMs`; the first one in
 * ALARM aborts `signal`, which ends every wait of the drill at once so the
 * health check is restored.
 */
export class StopAlarmWatch {
  readonly rounds: AlarmRound[] = []
  tripped?: StopEvent
  private readonly controller = new AbortController()
  private loop?: Promise<void>
  private stopped = new AbortController()

  constructor(
    private readonly alarms: ReadonlyArray<StopAlarm & { region: string }>,
    private readonly read: ReadAlarms,
    private readonly intervalMs: number,
    private readonly log: RegionLog,
  ) {}

  static of(
    alarms: readonly StopAlarm[],
    drillRegion: string,
    read: ReadAlarms,
    intervalMs: number,
    log: RegionLog,
  ): StopAlarmWatch {
    return new StopAlarmWatch(
      alarms.map((a) => ({ ...a, region: a.region ?? drillRegion })),
      read,
      intervalMs,
      log,
    )
  }

  /** Aborted when an alarm goes to ALARM during the drill. */
  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** Every alarm with its reading (undefined: no such alarm in that region). */
  async readAll(signal?: AbortSignal) {
    const regions = [...new Set(this.alarms.map((a) => a.region))]
    const byRegion = await Promise.all(
      regions.map(async (region) => {
        const names = this.alarms.filter((a) => a.region === region).map((a) => a.name)
        return [region, await this.read(region, names, signal)] as const
      }),
    )
    const found = new Map(byRegion)
    const states = this.alarms.map((alarm) => ({
      alarm,
      reading: found.get(alarm.region)?.find((r) => r.name === alarm.name),
    }))
    this.rounds.push({
      at: new Date().toISOString(),
      states: states.map((s) => ({
        alarm: s.alarm.given,
        region: s.alarm.region,
        state: s.reading?.state ?? 'NOT_FOUND',
        ...(s.reading?.state === 'ALARM' ? { reason: alarmReason(s.reading.reason) } : {}),
      })),
    })
    return states
  }

  /** Why the drill must not start, or undefined: every alarm exists and none is in ALARM. */
  async blocker(signal?: AbortSignal): Promise<string | undefined> {
    const states = await this.readAll(signal)
    const missing = states.filter((s) => !s.reading).map((s) => `${s.alarm.given} (${s.alarm.region})`)
    if (missing.length > 0) return `stop alarm(s) not found: ${missing.join(', ')}`
    const alarming = states.find((s) => s.reading!.state === 'ALARM')
    if (alarming) {
      return `stop alarm ${alarming.alarm.given} (${alarming.alarm.region}) is in ALARM: ${alarmReason(alarming.reading!.reason)}`
    }
    this.log.info(
      `Stop alarms: ${states.map((s) => `${s.alarm.given} ${s.reading!.state}`).join(', ')}; read every ${this.intervalMs / 1000} s during the drill`,
    )
    return undefined
  }

  /** Starts reading the alarms every interval until `stop()`. */
  start(): void {
    this.loop ??= this.watch()
  }

  async stop(): Promise<void> {
    this.stopped.abort()
    await this.loop
  }

  private async watch(): Promise<void> {
    let failed = 0
    while (!this.stopped.signal.aborted && !this.tripped) {
      try {
        await sleep(this.intervalMs, this.stopped.signal)
      } catch {
        return
      }
      try {
        const states = await this.readAll(this.stopped.signal)
        // Stopped while reading: the drill has nothing left to stop.
        if (this.stopped.signal.aborted) return
        failed = 0
        const alarming = states.find((s) => s.reading?.state === 'ALARM')
        const missing = states.find((s) => !s.reading)
        if (alarming) this.trip(alarming.alarm, `in ALARM: ${alarmReason(alarming.reading!.reason)}`)
        else if (missing) this.trip(missing.alarm, 'no longer exists')
      } catch (error) {
        if (this.stopped.signal.aborted) return
        failed++
        this.log.warning(`Could not read the stop alarms (${failed} in a row): ${describeError(error)}`)
        if (failed >= MAX_FAILED_READS) {
          const first = this.alarms[0]!
          this.trip(first, `stop alarms could not be read ${failed} times in a row: ${describeError(error)}`)
        }
      }
    }
  }

  private trip(alarm: StopAlarm & { region: string }, reason: string): void {
    this.tripped = { alarm: alarm.given, region: alarm.region, reason, seenAt: Date.now() }
    this.log.error(
      `Stop alarm ${alarm.given} (${alarm.region}) ${reason}: ending the drill`,
      'verify-failover drill',
    )
    this.controller.abort(new Error(`stop alarm ${alarm.given} ${reason}`))
  }
}
