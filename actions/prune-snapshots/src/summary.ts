import { basename } from 'node:path'
import { collapsed, groupedBarChart, markdownTable, renderLayout } from '../../../lib/summary.js'
import { KEPT_LOCKED, type CopyResult, type DeletionResult } from './apply.js'
import type { ArchiveResult } from './archive.js'
import type { RestoreTest } from './restore.js'
import type { RecycleBinRule } from './inventory.js'
import type { Settings } from './input-helper.js'
import type { Plan, PlannedSnapshot, RetentionPolicy, TagFilter } from './plan.js'

export type Outcome = 'dry-run' | 'applied' | 'refused' | 'cancelled'

export interface RunReport {
  plan: Plan
  outcome: Outcome
  planPath: string
  regions: string[]
  deletions: Map<string, DeletionResult>
  copies: CopyResult[]
  /** Snapshots moved to the archive tier, by region. */
  archives?: Map<string, ArchiveResult>
  restoreTests?: RestoreTest[]
  failedRegions: Map<string, string>
  recycleBin: Map<string, RecycleBinRule[]>
  maxDelete: number
  /** The inputs that shaped the run, stated once under the outcome. */
  settings?: Pick<
    Settings,
    | 'policy'
    | 'regions'
    | 'filters'
    | 'volumeIds'
    | 'protectTag'
    | 'drRegion'
    | 'drPolicy'
    | 'maxDelete'
    | 'dryRun'
    | 'archiveAfter'
    | 'restoreTests'
  >
  /** Set in a run over several accounts: the summary is headed by its account. */
  account?: string
}

const ROW_LIMIT = 200

