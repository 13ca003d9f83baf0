import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as core from '@actions/core'
import { describeError } from '../../../lib/aws.js'
import { fanOut } from '../../../lib/fanout.js'
import { workspaceRoot } from '../../../lib/files.js'
import { type ActionContext, runAction, setJsonOutput, writeJobSummary } from '../../../lib/action.js'
import { Annotations, RegionLog } from '../../../lib/log.js'
import { deleteSnapshots, makeCopies, type CopyResult, type DeletionResult } from './apply.js'
import { makeClients, type Clients } from './clients.js'
import { getSettings, type Settings } from './input-helper.js'
import { accountId, readRegion, type RecycleBinRule, type RegionInventory } from './inventory.js'
import { buildPlan, countDeletions, deletionsByRegion, type Plan } from './plan.js'
import { renderSummary, type Outcome } from './summary.js'

export interface Dependencies {
  clients: Clients
  now: () => number
}

export async function run(): Promise<void> {
  await runAction(async (context) => {
    const settings = getSettings()
    await prune(settings, context, { clients: makeClients(), now: () => Date.now() })
  })
}

/** Where the plan file goes: the runner's temp directory, else the workspace. */
function writePlanFile(plan: Plan, settings: Settings): string {
  const dir = process.env.RUNNER_TEMP || workspaceRoot()
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `prune-snapshots-plan-${process.env.GITHUB_RUN_ID ?? 'local'}-${Date.now()}.json`)
  // The settings that decide the plan; the KMS key and the rate only shape how it is applied.
  const { kmsKeyId: _kmsKeyId, maxRate: _maxRate, ...recorded } = settings
  const body = { settings: recorded, ...plan }
  writeFileSync(path, JSON.stringify(body, null, 2))
  return path
}

function printPlan(plan: Plan, logs: Map<string, RegionLog>): void {
  for (const [region, log] of logs) {
    const entries = plan.snapshots.filter((s) => s.region === region)
    const deletions = entries.filter((s) => s.decision === 'delete')
    log.info(
      `plan: ${entries.length} snapshots considered, ${entries.length - deletions.length} kept, ${deletions.length} to delete`,
    )
    for (const s of deletions)
      log.info(`  delete ${s.snapshotId} (${s.group}, ${s.startTime}): ${s.reasons.join('; ')}`)
    for (const c of plan.copies.filter((c) => c.region === region)) {
      log.info(`  copy ${c.sourceRegion}/${c.sourceSnapshotId} (${c.sourceVolumeId}) here`)
    }
  }
}

