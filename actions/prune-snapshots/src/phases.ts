/**
 * The run's phases over accounts, each taking and returning explicit data:
 * open the accounts, read every (account, region), plan each account, apply
 * (deletions, DR copies, archiving), then the restore tests. main.ts composes them.
 */
import * as core from '@actions/core'
import { randomUUID } from 'node:crypto'
import { assumeAccountRoles } from '../../../lib/assume-role.js'
import { describeError } from '../../../lib/aws.js'
import { fanOutTargets } from '../../../lib/fanout.js'
import { RegionLog } from '../../../lib/log.js'
import { targetLabel, type Target } from '../../../lib/targets.js'
import { deleteSnapshots, makeCopies } from './apply.js'
import { archiveSnapshots } from './archive.js'
import { assumeDrRole, forAccount, withDrAccount, type Clients } from './clients.js'
import { copyIntoAccount } from './dr-account.js'
import type { Settings } from './input-helper.js'
import {
  accountId,
  locksUnreadWarning,
  readRegion,
  type RecycleBinRule,
  type RegionInventory,
} from './inventory.js'
import { buildPlan, deletionsByRegion, pendingCopyCount, type Plan } from './plan.js'
import { recordRestoreState } from './post.js'
import { runRestoreTests } from './restore.js'
import { withRestoreTests } from './restore-plan.js'
import type { AccountOutcome } from './results.js'
import type { AssumeRoleCall } from '../../../lib/assume-role.js'

export interface Dependencies {
  clients: Clients
  now: () => number
  /** STS AssumeRole of a role ARN; unset: the live one (lib/assume-role.ts). */
  assume?: AssumeRoleCall
}

/** One account's share of the run. */
export interface AccountRun extends AccountOutcome {
  clients: Clients
  accountId?: string
  facts: RegionInventory[]
  recycleBin: Map<string, RecycleBinRule[]>
}

export type LogOf = (target: Target) => RegionLog

/** The accounts of the run: the job's own, or the role assumed in each listed one (a failure noted per account). */
export async function openAccounts(settings: Settings, deps: Dependencies): Promise<Map<string, AccountRun>> {
  const [access, dr] = await Promise.all([
    assumeAccountRoles(settings, deps.assume),
    settings.drAccount === undefined
      ? undefined
      : assumeDrRole(settings.drAccount, settings.drRoleName!, settings.drRegion!, deps.assume),
  ])
  // Without the DR account nothing can be copied or pruned there: the run stops before any change.
  if (dr && !dr.ok) throw new Error(`dr-account ${settings.drAccount} cannot be used: ${dr.reason}`)
  const runs = new Map<string, AccountRun>()
  for (const account of settings.accounts.length ? settings.accounts : [undefined]) {
    const entry = account === undefined ? undefined : access.get(account)
    const source = forAccount(deps.clients, entry?.ok ? entry.access : undefined)
    const run: AccountRun = {
      account,
      clients: dr?.ok ? withDrAccount(source, deps.clients, settings.drRegion!, dr.access) : source,
      accountId: account,
      failedRegions: new Map(),
      deletions: new Map(),
      copies: [],
      archives: new Map(),
      restoreTests: [],
      facts: [],
      recycleBin: new Map(),
    }
    if (entry && !entry.ok) {
      run.failure = entry.reason
      core.error(`Account ${account} not pruned: ${entry.reason}`, { title: `prune-snapshots ${account}` })
    }
    runs.set(account ?? '', run)
  }
  // The job's own account is asked for; an assumed role acts in the account it was assumed in.
  const own = runs.get('')
  if (own) own.accountId = await accountId(own.clients, settings.regions[0]!)
  return runs
}

/** Reads every (account, region) at once, within the per-account cap; warns of locks and Recycle Bin rules. */
export async function readAccounts(
  live: readonly AccountRun[],
  regions: readonly string[],
  settings: Settings,
  logOf: LogOf,
): Promise<void> {
  const byAccount = new Map(live.map((r) => [r.account ?? '', r]))
  const reads = await fanOutTargets(
    live.flatMap((r) => regions.map((region) => ({ account: r.account, region }))),
    (target) =>
      readRegion(byAccount.get(target.account ?? '')!.clients, target.region, {
        filters: settings.filters,
        volumeIds: settings.volumeIds,
        source: settings.regions.includes(target.region),
        dr: target.region === settings.drRegion,
        archiveTimes: settings.includeArchived || settings.archiveAfter !== undefined,
      }),
    { maxParallelPerAccount: settings.maxParallelPerAccount },
  )
  const recycleBinUnread: string[] = []
  for (const r of reads) {
    const run = byAccount.get(r.item.account ?? '')!
    const log = logOf(r.item)
    if (r.state !== 'fulfilled') {
      const message = r.state === 'rejected' ? describeError(r.error) : 'skipped'
      run.failedRegions.set(r.item.region, message)
      log.error(`not pruned: ${message}`, `prune-snapshots ${targetLabel(r.item)}`)
      continue
    }
    run.facts.push(r.value)
    if (r.value.locksUnread) log.warning(locksUnreadWarning(r.value.locksUnread))
    if ('error' in r.value.recycleBin) {
      recycleBinUnread.push(`${targetLabel(r.item)} (${r.value.recycleBin.error})`)
      continue
    }
    run.recycleBin.set(r.item.region, r.value.recycleBin)
    const rules = r.value.recycleBin
    if (rules.length > 0) {
      const list = rules.map((rule) => `${rule.identifier} (${rule.retentionDays ?? '?'} days)`).join(', ')
      log.warning(
        `Recycle Bin retains deleted EBS snapshots here (rules ${list}): deletions stay recoverable, and billed, until then`,
      )
    }
  }
  if (recycleBinUnread.length > 0) {
    core.warning(
      `Could not check Recycle Bin rules in ${recycleBinUnread.join(', ')}; deleted snapshots may be retained there.`,
    )
  }
}

