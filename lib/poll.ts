/**
 * Waiting with short, growing delays: a resource that is ready is noticed within
 * about a second, while a long wait costs few calls (200 ms, 300 ms, 450 ms, ...
 * capped at 1 s by default, never the SDK waiters' 30 s).
 */
export interface BackoffOptions {
  initialMs?: number
  factor?: number
  maxMs?: number
}

export function* backoffDelays(options: BackoffOptions = {}): Generator<number, never> {
  let delay = options.initialMs ?? 200
  const factor = options.factor ?? 1.5
  const max = options.maxMs ?? 1000
  for (;;) {
    yield Math.min(delay, max)
    delay = Math.min(delay * factor, max)
  }
}

export class AbortedError extends Error {
  constructor(message = 'The operation was cancelled') {
    super(message)
    this.name = 'AbortedError'
  }
}

export class TimeoutError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TimeoutError'
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError())
    const onAbort = () => {
      clearTimeout(timer)
      reject(new AbortedError())
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export interface PollOptions extends BackoffOptions {
  /** What is awaited, for the timeout message. */
  what: string
  timeoutMs?: number
  signal?: AbortSignal
}

/**
 * Calls `check` until it returns a value other than undefined, sleeping the
 * backoff delays between calls. Throws TimeoutError after `timeoutMs`.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T> {
  const started = Date.now()
  const delays = backoffDelays(options)
  for (;;) {
    if (options.signal?.aborted) throw new AbortedError()
    const result = await check()
    if (result !== undefined) return result
    const delay = delays.next().value
    if (options.timeoutMs !== undefined && Date.now() - started + delay > options.timeoutMs) {
      throw new TimeoutError(
        `Timed out after ${Math.round((Date.now() - started) / 1000)} s waiting for ${options.what}`,
      )
    }
    await sleep(delay, options.signal)
  }
}

export interface RetryOptions extends BackoffOptions {
  /** Errors worth another try, such as OperationInProgressException. */
  retryable: (error: unknown) => boolean
  timeoutMs: number
  signal?: AbortSignal
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void
}

/**
 * Retries errors that the SDK does not retry but that are safe to retry
 * (another operation in progress, a prior request not complete, a concurrency
 * limit), until `timeoutMs` has passed.
 */
export async function retryWhile<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const started = Date.now()
  const delays = backoffDelays({ initialMs: 500, factor: 2, maxMs: 5000, ...options })
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new AbortedError()
    try {
      return await fn(attempt)
    } catch (error) {
      if (!options.retryable(error)) throw error
      const delay = delays.next().value
      if (Date.now() - started + delay > options.timeoutMs) throw error
      options.onRetry?.(error, attempt, delay)
      await sleep(delay, options.signal)
    }
  }
}
