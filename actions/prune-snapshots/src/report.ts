/**
 * What the run says: the plan file and its printout, the outputs, the job
 * summary, and the problems that fail the step.
 */
import * as core from '@actions/core'
import { setJsonOutput, writeJobSummary } from '../../../lib/action.js'
import { writeRunFile } from '../../../lib/files.js'
import type { RegionLog } from '../../../lib/log.js'
import { targetLabel, type Target } from '../../../lib/targets.js'
import type { Settings } from './input-helper.js'
import type { Plan } from './plan.js'
import type { AccountRun } from './phases.js'
import {
  copiedEntries,
  deletedByTarget,
  keptIn,
  restoreTestEntries,
  targetResults,
  type AccountOutcome,
} from './results.js'
import { renderAccountFailures, renderSummary, type Outcome } from './summary.js'

/** The settings that decide the plan; the KMS key, the rate and the external id only shape how it is applied. */
function recordedSettings(settings: Settings) {
  const { kmsKeyId: _kmsKeyId, maxRate: _maxRate, roleExternalId: _roleExternalId, ...recorded } = settings
  return recorded
}

/**
 * The plan file, for the `plan` output and the artifact later steps upload.
 * One account: the plan as it always was; several: `accounts` holds each account's plan.
 */
export function writePlanFile(plans: readonly Plan[], settings: Settings, now: number): string {
  const body =
    settings.accounts.length === 0 && plans.length === 1
      ? { settings: recordedSettings(settings), ...plans[0]! }
      : { settings: recordedSettings(settings), now: new Date(now).toISOString(), accounts: plans }
  return writeRunFile('prune-snapshots-plan', JSON.stringify(body, null, 2))
}

export function printPlan(plan: Plan, log: (region: string) => RegionLog, regions: readonly string[]): void {
  for (const region of regions) {
    const entries = plan.snapshots.filter((s) => s.region === region)
    const deletions = entries.filter((s) => s.decision === 'delete')
    const archives = entries.filter((s) => s.archive)
    log(region).info(
      `plan: ${entries.length} snapshots considered, ${entries.length - deletions.length} kept, ${deletions.length} to delete` +
        (archives.length > 0 ? `, ${archives.length} to archive` : ''),
    )
    for (const s of deletions)
      log(region).info(`  delete ${s.snapshotId} (${s.group}, ${s.startTime}): ${s.reasons.join('; ')}`)
    for (const s of archives) log(region).info(`  archive ${s.snapshotId} (${s.group}, ${s.startTime})`)
    for (const c of plan.copies.filter((c) => c.region === region)) {
      log(region).info(`  copy ${c.sourceRegion}/${c.sourceSnapshotId} (${c.sourceVolumeId}) here`)
    }
    for (const t of (plan.restoreTests ?? []).filter((t) => t.region === region))
      log(region).info(`  restore test of ${t.volume} from ${t.snapshotId}`)
  }
  for (const failed of plan.failedCopies ?? []) {
    log(failed.region).warning(
      `copy ${failed.snapshotId} of ${failed.sourceSnapshotId} is in state error: it is deleted and the source copied again`,
    )
  }
}

export interface RunReport {
  settings: Settings
  runs: ReadonlyMap<string, AccountRun>
  targets: readonly Target[]
  regions: string[]
  multiAccount: boolean
  outcome: Outcome
  planPath: string
  refusal?: string
}

/** Every output and the job summary. */
export function report(r: RunReport): void {
  const outcomes = [...r.runs.values()]
  const live = outcomes.filter((o) => o.failure === undefined)
  setJsonOutput('deleted', deletedByTarget(outcomes, r.multiAccount))
  setJsonOutput(
    'copied',
    outcomes.flatMap((o) => copiedEntries(o, r.multiAccount)),
  )
  const kept = live.reduce((n, run) => n + r.regions.reduce((m, region) => m + keptIn(run, region), 0), 0)
  core.setOutput('kept', String(kept))
  core.setOutput('plan', r.planPath)
  setJsonOutput(
    'results',
    targetResults(r.targets, r.runs, r.outcome, r.settings.drRegion, r.multiAccount, r.refusal),
  )
  setJsonOutput('restore-tests', restoreTestEntries(outcomes, r.multiAccount))
  const summaries = live.map((run) =>
    renderSummary({
      plan: run.plan!,
      outcome: r.outcome,
      planPath: r.planPath,
      regions: r.regions,
      deletions: run.deletions,
      copies: run.copies,
      archives: run.archives ?? new Map(),
      restoreTests: run.restoreTests ?? [],
      failedRegions: run.failedRegions,
      recycleBin: run.recycleBin,
      maxDelete: r.settings.maxDelete,
      settings: r.settings,
      ...(r.multiAccount ? { account: run.account } : {}),
    }),
  )
  writeJobSummary(renderAccountFailures(outcomes) + summaries.join('\n'))
}

/** What fails the step, one phrase each; empty when the run did what it planned. */
export function problems(outcomes: readonly AccountOutcome[], outcome: Outcome): string[] {
  const found: string[] = []
  const sum = (count: (o: AccountOutcome) => number) => outcomes.reduce((n, o) => n + count(o), 0)
  const refused = outcomes.filter((o) => o.failure)
  if (refused.length > 0)
    found.push(`${refused.length} account(s) not pruned (${refused.map((o) => o.account).join(', ')})`)
  const unread = outcomes.flatMap((o) =>
    [...o.failedRegions.keys()].map((region) => targetLabel({ account: o.account, region })),
  )
  if (unread.length > 0) found.push(`${unread.length} region(s) not read (${unread.join(', ')})`)
  const failedDeletions = sum((o) => [...o.deletions.values()].reduce((m, r) => m + r.failed.length, 0))
  const failedCopies = sum((o) => o.copies.filter((c) => c.error).length)
  const failedArchives = sum((o) =>
    [...(o.archives?.values() ?? [])].reduce((m, r) => m + r.failed.length, 0),
  )
  const failedTests = sum((o) => (o.restoreTests ?? []).filter((t) => !t.ok).length)
  if (failedDeletions > 0) found.push(`${failedDeletions} deletion(s) failed`)
  if (failedCopies > 0) found.push(`${failedCopies} copy(ies) failed`)
  if (failedArchives > 0) found.push(`${failedArchives} archiving(s) failed`)
  if (failedTests > 0) found.push(`${failedTests} restore test(s) failed`)
  if (outcome === 'cancelled') {
    const skipped = sum((o) => [...o.deletions.values()].reduce((m, r) => m + r.notStarted.length, 0))
    found.push(`cancelled: ${skipped} deletion(s) not started`)
  }
  return found
}
