/**
 * One place where AWS SDK v3 clients are made. The SDK itself reads the standard
 * environment (credential chain, AWS_REGION, AWS_ENDPOINT_URL and
 * AWS_ENDPOINT_URL_<SERVICE>, AWS_MAX_ATTEMPTS, AWS_RETRY_MODE); this factory only
 * changes the defaults when those variables are unset: CI jobs run against busy
 * accounts, so retries use the adaptive mode (client-side rate limiting after
 * throttling) with more attempts than the SDK's 3.
 */
import { isNamedCallError, nameFailedCalls } from './call-errors.js'
import { Sha256 } from './sha256.js'

export const DEFAULT_MAX_ATTEMPTS = 8
export const DEFAULT_RETRY_MODE = 'adaptive'
export const USER_AGENT = 'multi-region-actions/1'

export interface AwsClientConfig {
  region: string
  maxAttempts?: number
  retryMode?: string
  customUserAgent: string
  /** Unset: the SDK's default credential chain (the job's own credentials). */
  credentials?: CredentialProvider
  /** The hash requests are signed with (lib/sha256.ts: the SDK's, minus a cost on Node 24). */
  sha256: typeof Sha256
}

/** The SDK's AwsCredentialIdentity: with an expiration, the SDK asks again shortly before it. */
export interface CredentialIdentity {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  expiration?: Date
}

/** The SDK's AwsCredentialIdentityProvider. */
export type CredentialProvider = () => Promise<CredentialIdentity>

/** The credentials that act in one account (a role assumed there; lib/assume-role.ts). */
export interface AccountCredentials {
  account: string
  credentials: CredentialProvider
}

export function awsClientConfig(region: string, env: NodeJS.ProcessEnv = process.env): AwsClientConfig {
  const config: AwsClientConfig = { region, customUserAgent: USER_AGENT, sha256: Sha256 }
  // Left undefined when set in the environment, so the SDK's own loader applies it.
  if (!env.AWS_MAX_ATTEMPTS) config.maxAttempts = DEFAULT_MAX_ATTEMPTS
  if (!env.AWS_RETRY_MODE) config.retryMode = DEFAULT_RETRY_MODE
  return config
}

type ClientConstructor<C> = new (config: AwsClientConfig) => C

/**
 * Returns one client per service and region (and account, when the caller gives
 * an account's credentials) for the lifetime of a run, so connections and the
 * adaptive rate limiter's state are shared by every call made to that region of
 * that account. Without `access` the client uses the job's own credentials.
 */
export function clientFactory<C>(
  ctor: ClientConstructor<C>,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<AwsClientConfig> = {},
) {
  const clients = new Map<string, C>()
  const firstInRegion = new Map<string, C>()
  return (region: string, access?: AccountCredentials): C => {
    const key = access ? `${access.account}/${region}` : region
    let client = clients.get(key)
    if (client === undefined) {
      const config: AwsClientConfig & SharedSettings = { ...awsClientConfig(region, env), ...overrides }
      const first = firstInRegion.get(region)
      if (first !== undefined) Object.assign(config, settingsToShare(first))
      if (access) config.credentials = access.credentials
      client = new ctor(config)
      if (hasMiddleware(client)) nameFailedCalls(client)
      clients.set(key, client)
      if (first === undefined) firstInRegion.set(region, client)
    }
    return client
  }
}

/**
 * Settings the SDK reads for every new client from the environment and the
 * shared config files (each a chain of lookups, resolved on the client's first
 * call). They do not depend on the credentials, so the clients of one service
 * and region, one per account, take the first client's providers: the lookups
 * run once per region instead of once per account and region, which is most of
 * what a new client costs before its first call.
 */
const SHARED_SETTINGS = [
  'defaultsMode',
  'useFipsEndpoint',
  'useDualstackEndpoint',
  'userAgentAppId',
  'authSchemePreference',
] as const
type SharedSettings = Partial<Record<(typeof SHARED_SETTINGS)[number], unknown>>

function settingsToShare(client: unknown): SharedSettings {
  const config = (client as { config?: Record<string, unknown> }).config
  const shared: SharedSettings = {}
  if (config === undefined) return shared
  for (const name of SHARED_SETTINGS) if (config[name] !== undefined) shared[name] = config[name]
  return shared
}

/**
 * clientFactory for a service only some runs call: its SDK package is loaded
 * with import() on the first client asked for, so a run that never calls it
 * never loads it (the bundler puts it in a chunk of its own).
 */
export function lazyClientFactory<C>(
  load: () => Promise<ClientConstructor<C>>,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<AwsClientConfig> = {},
) {
  let factory: Promise<(region: string, access?: AccountCredentials) => C> | undefined
  return async (region: string, access?: AccountCredentials): Promise<C> => {
    factory ??= load().then((ctor) => clientFactory(ctor, env, overrides))
    return (await factory)(region, access)
  }
}

function hasMiddleware(client: unknown): client is Parameters<typeof nameFailedCalls>[0] {
  return typeof client === 'object' && client !== null && 'middlewareStack' in client
}

/** The error's AWS code (`name`), e.g. `ValidationError` or `Throttling`. */
export function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { name?: string; Code?: string; code?: string }
    return e.Code ?? e.name ?? e.code ?? 'Error'
  }
  return 'Error'
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name
  return String(error)
}

/** An error answered by an AWS service (the SDK's ServiceException), as opposed to our own. */
export function isServiceError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && ('$metadata' in error || '$fault' in error)
}

/**
 * `Code: message` for AWS's errors, the form users see in AWS's console and CLI;
 * the message alone for the toolkit's own errors.
 */
export function describeError(error: unknown): string {
  const code = errorCode(error)
  const message = errorMessage(error)
  // An answer that was not an AWS error has no code worth showing ("Unknown").
  if (isNamedCallError(error)) return message
  if (!isServiceError(error) || message.startsWith(code) || code === 'Error') return message
  return `${code}: ${message}`
}

/** Throttling codes across services (the SDK retries them too, but may run out of attempts). */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
])

/** How a connection that broke without an answer shows up. */
const BROKEN_CONNECTION =
  /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|socket hang up|TimeoutError|RequestTimeout/i

/**
 * An error that says nothing about the request itself: throttling, a 5xx
 * answer or a connection that broke. Repeating a read, or a write that carries
 * an idempotency token, is safe after one; repeating any other write is not
 * without first looking for its effect.
 */
export function isTransientError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const e = error as {
    $metadata?: { httpStatusCode?: number }
    $retryable?: unknown
    code?: string
    message?: string
  }
  if (THROTTLING.has(errorCode(error))) return true
  const status = e.$metadata?.httpStatusCode
  if (status !== undefined && status >= 500) return true
  if (e.$retryable) return true
  if (BROKEN_CONNECTION.test(`${e.code ?? ''} ${errorCode(error)}`)) return true
  // A connection closed without an answer surfaces without a status code.
  return status === undefined && BROKEN_CONNECTION.test(e.message ?? '')
}
