import pLimit from 'p-limit'

export type FanOutResult<T, R> =
  | { item: T; state: 'fulfilled'; value: R }
  | { item: T; state: 'rejected'; error: unknown }
  | { item: T; state: 'skipped' }

export interface FanOutOptions<T = unknown> {
  /** How many items run at once (default: all). */
  concurrency?: number
  /**
   * Asked just before each item starts; an item is skipped when it answers
   * false (failure tolerance exceeded, job cancelled).
   */
  shouldStart?: () => boolean
  /**
   * With `perGroupConcurrency`: the group an item belongs to (its account), so
   * that no group has more than that many items running at once. An item
   * waiting for its group's turn holds no place of `concurrency`, so other
   * groups go on.
   */
  groupOf?: (item: T) => string
  perGroupConcurrency?: number
}

/**
 * Runs `task` for every item with a concurrency limit and collects every
 * outcome in input order; one failure never hides the others.
 */
export async function fanOut<T, R>(
  items: readonly T[],
  task: (item: T) => Promise<R>,
  options: FanOutOptions<T> = {},
): Promise<Array<FanOutResult<T, R>>> {
  const limit = pLimit(Math.max(1, options.concurrency ?? (items.length || 1)))
  const groupLimits = new Map<string, ReturnType<typeof pLimit>>()
  const { groupOf, perGroupConcurrency } = options
  const inGroup = (item: T, run: () => Promise<FanOutResult<T, R>>) => {
    if (groupOf === undefined || perGroupConcurrency === undefined) return run()
    const group = groupOf(item)
    let groupLimit = groupLimits.get(group)
    if (groupLimit === undefined) {
      groupLimit = pLimit(Math.max(1, perGroupConcurrency))
      groupLimits.set(group, groupLimit)
    }
    return groupLimit(run)
  }
  return Promise.all(
    items.map((item) =>
      inGroup(item, () =>
        limit(async (): Promise<FanOutResult<T, R>> => {
          if (options.shouldStart && !options.shouldStart()) return { item, state: 'skipped' }
          try {
            return { item, state: 'fulfilled', value: await task(item) }
          } catch (error) {
            return { item, state: 'rejected', error }
          }
        }),
      ),
    ),
  )
}

export interface TargetFanOutOptions {
  /** `max-parallel`: how many targets run at once over all accounts. */
  maxParallel?: number
  /** `max-parallel-per-account`: how many targets of one account run at once. */
  maxParallelPerAccount?: number
  shouldStart?: () => boolean
}

/**
 * fanOut over (account, region) targets: `maxParallel` over all of them and at
 * most `maxParallelPerAccount` in any one account (API rate limits are counted
 * per account), the job's own account counting as one.
 */
export function fanOutTargets<T extends { account?: string }, R>(
  targets: readonly T[],
  task: (target: T) => Promise<R>,
  options: TargetFanOutOptions = {},
): Promise<Array<FanOutResult<T, R>>> {
  return fanOut(targets, task, {
    concurrency: options.maxParallel,
    shouldStart: options.shouldStart,
    groupOf: (target) => target.account ?? '',
    perGroupConcurrency: options.maxParallelPerAccount,
  })
}
