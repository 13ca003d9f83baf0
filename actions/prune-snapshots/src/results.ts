import type { TargetResult } from '../../../lib/shards.js'
import { targetKey, type Target } from '../../../lib/targets.js'
import type { CopyResult, DeletionResult } from './apply.js'
import type { ArchiveResult } from './archive.js'
import type { Plan } from './plan.js'
import type { RestoreTest } from './restore.js'
import type { Outcome } from './summary.js'

/** What one account's run came to: its plan and what was applied, or why it could not start. */
export interface AccountOutcome {
  /** undefined: the job's own account. */
  account?: string
  /** Why nothing could be read in this account (its role could not be assumed). */
  failure?: string
  plan?: Plan
  /** Regions whose snapshots could not be read, with the reason. */
  failedRegions: Map<string, string>
  deletions: Map<string, DeletionResult>
  copies: CopyResult[]
  /** Snapshots moved to the archive tier, by region (archive-after). */
  archives?: Map<string, ArchiveResult>
  /** verify-restore: the tests made after pruning. */
  restoreTests?: RestoreTest[]
}

/** One entry of the `copied` output; `account` only in a run over several accounts. */
export interface CopiedEntry {
  account?: string
  sourceRegion: string
  sourceSnapshotId: string
  region: string
  snapshotId: string
}

/** A target's entry of the `results` output, the shape lib/shards.ts merges across matrix jobs. */
export interface PruneResult extends TargetResult {
  /** A refused plan fails every target (the step fails), so a merge of slices counts it. */
  status: Exclude<Outcome, 'refused'> | 'failed'
  /** Snapshots deleted in the target's region. */
  deleted: string[]
  /** DR copies made from the target's region. */
  copied: CopiedEntry[]
  /** Snapshots considered in the target's region that remain. */
  kept: number
  /** Only on an account's first target: its DR region's share (copies deleted and kept there). */
  drRegion?: string
  drDeleted?: string[]
  drKept?: number
}

export function copiedEntries(outcome: AccountOutcome, multiAccount: boolean): CopiedEntry[] {
  return outcome.copies
    .filter((c) => c.snapshotId)
    .map((c) => ({
      ...(multiAccount && outcome.account !== undefined ? { account: outcome.account } : {}),
      sourceRegion: c.copy.sourceRegion,
      sourceSnapshotId: c.copy.sourceSnapshotId,
      region: c.copy.region,
      snapshotId: c.snapshotId!,
    }))
}

/** Snapshots of a region that were considered and remain after the run. */
export function keptIn(outcome: AccountOutcome, region: string): number {
  const deleted = new Set(outcome.deletions.get(region)?.deleted ?? [])
  return (outcome.plan?.snapshots ?? []).filter(
    (s) => s.region === region && !s.planned && !deleted.has(s.snapshotId),
  ).length
}

/** Why a target did not come out as planned; undefined when it did. */
function targetFailure(outcome: AccountOutcome, region: string, drRegion?: string): string | undefined {
  if (outcome.failure) return outcome.failure
  const reasons: string[] = []
  for (const r of [region, ...(drRegion ? [drRegion] : [])]) {
    const unread = outcome.failedRegions.get(r)
    if (unread) reasons.push(`${r} not read: ${unread}`)
    const failed = outcome.deletions.get(r)?.failed ?? []
    if (failed.length > 0) reasons.push(`${failed.length} deletion(s) failed in ${r}: ${failed[0]!.error}`)
  }
  const copies = outcome.copies.filter((c) => c.error && c.copy.sourceRegion === region)
  if (copies.length > 0) reasons.push(`${copies.length} copy(ies) failed: ${copies[0]!.error}`)
  return reasons.length > 0 ? reasons.join('; ') : undefined
}

/**
 * One result per (account, region) target of `regions`, in the order of the
 * targets. The DR region is no target of its own (it is where each account's
 * copies go), so its deletions and kept count ride on the account's first target.
 */
export function targetResults(
  targets: readonly Target[],
  outcomes: ReadonlyMap<string, AccountOutcome>,
  runOutcome: Outcome,
  drRegion: string | undefined,
  multiAccount: boolean,
  /** Why the run changed nothing (max-delete): every target failed with it. */
  refusal?: string,
): PruneResult[] {
  const firstOfAccount = new Set<string>()
  return targets.map((target) => {
    const outcome = outcomes.get(target.account ?? '')!
    const first = !firstOfAccount.has(target.account ?? '')
    firstOfAccount.add(target.account ?? '')
    const reason = targetFailure(outcome, target.region, first ? drRegion : undefined) ?? refusal
    const result: PruneResult = {
      ...(target.account !== undefined ? { account: target.account } : {}),
      region: target.region,
      status: reason !== undefined || runOutcome === 'refused' ? 'failed' : runOutcome,
      deleted: outcome.deletions.get(target.region)?.deleted ?? [],
      copied: copiedEntries(outcome, multiAccount).filter((c) => c.sourceRegion === target.region),
      kept: keptIn(outcome, target.region),
      ...(reason !== undefined ? { reason } : {}),
    }
    if (first && drRegion !== undefined && outcome.plan !== undefined) {
      result.drRegion = drRegion
      result.drDeleted = outcome.deletions.get(drRegion)?.deleted ?? []
      result.drKept = keptIn(outcome, drRegion)
    }
    return result
  })
}

/** The `deleted` output: snapshot ids by region, or by `"<account>/<region>"` over several accounts. */
export function deletedByTarget(
  outcomes: Iterable<AccountOutcome>,
  multiAccount: boolean,
): Record<string, string[]> {
  const deleted: Record<string, string[]> = {}
  for (const outcome of outcomes) {
    for (const [region, result] of outcome.deletions) {
      if (result.deleted.length === 0) continue
      deleted[targetKey({ account: outcome.account, region }, multiAccount)] = result.deleted
    }
  }
  return deleted
}

/** The `restore-tests` output: one entry per test, `account` only over several accounts. */
export function restoreTestEntries(outcomes: Iterable<AccountOutcome>, multiAccount: boolean): RestoreTest[] {
  const entries: RestoreTest[] = []
  for (const o of outcomes) {
    for (const { testVolume: _volume, account: _account, ...test } of o.restoreTests ?? []) {
      entries.push({ ...(multiAccount && o.account !== undefined ? { account: o.account } : {}), ...test })
    }
  }
  return entries
}
