import { randomUUID } from 'node:crypto'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import { listenOnLoopback } from './loopback-server.js'

/**
 * A loopback HTTP layer in front of moto (or any local endpoint). Every request
 * is parsed into service, region and operation and handed to a handler that may
 * forward it, answer it itself (an AWS behaviour moto lacks, or an injected
 * fault), delay it, or drop the connection. Counts requests and the peak number
 * in flight.
 */
export interface ProxyRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: Buffer
  /** From the SigV4 credential scope, e.g. `cloudformation`, `ec2`, `route53`. */
  service: string
  region: string
  /** `Action=` of query protocols, the X-Amz-Target operation of JSON ones; REST: `METHOD /path`. */
  operation: string
  /** Form fields of a query-protocol body. */
  params: URLSearchParams
}

export interface ProxyReply {
  status: number
  headers?: Record<string, string>
  body?: string | Buffer
}

/** Return 'drop' to destroy the socket without an answer. */
export type ProxyHandler = (
  req: ProxyRequest,
  forward: () => Promise<ProxyReply>,
) => Promise<ProxyReply | 'drop'>

export interface ProxyStats {
  total: number
  inFlight: number
  peakInFlight: number
  byOperation: Map<string, number>
}

export interface LoopbackProxy {
  endpoint: string
  stats: ProxyStats
  resetStats(): void
  close(): Promise<void>
}

export function parseRequest(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): ProxyRequest {
  const auth = String(headers.authorization ?? '')
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\//.exec(auth)
  const region = scope?.[1] ?? ''
  const service = scope?.[2] ?? ''
  const contentType = String(headers['content-type'] ?? '')
  const params = contentType.includes('x-www-form-urlencoded')
    ? new URLSearchParams(body.toString())
    : new URLSearchParams()
  const target = headers['x-amz-target']
  let operation: string
  if (params.get('Action')) operation = params.get('Action')!
  else if (typeof target === 'string') operation = target.split('.').pop() ?? target
  else operation = `${method} ${path.split('?')[0]}`
  return { method, path, headers, body, service, region, operation, params }
}

export function forwardTo(target: string, req: ProxyRequest): Promise<ProxyReply> {
  const url = new URL(req.path, target)
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: url.host, 'content-length': String(req.body.length) }
    const upstream = httpRequest(url, { method: req.method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const out: Record<string, string> = {}
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined && k !== 'transfer-encoding' && k !== 'connection')
            out[k] = Array.isArray(v) ? v.join(', ') : v
        }
        resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) })
      })
      res.on('error', reject)
    })
    upstream.on('error', reject)
    upstream.end(req.body)
  })
}

export async function startLoopbackProxy(target: string, handler?: ProxyHandler): Promise<LoopbackProxy> {
  const stats: ProxyStats = { total: 0, inFlight: 0, peakInFlight: 0, byOperation: new Map() }
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = []
    incoming.on('data', (c: Buffer) => chunks.push(c))
    incoming.on('end', () => {
      const req = parseRequest(
        incoming.method ?? 'GET',
        incoming.url ?? '/',
        incoming.headers,
        Buffer.concat(chunks),
      )
      stats.total++
      stats.inFlight++
      stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight)
      stats.byOperation.set(req.operation, (stats.byOperation.get(req.operation) ?? 0) + 1)
      const forward = () => forwardTo(target, req)
      ;(handler ? handler(req, forward) : forward())
        .then((reply) => {
          if (reply === 'drop') {
            outgoing.socket?.destroy()
            return
          }
          const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(reply.body)
          outgoing.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) })
          outgoing.end(body)
        })
        .catch((error: unknown) => {
          outgoing.writeHead(502, { 'content-type': 'text/plain' })
          outgoing.end(`loopback proxy: ${String(error)}`)
        })
        .finally(() => {
          stats.inFlight--
        })
    })
  })
  const listening = await listenOnLoopback(server)
  return {
    endpoint: `http://127.0.0.1:${listening.port}`,
    stats,
    resetStats: () => {
      stats.total = 0
      stats.peakInFlight = stats.inFlight
      stats.byOperation.clear()
    },
    close: listening.close,
  }
}

/**
 * An AWS query-protocol answer with a Result wrapper (CloudFormation, STS):
 * `<OpResponse xmlns><OpResult>…</OpResult><ResponseMetadata>…`, in the service's
 * namespace (EC2's query answers have no Result wrapper).
 */
export function queryReply(operation: string, namespace: string, result: string): ProxyReply {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<${operation}Response xmlns="${namespace}"><${operation}Result>${result}</${operation}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${operation}Response>`,
  }
}

/** An AWS query-protocol (CloudFormation, EC2-style) XML error body. */
export function queryErrorReply(status: number, code: string, message: string, type = 'Sender'): ProxyReply {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
  }
}
