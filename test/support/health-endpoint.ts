import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { listenOnLoopback } from './loopback-server.js'

/**
 * A regional deep health endpoint for tests: a real HTTP server on 127.0.0.1
 * answering "ok" (or whatever it is told: "fail", an error status, a delay),
 * like the health Lambda of the multi-region API pattern behind the template.
 */
export interface HealthEndpoint {
  port: number
  url: string
  /** Requests received, by anyone (the action's probes and the Route 53 layer's checkers). */
  hits: number
  setBody(body: string): void
  setStatus(status: number): void
  /** Delays the answer, to exercise the checkers' 2 s answer limit. */
  setDelayMs(ms: number): void
  close(): Promise<void>
}

export interface TlsMaterial {
  key: string
  cert: string
}

/** A throw-away self-signed certificate for localhost (Route 53 checkers do not validate certificates). */
export function selfSignedCertificate(): TlsMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'health-tls-'))
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ],
    { stdio: 'ignore' },
  )
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') }
}

export async function startHealthEndpoint(
  body = 'ok',
  path = '/health',
  options: { tls?: TlsMaterial } = {},
): Promise<HealthEndpoint> {
  let current = { body, status: 200, delayMs: 0 }
  const endpoint = { hits: 0 } as HealthEndpoint
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    endpoint.hits++
    const answer = () => {
      if ((req.url ?? '/').split('?')[0] !== path) {
        res.writeHead(404, { 'content-type': 'text/plain' })
        res.end('not found')
        return
      }
      res.writeHead(current.status, { 'content-type': 'text/plain' })
      res.end(current.body)
    }
    if (current.delayMs > 0) setTimeout(answer, current.delayMs)
    else answer()
  }
  const server: Server = options.tls ? createTlsServer(options.tls, handler) : createServer(handler)
  const { port, close } = await listenOnLoopback(server, 500)
  return Object.assign(endpoint, {
    port,
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}${path}`,
    setBody: (b: string) => {
      current = { ...current, body: b }
    },
    setStatus: (s: number) => {
      current = { ...current, status: s }
    },
    setDelayMs: (ms: number) => {
      current = { ...current, delayMs: ms }
    },
    close,
  })
}
