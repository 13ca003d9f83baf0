import { CopySnapshotCommand, DeleteSnapshotCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2'
import pLimit from 'p-limit'
import pThrottle from 'p-throttle'
import { describeError, errorCode, errorMessage } from '../../../lib/aws.js'
import type { RegionLog } from '../../../lib/log.js'
import { backoffDelays, retryWhile, sleep } from '../../../lib/poll.js'
import { isTransient, retryTransient, type Clients } from './clients.js'
import { SOURCE_SNAPSHOT_TAG, type PlannedCopy } from './plan.js'

/** Deletions in flight per region: enough to use EC2's burst, few enough to stay polite. */
export const DELETIONS_IN_FLIGHT = 10
/**
 * EBS User Guide, "Copy an Amazon EBS snapshot": "There is a limit of 20
 * concurrent snapshot copy requests per destination Region. If you exceed this
 * quota, you receive a ResourceLimitExceeded error." A copy holds its slot
 * while it is `pending` in the destination, long after CopySnapshot answered.
 */
export const COPY_SLOTS = 20

export interface DeletionResult {
  deleted: string[]
  /** Already gone when asked (an earlier attempt, or someone else). */
  alreadyGone: string[]
  /** AWS refused: in use by an AMI, locked. Kept, with a warning. */
  refused: Array<{ snapshotId: string; reason: string }>
  failed: Array<{ snapshotId: string; error: string }>
  /** Not started because the job was cancelled. */
  notStarted: string[]
}

/** AWS refuses to delete a snapshot that backs an AMI. */
const IN_USE = 'InvalidSnapshot.InUse'

/**
 * AWS refuses DeleteSnapshot on a locked snapshot ("While a snapshot is locked,
 * it can't be deleted by any user, regardless of their IAM permissions", EBS
 * User Guide, "Amazon EBS snapshot lock"). The API reference does not list the
 * error code, so a client error (4xx) whose code or message speaks of the lock
 * counts, as well as the codes seen for it.
 */
export function isLockedRefusal(error: unknown): boolean {
  const code = errorCode(error)
  if (code === 'SnapshotLocked' || code === 'InvalidSnapshot.Locked') return true
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  return (
    status !== undefined &&
    status >= 400 &&
    status < 500 &&
    /\block(ed)?\b/i.test(`${code} ${errorMessage(error)}`)
  )
}

/** How a snapshot AWS refused to delete because of its lock is reported. */
export const KEPT_LOCKED = 'kept: locked'

/**
 * Deletes one region's planned snapshots with a bounded number in flight and,
 * when `maxRate` is set, at most that many starts per second. A snapshot that
 * is already gone counts as deleted (a retried call meets its own effect).
 * After cancellation nothing new starts; those in flight finish.
 */
export async function deleteSnapshots(
  clients: Clients,
  region: string,
  snapshotIds: readonly string[],
  options: { maxRate?: number; signal?: AbortSignal; log: RegionLog },
): Promise<DeletionResult> {
  const result: DeletionResult = { deleted: [], alreadyGone: [], refused: [], failed: [], notStarted: [] }
  const ec2 = clients.ec2(region)
  const limit = pLimit(DELETIONS_IN_FLIGHT)
  const gate = options.maxRate
    ? pThrottle({ limit: 1, interval: Math.max(1, Math.round(1000 / options.maxRate)), strict: true })(
        () => undefined,
      )
    : async () => undefined
  await Promise.all(
    snapshotIds.map((snapshotId) =>
      limit(async () => {
        if (options.signal?.aborted) return void result.notStarted.push(snapshotId)
        await gate()
        if (options.signal?.aborted) return void result.notStarted.push(snapshotId)
        try {
          await retryTransient(() => ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })))
          result.deleted.push(snapshotId)
        } catch (error) {
          const code = errorCode(error)
          if (code === 'InvalidSnapshot.NotFound') {
            result.deleted.push(snapshotId)
            result.alreadyGone.push(snapshotId)
          } else if (isLockedRefusal(error)) {
            // Not a failure: AWS keeps a locked snapshot whatever is asked, as the plan would have.
            result.refused.push({ snapshotId, reason: `${KEPT_LOCKED} (${describeError(error)})` })
            options.log.info(
              `${snapshotId} ${KEPT_LOCKED}: AWS refused the deletion (${describeError(error)})`,
            )
          } else if (code === IN_USE) {
            result.refused.push({ snapshotId, reason: describeError(error) })
            options.log.warning(`${snapshotId} kept: ${describeError(error)}`)
          } else {
            result.failed.push({ snapshotId, error: describeError(error) })
            options.log.error(
              `${snapshotId} was not deleted: ${describeError(error)}`,
              `Deleting ${snapshotId}`,
            )
          }
        }
      }),
    ),
  )
  return result
}

export interface CopyResult {
  copy: PlannedCopy
  snapshotId?: string
  /** The copy was found already made (a reply that was lost). */
  found?: boolean
  error?: string
}

