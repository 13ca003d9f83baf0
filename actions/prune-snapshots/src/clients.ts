import { EC2Client } from '@aws-sdk/client-ec2'
import { RbinClient } from '@aws-sdk/client-rbin'
import { STSClient } from '@aws-sdk/client-sts'
import { awsClientConfig, clientFactory, errorCode } from '../../../lib/aws.js'
import { retryWhile } from '../../../lib/poll.js'

export interface Clients {
  ec2: (region: string) => EC2Client
  /**
   * EC2 clients that never repeat a call: CopySnapshot has no idempotency
   * token, so a repeat after a lost reply would make a second copy. The action
   * checks for the first call's effect before it tries again.
   */
  ec2Once: (region: string) => EC2Client
  rbin: (region: string) => RbinClient
  sts: (region: string) => STSClient
}

export function makeClients(env: NodeJS.ProcessEnv = process.env): Clients {
  const once = new Map<string, EC2Client>()
  return {
    ec2: clientFactory(EC2Client, env),
    ec2Once: (region) => {
      let client = once.get(region)
      if (client === undefined) {
        client = new EC2Client({ ...awsClientConfig(region, env), maxAttempts: 1 })
        once.set(region, client)
      }
      return client
    },
    rbin: clientFactory(RbinClient, env),
    sts: clientFactory(STSClient, env),
  }
}

const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'SlowDown',
  'RequestThrottled',
  'RequestThrottledException',
])
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'TimeoutError',
  'RequestTimeout',
  'socket hang up',
])

/**
 * An error that says nothing about the request itself: throttling, a 5xx
 * answer or a broken connection. Retrying a read or a DeleteSnapshot after one
 * is safe; after a CopySnapshot it is not without a look first.
 */
export function isTransient(error: unknown): boolean {
  const code = errorCode(error)
  if (THROTTLING.has(code) || NETWORK.has(code)) return true
  const e = error as { $metadata?: { httpStatusCode?: number }; code?: string; message?: string }
  const status = e?.$metadata?.httpStatusCode
  if (status !== undefined && status >= 500) return true
  if (e?.code !== undefined && NETWORK.has(e.code)) return true
  // A connection closed without an answer surfaces without a status code.
  return status === undefined && /socket hang up|ECONNRESET|EPIPE|closed|aborted/i.test(e?.message ?? '')
}

/**
 * Runs a safe-to-repeat call, retrying transient errors a few more times than
 * the SDK did (it retries too, so this only matters when its attempts run out
 * on a busy account).
 */
export function retryTransient<T>(
  fn: () => Promise<T>,
  options: { signal?: AbortSignal; attempts?: number } = {},
) {
  const attempts = options.attempts ?? 4
  let tries = 0
  return retryWhile(
    () => {
      tries++
      return fn()
    },
    { retryable: (e) => tries < attempts && isTransient(e), timeoutMs: 120_000, initialMs: 250, maxMs: 4000 },
  )
}
