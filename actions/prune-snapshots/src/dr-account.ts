/**
 * Copies into a DR account. The source snapshot is shared with the DR account
 * (ModifySnapshotAttribute, createVolumePermission add), the DR account copies
 * it into the DR region (CopySnapshot there, with the DR account's role), the
 * run waits until the copy has completed, and the share is removed again
 * (remove), in `finally` and, after a killed run, by the post step.
 */
import { DescribeSnapshotsCommand, ModifySnapshotAttributeCommand } from '@aws-sdk/client-ec2'
import pLimit from 'p-limit'
import { describeError } from '../../../lib/aws.js'
import { pollUntil, TimeoutError } from '../../../lib/poll.js'
import { makeCopies, type CopyOptions, type CopyResult } from './apply.js'
import { retryTransient, type Clients } from './clients.js'
import type { PlannedCopy } from './plan.js'

export interface Share {
  region: string
  snapshotId: string
  /** The account it is shared with. */
  with: string
}

export interface IntoAccountOptions extends CopyOptions {
  /** How long to wait for the copies to complete before the shares are removed (default 60 min). */
  completionTimeoutMs?: number
  /** Called with every share before it is made and with those left after (the post step's state). */
  recordShares: (shares: Share[]) => void
}

/** Adds or removes the DR account's createVolumePermission on a source snapshot (in the source account). */
export function setShare(clients: Clients, share: Share, operation: 'add' | 'remove'): Promise<unknown> {
  return retryTransient(() =>
    clients.ec2(share.region).send(
      new ModifySnapshotAttributeCommand({
        SnapshotId: share.snapshotId,
        Attribute: 'createVolumePermission',
        OperationType: operation,
        UserIds: [share.with],
      }),
    ),
  )
}

/** Waits until every made copy has left `pending`; marks those in `error` or still pending at the deadline. */
async function waitForCompletion(
  clients: Clients,
  results: CopyResult[],
  options: IntoAccountOptions,
): Promise<void> {
  const waiting = new Map(results.filter((r) => r.snapshotId).map((r) => [r.snapshotId!, r]))
  if (waiting.size === 0) return
  const region = results[0]!.copy.region
  try {
    await pollUntil(
      async () => {
        const answer = await retryTransient(() =>
          clients
            .ec2(region)
            .send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], SnapshotIds: [...waiting.keys()] })),
        )
        for (const s of answer.Snapshots ?? []) {
          const result = waiting.get(s.SnapshotId ?? '')
          if (!result || s.State === 'pending') continue
          if (s.State !== 'completed') result.error = `copy ${s.SnapshotId} ended in state ${s.State}`
          waiting.delete(s.SnapshotId!)
        }
        return waiting.size === 0 ? true : undefined
      },
      {
        what: `${waiting.size} copies in ${region} to complete`,
        timeoutMs: options.completionTimeoutMs ?? 3_600_000,
        signal: options.signal,
        initialMs: 1000,
        maxMs: 15_000,
      },
    )
  } catch (error) {
    const why =
      error instanceof TimeoutError
        ? 'not completed when the wait ended'
        : `wait ended: ${describeError(error)}`
    for (const r of waiting.values())
      r.error = `copy ${r.snapshotId} ${why}; the share was removed, so it may fail (a rerun copies again)`
  }
}

/** The planned copies into the DR account: refused ones reported, the rest shared, copied, waited for, unshared. */
export async function copyIntoAccount(
  clients: Clients,
  copies: readonly PlannedCopy[],
  options: IntoAccountOptions,
): Promise<{ results: CopyResult[]; notStarted: PlannedCopy[] }> {
  const results: CopyResult[] = copies
    .filter((c) => c.refused !== undefined)
    .map((copy) => ({ copy, error: `refused: ${copy.refused}` }))
  for (const r of results) options.log.error(`copy of ${r.copy.sourceSnapshotId} ${r.error}`)
  const todo = copies.filter((c) => c.refused === undefined && c.shareWith !== undefined)
  const shares = todo.map((c) => ({
    region: c.sourceRegion,
    snapshotId: c.sourceSnapshotId,
    with: c.shareWith!,
  }))
  options.recordShares(shares)
  const limit = pLimit(5)
  const shared = new Set<string>()
  const unshared: PlannedCopy[] = []
  await Promise.all(
    todo.map((copy, i) =>
      limit(async () => {
        try {
          await setShare(clients, shares[i]!, 'add')
          shared.add(copy.sourceSnapshotId)
        } catch (error) {
          unshared.push(copy)
          results.push({ copy, error: `could not share with ${copy.shareWith}: ${describeError(error)}` })
        }
      }),
    ),
  )
  try {
    const made = await makeCopies(
      clients,
      todo.filter((c) => shared.has(c.sourceSnapshotId)),
      options,
    )
    await waitForCompletion(clients, made.results, options)
    results.push(...made.results)
    return { results, notStarted: made.notStarted }
  } finally {
    const left: Share[] = []
    await Promise.all(
      shares
        .filter((s) => shared.has(s.snapshotId))
        .map((s) =>
          limit(async () => {
            try {
              await setShare(clients, s, 'remove')
            } catch (error) {
              left.push(s)
              options.log.warning(
                `the share of ${s.snapshotId} with ${s.with} was not removed (${describeError(error)}); the post step tries again`,
              )
            }
          }),
        ),
    )
    options.recordShares(left)
    if (shared.size > 0)
      options.log.info(`removed ${shared.size - left.length} share(s) with ${todo[0]!.shareWith}`)
  }
}
