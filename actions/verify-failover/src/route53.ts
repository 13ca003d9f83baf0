import {
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  ListResourceRecordSetsCommand,
  TestDNSAnswerCommand,
  type HealthCheck,
  type HealthCheckObservation,
  type ResourceRecordSet,
  type Route53Client,
  type RRType,
} from '@aws-sdk/client-route-53'
import { errorCode, isTransientError } from '../../../lib/aws.js'
import { retryWhile } from '../../../lib/poll.js'
import { partitionOf } from '../../../lib/regions.js'
import { endpointHealth, judgeHealth, judgeRecordsHealth, type HealthView } from './health.js'
import { chooseRecordType, normaliseName, toRoutedRecords, type RoutedRecord } from './records.js'
import { fanOut } from '../../../lib/fanout.js'

/** Route 53 is global; its API is signed for one region per partition. */
export function route53ClientRegion(region: string | undefined): string {
  const partition = region ? partitionOf(region) : undefined
  if (partition === 'aws-cn') return 'cn-northwest-1'
  if (partition === 'aws-us-gov') return 'us-gov-west-1'
  return 'us-east-1'
}

/**
 * Errors that are safe to repeat but may outlast the SDK's own attempts on a
 * busy account (Route 53 allows 5 requests a second, GetHealthCheckStatus 1):
 * every Route 53 call made here is a read or a version-guarded update.
 */
export const isRetryable = isTransientError

export function withRetries<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  return retryWhile(() => fn(), { retryable: isRetryable, timeoutMs: 60000, signal })
}

/** Every record set with the name (all types), reading the pages until the name is passed. */
export async function readRecordSets(
  client: Route53Client,
  zoneId: string,
  name: string,
): Promise<ResourceRecordSet[]> {
  const wanted = normaliseName(name)
  const found: ResourceRecordSet[] = []
  let start: { name?: string; type?: RRType; id?: string } = { name: wanted }
  for (;;) {
    const page = await withRetries(() =>
      client.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          StartRecordName: start.name,
          StartRecordType: start.type,
          StartRecordIdentifier: start.id,
        }),
      ),
    )
    const sets = page.ResourceRecordSets ?? []
    found.push(...sets.filter((s) => normaliseName(s.Name ?? '') === wanted))
    const passed = sets.some((s) => normaliseName(s.Name ?? '') !== wanted && found.length > 0)
    if (!page.IsTruncated || passed) break
    start = { name: page.NextRecordName, type: page.NextRecordType, id: page.NextRecordIdentifier }
  }
  return found
}

export async function readHealthCheck(client: Route53Client, id: string, signal?: AbortSignal) {
  try {
    const out = await withRetries(() => client.send(new GetHealthCheckCommand({ HealthCheckId: id })), signal)
    return out.HealthCheck
  } catch (error) {
    if (errorCode(error) === 'NoSuchHealthCheck') return undefined
    throw error
  }
}

export async function readHealthStatus(
  client: Route53Client,
  id: string,
  signal?: AbortSignal,
): Promise<HealthCheckObservation[]> {
  const out = await withRetries(
    () => client.send(new GetHealthCheckStatusCommand({ HealthCheckId: id })),
    signal,
  )
  return out.HealthCheckObservations ?? []
}

/**
 * The values Route 53's name servers answer with now (TestDNSAnswer), from its
 * default resolver in us-east-1, or for a client in `clientSubnet` (the EDNS0
 * client subnet, /24 for IPv4 and /64 for IPv6 by default), which latency
 * records are chosen by.
 */
export async function testDnsAnswer(
  client: Route53Client,
  zoneId: string,
  name: string,
  type: string,
  signal?: AbortSignal,
  clientSubnet?: string,
): Promise<string[]> {
  const out = await withRetries(
    () =>
      client.send(
        new TestDNSAnswerCommand({
          HostedZoneId: zoneId,
          RecordName: name,
          RecordType: type as RRType,
          ...(clientSubnet ? { EDNS0ClientSubnetIP: clientSubnet } : {}),
        }),
      ),
    signal,
  )
  return out.RecordData ?? []
}

export type HealthChecks = ReadonlyMap<string, HealthCheck | undefined>

