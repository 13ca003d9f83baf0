import * as core from '@actions/core'
import { describeError } from '../../../lib/aws.js'
import { assumeAccountRoles, type AssumeRoleCall } from '../../../lib/assume-role.js'
import { fanOutTargets } from '../../../lib/fanout.js'
import { writeRunFile } from '../../../lib/files.js'
import { type ActionContext, runAction, setJsonOutput, writeJobSummary } from '../../../lib/action.js'
import { Annotations, RegionLog } from '../../../lib/log.js'
import { spansAccounts, targetLabel, targetsOf, type Target } from '../../../lib/targets.js'
import { deleteSnapshots, makeCopies, type CopyResult } from './apply.js'
import { forAccount, makeClients, type Clients } from './clients.js'
import { getSettings, type Settings } from './input-helper.js'
import {
  accountId,
  locksUnreadWarning,
  readRegion,
  type RecycleBinRule,
  type RegionInventory,
} from './inventory.js'
import { buildPlan, countDeletions, deletionsByRegion, pendingCopyCount, type Plan } from './plan.js'
import { copiedEntries, deletedByTarget, keptIn, targetResults, type AccountOutcome } from './results.js'
import { renderAccountFailures, renderSummary, type Outcome } from './summary.js'

export interface Dependencies {
  clients: Clients
  now: () => number
  /** STS AssumeRole of a role ARN; unset: the live one (lib/assume-role.ts). */
  assume?: AssumeRoleCall
}

export async function run(): Promise<void> {
  await runAction(async (context) => {
    const settings = getSettings()
    await prune(settings, context, { clients: makeClients(), now: () => Date.now() })
  })
}

/** The settings that decide the plan; the KMS key, the rate and the external id only shape how it is applied. */
function recordedSettings(settings: Settings) {
  const { kmsKeyId: _kmsKeyId, maxRate: _maxRate, roleExternalId: _roleExternalId, ...recorded } = settings
  return recorded
}

/**
 * The plan file, for the `plan` output and the artifact later steps upload.
 * One account: the plan as it always was; several: `accounts` holds each account's plan.
 */
function writePlanFile(plans: readonly Plan[], settings: Settings, now: number): string {
  const body =
    settings.accounts.length === 0 && plans.length === 1
      ? { settings: recordedSettings(settings), ...plans[0]! }
      : { settings: recordedSettings(settings), now: new Date(now).toISOString(), accounts: plans }
  return writeRunFile('prune-snapshots-plan', JSON.stringify(body, null, 2))
}

function printPlan(plan: Plan, log: (region: string) => RegionLog, regions: readonly string[]): void {
  for (const region of regions) {
    const entries = plan.snapshots.filter((s) => s.region === region)
    const deletions = entries.filter((s) => s.decision === 'delete')
    log(region).info(
      `plan: ${entries.length} snapshots considered, ${entries.length - deletions.length} kept, ${deletions.length} to delete`,
    )
    for (const s of deletions)
      log(region).info(`  delete ${s.snapshotId} (${s.group}, ${s.startTime}): ${s.reasons.join('; ')}`)
    for (const c of plan.copies.filter((c) => c.region === region)) {
      log(region).info(`  copy ${c.sourceRegion}/${c.sourceSnapshotId} (${c.sourceVolumeId}) here`)
    }
  }
}

/** One account's share of the run while it is read and planned. */
interface AccountRun extends AccountOutcome {
  clients: Clients
  accountId?: string
  facts: RegionInventory[]
  recycleBin: Map<string, RecycleBinRule[]>
}

