import {
  startLoopbackProxy,
  type LoopbackProxy,
  type ProxyReply,
  type ProxyRequest,
} from './loopback-proxy.js'

/**
 * A fault-injecting loopback layer. A chosen share of calls is answered with the
 * error each AWS service really sends when busy, or is dropped, delayed, or
 * carried out with its answer lost, so that the SDK's retry meets the first
 * call's effect.
 *
 * Decisions are seeded and keyed by (service, region, operation, n-th call of
 * that key), not by arrival order, so a failing run replays the same faults
 * even though regions interleave differently.
 *
 * Because moto does not implement idempotency, this layer adds what AWS does
 * for repeated mutating calls:
 * - CreateChangeSet with a change set name that already exists on the stack:
 *   `AlreadyExistsException`, unless the repeat carries the same ClientToken, in
 *   which case AWS answers with the original result.
 *   (CloudFormation API Reference, CreateChangeSet: ClientToken, Errors.)
 * - ExecuteChangeSet repeated with the same ClientToken: the original answer.
 * - StackSet operations repeated with the same OperationId:
 *   `OperationIdAlreadyExistsException` (CloudFormation API Reference).
 * A repeated DeleteSnapshot meets moto's own `InvalidSnapshot.NotFound`.
 */
export type FaultKind = 'throttle' | 'server-error' | 'unavailable' | 'drop' | 'latency' | 'lost-reply'

export const ALL_FAULTS: readonly FaultKind[] = [
  'throttle',
  'server-error',
  'unavailable',
  'drop',
  'latency',
  'lost-reply',
]

export interface FaultOptions {
  seed: number
  /** Share of calls faulted, 0..1. */
  rate: number
  kinds?: readonly FaultKind[]
  latencyMs?: number
  /** Calls that are never faulted (e.g. the test's own setup calls). */
  exempt?: (req: ProxyRequest) => boolean
}

export interface FaultLog {
  injected: number
  byKind: Record<FaultKind, number>
  events: Array<{ key: string; kind: FaultKind }>
}

export interface FaultProxy extends LoopbackProxy {
  faults: FaultLog
  /** Turns injection on or off (setup and assertions run with it off). */
  setEnabled(enabled: boolean): void
}

/** A small, well-mixed 32-bit hash (FNV-1a then a murmur finaliser). */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export function uniform(seed: number, key: string): number {
  return hash32(`${seed}:${key}`) / 0x100000000
}

const REQUEST_ID = '11111111-2222-3333-4444-555555555555'