export interface CurrentState {
  recordType: string
  /** Every type the name has, for messages. */
  types: string[]
  records: RoutedRecord[]
  /** The records' health checks and the children of their CALCULATED checks. */
  healthChecks: HealthChecks
  /** The checkers' reports of every check that has checkers (not of CALCULATED ones). */
  statuses: Map<string, HealthCheckObservation[]>
  /** Route 53's verdict on each of the records' health checks. */
  health: Map<string, HealthView>
}

const isCalculated = (hc: HealthCheck | undefined) => hc?.HealthCheckConfig?.Type === 'CALCULATED'

async function readHealthChecks(
  client: Route53Client,
  ids: readonly string[],
  into: Map<string, HealthCheck | undefined>,
  signal?: AbortSignal,
): Promise<void> {
  const wanted = ids.filter((id) => !into.has(id))
  for (const r of await fanOut(wanted, (id) => readHealthCheck(client, id, signal), { concurrency: 4 })) {
    if (r.state === 'rejected') throw r.error
    if (r.state === 'fulfilled') into.set(r.item, r.value)
  }
}

/** GetHealthCheckStatus of every existing check that has checkers (it allows one call a second: two at a time). */
async function readStatuses(
  client: Route53Client,
  healthChecks: HealthChecks,
  signal?: AbortSignal,
): Promise<Map<string, HealthCheckObservation[]>> {
  const statuses = new Map<string, HealthCheckObservation[]>()
  const ids = [...healthChecks].filter(([, hc]) => hc !== undefined && !isCalculated(hc)).map(([id]) => id)
  for (const r of await fanOut(ids, (id) => readHealthStatus(client, id, signal), { concurrency: 2 })) {
    if (r.state === 'rejected') throw r.error
    if (r.state === 'fulfilled') statuses.set(r.item, r.value)
  }
  return statuses
}

/**
 * Everything the checks need, read once: the name's records (one paginated
 * listing), each distinct health check (and the children of CALCULATED ones,
 * which GetHealthCheckStatus does not answer for), and Route 53's status of
 * every check that has checkers.
 */
export async function readCurrentState(
  client: Route53Client,
  zoneId: string,
  recordName: string,
  requestedType: string | undefined,
  signal?: AbortSignal,
): Promise<CurrentState> {
  const sets = await readRecordSets(client, zoneId, recordName)
  const types = [...new Set(sets.map((s) => String(s.Type)))]
  const recordType = chooseRecordType(sets, requestedType) ?? ''
  const group = sets.filter((s) => s.Type === recordType)
  const ids = [...new Set(group.map((s) => s.HealthCheckId).filter((id): id is string => id !== undefined))]
  const healthChecks = new Map<string, HealthCheck | undefined>()
  await readHealthChecks(client, ids, healthChecks, signal)
  const children = ids.flatMap((id) => {
    const hc = healthChecks.get(id)
    return isCalculated(hc) ? (hc!.HealthCheckConfig!.ChildHealthChecks ?? []) : []
  })
  await readHealthChecks(client, [...new Set(children)], healthChecks, signal)
  const statuses = await readStatuses(client, healthChecks, signal)
  const records = toRoutedRecords(group, healthChecks)
  return {
    recordType,
    types,
    records,
    healthChecks,
    statuses,
    health: judgeRecordsHealth(records, healthChecks, statuses),
  }
}

/**
 * Route 53's verdict on one check now (the drill's polls): the checkers' reports
 * of an endpoint check; for a CALCULATED check its own configuration read again
 * (the drill changes its Inverted flag) and its children's reports.
 */
export async function readHealth(
  client: Route53Client,
  id: string,
  known: HealthChecks,
  signal?: AbortSignal,
): Promise<HealthView | undefined> {
  if (!isCalculated(known.get(id))) return endpointHealth(await readHealthStatus(client, id, signal))
  const checks = new Map(known)
  checks.set(id, await readHealthCheck(client, id, signal))
  const children = new Map<string, HealthCheck | undefined>()
  for (const child of checks.get(id)?.HealthCheckConfig?.ChildHealthChecks ?? [])
    children.set(child, checks.get(child))
  const statuses = await readStatuses(client, children, signal)
  return judgeHealth(id, checks, statuses)
}
