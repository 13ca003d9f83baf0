/**
 * Markdown pieces for job summaries and PR comments, and the one layout every
 * action's summary follows: the outcome first, then what failed or changed, then
 * the detail (long passing tables collapsed), the inputs that shaped the run
 * stated once, and the whole kept under GitHub's size limit for a step.
 */

// ---------------------------------------------------------------------------
// Foreign text (stack event reasons, AWS and database errors, drift values) in
// markdown: it may not open HTML, mention people or teams (a PR comment notifies
// them), or break out of its table cell or code span.

/** Between `@` and a name, so GitHub links and notifies no one; invisible when read. */
const ZERO_WIDTH_SPACE = '\u200b'

/**
 * No HTML and no mention: a `<` that could open a tag, comment, declaration or
 * autolink (CommonMark: followed by a letter, `/`, `!` or `?`) shown as `&lt;`,
 * so "p < 0.05" stays as it is; `@name` and `@org/team` broken by a zero-width space.
 */
function inert(text: string): string {
  return text.replace(/<(?=[A-Za-z/!?])/g, '&lt;').replace(/@(?=[A-Za-z0-9_-])/g, `@${ZERO_WIDTH_SPACE}`)
}

/** Foreign text as plain markdown text on one line: no HTML, no mention, no emphasis, link or code. */
export function markdownText(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value)
  return inert(text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`))
}

/**
 * Foreign text as one code span: on one line, fenced by more backticks than it
 * holds in a row (CommonMark), padded when it starts or ends with one. In a table
 * cell `markdownTable` escapes its `|` (GitHub reads a cell's `\|` inside code too).
 */
export function codeSpan(value: unknown): string {
  const text = (value === undefined || value === null ? '' : String(value)).replace(/[\r\n]+/g, ' ')
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longest + 1)
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${text}${pad}${fence}`
}

/**
 * A table cell: its `|` and backslashes escaped, line breaks as `<br>`, no HTML
 * of its own and no mention (cells carry foreign text: reasons, errors, values).
 */
export function escapeCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value)
  return inert(text)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n|\r/g, '<br>')
}

export function markdownTable(headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const head = `| ${headers.map(escapeCell).join(' | ')} |`
  const rule = `| ${headers.map(() => '---').join(' | ')} |`
  const body = rows.map((row) => `| ${row.map(escapeCell).join(' | ')} |`)
  return [head, rule, ...body].join('\n')
}

// ---------------------------------------------------------------------------
// Layout

export type Outcome = 'passed' | 'failed' | 'warning'

export const OUTCOME_MARK: Record<Outcome, string> = { passed: '✅', failed: '❌', warning: '⚠️' }
const OUTCOME_WORD: Record<Outcome, string> = {
  passed: 'passed',
  failed: 'failed',
  warning: 'passed with warnings',
}

/** An input that shaped the run, as it is shown once under the outcome. */
export type RunInput = readonly [name: string, value: unknown]

export interface SummaryLayout {
  /** What ran, e.g. "Deploy of stack `api`". */
  title: string
  outcome: Outcome
  /** The one sentence a reader needs: what happened, and what to do when it failed. */
  sentence: string
  /** Inputs that shaped the run (policy, scope, thresholds); empty values are left out. */
  inputs?: readonly RunInput[]
  /** What failed or changed: shown right under the outcome. */
  problems?: ReadonlyArray<string | undefined>
  /** The detail: tables, charts; long passing tables go in `collapsed()`. */
  details?: ReadonlyArray<string | undefined>
  /** Where the whole detail is when the summary has to be cut (a file, an output, the log). */
  fullDetail?: string
}

/** The first line of every summary: mark, title, outcome word and the one sentence. */
export function outcomeLine(title: string, outcome: Outcome, sentence: string): string {
  // The sentence may quote a failure's reason: no HTML, no mention.
  return `## ${OUTCOME_MARK[outcome]} ${title} ${OUTCOME_WORD[outcome]}: ${inert(sentence.trim().replace(/\s*[\r\n]+\s*/g, ' '))}`
}

function inputValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join(', ')
  return String(value)
}

/** The inputs that shaped the run, on one line. */
export function inputsLine(inputs: readonly RunInput[]): string | undefined {
  const shown = inputs.filter(
    ([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0),
  )
  if (shown.length === 0) return undefined
  return `<sub>Inputs: ${shown.map(([name, v]) => `\`${name}\` ${escapeInline(inputValue(v))}`).join(' · ')}</sub>`
}

function escapeInline(text: string): string {
  return inert(text.replace(/>/g, '&gt;')).replace(/\|/g, '\\|')
}

/** A block a reader opens when they want it; blank lines keep the markdown inside working. */
export function collapsed(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`
}

/** A table shown as it is when short, collapsed under `summary` when it has more than `maxRows`. */
export function tableBlock(
  summary: string,
  headers: readonly string[],
  rows: ReadonlyArray<readonly unknown[]>,
  maxRows = 10,
): string {
  const table = markdownTable(headers, rows)
  return rows.length > maxRows ? collapsed(`${summary} (${rows.length})`, table) : table
}