/** The throttling answer of each service, in its own protocol's error shape. */
export function throttleReply(req: ProxyRequest, seed: number, key: string): ProxyReply {
  switch (req.service) {
    case 'ec2':
      return {
        status: 503,
        headers: { 'content-type': 'text/xml' },
        body: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>${REQUEST_ID}</RequestID></Response>`,
      }
    case 'route53': {
      const code = uniform(seed, `${key}:r53`) < 0.5 ? 'Throttling' : 'PriorRequestNotComplete'
      const message =
        code === 'Throttling'
          ? 'Rate exceeded'
          : 'The request was rejected because Route 53 was still processing a prior request.'
      return {
        status: 400,
        headers: { 'content-type': 'text/xml' },
        body: `<?xml version="1.0"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${REQUEST_ID}</RequestId></ErrorResponse>`,
      }
    }
    case 'redshift-data':
      return {
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': REQUEST_ID },
        body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }),
      }
    default:
      // CloudFormation, STS and other query-protocol services.
      return {
        status: 400,
        headers: { 'content-type': 'text/xml' },
        body: `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>${REQUEST_ID}</RequestId></ErrorResponse>`,
      }
  }
}

function plainError(status: number): ProxyReply {
  return { status, headers: { 'content-type': 'text/html' }, body: `<html><body>${status}</body></html>` }
}

function queryError(code: string, message: string): ProxyReply {
  return {
    status: 400,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${REQUEST_ID}</RequestId></ErrorResponse>`,
  }
}

const STACKSET_OPERATIONS = new Set([
  'CreateStackInstances',
  'UpdateStackInstances',
  'DeleteStackInstances',
  'UpdateStackSet',
  'DetectStackSetDrift',
])

/** AWS's idempotency rules for the CloudFormation calls moto does not guard. */
class IdempotencyLedger {
  private readonly changeSets = new Map<string, { token: string; reply: ProxyReply }>()
  private readonly executions = new Map<string, ProxyReply>()
  private readonly operationIds = new Set<string>()

  /** An answer AWS would give without running the call again, if any. */
  before(req: ProxyRequest): ProxyReply | undefined {
    if (req.service !== 'cloudformation') return undefined
    const p = req.params
    if (req.operation === 'CreateChangeSet') {
      const seen = this.changeSets.get(`${req.region}/${p.get('StackName')}/${p.get('ChangeSetName')}`)
      if (!seen) return undefined
      if (p.get('ClientToken') && p.get('ClientToken') === seen.token) return seen.reply
      return queryError('AlreadyExistsException', `ChangeSet ${p.get('ChangeSetName')} already exists`)
    }
    if (req.operation === 'ExecuteChangeSet' && p.get('ClientToken')) {
      return this.executions.get(`${req.region}/${p.get('ChangeSetName')}/${p.get('ClientToken')}`)
    }
    if (STACKSET_OPERATIONS.has(req.operation) && p.get('OperationId')) {
      if (this.operationIds.has(`${req.region}/${p.get('OperationId')}`)) {
        return queryError(
          'OperationIdAlreadyExistsException',
          `The operation ID ${p.get('OperationId')} already exists`,
        )
      }
    }
    return undefined
  }

  after(req: ProxyRequest, reply: ProxyReply): void {
    if (req.service !== 'cloudformation' || reply.status >= 300) return
    const p = req.params
    if (req.operation === 'CreateChangeSet') {
      this.changeSets.set(`${req.region}/${p.get('StackName')}/${p.get('ChangeSetName')}`, {
        token: p.get('ClientToken') ?? '',
        reply,
      })
    } else if (req.operation === 'ExecuteChangeSet' && p.get('ClientToken')) {
      this.executions.set(`${req.region}/${p.get('ChangeSetName')}/${p.get('ClientToken')}`, reply)
    } else if (STACKSET_OPERATIONS.has(req.operation) && p.get('OperationId')) {
      this.operationIds.add(`${req.region}/${p.get('OperationId')}`)
    } else if (req.operation === 'DeleteChangeSet') {
      for (const key of this.changeSets.keys()) {
        if (key.startsWith(`${req.region}/`) && key.endsWith(`/${p.get('ChangeSetName')}`))
          this.changeSets.delete(key)
      }
    }
  }
}

export async function startFaultProxy(target: string, options: FaultOptions): Promise<FaultProxy> {
  const kinds = options.kinds ?? ALL_FAULTS
  const faults: FaultLog = {
    injected: 0,
    byKind: Object.fromEntries(ALL_FAULTS.map((k) => [k, 0])) as Record<FaultKind, number>,
    events: [],
  }
  const counters = new Map<string, number>()
  const ledger = new IdempotencyLedger()
  let enabled = true

  const proxy = await startLoopbackProxy(target, async (req, forward) => {
    const base = `${req.service}:${req.region}:${req.operation}`
    const n = (counters.get(base) ?? 0) + 1
    counters.set(base, n)
    const key = `${base}#${n}`
    const settle = async (): Promise<ProxyReply> => {
      const known = ledger.before(req)
      if (known) return known
      const reply = await forward()
      ledger.after(req, reply)
      return reply
    }
    if (!enabled || options.exempt?.(req) || uniform(options.seed, key) >= options.rate) return settle()
    const kind = kinds[Math.floor(uniform(options.seed, `${key}:kind`) * kinds.length)]!
    faults.injected++
    faults.byKind[kind]++
    faults.events.push({ key, kind })
    switch (kind) {
      case 'throttle':
        return throttleReply(req, options.seed, key)
      case 'server-error':
        return plainError(500)
      case 'unavailable':
        return plainError(503)
      case 'drop':
        return 'drop'
      case 'latency':
        await new Promise((r) => setTimeout(r, options.latencyMs ?? 300))
        return settle()
      case 'lost-reply':
        await settle()
        return 'drop'
    }
  })
  return {
    ...proxy,
    faults,
    setEnabled: (value: boolean) => {
      enabled = value
    },
  }
}
