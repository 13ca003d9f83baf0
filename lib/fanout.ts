import pLimit from 'p-limit'

export type FanOutResult<T, R> =
  | { item: T; state: 'fulfilled'; value: R }
  | { item: T; state: 'rejected'; error: unknown }
  | { item: T; state: 'skipped' }

export interface FanOutOptions {
  /** How many items run at once (default: all). */
  concurrency?: number
  /**
   * Asked just before each item starts; an item is skipped when it answers
   * false (failure tolerance exceeded, job cancelled).
   */
  shouldStart?: () => boolean
}

/**
 * Runs `task` for every item with a concurrency limit and collects every
 * outcome in input order; one failure never hides the others.
 */
export async function fanOut<T, R>(
  items: readonly T[],
  task: (item: T) => Promise<R>,
  options: FanOutOptions = {},
): Promise<Array<FanOutResult<T, R>>> {
  const limit = pLimit(Math.max(1, options.concurrency ?? (items.length || 1)))
  return Promise.all(
    items.map((item) =>
      limit(async (): Promise<FanOutResult<T, R>> => {
        if (options.shouldStart && !options.shouldStart()) return { item, state: 'skipped' }
        try {
          return { item, state: 'fulfilled', value: await task(item) }
        } catch (error) {
          return { item, state: 'rejected', error }
        }
      }),
    ),
  )
}