export async function prune(settings: Settings, context: ActionContext, deps: Dependencies): Promise<void> {
  const { clients } = deps
  const regions = [...settings.regions]
  if (settings.drRegion && !regions.includes(settings.drRegion)) regions.push(settings.drRegion)
  const annotations = new Annotations(regions)
  const logs = new Map(regions.map((r) => [r, new RegionLog(r, { grouped: true, annotations })]))
  const log = (region: string) => logs.get(region)!

  // Read: the account, then every region at once.
  const account = await accountId(clients, settings.regions[0]!)
  const reads = await fanOut(regions, (region) =>
    readRegion(clients, region, {
      filters: settings.filters,
      volumeIds: settings.volumeIds,
      source: settings.regions.includes(region),
      dr: region === settings.drRegion,
    }),
  )
  const facts: RegionInventory[] = []
  const failedRegions = new Map<string, string>()
  const recycleBin = new Map<string, RecycleBinRule[]>()
  const recycleBinUnread: string[] = []
  for (const r of reads) {
    if (r.state !== 'fulfilled') {
      const message = r.state === 'rejected' ? describeError(r.error) : 'skipped'
      failedRegions.set(r.item, message)
      log(r.item).error(`not pruned: ${message}`, `prune-snapshots ${r.item}`)
      continue
    }
    facts.push(r.value)
    if (r.value.locksUnavailable) {
      log(r.item).warning(
        `snapshot locks are not offered here (${r.value.locksUnavailable}); no snapshot can be locked`,
      )
    }
    if ('error' in r.value.recycleBin) recycleBinUnread.push(`${r.item} (${r.value.recycleBin.error})`)
    else {
      recycleBin.set(r.item, r.value.recycleBin)
      const rules = r.value.recycleBin
      if (rules.length > 0) {
        const list = rules.map((rule) => `${rule.identifier} (${rule.retentionDays ?? '?'} days)`).join(', ')
        log(r.item).warning(
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
  // Without the DR region's copies the action cannot tell what was copied already.
  const drUnread = settings.drRegion !== undefined && failedRegions.has(settings.drRegion)
  const plan = buildPlan(
    facts,
    account,
    { ...settings, drRegion: drUnread ? undefined : settings.drRegion },
    deps.now(),
  )
  const planPath = writePlanFile(plan, settings)
  printPlan(plan, logs)
  for (const l of logs.values()) l.flush('plan')

  const deletions = new Map<string, DeletionResult>()
  let copies: CopyResult[] = []
  let outcome: Outcome
  const planned = countDeletions(plan)
  if (planned > settings.maxDelete) {
    outcome = 'refused'
    core.setFailed(
      `The plan deletes ${planned} snapshots, more than max-delete (${settings.maxDelete}); nothing was deleted. Review the plan (${planPath}) and raise max-delete if it is right.`,
    )
  } else if (settings.dryRun) {
    outcome = 'dry-run'
  } else {
    const byRegion = deletionsByRegion(plan)
    const [deleteResults, copyResults] = await Promise.all([
      fanOut(Object.keys(byRegion), (region) =>
        deleteSnapshots(clients, region, byRegion[region]!, {
          maxRate: settings.maxRate,
          signal: context.signal,
          log: log(region),
        }),
      ),
      plan.copies.length > 0
        ? makeCopies(clients, plan.copies, {
            kmsKeyId: settings.kmsKeyId,
            signal: context.signal,
            log: log(settings.drRegion!),
          })
        : Promise.resolve({ results: [], notStarted: [] }),
    ])
    for (const l of logs.values()) l.flush('deletions and copies')
    for (const r of deleteResults) if (r.state === 'fulfilled') deletions.set(r.item, r.value)
    copies = copyResults.results
    outcome = context.signal.aborted ? 'cancelled' : 'applied'
  }

  const deleted: Record<string, string[]> = {}
  for (const [region, result] of deletions) if (result.deleted.length > 0) deleted[region] = result.deleted
  const copied = copies
    .filter((c) => c.snapshotId)
    .map((c) => ({
      sourceRegion: c.copy.sourceRegion,
      sourceSnapshotId: c.copy.sourceSnapshotId,
      region: c.copy.region,
      snapshotId: c.snapshotId!,
    }))
  const deletedIds = new Set(Object.values(deleted).flat())
  const kept = plan.snapshots.filter((s) => !s.planned && !deletedIds.has(s.snapshotId)).length
  for (const l of logs.values()) l.flush()
  annotations.emit()
  setJsonOutput('deleted', deleted)
  setJsonOutput('copied', copied)
  core.setOutput('kept', String(kept))
  core.setOutput('plan', planPath)

  writeJobSummary(
    renderSummary({
      plan,
      outcome,
      planPath,
      regions,
      deletions,
      copies,
      failedRegions,
      recycleBin,
      maxDelete: settings.maxDelete,
      settings,
    }),
  )

  const failedDeletions = [...deletions.values()].reduce((n, r) => n + r.failed.length, 0)
  const failedCopies = copies.filter((c) => c.error).length
  const problems: string[] = []
  if (failedRegions.size > 0)
    problems.push(`${failedRegions.size} region(s) not read (${[...failedRegions.keys()].join(', ')})`)
  if (failedDeletions > 0) problems.push(`${failedDeletions} deletion(s) failed`)
  if (failedCopies > 0) problems.push(`${failedCopies} copy(ies) failed`)
  if (outcome === 'cancelled') {
    const skipped = [...deletions.values()].reduce((n, r) => n + r.notStarted.length, 0)
    problems.push(`cancelled: ${skipped} deletion(s) not started`)
  }
  if (problems.length > 0) core.setFailed(`prune-snapshots: ${problems.join('; ')}.`)
}