/** The summary in the shared layout, cut to GitHub's limit when it would pass it. */
export function renderLayout(layout: SummaryLayout, limitBytes = SUMMARY_LIMIT_BYTES): string {
  const blocks = [
    outcomeLine(layout.title, layout.outcome, layout.sentence),
    layout.inputs ? inputsLine(layout.inputs) : undefined,
    ...(layout.problems ?? []),
    ...(layout.details ?? []),
  ].filter((b): b is string => b !== undefined && b.trim() !== '')
  return fitSummary(`${blocks.join('\n\n')}\n`, limitBytes, layout.fullDetail)
}

/**
 * GitHub keeps at most 1 MiB of job summary per step (docs, "Adding a job summary":
 * "each step is restricted to a maximum size of 1MiB"). A larger one is not cut but
 * dropped whole, with the runner's annotation "$GITHUB_STEP_SUMMARY upload aborted,
 * supports content up to a size of 1024k". Kept a little under it for the note.
 */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024 - 1024

/**
 * Cuts markdown that is larger than `limitBytes` at a line boundary, closes a
 * code fence or `<details>` left open by the cut, and says that it was cut.
 */
export function fitSummary(markdown: string, limitBytes = SUMMARY_LIMIT_BYTES, fullDetail?: string): string {
  const size = Buffer.byteLength(markdown, 'utf8')
  if (size <= limitBytes) return markdown
  const note = `\n\n> [!WARNING]\n> This summary was cut at ${kib(limitBytes)} of ${kib(size)}: GitHub shows at most 1 MiB per step.${fullDetail ? ` The whole detail is in ${fullDetail}.` : ''}\n`
  const budget = limitBytes - Buffer.byteLength(note, 'utf8') - 64
  let kept = Buffer.from(markdown, 'utf8').subarray(0, Math.max(0, budget)).toString('utf8')
  // A cut inside a multi-byte character leaves a replacement character: drop the partial line.
  kept = kept.slice(0, Math.max(0, kept.lastIndexOf('\n')))
  const closers: string[] = []
  if ((kept.match(/^```/gm) ?? []).length % 2 === 1) closers.push('```')
  const open = (kept.match(/<details>/g) ?? []).length - (kept.match(/<\/details>/g) ?? []).length
  for (let i = 0; i < open; i++) closers.push('\n</details>')
  return `${kept}\n${closers.join('\n')}${note}`
}

function kib(bytes: number): string {
  return `${Math.round(bytes / 1024)} KiB`
}

/** Seconds for a duration column; a step that never ran has no duration. */
export function durationCell(ms: number | undefined, ran = true): string {
  if (!ran || ms === undefined) return '—'
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`
}

// ---------------------------------------------------------------------------
// Charts

/** Text safe inside a mermaid label: no characters that end a label or a line. */
export function mermaidLabel(value: string): string {
  return (
    value
      .replace(/[:;#"\n\r[\]{}()]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim() || '-'
  )
}

/**
 * Short names for a chart's axis: the names themselves when they all fit in
 * `maxLength`, otherwise `prefix1`, `prefix2`, ... (the table beside the chart
 * carries the long name next to its key, see `keyedName`).
 */
export function axisLabels(names: readonly string[], prefix: string, maxLength = 14): string[] {
  const fit = names.every((n) => n.length <= maxLength) && new Set(names).size === names.length
  return fit ? [...names] : names.map((_, i) => `${prefix}${i + 1}`)
}

/** A table cell naming an item with its chart key when the key differs from the name. */
export function keyedName(name: string, key: string): string {
  return key === name ? name : `**${key}** ${name}`
}

export interface ChartSeries {
  name: string
  values: readonly number[]
}

/**
 * Whether bars would show something a table does not: at least two items, and
 * values that differ (three bars all at 100% say nothing).
 */
export function chartIsWorthDrawing(items: readonly string[], series: readonly ChartSeries[]): boolean {
  if (items.length < 2) return false
  const values = series.flatMap((s) => s.values)
  return values.some((v) => v !== values[0])
}

function niceMax(values: readonly number[]): number {
  const max = Math.max(0, ...values.filter(Number.isFinite))
  if (max <= 0) return 1
  const raw = max * 1.1
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((s) => s * magnitude >= raw)! * magnitude
  return Number(step.toPrecision(3))
}

function numbers(values: readonly number[]): string {
  return values.map((v) => (Number.isFinite(v) ? Number(v.toFixed(3)) : 0)).join(', ')
}

/** Bars in a colour that reads on white and on GitHub's dark background; a line in a second one. */
const XYCHART_COLOURS =
  '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#4e79a7, #e15759"}}}}%%'

function xyChart(title: string, unit: string, categories: readonly string[], lines: string[]): string {
  const all = lines.flatMap((l) => (/\[(.*)\]$/.exec(l)?.[1] ?? '').split(',').map(Number))
  return [
    '```mermaid',
    XYCHART_COLOURS,
    'xychart-beta',
    `  title "${mermaidLabel(title)}"`,
    `  x-axis [${categories.map((c) => `"${mermaidLabel(c)}"`).join(', ')}]`,
    `  y-axis "${mermaidLabel(unit)}" 0 --> ${niceMax(all)}`,
    ...lines,
    '```',
  ].join('\n')
}

/**
 * Bars of several series without drawing one over another: mermaid's xychart
 * draws every `bar` series at the same x (and a zero still draws a sliver), so
 * the series become one: one category per (item, series), labelled "item series",
 * the label saying which series each bar is (so no legend). Undefined when the chart would say
 * nothing.
 */
export function groupedBarChart(args: {
  title: string
  /** The y axis: what is counted, with its unit. */
  unit: string
  /** Short labels, one per item (see `axisLabels`). */
  items: readonly string[]
  series: readonly ChartSeries[]
}): string | undefined {
  const { items, series } = args
  if (!chartIsWorthDrawing(items, series)) return undefined
  const categories = items.flatMap((item) => series.map((s) => `${item} ${s.name}`))
  const values = items.flatMap((_, i) => series.map((s) => s.values[i] ?? 0))
  // No series title: the axis labels say which series each bar is, a legend would not.
  return xyChart(args.title, args.unit, categories, [`  bar [${numbers(values)}]`])
}

/** One series as bars. Undefined when the chart would say nothing. */
export function barChart(args: {
  title: string
  unit: string
  items: readonly string[]
  series: ChartSeries
}): string | undefined {
  if (!chartIsWorthDrawing(args.items, [args.series])) return undefined
  return xyChart(args.title, args.unit, args.items, [
    `  bar "${mermaidLabel(args.series.name)}" [${numbers(args.series.values)}]`,
  ])
}

/**
 * This run as bars and a reference (a baseline, a threshold) as a line over
 * them: two series at the same x that do not hide each other.
 */
export function barAndLineChart(args: {
  title: string
  unit: string
  items: readonly string[]
  bars: ChartSeries
  line: ChartSeries
}): string | undefined {
  if (!chartIsWorthDrawing(args.items, [args.bars, args.line])) return undefined
  return xyChart(args.title, args.unit, args.items, [
    `  bar "${mermaidLabel(args.bars.name)}" [${numbers(args.bars.values)}]`,
    `  line "${mermaidLabel(args.line.name)}" [${numbers(args.line.values)}]`,
  ])
}

export interface GanttBar {
  section: string
  label: string
  startMs: number
  endMs: number
  state?: 'done' | 'crit' | 'active'
}

const TICK_STEPS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000]

/**
 * A mermaid gantt chart in elapsed time from `originMs` (the run's start;
 * the earliest bar's start when omitted). Bars are placed at milliseconds since
 * the epoch's start and labelled with `%s` (seconds since the epoch) or `%Q`
 * (milliseconds), with ticks every N milliseconds counted from the epoch: none
 * of that depends on the viewer's timezone, unlike clock-time formats such as
 * `%M:%S`, which read 30:00 for a viewer in India.
 */
export function elapsedGantt(
  title: string,
  bars: readonly GanttBar[],
  originMs?: number,
): string | undefined {
  if (bars.length === 0) return undefined
  const origin = originMs ?? Math.min(...bars.map((b) => b.startMs))
  const span = Math.max(1, ...bars.map((b) => b.endMs - origin))
  const minuteSteps = [120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000]
  // Whole seconds from 2 s on: "3" reads better than "3000" (milliseconds) on a tick.
  const steps = [...TICK_STEPS_MS, ...minuteSteps].filter((s) => span < 2000 || s >= 1000)
  const step = steps.find((s) => span / s <= 10) ?? 3_600_000 * 6
  const inSeconds = step >= 1000
  const lines = [
    '```mermaid',
    'gantt',
    `  title ${mermaidLabel(title)}, ${inSeconds ? 'seconds' : 'milliseconds'} from the start`,
    '  dateFormat x',
    `  axisFormat ${inSeconds ? '%s' : '%Q'}`,
    `  tickInterval ${step}millisecond`,
    '  todayMarker off',
  ]
  let section = ''
  bars.forEach((bar, i) => {
    if (bar.section !== section) {
      section = bar.section
      lines.push(`  section ${mermaidLabel(section)}`)
    }
    const start = Math.max(0, Math.round(bar.startMs - origin))
    const end = Math.max(Math.round(bar.endMs - origin), start + 1)
    const tags = [bar.state, `b${i}`].filter(Boolean).join(', ')
    lines.push(`  ${mermaidLabel(bar.label)} :${tags}, ${start}, ${end}`)
  })
  lines.push('```')
  return lines.join('\n')
}
