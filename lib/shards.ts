/**
 * Runs past one job: the reusable workflows split the (account, region) targets
 * into slices of at most `shard-size`, run the action once per slice as a GitHub
 * Actions matrix, and merge the slices' `results` into one result set and one
 * job summary. Each slice is a rectangle (some accounts x some regions), so it is
 * expressed with the action's own `accounts` and `regions` inputs.
 *
 * scripts/shards.mjs runs this file straight from the toolkit's checkout with
 * Node's type stripping (no build, no node_modules), so it imports only
 * target-list.ts (itself import-free), by its .ts name as Node needs, and uses
 * only TypeScript syntax that strips away (no enums, no parameter properties).
 */
import { ACCOUNT_ID, spansAccounts, splitList, targetKey, targetsOf } from './target-list.ts'

export { splitList }

export interface Slice {
  /** 1-based, as shown in job names. */
  shard: number
  /** Empty: the job's own account. */
  accounts: string[]
  regions: string[]
  targets: number
}

/** A GitHub Actions matrix has at most 256 jobs. */
export const MAX_SLICES = 256

/** Splits `n` items into `parts` runs of sizes that differ by at most one. */
function evenChunks<T>(items: readonly T[], parts: number): T[][] {
  const chunks: T[][] = []
  let start = 0
  for (let i = 0; i < parts; i++) {
    const size = Math.floor(items.length / parts) + (i < items.length % parts ? 1 : 0)
    chunks.push(items.slice(start, start + size))
    start += size
  }
  return chunks.filter((c) => c.length > 0)
}

/**
 * Slices of at most `shardSize` targets, as few as possible and as even as
 * possible: whole accounts with every region while the regions fit in a slice,
 * otherwise each account's regions split evenly.
 */
export function splitTargets(
  accounts: readonly string[],
  regions: readonly string[],
  shardSize: number,
): Slice[] {
  if (!Number.isInteger(shardSize) || shardSize < 1) {
    throw new Error(
      `shard-size: ${JSON.stringify(String(shardSize))} is not valid. Expected a whole number from 1.`,
    )
  }
  if (regions.length === 0) throw new Error('regions: at least one region is needed to split the targets.')
  const seen = new Set<string>()
  for (const account of accounts) {
    if (!ACCOUNT_ID.test(account)) {
      throw new Error(
        `accounts: ${JSON.stringify(account)} is not valid. Expected AWS account ids of 12 digits.`,
      )
    }
    if (seen.has(account))
      throw new Error(`accounts: '${account}' is listed twice. Expected each account once.`)
    seen.add(account)
  }
  const groups: string[][] = accounts.length === 0 ? [[]] : accounts.map((a) => [a])
  let rectangles: Array<{ accounts: string[]; regions: string[] }>
  if (regions.length <= shardSize) {
    const perSlice = Math.floor(shardSize / regions.length)
    const parts = Math.ceil(groups.length / perSlice)
    rectangles = evenChunks(groups, parts).map((chunk) => ({ accounts: chunk.flat(), regions: [...regions] }))
  } else {
    const parts = Math.ceil(regions.length / shardSize)
    rectangles = groups.flatMap((group) =>
      evenChunks(regions, parts).map((chunk) => ({ accounts: group, regions: chunk })),
    )
  }
  if (rectangles.length > MAX_SLICES) {
    throw new Error(
      `shard-size: ${shardSize} makes ${rectangles.length} jobs; a GitHub Actions matrix runs at most ${MAX_SLICES}. Expected a larger shard-size.`,
    )
  }
  return rectangles.map((r, i) => ({
    shard: i + 1,
    accounts: r.accounts,
    regions: r.regions,
    targets: Math.max(1, r.accounts.length) * r.regions.length,
  }))
}

/**
 * The `canary-regions` entries that name targets of a slice: a region listed in
 * the slice, or an `account/region` pair of its accounts and regions. A canary
 * goes first within its own slice; slices do not wait for each other's canaries.
 */
export function sliceCanaries(slice: Slice, canaries: readonly string[]): string[] {
  return canaries.filter((entry) => {
    const slash = entry.indexOf('/')
    if (slash === -1) return slice.regions.includes(entry)
    return slice.accounts.includes(entry.slice(0, slash)) && slice.regions.includes(entry.slice(slash + 1))
  })
}