/** Each account's plan on its own (copies stay in their account). */
export function planAccount(run: AccountRun, settings: Settings, now: number): Plan {
  // Without the DR region's copies the action cannot tell what was copied already.
  const drUnread = settings.drRegion !== undefined && run.failedRegions.has(settings.drRegion)
  const effective = {
    ...settings,
    drRegion: drUnread ? undefined : settings.drRegion,
    ...(settings.drAccount !== undefined ? { drAccountId: settings.drAccount } : {}),
  }
  return withRestoreTests(buildPlan(run.facts, run.accountId!, effective, now), run.facts, effective)
}

/** `{region: [snapshotId]}` of the snapshots a plan moves to the archive tier. */
export function archivesByRegion(plan: Plan): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const s of plan.snapshots) if (s.archive) (out[s.region] ??= []).push(s.snapshotId)
  return out
}

/** Deletions, DR copies and archiving of every account at once; results recorded on each run. */
export async function applyPlans(
  live: readonly AccountRun[],
  settings: Settings,
  signal: AbortSignal,
  logOf: LogOf,
): Promise<void> {
  const byAccount = new Map(live.map((r) => [r.account ?? '', r]))
  const perRegion = (pick: (plan: Plan) => Record<string, string[]>) =>
    live.flatMap((run) =>
      Object.entries(pick(run.plan!)).map(([region, ids]) => ({ account: run.account, region, ids })),
    )
  const cap = { maxParallelPerAccount: settings.maxParallelPerAccount }
  const [deleteResults, archiveResults] = await Promise.all([
    fanOutTargets(
      perRegion(deletionsByRegion),
      (t) =>
        deleteSnapshots(byAccount.get(t.account ?? '')!.clients, t.region, t.ids, {
          maxRate: settings.maxRate,
          signal,
          log: logOf(t),
        }),
      cap,
    ),
    fanOutTargets(
      perRegion(archivesByRegion),
      (t) =>
        archiveSnapshots(byAccount.get(t.account ?? '')!.clients, t.region, t.ids, { signal, log: logOf(t) }),
      cap,
    ),
    // Each account copies into its own DR region, within that account's copy slots.
    ...live.map(async (run) => {
      if (run.plan!.copies.length === 0) return
      const options = {
        kmsKeyId: settings.kmsKeyId,
        pendingCopies: pendingCopyCount(run.facts, settings),
        signal,
        log: logOf({ account: run.account, region: settings.drRegion! }),
      }
      const made =
        settings.drAccount === undefined
          ? await makeCopies(run.clients, run.plan!.copies, options)
          : await copyIntoAccount(run.clients, run.plan!.copies, {
              ...options,
              record: (left) =>
                recordRestoreState({
                  ...(settings.accounts.length > 0 ? { accounts: settings.accounts } : {}),
                  temporary: { [run.account ?? '']: left },
                }),
            })
      run.copies = made.results
    }),
  ])
  for (const r of deleteResults)
    if (r.state === 'fulfilled') byAccount.get(r.item.account ?? '')!.deletions.set(r.item.region, r.value)
  for (const r of archiveResults)
    if (r.state === 'fulfilled') byAccount.get(r.item.account ?? '')!.archives!.set(r.item.region, r.value)
}

/** The id test volumes are tagged with: the workflow run and attempt, or a random one outside Actions. */
export function restoreRunId(env: NodeJS.ProcessEnv = process.env): string {
  const run = [env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT].filter(Boolean).join('-')
  return run ? `${run}-${randomUUID().slice(0, 8)}` : randomUUID()
}

/** verify-restore: every account's planned tests at once, after pruning; the post step's state first. */
export async function restoreAccounts(
  live: readonly AccountRun[],
  settings: Settings,
  signal: AbortSignal,
): Promise<void> {
  const tests = live.filter((run) => (run.plan!.restoreTests ?? []).length > 0)
  if (tests.length === 0) return
  const runId = restoreRunId()
  const regions = [...new Set(tests.flatMap((run) => run.plan!.restoreTests!.map((t) => t.region)))]
  recordRestoreState({
    runId,
    regions,
    ...(settings.accounts.length > 0 ? { accounts: tests.map((r) => r.account!) } : {}),
  })
  // Tests wait minutes: their lines are printed as they happen, not grouped at the end.
  const logs = new Map<string, RegionLog>()
  const liveLog = (target: Target) => {
    const label = targetLabel(target)
    let log = logs.get(label)
    if (!log) logs.set(label, (log = new RegionLog(label)))
    return log
  }
  await Promise.all(
    tests.map(async (run) => {
      run.restoreTests = await runRestoreTests(run.clients, run.plan!.restoreTests!, {
        runId,
        timeoutMs: settings.restoreTimeoutMs ?? 1_800_000,
        signal,
        log: (region) => liveLog({ account: run.account, region }),
      })
    }),
  )
}
