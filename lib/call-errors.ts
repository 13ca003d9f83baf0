interface SdkError {
  name?: string
  message?: string
  $metadata?: { httpStatusCode?: number; attempts?: number }
}

/**
 * Two kinds of failure reach the caller without saying which call failed: an
 * answer without an AWS error code (a 5xx page from a load balancer) arrives as
 * a bare "Unknown", and a connection closed without an answer as "socket hang
 * up". Either way the user needs the call's name to know what was left undone.
 */
export function isUnclearError(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const e = error as SdkError
  if (e.name === 'AbortError') return false
  const message = (e.message ?? '').trim()
  if (e.name === 'Unknown' || e.name === 'UnknownError' || message === '' || message === e.name) return true
  return e.$metadata?.httpStatusCode === undefined
}

/** The message given instead: the call, what came back and the attempts made. */
export function clearMessage(commandName: string, error: SdkError): string {
  const status = error.$metadata?.httpStatusCode
  const attempts = error.$metadata?.attempts
  const original = (error.message ?? '').trim()
  const answer =
    status !== undefined
      ? `HTTP ${status} without an AWS error code`
      : `no answer${original && original !== error.name ? ` (${original})` : ''}`
  const tries = attempts === undefined ? '' : ` after ${attempts} attempt(s)`
  return `${commandName.replace(/Command$/, '')} failed: ${answer}${tries}`
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

/** Rewrites unclear errors of every call made with the client to name the call. */
export function nameFailedCalls(client: ClientWithMiddleware): void {
  client.middlewareStack.add(
    (next: Next, context: { commandName?: string; clientName?: string }) => async (args: unknown) => {
      try {
        return await next(args)
      } catch (error) {
        if (isUnclearError(error)) {
          const e = error as Error
          e.message = clearMessage(
            context.commandName ?? `A ${context.clientName ?? 'AWS'} call`,
            e as SdkError,
          )
        }
        throw error
      }
    },
    { step: 'initialize', name: 'nameFailedCalls' },
  )
}