/** The matrix the plan job hands to the slice jobs: `include` entries with the inputs as strings. */
export function sliceMatrix(slices: readonly Slice[], canaries: readonly string[] = []) {
  return {
    include: slices.map((s) => ({
      shard: s.shard,
      accounts: s.accounts.join(','),
      regions: s.regions.join(','),
      'canary-regions': sliceCanaries(s, canaries).join(','),
      targets: s.targets,
    })),
  }
}

/** One target's entry in an action's `results` output. */
export interface TargetResult {
  account?: string
  region: string
  status: string
  reason?: string
  [field: string]: unknown
}

export interface MergedResults {
  results: TargetResult[]
  /** Slices whose job left no results (it failed before reporting, or was cancelled). */
  missing: number[]
  counts: Record<string, number>
}

/**
 * One result set from the slices' `results` (by shard number), in the order of
 * the plan. A slice without results stands for failed targets, so the merged set
 * covers every target; a result outside its slice, or one target twice, is an error.
 */
export function mergeShards(slices: readonly Slice[], outputs: ReadonlyMap<number, unknown>): MergedResults {
  const results: TargetResult[] = []
  const missing: number[] = []
  const seen = new Set<string>()
  for (const slice of slices) {
    const raw = outputs.get(slice.shard)
    const expected = targetsOf(slice.accounts, slice.regions)
    if (raw === undefined) {
      missing.push(slice.shard)
      for (const t of expected) {
        results.push({
          ...(t.account !== undefined ? { account: t.account } : {}),
          region: t.region,
          status: 'failed',
          reason: `shard ${slice.shard} left no results (its job failed before reporting or was cancelled)`,
        })
      }
      continue
    }
    if (!Array.isArray(raw)) throw new Error(`shard ${slice.shard}: results are not a JSON array`)
    const byTarget = new Map<string, TargetResult>()
    for (const entry of raw as unknown[]) {
      const result = asResult(slice, entry)
      const key = `${result.account ?? ''}/${result.region}`
      if (!expected.some((t) => (t.account ?? '') === (result.account ?? '') && t.region === result.region)) {
        throw new Error(`shard ${slice.shard}: result for ${key} is not one of its targets`)
      }
      if (seen.has(key)) throw new Error(`shard ${slice.shard}: ${key} is reported twice`)
      seen.add(key)
      byTarget.set(key, result)
    }
    for (const t of expected) {
      const key = `${t.account ?? ''}/${t.region}`
      results.push(
        byTarget.get(key) ?? {
          ...(t.account !== undefined ? { account: t.account } : {}),
          region: t.region,
          status: 'failed',
          reason: `shard ${slice.shard} reported no result for this target`,
        },
      )
    }
  }
  const counts: Record<string, number> = {}
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1
  return { results, missing, counts }
}

function asResult(slice: Slice, entry: unknown): TargetResult {
  if (typeof entry !== 'object' || entry === null || typeof (entry as TargetResult).region !== 'string') {
    throw new Error(`shard ${slice.shard}: a result without a region: ${JSON.stringify(entry)}`)
  }
  const result = { ...(entry as TargetResult) }
  if (typeof result.status !== 'string')
    throw new Error(`shard ${slice.shard}: ${result.region} has no status`)
  // A slice of one account reports by region, as a one-account run does; the plan knows the account.
  if (result.account === undefined && slice.accounts.length === 1) result.account = slice.accounts[0]
  return result
}

/**
 * A map of the merged results by target, keyed as a run's outputs are
 * (`targetKey`): `"<account>/<region>"` when the results span accounts, the region otherwise.
 */
export function keyedBy<V>(results: readonly TargetResult[], value: (r: TargetResult) => V | undefined) {
  const multiAccount = spansAccounts(results)
  const map: Record<string, V> = {}
  for (const r of results) {
    const v = value(r)
    if (v === undefined) continue
    map[targetKey(r, multiAccount)] = v
  }
  return map
}

/** Statuses that count against failure-tolerance. */
export const FAILED_STATUSES = ['failed']

/** The merged job summary's parts: a tally line and, per account, its rows. */
export function summaryParts(merged: MergedResults) {
  const tally = Object.entries(merged.counts)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ')
  const accounts = new Map<string, TargetResult[]>()
  for (const r of merged.results) {
    const name = r.account ?? 'this account'
    accounts.set(name, [...(accounts.get(name) ?? []), r])
  }
  return {
    tally: `${merged.results.length} target(s): ${tally}.`,
    missing: merged.missing,
    accounts: [...accounts.entries()].map(([account, rows]) => ({
      account,
      headers: ['Region', 'Status', 'Reason'],
      rows: rows.map((r) => [r.region, r.status, r.reason ?? '']),
    })),
  }
}
