import type { HealthCheckConfig } from '@aws-sdk/client-route-53'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { lookup as dnsLookup } from 'node:dns'
import { BlockList, connect, isIP, type LookupFunction } from 'node:net'

/**
 * What a Route 53 health checker does, from the runner: a TCP connection within
 * 4 s, then an HTTP 2xx or 3xx status within 2 s; for string-match checks the
 * search string must appear in the first 5,120 bytes of the body (Route 53
 * Developer Guide, "How Route 53 determines whether an endpoint health check is
 * healthy"). Like the checkers, certificates are not validated on HTTPS.
 */
export const CONNECT_TIMEOUT_MS = 4000
export const ANSWER_TIMEOUT_MS = 2000
export const SEARCH_BYTES = 5120

export interface ProbeTarget {
  protocol: 'http' | 'https' | 'tcp'
  /** Where to connect: the IP address, else the host name. */
  host: string
  /** The Host header (and SNI name): the domain name when one is set. */
  hostName?: string
  port: number
  path: string
  searchString?: string
  sni: boolean
}

/** The endpoint a health check calls, or undefined for checks that call none (calculated, alarm). */
export function probeTarget(config: HealthCheckConfig): ProbeTarget | undefined {
  const type = config.Type ?? ''
  const host = config.IPAddress || config.FullyQualifiedDomainName
  if (!host) return undefined
  let protocol: ProbeTarget['protocol']
  if (type === 'HTTP' || type === 'HTTP_STR_MATCH') protocol = 'http'
  else if (type === 'HTTPS' || type === 'HTTPS_STR_MATCH') protocol = 'https'
  else if (type === 'TCP') protocol = 'tcp'
  else return undefined
  const path = config.ResourcePath
    ? config.ResourcePath.startsWith('/')
      ? config.ResourcePath
      : `/${config.ResourcePath}`
    : '/'
  return {
    protocol,
    host,
    hostName: config.FullyQualifiedDomainName || undefined,
    port: config.Port ?? (protocol === 'https' ? 443 : 80),
    path,
    searchString: type.endsWith('_STR_MATCH') ? (config.SearchString ?? '') : undefined,
    sni: config.EnableSNI ?? protocol === 'https',
  }
}

export function describeTarget(target: ProbeTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host
  return target.protocol === 'tcp'
    ? `tcp://${host}:${target.port}`
    : `${target.protocol}://${host}:${target.port}${target.path}`
}

export interface ProbeResult {
  ok: boolean
  detail: string
  status?: number
  ms: number
  /** Why the target was not requested at all (an address of the runner's own network). */
  skipped?: string
}

export interface ProbeOptions {
  connectTimeoutMs?: number
  answerTimeoutMs?: number
  signal?: AbortSignal
  /** Request targets on the runner's own or a private network (notProbedReason) too. */
  allowPrivateTargets?: boolean
}

function blockList(subnets: ReadonlyArray<[string, number]>): BlockList {
  const list = new BlockList()
  for (const [network, prefix] of subnets)
    list.addSubnet(network, prefix, isIP(network) === 6 ? 'ipv6' : 'ipv4')
  return list
}

/**
 * Addresses a probe from the runner must not reach by accident: they lead into the
 * runner's own host or network, or a private network it can reach, never to a Route 53
 * endpoint (AWS: "Route 53 can't check the health of endpoints for which the IP address
 * is in local, private, non-routable, or multicast ranges", HealthCheckConfig
 * IPAddress). A health check anyone can edit would otherwise turn the runner into a
 * scanner of its own network. The instance metadata services (169.254.169.254,
 * fd00:ec2::254, and Azure's 168.63.129.16 on GitHub-hosted runners) are named first.
 * BlockList also matches the IPv4-mapped IPv6 forms (::ffff:10.0.0.1); NAT64 and 6to4
 * forms are read back to the IPv4 address they carry (embeddedIpv4).
 */
