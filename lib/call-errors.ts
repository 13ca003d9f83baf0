import { logSafe } from './foreign-text.js'

interface SdkError {
  name?: string
  message?: string
  $metadata?: { httpStatusCode?: number; attempts?: number }
  /** Set by the SDK when the answer could not be read as the service's protocol. */
  $response?: unknown
}

/**
 * The SDK's note on an answer whose body it could not parse ("XML parse error:
 * mismatched tags", "is not valid JSON"): an HTML page or plain text from a proxy
 * or load balancer, not the service's own error document.
 */
const DESERIALIZATION = /Deserialization error: to see the raw response/

/** True when the error is an answer that was not an AWS error document at all. */
export function isNonAwsAnswer(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const e = error as SdkError
  if (e.$metadata?.httpStatusCode === undefined) return false
  const message = (e.message ?? '').trim()
  // An empty body: the SDK has no code to report and says "Unknown".
  if (e.name === 'Unknown' || e.name === 'UnknownError' || message === '' || message === e.name) return true
  return DESERIALIZATION.test(message)
}

/**
 * Two kinds of failure reach the caller without saying which call failed: an
 * answer that is not an AWS error document (an HTML or empty 5xx page from a
 * proxy or load balancer) arrives as a bare "Unknown" or the XML/JSON parser's
 * complaint, and a connection closed without an answer as "socket hang up".
 * Either way the user needs the call's name to know what was left undone.
 */
export function isUnclearError(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const e = error as SdkError
  if (e.name === 'AbortError') return false
  if (isNonAwsAnswer(error)) return true
  const message = (e.message ?? '').trim()
  if (e.name === 'Unknown' || e.name === 'UnknownError' || message === '' || message === e.name) return true
  return e.$metadata?.httpStatusCode === undefined
}

/** `CloudFormationClient` -> `CloudFormation`. */
function serviceName(clientName: string | undefined): string {
  return (clientName ?? 'AWS').replace(/Client$/, '') || 'AWS'
}

/**
 * The message given instead: what came back, from which service and call, and
 * the attempts made, e.g. "HTTP 500 from CloudFormation CreateChangeSet (not an
 * AWS error answer) after 8 attempt(s)".
 */
export function clearMessage(commandName: string, error: SdkError, clientName?: string): string {
  const status = error.$metadata?.httpStatusCode
  const attempts = error.$metadata?.attempts
  const original = (error.message ?? '').trim()
  const call = `${serviceName(clientName)} ${commandName.replace(/Command$/, '')}`
  const tries = attempts === undefined ? '' : ` after ${attempts} attempt(s)`
  if (status !== undefined) return `HTTP ${status} from ${call} (not an AWS error answer)${tries}`
  // The original text came from the network (a proxy's page, a socket's complaint): foreign.
  const detail = original && original !== error.name ? ` (${logSafe(original)})` : ''
  return `${call} failed: no answer${detail}${tries}`
}

/**
 * The part of an SDK v3 client this needs. Each client types its middleware
 * stack with its own commands, so the shared helper accepts any of them.
 */
interface ClientWithMiddleware {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  middlewareStack: { add(middleware: any, options: { step: 'initialize'; name: string }): void }
}

type Next = (args: unknown) => Promise<unknown>

/** Errors whose message nameFailedCalls wrote: the message says it all, with no AWS code to add. */
const named = new WeakSet<object>()

export function isNamedCallError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && named.has(error)
}

/** Rewrites unclear errors of every call made with the client to name the service and the call. */
export function nameFailedCalls(client: ClientWithMiddleware): void {
  client.middlewareStack.add(
    (next: Next, context: { commandName?: string; clientName?: string }) => async (args: unknown) => {
      try {
        return await next(args)
      } catch (error) {
        if (isUnclearError(error)) {
          const e = error as Error
          e.message = clearMessage(context.commandName ?? 'call', e as SdkError, context.clientName)
          named.add(e)
        }
        throw error
      }
    },
    { step: 'initialize', name: 'nameFailedCalls' },
  )
}
