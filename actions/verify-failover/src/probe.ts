import type { HealthCheckConfig } from '@aws-sdk/client-route-53'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { connect } from 'node:net'

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
}

export interface ProbeOptions {
  connectTimeoutMs?: number
  answerTimeoutMs?: number
  signal?: AbortSignal
}

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
  return new Promise((resolve) => {
    let settled = false
    let timer: NodeJS.Timeout | undefined
    const cleanups: Array<() => void> = []
    const finish = (ok: boolean, detail: string, status?: number) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      for (const cleanup of cleanups) cleanup()
      resolve({ ok, detail, status, ms: Date.now() - started })
    }
    const arm = (ms: number, detail: string) => {
      clearTimeout(timer)
      timer = setTimeout(() => finish(false, detail), ms)
    }
    const onAbort = () => finish(false, 'cancelled')
    options.signal?.addEventListener('abort', onAbort, { once: true })
    cleanups.push(() => options.signal?.removeEventListener('abort', onAbort))
    arm(connectMs, `no connection within ${connectMs / 1000} s`)

    if (target.protocol === 'tcp') {
      const socket = connect({ host: target.host, port: target.port })
      cleanups.push(() => socket.destroy())
      socket.once('connect', () => finish(true, 'TCP connection established'))
      socket.once('error', (error) => finish(false, error.message))
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
    req.once('error', (error) => finish(false, error.message))
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