const NOT_PROBED: ReadonlyArray<{ reason: string; list: BlockList }> = [
  {
    reason: 'the instance metadata service address',
    list: blockList([
      ['169.254.169.254', 32],
      ['fd00:ec2::254', 128],
      ['168.63.129.16', 32],
    ]),
  },
  {
    reason: 'a link-local address',
    list: blockList([
      ['169.254.0.0', 16],
      ['fe80::', 10],
    ]),
  },
  {
    reason: 'a loopback address',
    list: blockList([
      ['127.0.0.0', 8],
      ['::1', 128],
    ]),
  },
  {
    reason: 'an unspecified address',
    list: blockList([
      ['0.0.0.0', 8],
      ['::', 128],
    ]),
  },
  {
    reason: 'a private address',
    list: blockList([
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
      ['fc00::', 7],
    ]),
  },
  {
    reason: 'a shared (carrier-grade NAT) address',
    list: blockList([['100.64.0.0', 10]]),
  },
  {
    reason: 'a multicast address',
    list: blockList([
      ['224.0.0.0', 4],
      ['ff00::', 8],
    ]),
  },
  {
    reason: 'a reserved or broadcast address',
    list: blockList([['240.0.0.0', 4]]),
  },
]

/** The 16-bit groups of an IPv6 address (with an embedded dotted IPv4 tail read as two groups). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase()
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? text.split('::', 2) : [text, undefined]
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : [])
  const front = parse(head)
  const back = parse(tail)
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back]
}

/**
 * The IPv4 address an IPv6 address carries, and the form: NAT64 (64:ff9b::/96, RFC 6052,
 * and the local-use 64:ff9b:1::/48, RFC 8215, the IPv4 address in the last 32 bits),
 * 6to4 (2002::/16, RFC 3056, the IPv4 address in bits 16 to 47) or IPv4-compatible
 * (::/96 but :: and ::1). Through a NAT64
 * gateway or a 6to4 relay such an address reaches that IPv4 address.
 */
export function embeddedIpv4(address: string): { form: string; ipv4: string } | undefined {
  if (isIP(address) !== 6) return undefined
  const g = ipv6Groups(address)
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
  if (g[0] === 0x64 && g[1] === 0xff9b && (g[2] === 0 || g[2] === 1))
    return { form: 'NAT64', ipv4: v4(g[6]!, g[7]!) }
  if (g[0] === 0x2002) return { form: '6to4', ipv4: v4(g[1]!, g[2]!) }
  // The deprecated IPv4-compatible form (::a.b.c.d, RFC 4291), which some stacks still route.
  if (g.slice(0, 6).every((x) => x === 0) && (g[6] !== 0 || g[7]! > 1))
    return { form: 'IPv4-compatible', ipv4: v4(g[6]!, g[7]!) }
  return undefined
}

/** Why an IP address is not probed, or undefined when it may be. */
export function notProbedReason(address: string): string | undefined {
  const family = isIP(address)
  if (family === 0) return undefined
  const type = family === 6 ? 'ipv6' : 'ipv4'
  const direct = NOT_PROBED.find((r) => r.list.check(address, type))?.reason
  if (direct) return direct
  const embedded = embeddedIpv4(address)
  const carried = embedded && notProbedReason(embedded.ipv4)
  if (!carried) return undefined
  const article = /^[AEIOU]/i.test(embedded.form) ? 'an' : 'a'
  return `${article} ${embedded.form} form of ${embedded.ipv4}, ${carried}`
}

/** A name that resolved to an address that is not probed. */
export class NotProbedError extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(host === address ? `${address} is ${reason}` : `${host} resolves to ${address}, ${reason}`)
    this.name = 'NotProbedError'
  }
}

/**
 * dns.lookup that refuses addresses the runner must not probe. The connection
 * uses the very addresses checked here, so a name cannot resolve differently
 * between the check and the connection.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, options, (error, address, family) => {
    if (error) return callback(error, address, family)
    const found = Array.isArray(address) ? address : [{ address, family }]
    for (const a of found) {
      const reason = notProbedReason(a.address)
      if (reason) return callback(new NotProbedError(hostname, a.address, reason), '', 0)
    }
    callback(null, address, family)
  })
}

export const ALLOW_PRIVATE_TARGETS_HINT = 'set allow-private-targets: true to probe it'

/** Decides a checker's verdict from the status and the start of the body. */
export function judge(status: number, head: Buffer, searchString?: string): { ok: boolean; detail: string } {
  if (status < 200 || status >= 400) return { ok: false, detail: `HTTP status ${status}` }
  if (searchString !== undefined) {
    const found = searchString !== '' && head.subarray(0, SEARCH_BYTES).includes(Buffer.from(searchString))
    if (!found)
      return {
        ok: false,
        detail: `HTTP status ${status}, "${searchString}" not in the first ${SEARCH_BYTES} bytes`,
      }
    return { ok: true, detail: `HTTP status ${status}, found "${searchString}"` }
  }
  return { ok: true, detail: `HTTP status ${status}` }
}

