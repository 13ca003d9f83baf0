import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Drill } from './drill-step.js'
import type { Report } from './summary.js'

/** The full record of a drill, for teams that keep drill evidence. */
export interface DrillRecord {
  kind: 'verify-failover drill record'
  version: 1
  hostedZoneId: string
  recordName: string
  recordType: string
  region: string
  passed: boolean
  predictedFailoverSeconds?: number
  prediction?: string
  failoverSeconds?: number
  recoverySeconds?: number
  invertedAt?: string
  restoredAt?: string
  restore?: string
  stoppedBy?: Omit<NonNullable<Drill['result']['stopped']>, 'seenAt'> & { seenAt: string }
  vantage: NonNullable<Drill['result']['vantage']>
  /** What the runner's resolvers answered (`resolvers`), their caches included. */
  resolvers?: Drill['result']['resolvers']
  /** Each vantage point's answers as they changed. */
  timeline: NonNullable<Drill['result']['timeline']>
  /** Every reading of the stop alarms. */
  alarms: Drill['alarmRounds']
  checks: Report['checks']
}

export function drillRecord(report: Report, drill: Drill): DrillRecord {
  const r = drill.result
  return {
    kind: 'verify-failover drill record',
    version: 1,
    hostedZoneId: report.hostedZoneId,
    recordName: report.recordName,
    recordType: report.recordType,
    region: drill.region,
    passed: report.checks.filter((c) => c.category === 'drill').every((c) => c.passed),
    predictedFailoverSeconds: drill.prediction?.seconds,
    prediction: drill.prediction?.detail,
    failoverSeconds: r.failoverSeconds,
    recoverySeconds: r.recoverySeconds,
    invertedAt: r.invertedAt,
    restoredAt: r.restoredAt,
    restore: r.restore,
    stoppedBy: r.stopped && { ...r.stopped, seenAt: new Date(r.stopped.seenAt).toISOString() },
    vantage: r.vantage ?? [],
    resolvers: r.resolvers,
    timeline: r.timeline ?? [],
    alarms: drill.alarmRounds,
    checks: report.checks.filter((c) => c.category === 'drill'),
  }
}

/** Writes the record as JSON into RUNNER_TEMP (the system's temporary folder outside a runner); returns its path. */
export function writeDrillRecord(record: DrillRecord, env: NodeJS.ProcessEnv = process.env): string {
  const stamp = (record.invertedAt ?? new Date().toISOString()).replace(/[:.]/g, '-')
  const path = join(env.RUNNER_TEMP || tmpdir(), `verify-failover-drill-${record.region}-${stamp}.json`)
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`)
  return path
}
