import { markdownTable, mermaidBarChart } from '../../../lib/summary.js'
import { KEPT_LOCKED, type CopyResult, type DeletionResult } from './apply.js'
import type { RecycleBinRule } from './inventory.js'
import type { Plan, PlannedSnapshot } from './plan.js'

export type Outcome = 'dry-run' | 'applied' | 'refused' | 'cancelled'

export interface RunReport {
  plan: Plan
  outcome: Outcome
  planPath: string
  regions: string[]
  deletions: Map<string, DeletionResult>
  copies: CopyResult[]
  failedRegions: Map<string, string>
  recycleBin: Map<string, RecycleBinRule[]>
  maxDelete: number
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
  return first
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Array<[string, number]> {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1)
  return [...counts].sort((a, b) => b[1] - a[1])
}

/** The accounts whose role could not be assumed, with AWS's reason; empty when there are none. */
export function renderAccountFailures(
  outcomes: ReadonlyArray<{ account?: string; failure?: string }>,
): string {
  const failed = outcomes.filter((o) => o.failure !== undefined)
  if (failed.length === 0) return ''
  return (
    `## prune-snapshots: ${failed.length} account(s) not pruned\n\n` +
    markdownTable(
      ['Account', 'Reason'],
      failed.map((o) => [o.account ?? 'this account', o.failure]),
    ) +
    '\n\n'
  )
}

export function renderSummary(report: RunReport): string {
  const { plan } = report
  const title = {
    'dry-run': 'Dry run: nothing was changed',
    applied: 'Applied',
    refused: `Refused: the plan deletes more than max-delete (${report.maxDelete}); nothing was changed`,
    cancelled: 'Cancelled: deletions not yet started were skipped',
  }[report.outcome]
  const heading =
    report.account === undefined ? 'prune-snapshots' : `prune-snapshots: account ${report.account}`
  const parts = [
    `## ${heading}\n\n**${title}.** Account ${plan.accountId}, planned at ${plan.now}. Full plan: \`${report.planPath}\`.`,
  ]
  const rows: unknown[][] = []
  const kept: number[] = []
  const removed: number[] = []
  for (const region of report.regions) {
    const entries = plan.snapshots.filter((s) => s.region === region && !s.planned)
    const planned = entries.filter((s) => s.decision === 'delete').length
    const result = report.deletions.get(region)
    const copiesIn = report.copies.filter((c) => c.copy.region === region && c.snapshotId).length
    const copiesOut = plan.copies.filter((c) => c.sourceRegion === region).length
    const failure = report.failedRegions.get(region)
    rows.push([
      region,
      failure ? `not read: ${failure}` : entries.length,
      entries.length - planned,
      planned,
      result ? result.deleted.length : 0,
      result ? result.failed.length + result.refused.length : 0,
      copiesOut,
      copiesIn,
    ])
    kept.push(entries.length - planned)
    removed.push(result ? result.deleted.length : planned)
  }
  parts.push(
    markdownTable(
      [
        'Region',
        'Snapshots',
        'Kept',
        'To delete',
        'Deleted',
        'Not deleted',
        'Copies planned from',
        'Copies made into',
      ],
      rows,
    ),
  )
  if (report.regions.length > 0) {
    parts.push(
      mermaidBarChart('Snapshots per region', report.regions, 'snapshots', [
        { name: 'kept', values: kept },
        { name: report.outcome === 'applied' ? 'deleted' : 'to delete', values: removed },
      ]),
    )
  }
  for (const region of report.regions) {
    const entries = plan.snapshots.filter((s) => s.region === region)
    if (entries.length === 0) continue
    const reasons = countBy(
      entries.filter((s) => s.decision === 'keep'),
      reasonCategory,
    )
    const lines = [`### ${region}`, '', markdownTable(['Kept because', 'Snapshots'], reasons)]
    const locked = (report.deletions.get(region)?.refused ?? []).filter((r) =>
      r.reason.startsWith(KEPT_LOCKED),
    )
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
      lines.push(
        '',
        '<details><summary>Deletions</summary>',
        '',
        markdownTable(
          ['Snapshot', 'Volume', 'Started'],
          shown.map((s) => [s.snapshotId, s.group, s.startTime]),
        ),
        deletions.length > shown.length
          ? `\n... and ${deletions.length - shown.length} more (see the plan file).`
          : '',
        '</details>',
      )
    }
    parts.push(lines.join('\n'))
  }
  if (plan.copies.length > 0) {
    const made = new Map(report.copies.map((c) => [c.copy.sourceSnapshotId, c]))
    parts.push(
      '### DR copies\n\n' +
        markdownTable(
          ['Source', 'Volume', 'Copy', 'Result'],
          plan.copies.slice(0, ROW_LIMIT).map((c) => {
            const r = made.get(c.sourceSnapshotId)
            const result = r?.error
              ? `failed: ${r.error}`
              : r?.snapshotId
                ? 'made'
                : report.outcome === 'applied'
                  ? 'not started'
                  : 'planned'
            return [
              `${c.sourceRegion}/${c.sourceSnapshotId}`,
              c.sourceVolumeId,
              r?.snapshotId ? `${c.region}/${r.snapshotId}` : c.region,
              result,
            ]
          }),
        ),
    )
  }
  return parts.join('\n\n') + '\n'
}