export function probe(target: ProbeTarget, options: ProbeOptions = {}): Promise<ProbeResult> {
  const connectMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS
  const answerMs = options.answerTimeoutMs ?? ANSWER_TIMEOUT_MS
  const started = Date.now()
  const literalReason = options.allowPrivateTargets ? undefined : notProbedReason(target.host)
  if (literalReason) {
    const why = `${target.host} is ${literalReason}`
    return Promise.resolve({
      ok: false,
      skipped: why,
      detail: `not probed: ${why} (${ALLOW_PRIVATE_TARGETS_HINT})`,
      ms: 0,
    })
  }
  const lookup = options.allowPrivateTargets ? undefined : guardedLookup
  return new Promise((resolve) => {
    let settled = false
    let timer: NodeJS.Timeout | undefined
    const cleanups: Array<() => void> = []
    const finish = (ok: boolean, detail: string, status?: number, skipped?: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      for (const cleanup of cleanups) cleanup()
      resolve({ ok, detail, status, ms: Date.now() - started, ...(skipped ? { skipped } : {}) })
    }
    const failed = (error: Error) =>
      error instanceof NotProbedError
        ? finish(
            false,
            `not probed: ${error.message} (${ALLOW_PRIVATE_TARGETS_HINT})`,
            undefined,
            error.message,
          )
        : finish(false, error.message)
    const arm = (ms: number, detail: string) => {
      clearTimeout(timer)
      timer = setTimeout(() => finish(false, detail), ms)
    }
    const onAbort = () => finish(false, 'cancelled')
    options.signal?.addEventListener('abort', onAbort, { once: true })
    cleanups.push(() => options.signal?.removeEventListener('abort', onAbort))
    arm(connectMs, `no connection within ${connectMs / 1000} s`)

    if (target.protocol === 'tcp') {
      const socket = connect({ host: target.host, port: target.port, ...(lookup ? { lookup } : {}) })
      cleanups.push(() => socket.destroy())
      socket.once('connect', () => finish(true, 'TCP connection established'))
      socket.once('error', failed)
      return
    }
    const headers: Record<string, string> = {
      'user-agent': 'Amazon-Route53-Health-Check-Service (verify-failover)',
    }
    if (target.hostName)
      headers.host =
        target.port === 80 || target.port === 443 ? target.hostName : `${target.hostName}:${target.port}`
    const make = target.protocol === 'https' ? httpsRequest : httpRequest
    const req = make({
      host: target.host,
      port: target.port,
      path: target.path,
      method: 'GET',
      headers,
      agent: false,
      ...(lookup ? { lookup } : {}),
      ...(target.protocol === 'https'
        ? { rejectUnauthorized: false, servername: target.sni ? target.hostName : undefined }
        : {}),
    })
    cleanups.push(() => req.destroy())
    req.once('socket', (socket) => {
      const connected = () => arm(answerMs, `no answer within ${answerMs / 1000} s of connecting`)
      if (!socket.connecting) connected()
      else socket.once('connect', connected)
    })
    req.once('error', failed)
    req.once('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0
      if (target.searchString === undefined) return finish(...verdict(status, Buffer.alloc(0)))
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk)
        size += chunk.length
        if (size >= SEARCH_BYTES) finish(...verdict(status, Buffer.concat(chunks)))
      })
      res.once('end', () => finish(...verdict(status, Buffer.concat(chunks))))
      res.once('error', (error) => finish(false, error.message))
    })
    req.end()

    function verdict(status: number, head: Buffer): [boolean, string, number] {
      const { ok, detail } = judge(status, head, target.searchString)
      return [ok, detail, status]
    }
  })
}
