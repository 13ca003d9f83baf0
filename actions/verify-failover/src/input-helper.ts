import { InputError, Inputs } from '../../../lib/inputs.js'
import { jobDeadline } from './time-budget.js'

export const RECORD_TYPES = [
  'A',
  'AAAA',
  'CNAME',
  'TXT',
  'MX',
  'SRV',
  'CAA',
  'NAPTR',
  'PTR',
  'SPF',
  'DS',
] as const
export type RecordType = (typeof RECORD_TYPES)[number]

/** Environment knob for the longest pause between polls (tests shorten it; real runs keep the default). */
export const POLL_MAX_ENV = 'VERIFY_FAILOVER_POLL_MAX_MS'
export const DEFAULT_POLL_MAX_MS = 10000

export interface Settings {
  /** The bare zone id, without `/hostedzone/`. */
  hostedZoneId: string
  /** Lower case, fully qualified (trailing dot). */
  recordName: string
  recordType?: RecordType
  probe: boolean
  /** Probe targets on the runner's own network (loopback, link-local, unspecified) too. */
  allowPrivateTargets: boolean
  /** How many regions must be healthy; `all` means every routed region. */
  minHealthy: number | 'all'
  maxTtl: number
  maxDetectionSeconds: number
  simulateDepth: number
  drillRegion?: string
  drillTimeoutMs: number
  pollMaxMs: number
  /** The port alias targets are probed on. */
  aliasProbePort: number
  /** When the job times out, where the workflow says (VERIFY_FAILOVER_JOB_DEADLINE). */
  jobDeadline?: Date
}

/**
 * Real zone ids start with Z (up to 32 upper-case letters and digits); moto
 * makes 22 random upper-case letters and digits. `/hostedzone/` may precede it.
 */
const ZONE_ID = /^(?:\/hostedzone\/)?(Z[A-Z0-9]{1,31}|[A-Z0-9]{22})$/
const ZONE_ID_FORM = 'a hosted zone id such as Z0123456789ABCDEFGHIJ (optionally prefixed with /hostedzone/)'

/** A DNS name: labels of letters, digits, hyphens and underscores (a leading `*.` allowed), at most 253 characters. */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/
export function normaliseRecordName(input: string, value: string): string {
  const accepted =
    'a DNS name such as api.example.com (letters, digits, hyphens; labels of at most 63 characters)'
  const name = value.toLowerCase().replace(/\.$/, '')
  if (name === '' || name.length > 253) throw new InputError(input, value, accepted)
  const labels = name.split('.')
  labels.forEach((label, i) => {
    if (!(LABEL.test(label) || (i === 0 && label === '*'))) throw new InputError(input, value, accepted)
  })
  if (labels.length < 2) throw new InputError(input, value, accepted)
  return `${name}.`
}

/**
 * Environment knob for the port an alias target is probed on. Real runs keep
 * 443, the HTTPS listener of load balancers, API Gateway and CloudFront; tests
 * point it at a local listener.
 */
export const ALIAS_PORT_ENV = 'VERIFY_FAILOVER_ALIAS_PROBE_PORT'
export const DEFAULT_ALIAS_PORT = 443

export function aliasProbePort(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[ALIAS_PORT_ENV]
  if (raw === undefined || raw === '') return DEFAULT_ALIAS_PORT
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 1 || n > 65535) {
    throw new InputError(ALIAS_PORT_ENV, raw, 'a TCP port from 1 to 65535')
  }
  return n
}

export function pollMaxMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[POLL_MAX_ENV]
  if (raw === undefined || raw === '') return DEFAULT_POLL_MAX_MS
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 10 || n > 60000) {
    throw new InputError(POLL_MAX_ENV, raw, 'a whole number of milliseconds from 10 to 60000')
  }
  return n
}

export function getSettings(inputs: Inputs, env: NodeJS.ProcessEnv = process.env): Settings {
  const zone = inputs.matching('hosted-zone-id', ZONE_ID, ZONE_ID_FORM, { required: true })!
  const hostedZoneId = ZONE_ID.exec(zone)![1]!
  const recordName = normaliseRecordName('record-name', inputs.string('record-name', { required: true }))
  const recordType = inputs.raw('record-type') === '' ? undefined : inputs.choice('record-type', RECORD_TYPES)
  const probe = inputs.boolean('probe', true)
  const allowPrivateTargets = inputs.boolean('allow-private-targets', false)
  const rawMin = inputs.raw('min-healthy')
  let minHealthy: number | 'all' = 'all'
  if (rawMin !== '' && rawMin.toLowerCase() !== 'all') {
    if (!/^\d+$/.test(rawMin) || Number(rawMin) < 1 || Number(rawMin) > 100) {
      throw new InputError('min-healthy', rawMin, '`all` or a whole number of regions from 1 to 100')
    }
    minHealthy = Number(rawMin)
  }
  const maxTtl = inputs.integer('max-ttl', { default: 60, min: 0, max: 604800 })
  const maxDetectionSeconds = inputs.integer('max-detection-seconds', { default: 120, min: 10, max: 3600 })
  const simulateDepth = inputs.integer('simulate-depth', { default: 1, min: 0, max: 10 })
  const drillRegion = inputs.region('drill-region')
  const drillTimeoutMinutes = inputs.integer('drill-timeout-minutes', { default: 10, min: 1, max: 360 })
  return {
    hostedZoneId,
    recordName,
    recordType,
    probe,
    allowPrivateTargets,
    minHealthy,
    maxTtl,
    maxDetectionSeconds,
    simulateDepth,
    drillRegion,
    drillTimeoutMs: drillTimeoutMinutes * 60000,
    pollMaxMs: pollMaxMs(env),
    aliasProbePort: aliasProbePort(env),
    jobDeadline: jobDeadline(env),
  }
}

/**
 * The drill region must be one the records route to; known only once they are
 * read, and checked before anything is changed.
 */
export function checkDrillRegion(drillRegion: string | undefined, regions: readonly string[]): void {
  if (drillRegion && !regions.includes(drillRegion)) {
    throw new InputError(
      'drill-region',
      drillRegion,
      `one of the regions the records route to (${regions.join(', ')})`,
    )
  }
}

/**
 * A number in `min-healthy` must not exceed the regions the records route to:
 * no answer could meet it, so it cannot mean what it says. Known only once the
 * records are read; checked before anything is changed.
 */
export function checkMinHealthy(minHealthy: number | 'all', regions: readonly string[]): void {
  if (minHealthy !== 'all' && minHealthy > regions.length) {
    throw new InputError(
      'min-healthy',
      String(minHealthy),
      `\`all\` or at most the ${regions.length} region(s) the records route to (${regions.join(', ') || 'none'})`,
    )
  }
}

/** The record type must be one the name has. */
export function checkRecordType(recordName: string, recordType: string, types: readonly string[]): void {
  if (types.length === 0) throw new Error(`No records named ${recordName} in this hosted zone`)
  if (!types.includes(recordType)) {
    throw new InputError('record-type', recordType, `a type ${recordName} has (${types.join(', ')})`)
  }
}
