/** Markdown pieces for job summaries and PR comments. */

export function escapeCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value)
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')
}

export function markdownTable(headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const head = `| ${headers.map(escapeCell).join(' | ')} |`
  const rule = `| ${headers.map(() => '---').join(' | ')} |`
  const body = rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`)
  return [head, rule, ...body].join('\n')
}

/** Text safe inside a mermaid label: no characters that end a label or a line. */
export function mermaidLabel(value: string): string {
  return value.replace(/[:;#"\n\r[\]{}()]/g, ' ').trim() || '-'
}

export interface GanttBar {
  section: string
  label: string
  startMs: number
  endMs: number
  state?: 'done' | 'crit' | 'active'
}

/** A mermaid gantt chart, in seconds from the earliest bar's start. */
export function mermaidGantt(title: string, bars: readonly GanttBar[]): string {
  const origin = Math.min(...bars.map((b) => b.startMs))
  const lines = [
    '```mermaid',
    'gantt',
    `  title ${mermaidLabel(title)}`,
    '  dateFormat x',
    '  axisFormat %M:%S',
  ]
  let section = ''
  bars.forEach((bar, i) => {
    if (bar.section !== section) {
      section = bar.section
      lines.push(`  section ${mermaidLabel(section)}`)
    }
    const start = bar.startMs - origin
    const end = Math.max(bar.endMs - origin, start + 1)
    const tags = [bar.state, `b${i}`].filter(Boolean).join(', ')
    lines.push(`  ${mermaidLabel(bar.label)} :${tags}, ${start}, ${end}`)
  })
  lines.push('```')
  return lines.join('\n')
}

export interface BarSeries {
  name: string
  values: readonly number[]
}

/** A mermaid xychart bar chart (one bar series per entry, same categories). */
export function mermaidBarChart(
  title: string,
  categories: readonly string[],
  yLabel: string,
  series: readonly BarSeries[],
) {
  const max = Math.max(1, ...series.flatMap((s) => s.values))
  const lines = [
    '```mermaid',
    'xychart-beta',
    `  title "${mermaidLabel(title)}"`,
    `  x-axis [${categories.map((c) => `"${mermaidLabel(c)}"`).join(', ')}]`,
    `  y-axis "${mermaidLabel(yLabel)}" 0 --> ${Math.ceil(max * 1.1)}`,
  ]
  for (const s of series) lines.push(`  bar [${s.values.map((v) => Number(v.toFixed(3))).join(', ')}]`)
  lines.push('```')
  return lines.join('\n')
}
