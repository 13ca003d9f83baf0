import { CopySnapshotCommand, DeleteSnapshotCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2'
import pLimit from 'p-limit'
import pThrottle from 'p-throttle'
import { describeError, errorCode } from '../../../lib/aws.js'
import type { RegionLog } from '../../../lib/log.js'
import { retryWhile, sleep } from '../../../lib/poll.js'
import { isTransient, retryTransient, type Clients } from './clients.js'
import { SOURCE_SNAPSHOT_TAG, type PlannedCopy } from './plan.js'

/** Deletions in flight per region: enough to use EC2's burst, few enough to stay polite. */
export const DELETIONS_IN_FLIGHT = 10
/** AWS runs at most 20 concurrent snapshot copies into one destination region. */
export const COPIES_IN_FLIGHT = 20

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

const REFUSALS = new Set(['InvalidSnapshot.InUse', 'SnapshotLocked', 'InvalidSnapshot.Locked'])

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
          } else if (REFUSALS.has(code)) {
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

/** Errors after which the copy was certainly not made, and trying again later may work. */
const NOT_MADE_RETRYABLE = new Set(['ResourceLimitExceeded', 'RequestLimitExceeded', 'Throttling'])

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
  /** How long to keep trying when the destination has 20 copies running (default 10 min). */
  limitTimeoutMs?: number
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
      retryable: (error) =>
        !(error instanceof CopyOutcomeUnknownError) &&
        (NOT_MADE_RETRYABLE.has(errorCode(error)) || (isTransient(error) && unclearFailures < 4)),
      timeoutMs: options.limitTimeoutMs ?? 600_000,
      signal: options.signal,
      initialMs: options.retryDelayMs ?? 500,
      maxMs: 15_000,
      onRetry: (error, _attempt, delay) => {
        if (errorCode(error) === 'ResourceLimitExceeded') {
          options.log.info(
            `20 copies already running into ${copy.region}; copy of ${copy.sourceSnapshotId} waits ${delay} ms`,
          )
        }
      },
    },
  )
}

/** Makes the planned copies, at most 20 in flight into the destination region. */
export async function makeCopies(
  clients: Clients,
  copies: readonly PlannedCopy[],
  options: CopyOptions,
): Promise<{ results: CopyResult[]; notStarted: PlannedCopy[] }> {
  const limit = pLimit(COPIES_IN_FLIGHT)
  const results: CopyResult[] = []
  const notStarted: PlannedCopy[] = []
  await Promise.all(
    copies.map((copy) =>
      limit(async () => {
        if (options.signal?.aborted) return void notStarted.push(copy)
        try {
          const result = await copyOnce(clients, copy, options)
          results.push(result)
          options.log.info(
            `${copy.sourceRegion}/${copy.sourceSnapshotId} -> ${result.snapshotId}${result.found ? ' (found after an unanswered call)' : ''}`,
          )
        } catch (error) {
          results.push({ copy, error: describeError(error) })
          options.log.error(
            `copy of ${copy.sourceRegion}/${copy.sourceSnapshotId} failed: ${describeError(error)}`,
          )
        }
      }),
    ),
  )
  return { results, notStarted }
}