export async function prune(settings: Settings, context: ActionContext, deps: Dependencies): Promise<void> {
  const regions = [...settings.regions]
  if (settings.drRegion && !regions.includes(settings.drRegion)) regions.push(settings.drRegion)
  const targets = targetsOf(settings.accounts, settings.regions)
  const multiAccount = spansAccounts(targets)
  const logs = new Map<string, RegionLog>()
  const annotations = new Annotations(targets.map(targetLabel))
  const logOf = (target: Target) => {
    const label = targetLabel(target)
    let log = logs.get(label)
    if (!log) logs.set(label, (log = new RegionLog(label, { grouped: true, annotations })))
    return log
  }

  // Access: the job's own account, or the role assumed in each listed account.
  const access = await assumeAccountRoles(settings, deps.assume)
  const runs = new Map<string, AccountRun>()
  for (const account of settings.accounts.length ? settings.accounts : [undefined]) {
    const entry = account === undefined ? undefined : access.get(account)
    const run: AccountRun = {
      account,
      clients: forAccount(deps.clients, entry?.ok ? entry.access : undefined),
      accountId: account,
      failedRegions: new Map(),
      deletions: new Map(),
      copies: [],
      facts: [],
      recycleBin: new Map(),
    }
    if (entry && !entry.ok) {
      run.failure = entry.reason
      core.error(`Account ${account} not pruned: ${entry.reason}`, { title: `prune-snapshots ${account}` })
    }
    runs.set(account ?? '', run)
  }
  const live = [...runs.values()].filter((r) => r.failure === undefined)
  // The job's own account is asked for; an assumed role acts in the account it was assumed in.
  const own = runs.get('')
  if (own) own.accountId = await accountId(own.clients, settings.regions[0]!)

  // Read: every (account, region) at once, within the per-account cap.
  const reads = await fanOutTargets(
    live.flatMap((r) => regions.map((region) => ({ account: r.account, region }))),
    (target) =>
      readRegion(runs.get(target.account ?? '')!.clients, target.region, {
        filters: settings.filters,
        volumeIds: settings.volumeIds,
        source: settings.regions.includes(target.region),
        dr: target.region === settings.drRegion,
      }),
    { maxParallelPerAccount: settings.maxParallelPerAccount },
  )
  const recycleBinUnread: string[] = []
  for (const r of reads) {
    const run = runs.get(r.item.account ?? '')!
    const log = logOf(r.item)
    if (r.state !== 'fulfilled') {
      const message = r.state === 'rejected' ? describeError(r.error) : 'skipped'
      run.failedRegions.set(r.item.region, message)
      log.error(`not pruned: ${message}`, `prune-snapshots ${targetLabel(r.item)}`)
      continue
    }
    run.facts.push(r.value)
    if (r.value.locksUnread) log.warning(locksUnreadWarning(r.value.locksUnread))
    if ('error' in r.value.recycleBin)
      recycleBinUnread.push(`${targetLabel(r.item)} (${r.value.recycleBin.error})`)
    else {
      run.recycleBin.set(r.item.region, r.value.recycleBin)
      const rules = r.value.recycleBin
      if (rules.length > 0) {
        const list = rules.map((rule) => `${rule.identifier} (${rule.retentionDays ?? '?'} days)`).join(', ')
        log.warning(
          `Recycle Bin retains deleted EBS snapshots here (rules ${list}): deletions stay recoverable, and billed, until then`,
        )
      }
    }
  }
  if (recycleBinUnread.length > 0) {
    core.warning(
      `Could not check Recycle Bin rules in ${recycleBinUnread.join(', ')}; deleted snapshots may be retained there.`,
    )
  }

  // Plan: each account on its own (copies stay in their account), then print every plan.
  const now = deps.now()
  for (const run of live) {
    // Without the DR region's copies the action cannot tell what was copied already.
    const drUnread = settings.drRegion !== undefined && run.failedRegions.has(settings.drRegion)
    run.plan = buildPlan(
      run.facts,
      run.accountId!,
      { ...settings, drRegion: drUnread ? undefined : settings.drRegion },
      now,
    )
  }
  const plans = live.map((r) => r.plan!)
  const planPath = writePlanFile(plans, settings, now)
  for (const run of live) {
    const log = (region: string) => logOf({ account: run.account, region })
    printPlan(run.plan!, log, regions)
    for (const failed of run.plan!.failedCopies ?? []) {
      log(failed.region).warning(
        `copy ${failed.snapshotId} of ${failed.sourceSnapshotId} is in state error: it is deleted and the source copied again`,
      )
    }
  }
  for (const l of logs.values()) l.flush('plan')

  // Apply. max-delete caps the whole run: one plan over the cap changes nothing anywhere.
  let outcome: Outcome
  let refusal: string | undefined
  const planned = plans.reduce((n, plan) => n + countDeletions(plan), 0)
  if (planned > settings.maxDelete) {
    outcome = 'refused'
    const where = multiAccount ? ` over ${live.length} account(s)` : ''
    refusal = `The plan deletes ${planned} snapshots${where}, more than max-delete (${settings.maxDelete}); nothing was deleted.`
    core.setFailed(`${refusal} Review the plan (${planPath}) and raise max-delete if it is right.`)
  } else if (settings.dryRun) {
    outcome = 'dry-run'
  } else {
    const deletionTargets = live.flatMap((run) =>
      Object.entries(deletionsByRegion(run.plan!)).map(([region, ids]) => ({
        account: run.account,
        region,
        ids,
      })),
    )
    const [deleteResults] = await Promise.all([
      fanOutTargets(
        deletionTargets,
        (t) =>
          deleteSnapshots(runs.get(t.account ?? '')!.clients, t.region, t.ids, {
            maxRate: settings.maxRate,
            signal: context.signal,
            log: logOf(t),
          }),
        { maxParallelPerAccount: settings.maxParallelPerAccount },
      ),
      // Each account copies into its own DR region, within that account's copy slots.
      ...live.map(async (run) => {
        if (run.plan!.copies.length === 0) return
        const made = await makeCopies(run.clients, run.plan!.copies, {
          kmsKeyId: settings.kmsKeyId,
          pendingCopies: pendingCopyCount(run.facts, settings),
          signal: context.signal,
          log: logOf({ account: run.account, region: settings.drRegion! }),
        })
        run.copies = made.results
      }),
    ])
    for (const l of logs.values()) l.flush('deletions and copies')
    for (const r of deleteResults) {
      if (r.state === 'fulfilled') runs.get(r.item.account ?? '')!.deletions.set(r.item.region, r.value)
    }
    outcome = context.signal.aborted ? 'cancelled' : 'applied'
  }

  const outcomes = [...runs.values()]
  for (const l of logs.values()) l.flush()
  annotations.emit()
  setJsonOutput('deleted', deletedByTarget(outcomes, multiAccount))
  setJsonOutput(
    'copied',
    outcomes.flatMap((o) => copiedEntries(o, multiAccount)),
  )
  const kept = live.reduce((n, run) => n + regions.reduce((m, region) => m + keptIn(run, region), 0), 0)
  core.setOutput('kept', String(kept))
  core.setOutput('plan', planPath)
  setJsonOutput('results', targetResults(targets, runs, outcome, settings.drRegion, multiAccount, refusal))

  const summaries = live.map((run) =>
    renderSummary({
      plan: run.plan!,
      outcome,
      planPath,
      regions,
      deletions: run.deletions,
      copies: run.copies,
      failedRegions: run.failedRegions,
      recycleBin: run.recycleBin,
      maxDelete: settings.maxDelete,
      settings,
      ...(multiAccount ? { account: run.account } : {}),
    }),
  )
  writeJobSummary(renderAccountFailures(outcomes) + summaries.join('\n'))

  const problems: string[] = []
  const refused = outcomes.filter((o) => o.failure)
  if (refused.length > 0)
    problems.push(`${refused.length} account(s) not pruned (${refused.map((o) => o.account).join(', ')})`)
  const unread = outcomes.flatMap((o) =>
    [...o.failedRegions.keys()].map((region) => targetLabel({ account: o.account, region })),
  )
  if (unread.length > 0) problems.push(`${unread.length} region(s) not read (${unread.join(', ')})`)
  const failedDeletions = outcomes.reduce(
    (n, o) => n + [...o.deletions.values()].reduce((m, r) => m + r.failed.length, 0),
    0,
  )
  const failedCopies = outcomes.reduce((n, o) => n + o.copies.filter((c: CopyResult) => c.error).length, 0)
  if (failedDeletions > 0) problems.push(`${failedDeletions} deletion(s) failed`)
  if (failedCopies > 0) problems.push(`${failedCopies} copy(ies) failed`)
  if (outcome === 'cancelled') {
    const skipped = outcomes.reduce(
      (n, o) => n + [...o.deletions.values()].reduce((m, r) => m + r.notStarted.length, 0),
      0,
    )
    problems.push(`cancelled: ${skipped} deletion(s) not started`)
  }
  if (problems.length > 0) core.setFailed(`prune-snapshots: ${problems.join('; ')}.`)
}
