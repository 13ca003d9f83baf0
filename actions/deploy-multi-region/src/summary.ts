/** The job summary: one row per region, the changes of a preview, and a gantt of the rollout. */
import { markdownTable, mermaidGantt, type GanttBar } from '../../../lib/summary.js'
import type { RegionResult } from './deploy-region.js'
import type { Settings } from './input-helper.js'

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

export function summaryMarkdown(
  settings: Settings,
  results: readonly RegionResult[],
  verdict: string,
): string {
  const title = settings.planOnly
    ? `Plan for stack \`${settings.stackName}\``
    : `Deploy of stack \`${settings.stackName}\``
  const parts = [`## ${title}`, '', verdict, '']
  parts.push(
    markdownTable(
      ['Region', 'Status', 'Duration', 'Changes', 'Reason'],
      results.map((r) => [r.region, r.status, seconds(r.durationMs), r.changes.length, r.reason ?? '']),
    ),
  )
  const withChanges = results.filter((r) => r.changes.length > 0)
  if (settings.planOnly && withChanges.length > 0) {
    parts.push('', '### Resource changes')
    for (const r of withChanges) {
      parts.push(
        '',
        `**${r.region}**`,
        '',
        markdownTable(
          ['Action', 'Logical ID', 'Type', 'Replacement'],
          r.changes.map((c) => [c.action, c.logicalId, c.type, c.replacement ?? '']),
        ),
      )
    }
  }
  const bars: GanttBar[] = results
    .filter((r) => r.startedAt !== undefined && r.endedAt !== undefined)
    .map((r) => ({
      section: settings.canaryRegions.includes(r.region) ? 'canary' : 'regions',
      label: `${r.region} ${r.status}`,
      startMs: r.startedAt!,
      endMs: r.endedAt!,
      state: r.status === 'failed' ? 'crit' : 'done',
    }))
  if (bars.length > 0) parts.push('', mermaidGantt('Regions over time', bars))
  return `${parts.join('\n')}\n`
}
