/**
 * Copies into a DR account. The source snapshot is shared with the DR account
 * (ModifySnapshotAttribute, createVolumePermission add), the DR account copies
 * it into the DR region (CopySnapshot there, with the DR account's role), the
 * run waits until the copy has completed, and the share is removed again
 * (remove), in `finally` and, after a killed run, by the post step. An
 * encrypted source's KMS key is granted to the DR account for the copy
 * (CreateGrant) and the grant revoked with the share.
 */
import { DescribeSnapshotsCommand, ModifySnapshotAttributeCommand } from '@aws-sdk/client-ec2'
import pLimit from 'p-limit'
import { describeError } from '../../../lib/aws.js'
import { partitionOfRegions } from '../../../lib/targets.js'
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

/** A KMS grant letting the DR account use a source snapshot's key for its copy. */
export interface Grant {
  region: string
  keyId: string
  grantId: string
}

/** What a DR-account copy changes for a while in the source account, for the post step to undo. */
export interface Temporary {
  shares: Share[]
  grants: Grant[]
}

export interface IntoAccountOptions extends CopyOptions {
  /** How long to wait for the copies to complete before the shares are removed (default 60 min). */
  completionTimeoutMs?: number
  /** Called before each change is made and with what is left after (the post step's state). */
  record: (left: Temporary) => void
}

/**
 * What the DR account needs of a source key to copy the snapshot: "To copy an
 * encrypted snapshot shared from another AWS account, you must have permissions
 * to use the KMS key that was used to encrypt the snapshot" (EBS User Guide,
 * Share a snapshot), granted here to the account for the copy only.
 */
const GRANT_OPERATIONS = [
  'Decrypt',
  'DescribeKey',
  'CreateGrant',
  'ReEncryptFrom',
  'GenerateDataKeyWithoutPlaintext',
] as const

/** The region of a key ARN, or the snapshot's own region for a bare key id. */
const keyRegion = (keyId: string, fallback: string) => /^arn:[^:]+:kms:([^:]+):/.exec(keyId)?.[1] ?? fallback

async function grantKey(
  clients: Clients,
  keyId: string,
  sourceRegion: string,
  account: string,
): Promise<Grant> {
  const region = keyRegion(keyId, sourceRegion)
  const [{ CreateGrantCommand }, kms] = await Promise.all([
    import('@aws-sdk/client-kms'),
    clients.kms!(region),
  ])
  const answer = await retryTransient(() =>
    kms.send(
      new CreateGrantCommand({
        KeyId: keyId,
        GranteePrincipal: `arn:${partitionOfRegions([region])}:iam::${account}:root`,
        Operations: [...GRANT_OPERATIONS],
        Name: 'prune-snapshots-dr-copy',
      }),
    ),
  )
  return { region, keyId, grantId: answer.GrantId! }
}

export async function revokeGrant(clients: Clients, grant: Grant): Promise<void> {
  const [{ RevokeGrantCommand }, kms] = await Promise.all([
    import('@aws-sdk/client-kms'),
    clients.kms!(grant.region),
  ])
  await retryTransient(() => kms.send(new RevokeGrantCommand({ KeyId: grant.keyId, GrantId: grant.grantId })))
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

/** Grants the DR account each distinct source key once; a copy whose key could not be granted is not made. */
async function grantKeys(
  clients: Clients,
  todo: readonly PlannedCopy[],
  results: CopyResult[],
): Promise<{ grants: Grant[]; refused: Set<PlannedCopy> }> {
  const grants: Grant[] = []
  const refused = new Set<PlannedCopy>()
  const keys = new Map<string, PlannedCopy[]>()
  for (const c of todo)
    if (c.sourceKmsKeyId) keys.set(c.sourceKmsKeyId, [...(keys.get(c.sourceKmsKeyId) ?? []), c])
  for (const [keyId, copies] of keys) {
    try {
      grants.push(await grantKey(clients, keyId, copies[0]!.sourceRegion, copies[0]!.shareWith!))
    } catch (error) {
      for (const copy of copies) {
        refused.add(copy)
        results.push({
          copy,
          error: `could not grant ${copy.shareWith} the use of ${keyId} (${describeError(error)}); an AWS managed key (aws/ebs) cannot be shared`,
        })
      }
    }
  }
  return { grants, refused }
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
  const wanted = copies.filter((c) => c.refused === undefined && c.shareWith !== undefined)
  const { grants, refused } = await grantKeys(clients, wanted, results)
  const todo = wanted.filter((c) => !refused.has(c))
  const shares = todo.map((c) => ({
    region: c.sourceRegion,
    snapshotId: c.sourceSnapshotId,
    with: c.shareWith!,
  }))
  options.record({ shares, grants })
  const limit = pLimit(5)
  const shared = new Set<string>()
  await Promise.all(
    todo.map((copy, i) =>
      limit(async () => {
        try {
          await setShare(clients, shares[i]!, 'add')
          shared.add(copy.sourceSnapshotId)
        } catch (error) {
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
    options.record(
      await undoTemporary(
        clients,
        { shares: shares.filter((s) => shared.has(s.snapshotId)), grants },
        options,
      ),
    )
  }
}

/** Removes the shares and revokes the grants; returns what could not be undone (the post step tries again). */
export async function undoTemporary(
  clients: Clients,
  made: Temporary,
  options: { log: { info(m: string): void; warning(m: string): void } },
): Promise<Temporary> {
  const left: Temporary = { shares: [], grants: [] }
  const limit = pLimit(5)
  await Promise.all(
    made.shares.map((s) =>
      limit(async () => {
        try {
          await setShare(clients, s, 'remove')
        } catch (error) {
          left.shares.push(s)
          options.log.warning(
            `the share of ${s.snapshotId} with ${s.with} was not removed (${describeError(error)})`,
          )
        }
      }),
    ),
  )
  for (const g of made.grants) {
    try {
      await revokeGrant(clients, g)
    } catch (error) {
      left.grants.push(g)
      options.log.warning(`grant ${g.grantId} on ${g.keyId} was not revoked (${describeError(error)})`)
    }
  }
  const undone = made.shares.length - left.shares.length
  if (undone > 0 || made.grants.length > 0)
    options.log.info(
      `removed ${undone} share(s) and revoked ${made.grants.length - left.grants.length} KMS grant(s)`,
    )
  return left
}
