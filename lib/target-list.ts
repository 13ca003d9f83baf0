/**
 * Lists and (account, region) targets in their plainest form: splitting a list
 * input, what an account id looks like, the targets of accounts x regions and
 * how they are keyed and labelled. It imports nothing and uses only TypeScript
 * that strips away, so lib/shards.ts (run by scripts/shards.mjs with Node's type
 * stripping, no build) shares these with lib/inputs.ts and lib/targets.ts
 * instead of keeping copies.
 */

export interface Target {
  /** undefined: the account of the job's own credentials (no role is assumed). */
  account?: string
  region: string
}

/** An AWS account id: exactly 12 digits. */
export const ACCOUNT_ID = /^\d{12}$/

/** Splits a list written with commas or newlines; blank items are dropped. */
export function splitList(raw: string): string[] {
  return raw
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/** Every (account, region) pair, account by account in the order given. */
export function targetsOf(accounts: readonly string[], regions: readonly string[]): Target[] {
  if (accounts.length === 0) return regions.map((region) => ({ region }))
  return accounts.flatMap((account) => regions.map((region) => ({ account, region })))
}

/**
 * True when the targets span more than one account. A run in one account keys
 * its outputs by region, as before accounts existed, so workflows that read
 * `outputs['us-east-1']` keep working.
 */
export function spansAccounts(targets: readonly Target[]): boolean {
  return new Set(targets.map((t) => t.account ?? '')).size > 1
}

/** The key of a target in the actions' JSON outputs: `"<account>/<region>"`, or the region in a one-account run. */
export function targetKey(target: Target, multiAccount: boolean): string {
  return multiAccount && target.account !== undefined ? `${target.account}/${target.region}` : target.region
}

/** `"<account>/<region>"`, or the region alone for the job's own account: for logs and messages. */
export function targetLabel(target: Target): string {
  return target.account === undefined ? target.region : `${target.account}/${target.region}`
}