/** The short form of a snapshot's main reason, for counting: `keep-last`, `locked`, ... */
export function reasonCategory(entry: PlannedSnapshot): string {
  const first = entry.reasons[0] ?? ''
  const rule = /^(keep-\w+)/.exec(first)
  if (rule) return rule[1]!
  if (first.startsWith('owned by another account')) return 'owned by another account'
  if (first.startsWith('has the protect tag')) return 'protect tag'
  if (first.startsWith('newest completed')) return 'newest completed (always kept)'
  if (first.startsWith('archived')) return `archived less than 90 days (AWS's minimum)`
  return first
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Array<[string, number]> {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return [...counts].sort((a, b) => b[1] - a[1])
}

/** A retention policy as a reader writes it: `keep-last 6, keep-daily 8`. */
export function policyText(policy: RetentionPolicy | undefined): string | undefined {
  if (!policy) return undefined
  const parts = [
    policy.keepLast !== undefined ? `keep-last ${policy.keepLast}` : '',
    policy.keepWithin !== undefined ? `keep-within ${policy.keepWithin}` : '',
    policy.keepDaily !== undefined ? `keep-daily ${policy.keepDaily}` : '',
    policy.keepWeekly !== undefined ? `keep-weekly ${policy.keepWeekly}` : '',
    policy.keepMonthly !== undefined ? `keep-monthly ${policy.keepMonthly}` : '',
  ].filter(Boolean)
  return parts.length > 0 ? parts.join(', ') : undefined
}

function filterText(filters: readonly TagFilter[]): string[] {
  return filters.map((f) => `${f.key}=${f.value ?? '*'}`)
}

interface RegionCounts {
  region: string
  before: number
  kept: number
  removed: number
  notDeleted: number
  copiesMade: number
  copiesPlanned: number
  copiesOut: number
}

function regionCounts(report: RunReport, region: string): RegionCounts {
  const { plan } = report
  const existing = plan.snapshots.filter((s) => s.region === region && !s.planned)
  const toDelete = existing.filter((s) => s.decision === 'delete').length
  const result = report.deletions.get(region)
  const applied = report.outcome === 'applied' || report.outcome === 'cancelled'
  const removed = applied ? (result?.deleted.length ?? 0) + (result?.alreadyGone.length ?? 0) : toDelete
  return {
    region,
    before: existing.length,
    kept: existing.length - removed,
    removed,
    notDeleted: result ? result.failed.length + result.refused.length + result.notStarted.length : 0,
    copiesMade: report.copies.filter((c) => c.copy.region === region && c.snapshotId).length,
    copiesPlanned: plan.copies.filter((c) => c.region === region).length,
    copiesOut: plan.copies.filter((c) => c.sourceRegion === region).length,
  }
}

/** The accounts whose role could not be assumed, with AWS's reason; empty when there are none. */
export function renderAccountFailures(
  outcomes: ReadonlyArray<{ account?: string; failure?: string }>,
): string {
  const failed = outcomes.filter((o) => o.failure !== undefined)
  if (failed.length === 0) return ''
  return (
    `## ❌ Prune of EBS snapshots failed in ${failed.length} account(s): the role could not be assumed\n\n` +
    markdownTable(
      ['Account', 'Reason'],
      failed.map((o) => [o.account ?? 'this account', o.failure]),
    ) +
    '\n\n'
  )
}

/** The restore tests made (or planned), and the volumes skipped with the reason. */
function restoreDetails(report: RunReport, applied: boolean): string | undefined {
  const { plan } = report
  const planned = plan.restoreTests ?? []
  const skipped = plan.restoreSkipped ?? []
  if (planned.length === 0 && skipped.length === 0) return undefined
  const made = new Map((report.restoreTests ?? []).map((t) => [`${t.region}/${t.snapshot}`, t]))
  const rows = planned.slice(0, ROW_LIMIT).map((p) => {
    const t = made.get(`${p.region}/${p.snapshotId}`)
    const result = t
      ? t.ok
        ? '✅ available, deleted'
        : `❌ ${t.reason ?? 'failed'}`
      : applied
        ? 'not run'
        : 'to test'
    return [p.volume, p.snapshotId, p.region, t ? t.seconds : '—', result]
  })
  const lines = [
    '### Restore tests',
    '',
    markdownTable(['Volume', 'Snapshot', 'Region', 'Seconds', 'Result'], rows),
  ]
  if (skipped.length > 0)
    lines.push(
      '',
      collapsed(
        `Not tested this run: ${skipped.length} volume(s)`,
        markdownTable(
          ['Volume', 'Region', 'Snapshot', 'Why'],
          skipped.slice(0, ROW_LIMIT).map((s) => [s.volume, s.region, s.snapshotId ?? '—', s.reason]),
        ),
      ),
    )
  return lines.join('\n')
}

/** The first line: what the run did (or would do), in one sentence. */
function outcomeSentence(report: RunReport, counts: readonly RegionCounts[], applied: boolean): string {
  const { plan } = report
  const before = counts.reduce((n, c) => n + c.before, 0)
  const removed = counts.reduce((n, c) => n + c.removed, 0)
  const copiesMade = counts.reduce((n, c) => n + c.copiesMade, 0)
  const drRegion = report.settings?.drRegion ?? 'the DR region'
  const copyText =
    plan.copies.length === 0
      ? ''
      : applied
        ? `; made ${copiesMade} of ${plan.copies.length} DR copies into ${drRegion}`
        : `; would make ${plan.copies.length} DR copies into ${drRegion}`
  const archived = [...(report.archives?.values() ?? [])].reduce((n, r) => n + r.archived.length, 0)
  const toArchive = plan.snapshots.filter((s) => s.archive).length
  const archiveText =
    toArchive === 0 ? '' : applied ? `; archived ${archived} of ${toArchive}` : `; would archive ${toArchive}`
  const tests = report.restoreTests ?? []
  const passed = tests.filter((t) => t.ok).length
  const plannedTests = plan.restoreTests?.length ?? 0
  const testText =
    plannedTests === 0
      ? ''
      : applied
        ? `; ${passed} of ${plannedTests} restore test(s) passed`
        : `; would test ${plannedTests} restore(s)`
  return {
    'dry-run': `Dry run: nothing was changed; the policy would delete ${removed} of ${before} snapshots${copyText}${archiveText}${testText}.`,
    applied: `Deleted ${removed} of ${before} snapshots${copyText}${archiveText}${testText}.`,
    refused: `Refused: the plan deletes more than max-delete (${report.maxDelete}), so nothing was changed. Review the plan and raise max-delete if it is right.`,
    cancelled: `Cancelled: deleted ${removed} of ${before} snapshots before the job was cancelled${copyText}.`,
  }[report.outcome]
}

/** What went wrong, one section each; empty when nothing did. */
function problemSections(report: RunReport): string[] {
  const perRegion = <T>(results: Iterable<[string, T]>, rows: (r: T) => Array<[string, string]>) =>
    [...results].flatMap(([region, r]) => rows(r).map(([id, why]) => [region, id, why]))
  const failedDeletions = perRegion(report.deletions, (r) => r.failed.map((f) => [f.snapshotId, f.error]))
  const refusedDeletions = perRegion(report.deletions, (r) => r.refused.map((f) => [f.snapshotId, f.reason]))
  const failedArchives = perRegion(report.archives ?? [], (r) => r.failed.map((f) => [f.snapshotId, f.error]))
  const failedTests = (report.restoreTests ?? []).filter((t) => !t.ok)
  const failedCopies = report.copies.filter((c) => c.error)
  const problems: string[] = []
  if (failedTests.length > 0)
    problems.push(
      `### Restore tests that failed\n\n${markdownTable(
        ['Volume', 'Snapshot', 'Region', 'Seconds', 'Reason'],
        failedTests.map((t) => [t.volume, t.snapshot, t.region, t.seconds, t.reason]),
      )}`,
    )
  if (failedArchives.length > 0)
    problems.push(
      `### Snapshots not archived\n\n${markdownTable(['Region', 'Snapshot', 'Error'], failedArchives)}`,
    )
  if (report.failedRegions.size > 0)
    problems.push(`### Regions not read\n\n${markdownTable(['Region', 'Error'], [...report.failedRegions])}`)
  if (failedDeletions.length > 0)
    problems.push(
      `### Deletions that failed\n\n${markdownTable(['Region', 'Snapshot', 'Error'], failedDeletions)}`,
    )
  if (failedCopies.length > 0)
    problems.push(
      `### DR copies that failed\n\n${markdownTable(
        ['Source', 'Into', 'Error'],
        failedCopies.map((c) => [
          `${c.copy.sourceRegion}/${c.copy.sourceSnapshotId}`,
          c.copy.region,
          c.error,
        ]),
      )}`,
    )
  // Not a failure: AWS kept them, as the plan would have.
  const refused =
    refusedDeletions.length > 0
      ? `### Kept because AWS refused the deletion\n\n${markdownTable(['Region', 'Snapshot', 'Reason'], refusedDeletions)}`
      : undefined
  return refused ? [...problems, refused] : problems
}

/** The table of regions and its chart. */
function regionOverview(
  report: RunReport,
  counts: readonly RegionCounts[],
  applied: boolean,
): Array<string | undefined> {
  const drRegion = report.settings?.drRegion
  const regionTable = markdownTable(
    [
      'Region',
      'Role',
      'Snapshots before',
      'Kept',
      applied ? 'Deleted' : 'To delete',
      'Not deleted',
      'DR copies',
      'Snapshots after',
    ],
    counts.map((c) => {
      const failure = report.failedRegions.get(c.region)
      const role = c.region === drRegion ? 'DR copies' : 'source'
      if (failure) return [c.region, role, 'not read', '—', '—', '—', '—', '—']
      const into = applied ? `${c.copiesMade} made here` : `${c.copiesPlanned} to make here`
      const copies =
        c.copiesOut > 0
          ? `${c.copiesOut} copied to ${drRegion ?? 'the DR region'}`
          : c.copiesPlanned > 0
            ? into
            : '—'
      const after = c.kept + (applied ? c.copiesMade : c.copiesPlanned)
      return [c.region, role, c.before, c.kept, c.removed, c.notDeleted, copies, after]
    }),
  )
  const shown = counts.filter((c) => c.before > 0)
  const chart = groupedBarChart({
    title: applied ? 'Snapshots kept and deleted per region' : 'Snapshots kept and to delete per region',
    unit: 'snapshots',
    items: shown.map((c) => c.region),
    series: [
      { name: 'kept', values: shown.map((c) => c.kept) },
      { name: applied ? 'deleted' : 'to delete', values: shown.map((c) => c.removed) },
    ],
  })
  return [regionTable, chart]
}

/** One region's section: why snapshots were kept, locks, Recycle Bin, the deletions. */
function regionSection(report: RunReport, region: string, applied: boolean): string | undefined {
  const entries = report.plan.snapshots.filter((s) => s.region === region)
  if (entries.length === 0) return undefined
  const reasons = countBy(
    entries.filter((s) => s.decision === 'keep'),
    reasonCategory,
  )
  const lines = [`### ${region}`, '', markdownTable(['Kept because', 'Snapshots'], reasons)]
  const locked = (report.deletions.get(region)?.refused ?? []).filter((r) => r.reason.startsWith(KEPT_LOCKED))
  if (locked.length > 0)
    lines.push(
      '',
      `${locked.length} snapshot(s) ${KEPT_LOCKED}: AWS refused to delete them (${locked.map((r) => r.snapshotId).join(', ')}).`,
    )
  const rules = report.recycleBin.get(region) ?? []
  if (rules.length > 0) {
    lines.push(
      '',
      `Recycle Bin: ${rules.map((r) => `rule ${r.identifier} retains deleted snapshots for ${r.retentionDays ?? '?'} days`).join('; ')}.`,
    )
  }
  const deletions = entries.filter((s) => s.decision === 'delete')
  if (deletions.length > 0) {
    const shown = deletions.slice(0, ROW_LIMIT)
    const more =
      deletions.length > shown.length
        ? `\n\n... and ${deletions.length - shown.length} more (see the plan file).`
        : ''
    lines.push(
      '',
      collapsed(
        `${applied ? 'Deleted' : 'To delete'}: ${deletions.length} snapshot(s)`,
        markdownTable(
          ['Snapshot', 'Volume', 'Started'],
          shown.map((s) => [s.snapshotId, s.group, s.startTime]),
        ) + more,
      ),
    )
  }
  return lines.join('\n')
}

/** The DR copies planned, and what came of each. */
function copyDetails(report: RunReport, applied: boolean): string | undefined {
  const { plan } = report
  if (plan.copies.length === 0) return undefined
  const made = new Map(report.copies.map((c) => [c.copy.sourceSnapshotId, c]))
  return (
    '### DR copies\n\n' +
    markdownTable(
      ['Source', 'Volume', 'Copy', 'Result'],
      plan.copies.slice(0, ROW_LIMIT).map((c) => {
        const r = made.get(c.sourceSnapshotId)
        const result = r?.error
          ? `failed: ${r.error}`
          : r?.snapshotId
            ? 'made'
            : applied
              ? 'not started'
              : 'to make'
        return [
          `${c.sourceRegion}/${c.sourceSnapshotId}`,
          c.sourceVolumeId,
          r?.snapshotId ? `${c.region}/${r.snapshotId}` : c.region,
          result,
        ]
      }),
    )
  )
}

/** The snapshots moved (or to move) to the archive tier. */
function archiveDetails(report: RunReport, applied: boolean): string | undefined {
  const archivedHere = report.plan.snapshots.filter((s) => s.archive)
  if (archivedHere.length === 0) return undefined
  const done = new Set([...(report.archives?.values() ?? [])].flatMap((r) => r.archived))
  return collapsed(
    `${applied ? 'Archived' : 'To archive'}: ${archivedHere.length} snapshot(s) kept only by keep-weekly or keep-monthly, older than archive-after`,
    markdownTable(
      ['Region', 'Snapshot', 'Volume', 'Started', 'Result'],
      archivedHere
        .slice(0, ROW_LIMIT)
        .map((s) => [
          s.region,
          s.snapshotId,
          s.group,
          s.startTime,
          applied ? (done.has(s.snapshotId) ? 'archived' : 'not archived') : 'to archive',
        ]),
    ),
  )
}

export function renderSummary(report: RunReport): string {
  const { plan } = report
  const applied = report.outcome === 'applied' || report.outcome === 'cancelled'
  const counts = report.regions.map((r) => regionCounts(report, r))
  const problems = problemSections(report)
  const kept = problems.filter((p) => p.startsWith('### Kept because AWS refused'))
  const failed =
    report.outcome === 'refused' || report.outcome === 'cancelled' || problems.length > kept.length
  const planFile = basename(report.planPath)
  const details: Array<string | undefined> = [
    ...regionOverview(report, counts, applied),
    ...report.regions.map((region) => regionSection(report, region, applied)),
    copyDetails(report, applied),
    restoreDetails(report, applied),
    archiveDetails(report, applied),
    `Planned at ${plan.now} for account ${plan.accountId}. The whole plan is the \`plan\` output's file (\`${planFile}\`).`,
  ]
  const settings = report.settings
  return renderLayout({
    title:
      report.account === undefined
        ? 'Prune of EBS snapshots'
        : `Prune of EBS snapshots in account ${report.account}`,
    outcome: failed ? 'failed' : 'passed',
    sentence: outcomeSentence(report, counts, applied),
    inputs: settings
      ? [
          ['policy', policyText(settings.policy)],
          ['regions', settings.regions],
          ['filters', filterText(settings.filters)],
          ['volume-ids', settings.volumeIds],
          ['protect-tag', settings.protectTag],
          ['dr-region', settings.drRegion],
          ['dr-policy', settings.drRegion ? policyText(settings.drPolicy) : undefined],
          ['max-delete', settings.maxDelete],
          ['archive-after', settings.archiveAfter],
          ['restore-tests-per-run', settings.restoreTests?.perRun],
          ['dry-run', settings.dryRun ? 'true' : undefined],
        ]
      : [['max-delete', report.maxDelete]],
    problems,
    details: details.filter((d): d is string => d !== undefined),
    fullDetail: `the plan file \`${planFile}\``,
  })
}
