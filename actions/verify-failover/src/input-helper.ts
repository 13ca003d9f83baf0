import { isIP } from 'node:net'
import { InputError, Inputs, validateRegions } from '../../../lib/inputs.js'
import { RESOLVABLE_TYPES } from './resolvers.js'
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
  /** CloudWatch alarms that stop the drill (and keep it from starting) when in ALARM. */
  stopAlarms: StopAlarm[]
  /** How often the stop alarms are read during the drill. */
  alarmIntervalMs: number
  /** Client locations the drill asks Route 53 about; empty: Route 53's default resolver alone. */
  vantagePoints: VantagePoint[]
  /** The recovery-time objective: the drill fails when a measured failover takes longer. */
  maxFailoverSeconds?: number
  /** DNS resolvers the runner asks during the drill, as clients would (their caches included). */
  resolvers: Resolver[]
}

/** A DNS resolver the runner asks: `server` as node:dns takes it (`ip`, `ip:port`, `[ipv6]:port`). */
export interface Resolver {
  server: string
  given: string
}

/** A stop condition: an alarm by name, in the drilled region unless its ARN names another. */
export interface StopAlarm {
  name: string
  /** From the ARN; a bare name is read in the drilled region. */
  region?: string
  /** As given, for messages. */
  given: string
}

/** A named client location: TestDNSAnswer is asked with its address as the EDNS0 client subnet. */
export interface VantagePoint {
  name: string
  /** Undefined for Route 53's default resolver (no client subnet). */
  clientSubnet?: string
  /** A DNS resolver the runner asks instead of Route 53 (`resolvers`). */
  resolver?: string
}

/** The vantage point used when none are given: what TestDNSAnswer answers without a client subnet. */
export const DEFAULT_VANTAGE: VantagePoint = { name: 'default-resolver' }

/** Stop alarms are read at least this often during a drill (shorter when polls are). */
export const ALARM_INTERVAL_MS = 2000

const ALARM_ARN = /^arn:(aws|aws-cn|aws-us-gov):cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$/
const ALARM_FORM =
  'CloudWatch alarm names or ARNs (arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-5xx), separated by commas or newlines'

/** CloudWatch alarm names or ARNs; an ARN's region must be a known region of its partition. */
export function parseStopAlarms(input: string, items: readonly string[]): StopAlarm[] {
  return items.map((given) => {
    if (given.startsWith('arn:')) {
      const m = ALARM_ARN.exec(given)
      if (!m) throw new InputError(input, given, ALARM_FORM)
      const region = validateRegions(input, given, [m[2]!], ALARM_FORM)[0]!
      return { name: m[4]!, region, given }
    }
    // AlarmName: 1 to 255 characters (DescribeAlarms, AlarmNames).
    if (given.length > 255 || /\p{Cc}/u.test(given)) throw new InputError(input, given, ALARM_FORM)
    return { name: given, given }
  })
}

const VANTAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/
const VANTAGE_FORM =
  'name=client-subnet-ip pairs such as virginia=3.80.0.1, ireland=3.248.0.1 (names of letters, digits, . _ -; IPv4 or IPv6 addresses), separated by commas or newlines'

/** `name=ip` pairs, each name once. */
export function parseVantagePoints(input: string, items: readonly string[]): VantagePoint[] {
  const points = items.map((item) => {
    const eq = item.indexOf('=')
    if (eq < 0) throw new InputError(input, item, VANTAGE_FORM)
    const name = item.slice(0, eq).trim()
    const clientSubnet = item.slice(eq + 1).trim()
    if (!VANTAGE_NAME.test(name) || isIP(clientSubnet) === 0) throw new InputError(input, item, VANTAGE_FORM)
    return { name, clientSubnet }
  })
  const names = points.map((p) => p.name)
  const twice = names.find((n, i) => names.indexOf(n) !== i)
  if (twice) throw new InputError(input, items.join(', '), `${VANTAGE_FORM}; '${twice}' is named twice`)
  return points
}

const RESOLVER_FORM =
  'resolver IP addresses such as 1.1.1.1 or 2606:4700:4700::1111, a port as 9.9.9.9:53 or [2620:fe::fe]:53, separated by commas or newlines'

/** Resolver addresses, each with an optional port. */
export function parseResolvers(input: string, items: readonly string[]): Resolver[] {
  return items.map((given) => {
    const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(given)
    const v4 = /^([\d.]+)(?::(\d{1,5}))?$/.exec(given)
    // A bare IPv6 address has no port; with one, it is written in brackets.
    const [address, port] = v6 ? [v6[1]!, v6[2]] : v4 ? [v4[1]!, v4[2]] : [given, undefined]
    const family = isIP(address)
    const portOk = port === undefined || (Number(port) >= 1 && Number(port) <= 65535)
    if (family === 0 || !portOk || (v6 !== null && family !== 6)) {
      throw new InputError(input, given, RESOLVER_FORM)
    }
    const host = family === 6 ? `[${address}]` : address
    return { server: port ? `${host}:${port}` : address, given }
  })
}

/** An input that only a drill gives meaning to. */
function drillOnly(input: string, value: string, drillRegion: string | undefined): void {
  if (value !== '' && !drillRegion) {
    throw new InputError(input, value, 'empty unless drill-region names a region to drill')
  }
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
  const stopAlarms = parseStopAlarms('stop-alarms', inputs.list('stop-alarms'))
  const vantagePoints = parseVantagePoints('vantage-points', inputs.list('vantage-points'))
  const maxFailoverSeconds = inputs.optionalInteger('max-failover-seconds', { min: 1, max: 21600 })
  const resolvers = parseResolvers('resolvers', inputs.list('resolvers'))
  for (const name of ['stop-alarms', 'vantage-points', 'max-failover-seconds', 'resolvers'])
    drillOnly(name, inputs.raw(name), drillRegion)
  const polls = pollMaxMs(env)
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
    pollMaxMs: polls,
    aliasProbePort: aliasProbePort(env),
    jobDeadline: jobDeadline(env),
    stopAlarms,
    alarmIntervalMs: Math.min(ALARM_INTERVAL_MS, polls),
    vantagePoints,
    maxFailoverSeconds,
    resolvers,
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

/** Resolvers are read for address and name records only (their answers are compared with the records' values). */
export function checkResolvers(resolvers: readonly Resolver[], recordType: string): void {
  if (resolvers.length > 0 && !(RESOLVABLE_TYPES as readonly string[]).includes(recordType)) {
    throw new InputError(
      'resolvers',
      resolvers.map((r) => r.given).join(', '),
      `empty for ${recordType} records: resolvers are followed for ${RESOLVABLE_TYPES.join(', ')} records`,
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