/** The destination has no free copy slot: the copy was not made; it waits for a slot (makeCopies). */
export const COPY_LIMIT = 'ResourceLimitExceeded'

/** Errors after which the copy was certainly not made, and trying again later may work. */
const NOT_MADE_RETRYABLE = new Set([COPY_LIMIT, 'RequestLimitExceeded', 'Throttling'])

/** A copy that may or may not have been made: it must not be tried again. */
export class CopyOutcomeUnknownError extends Error {
  override name = 'CopyOutcomeUnknown'
}

/** Looks in the DR region for a copy of `sourceSnapshotId` made by an earlier attempt. */
export async function findCopy(
  clients: Clients,
  region: string,
  sourceSnapshotId: string,
): Promise<string | undefined> {
  const page = await retryTransient(() =>
    clients.ec2(region).send(
      new DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        Filters: [{ Name: `tag:${SOURCE_SNAPSHOT_TAG}`, Values: [sourceSnapshotId] }],
      }),
    ),
  )
  return page.Snapshots?.find((s) => s.State !== 'error')?.SnapshotId
}

export interface CopyOptions {
  kmsKeyId?: string
  signal?: AbortSignal
  log: RegionLog
  /** How long to keep trying a copy after throttling (default 10 min). */
  limitTimeoutMs?: number
  /** How long to wait for a copy slot to free up before the copies not started are given up (default 60 min). */
  slotTimeoutMs?: number
  /** Delays between looks at the copies pending in the destination (default 1 s growing to 15 s). */
  slotPollMs?: { initialMs: number; maxMs: number }
  /** This action's copies already pending in the destination (earlier runs): they hold copy slots. */
  pendingCopies?: number
  /** Delays between looks for a copy after an unclear failure (eventual consistency). */
  lookDelaysMs?: number[]
  /** First delay before a copy is tried again (default 0.5 s, growing to 15 s). */
  retryDelayMs?: number
}

/**
 * Makes one DR copy, exactly once. CopySnapshot has no idempotency token, so
 * it is sent with a client that never repeats it; after a failure that leaves
 * it unclear whether the copy was made (no answer, a 5xx), the DR region is
 * searched for a copy tagged with the source snapshot id before trying again.
 */
export async function copyOnce(
  clients: Clients,
  copy: PlannedCopy,
  options: CopyOptions,
): Promise<CopyResult> {
  const ec2 = clients.ec2Once(copy.region)
  const looks = options.lookDelaysMs ?? [0, 500, 1500]
  let unclearFailures = 0
  return retryWhile(
    async () => {
      try {
        const reply = await ec2.send(
          new CopySnapshotCommand({
            SourceRegion: copy.sourceRegion,
            SourceSnapshotId: copy.sourceSnapshotId,
            Description: `Copy of ${copy.sourceSnapshotId} from ${copy.sourceRegion}`,
            ...(options.kmsKeyId ? { Encrypted: true, KmsKeyId: options.kmsKeyId } : {}),
            TagSpecifications: [
              {
                ResourceType: 'snapshot',
                Tags: Object.entries(copy.tags).map(([Key, Value]) => ({ Key, Value })),
              },
            ],
          }),
        )
        return { copy, snapshotId: reply.SnapshotId }
      } catch (error) {
        if (NOT_MADE_RETRYABLE.has(errorCode(error)) || !isTransient(error)) throw error
        unclearFailures++
        for (const delay of looks) {
          if (delay > 0) await sleep(delay)
          let found: string | undefined
          try {
            found = await findCopy(clients, copy.region, copy.sourceSnapshotId)
          } catch (lookError) {
            // Without a look, a copy made by the unanswered call cannot be ruled out: never copy again blind.
            throw new CopyOutcomeUnknownError(
              `copy of ${copy.sourceSnapshotId} got no clear answer (${describeError(error)}) and the look ` +
                `for it in ${copy.region} failed (${describeError(lookError)}); not repeated, so that no ` +
                `second copy is made (a rerun finds the copy if it was made)`,
            )
          }
          if (found) return { copy, snapshotId: found, found: true }
        }
        options.log.info(
          `copy of ${copy.sourceSnapshotId} failed (${describeError(error)}) and was not made; trying again`,
        )
        throw error
      }
    },
    {
      // A full destination is waited out by makeCopies, which knows when a slot frees up.
      retryable: (error) =>
        !(error instanceof CopyOutcomeUnknownError) &&
        errorCode(error) !== COPY_LIMIT &&
        (NOT_MADE_RETRYABLE.has(errorCode(error)) || (isTransient(error) && unclearFailures < 4)),
      timeoutMs: options.limitTimeoutMs ?? 600_000,
      signal: options.signal,
      initialMs: options.retryDelayMs ?? 500,
      maxMs: 15_000,
    },
  )
}

/** How many of this action's copies are `pending` in a region (one paginated, filtered DescribeSnapshots). */
export async function countPendingCopies(clients: Clients, region: string): Promise<number> {
  let count = 0
  let NextToken: string | undefined
  // Page by page, each retried on its own: this look repeats while copies wait for a slot.
  do {
    const page = await retryTransient(() =>
      clients.ec2(region).send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [
            { Name: 'status', Values: ['pending'] },
            { Name: 'tag-key', Values: [SOURCE_SNAPSHOT_TAG] },
          ],
          MaxResults: 1000,
          NextToken,
        }),
      ),
    )
    count += (page.Snapshots ?? []).filter((s) => s.State === 'pending').length
    NextToken = page.NextToken
  } while (NextToken)
  return count
}

/**
 * Makes the planned copies (all into one destination region) within its 20
 * copy slots. A slot is held by every copy pending there, ours from earlier
 * runs and this run's included, and by copies others started, which only show
 * as ResourceLimitExceeded. So: start as many copies as slots are free; when
 * none is, look at our pending copies with growing delays until one completes
 * (or, when others hold the slots, until a short wait has passed), then start
 * more. The run ends when the last copy has been started, not completed.
 */
export async function makeCopies(
  clients: Clients,
  copies: readonly PlannedCopy[],
  options: CopyOptions,
): Promise<{ results: CopyResult[]; notStarted: PlannedCopy[] }> {
  const results: CopyResult[] = []
  const notStarted: PlannedCopy[] = []
  const queue = [...copies]
  const region = copies[0]?.region
  /** Our copies pending in the destination, as far as we know. */
  let pending = options.pendingCopies ?? 0
  /** Slots we may use: fewer than 20 once AWS said the destination is full with fewer of ours pending. */
  let usable = COPY_SLOTS
  const slotTimeoutMs = options.slotTimeoutMs ?? 3_600_000
  const pollDelays = () =>
    backoffDelays({ factor: 1.5, ...(options.slotPollMs ?? { initialMs: 1000, maxMs: 15_000 }) })
  let delays = pollDelays()
  let waitingSince: number | undefined
  while (queue.length > 0) {
    if (options.signal?.aborted) {
      notStarted.push(...queue.splice(0))
      break
    }
    const free = Math.max(0, usable - pending)
    if (free > 0) {
      const batch = queue.splice(0, free)
      const outcomes = await Promise.all(
        batch.map(async (copy) => {
          try {
            return { copy, result: await copyOnce(clients, copy, options) }
          } catch (error) {
            return { copy, error }
          }
        }),
      )
      let full = false
      for (const o of outcomes) {
        if ('result' in o && o.result) {
          results.push(o.result)
          pending++
          waitingSince = undefined
          delays = pollDelays()
          options.log.info(
            `${o.copy.sourceRegion}/${o.copy.sourceSnapshotId} -> ${o.result.snapshotId}${o.result.found ? ' (found after an unanswered call)' : ''}`,
          )
        } else if (errorCode(o.error) === COPY_LIMIT) {
          queue.unshift(o.copy)
          full = true
        } else {
          results.push({ copy: o.copy, error: describeError(o.error) })
          options.log.error(
            `copy of ${o.copy.sourceRegion}/${o.copy.sourceSnapshotId} failed: ${describeError(o.error)}`,
          )
        }
      }
      if (!full) continue
      // Others' copies hold the slots we thought free.
      usable = pending
      options.log.info(
        `${COPY_SLOTS} copies are pending in ${region} (${pending} of them ours); ${queue.length} copies wait for a slot`,
      )
    }
    waitingSince ??= Date.now()
    if (Date.now() - waitingSince > slotTimeoutMs) {
      for (const copy of queue.splice(0)) {
        results.push({
          copy,
          error: `no copy slot in ${region} freed up within ${Math.round(slotTimeoutMs / 60_000)} min; not started (a rerun copies it)`,
        })
      }
      break
    }
    try {
      const othersHoldSlots = usable < COPY_SLOTS || pending < COPY_SLOTS
      pending = await waitForSlot(
        clients,
        region!,
        pending,
        othersHoldSlots,
        delays,
        waitingSince + slotTimeoutMs,
        options.signal,
      )
    } catch (error) {
      if (options.signal?.aborted) continue
      for (const copy of queue.splice(0)) {
        results.push({
          copy,
          error: `not started: counting the copies pending in ${region} failed (${describeError(error)})`,
        })
      }
      break
    }
    // Look again: others' copies may have completed as well.
    usable = COPY_SLOTS
  }
  return { results, notStarted }
}

/**
 * One look at the destination after a growing delay: how many of our copies are
 * pending now. When only ours hold the slots, looks again until one of them has
 * completed (or failed), since nothing else can free a slot for us; when others
 * hold some, returns after each look so that the caller tries a copy again.
 */
async function waitForSlot(
  clients: Clients,
  region: string,
  pending: number,
  othersHoldSlots: boolean,
  delays: Generator<number>,
  deadline: number,
  signal?: AbortSignal,
): Promise<number> {
  for (;;) {
    await sleep(delays.next().value as number, signal)
    const now = await countPendingCopies(clients, region)
    if (now < pending || othersHoldSlots || Date.now() > deadline) return now
  }
}
