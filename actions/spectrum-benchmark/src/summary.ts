import { median } from 'simple-statistics'
import {
  axisLabels,
  barAndLineChart,
  barChart,
  keyedName,
  markdownTable,
  renderLayout,
  type RunInput,
} from '../../../lib/summary.js'
import { failures, type Evaluation, type QueryEvaluation } from './evaluate.js'
import { sparkline, trends } from './history.js'
import type { Settings } from './input-helper.js'
import { formatPercent } from './plan.js'
import type { ScanStats } from './results.js'

const VERDICT_TEXT: Record<string, string> = {
  regressed: '🔴 regressed',
  improved: '🟢 faster',
  unchanged: 'unchanged',
  new: 'new (no baseline)',
}

export function ms(value: number | undefined): string {
  if (value === undefined) return '-'
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`
  return `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ms`
}

function signedPercent(change: number | undefined): string {
  if (change === undefined) return '-'
  if (!Number.isFinite(change)) return 'n/a'
  const text = formatPercent(change)
  return change > 0 ? `+${text}` : text
}

function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`
}

function verdictCell(q: QueryEvaluation): string {
  const text = VERDICT_TEXT[q.comparison.verdict] ?? q.comparison.verdict
  return q.sqlChanged ? `${text} (SQL changed)` : text
}

function partitionsCell(scan: ScanStats, base: ScanStats | null): string {
  if (scan.partitionsTotal == null) return '-'
  const now = `${scan.partitionsQualified ?? '-'} of ${scan.partitionsTotal}`
  return base?.partitionsQualified != null && base.partitionsQualified !== scan.partitionsQualified
    ? `${now} (was ${base.partitionsQualified})`
    : now
}

function scannedCell(q: QueryEvaluation): string {
  if (!q.scan) return '-'
  const [bytesText] = scanCell(q.scan, q.baselineScan)
  const partitions =
    q.scan.partitionsTotal == null
      ? ''
      : `, ${q.scan.partitionsQualified ?? '-'}/${q.scan.partitionsTotal} partitions`
  return `${bytesText}${partitions}`
}

function scanCell(scan: ScanStats | null, base: ScanStats | null): string[] {
  if (!scan) return ['-', '-', '-', '-', '-', '-']
  const change =
    base && base.bytesScanned > 0 ? ` (${signedPercent(scan.bytesScanned / base.bytesScanned - 1)})` : ''
  return [
    `${bytes(scan.bytesScanned)}${change}`,
    String(scan.rowsScanned),
    scan.rowsReturned === null ? '-' : String(scan.rowsReturned),
    String(scan.files),
    partitionsCell(scan, base),
    scan.parallelism === null ? '-' : String(scan.parallelism),
  ]
}

function targetText(settings: Settings): string {
  return settings.clusterIdentifier
    ? `cluster \`${settings.clusterIdentifier}\``
    : `workgroup \`${settings.workgroupName}\``
}

function runInputs(settings: Settings): RunInput[] {
  return [
    ['database', settings.database],
    ['warmup', settings.warmup],
    ['iterations', settings.iterations],
    ['result-cache', settings.resultCache ? 'on' : 'off'],
    ['query-group', settings.queryGroup],
    ['baseline', settings.baseline?.path ?? settings.baselineMissing],
    ['max-regression', settings.baseline ? formatPercent(settings.maxRegression) : undefined],
    [
      'max-scan-growth',
      settings.maxScanGrowth === undefined ? undefined : formatPercent(settings.maxScanGrowth),
    ],
    ['plan-changes', settings.planChanges],
    ['interleave', settings.interleave ? 'true' : undefined],
    ['history', settings.history ? `${settings.history.length} runs` : undefined],
    ['history-baseline', settings.historyBaseline > 0 ? settings.historyBaseline : undefined],
  ]
}

function pValueCell(q: QueryEvaluation): string {
  return q.comparison.pValue === undefined ? '—' : String(Number(q.comparison.pValue.toPrecision(2)))
}

function medianOf(values: readonly number[] | undefined): number | undefined {
  return values && values.length > 0 ? median([...values]) : undefined
}

/**
 * Text from the database (a plan's filters hold the query's literals) shown as
 * text: no HTML tag opens and no one is mentioned.
 */
function foreignText(text: string): string {
  return text.replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/@/g, '@\u200b')
}

function plural(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : noun.endsWith('y') ? `${noun.slice(0, -1)}ies` : `${noun}s`}`
}

/** The first line's sentence: what failed, or what was compared. */
function outcomeSentence(settings: Settings, evaluation: Evaluation): string {
  const queries = evaluation.queries
  const regressed = queries.filter((q) => q.comparison.verdict === 'regressed')
  const noise = settings.interleave ? ' and the A/A noise' : ''
  const limit = `median slower by more than ${formatPercent(settings.maxRegression)}${noise}, significant at p < 0.05`
  const parts: string[] = []
  if (regressed.length > 0)
    parts.push(
      `${regressed.length} of ${queries.length} queries regressed (${limit}): ${regressed.map((q) => q.name).join(', ')}`,
    )
  if (evaluation.scanGrowth.length > 0)
    parts.push(
      `${plural(evaluation.scanGrowth.length, 'query')} scanned more than ${formatPercent(settings.maxScanGrowth ?? 0)} more bytes: ${evaluation.scanGrowth.map((f) => f.query).join(', ')}`,
    )
  if (evaluation.planChanges.length > 0)
    parts.push(
      `${plural(evaluation.planChanges.length, 'query plan')} changed: ${evaluation.planChanges.map((c) => c.query).join(', ')}`,
    )
  if (parts.length > 0) return `${parts.join('; ')}.`
  if (settings.baseline) return `No query regressed: ${queries.length} compared with the baseline (${limit}).`
  return `${queries.length} queries timed; no baseline to compare with${settings.baselineMissing ? ` (no file at \`${settings.baselineMissing}\`)` : ''}.`
}

function problemsOf(evaluation: Evaluation): Array<string | undefined> {
  const problems: Array<string | undefined> = []
  const regressed = evaluation.queries.filter((q) => q.comparison.verdict === 'regressed')
  if (regressed.length > 0) {
    problems.push(
      markdownTable(
        ['Query', 'Median', 'Baseline median', 'Change', 'p-value'],
        regressed.map((q) => [
          q.name,
          ms(q.stats.median),
          ms(q.comparison.baselineMedian),
          signedPercent(q.comparison.change),
          pValueCell(q),
        ]),
      ),
    )
  }
  if (evaluation.scanGrowth.length > 0)
    problems.push(evaluation.scanGrowth.map((f) => `- ❌ **${f.query}**: ${f.message}`).join('\n'))
  if (evaluation.planChanges.length > 0)
    problems.push(
      markdownTable(
        ['Query', 'Plan change'],
        evaluation.planChanges.map((c) => [c.query, foreignText(c.description)]),
      ),
    )
  if (evaluation.findings.length > 0)
    problems.push(evaluation.findings.map((f) => `- ⚠️ **${f.query}**: ${f.message}`).join('\n'))
  if (evaluation.missing.length > 0)
    problems.push(`⚠️ Queries of the baseline not run this time: ${evaluation.missing.join(', ')}.`)
  return problems
}

function timingsSection(
  settings: Settings,
  evaluation: Evaluation,
  key: ReadonlyMap<string, string>,
): string {
  const queries = evaluation.queries
  const withHistory = queries.some((q) => q.timings)
  // The deterministic cost beside the time: bytes scanned and partitions do not depend on load.
  const withScans = queries.some((q) => q.scan)
  const interleaved = Boolean(settings.interleave)
  const table = markdownTable(
    [
      'Query',
      'Runs',
      'Median',
      'p95',
      'Range',
      'Spread (MAD)',
      ...(withHistory ? ['Compile (median)', 'Queue (median)'] : []),
      ...(withScans ? ['Scanned'] : []),
      ...(settings.baseline ? ['Baseline median', 'Change', 'p-value', 'Verdict'] : []),
      ...(interleaved ? ['Noise (A/A)'] : []),
    ],
    queries.map((q) => [
      keyedName(q.name, key.get(q.name)!),
      q.stats.runs,
      ms(q.stats.median),
      ms(q.stats.p95),
      `${ms(q.stats.min)} – ${ms(q.stats.max)}`,
      ms(q.stats.mad),
      ...(withHistory ? [ms(medianOf(q.timings?.compileMs)), ms(medianOf(q.timings?.queueMs))] : []),
      ...(withScans ? [scannedCell(q)] : []),
      ...(settings.baseline
        ? [ms(q.comparison.baselineMedian), signedPercent(q.comparison.change), pValueCell(q), verdictCell(q)]
        : []),
      ...(interleaved ? [q.noise === undefined ? '-' : `±${formatPercent(q.noise)}`] : []),
    ]),
  )
  const basis = queries.every((q) => q.basis === 'execution')
    ? 'Times are execution times from the query history (SYS_QUERY_HISTORY on serverless, STL_WLM_QUERY less SVL_COMPILE on clusters): compile and queue time are shown beside them and do not count against a query.'
    : "Times are the service's own (DescribeStatement Duration), compile and queue time included where the query history could not be read."
  const noises = queries.flatMap((q) => (q.noise === undefined ? [] : [q.noise]))
  const noise =
    noises.length > 0
      ? `\n\nNoise measured in this window (the base against itself, A/A): at most ±${formatPercent(Math.max(...noises))}; a change inside a query's noise is not flagged.`
      : ''
  return `### Timings\n\n${basis}${noise}\n\n${table}`
}

function chartOf(evaluation: Evaluation, key: ReadonlyMap<string, string>): string | undefined {
  const queries = evaluation.queries
  const withBaseline = queries.filter((q) => q.comparison.baselineMedian !== undefined)
  return withBaseline.length > 0
    ? barAndLineChart({
        title: 'Median duration per query, bars this run, line the baseline',
        unit: 'ms',
        items: withBaseline.map((q) => key.get(q.name)!),
        bars: { name: 'this run', values: withBaseline.map((q) => q.stats.median) },
        line: { name: 'baseline', values: withBaseline.map((q) => q.comparison.baselineMedian ?? 0) },
      })
    : barChart({
        title: 'Median duration per query',
        unit: 'ms',
        items: queries.map((q) => key.get(q.name)!),
        series: { name: 'this run', values: queries.map((q) => q.stats.median) },
      })
}

function scansSection(settings: Settings, evaluation: Evaluation, key: ReadonlyMap<string, string>) {
  const scanned = evaluation.queries.filter((q) => q.scan)
  if (scanned.length === 0) return undefined
  return (
    '### Spectrum scans\n\nBytes, rows, files and partitions do not depend on load: they change when the query or the data does.\n\n' +
    markdownTable(
      [
        'Query',
        settings.baseline ? 'Bytes scanned (vs baseline)' : 'Bytes scanned',
        'Rows scanned',
        'Rows returned',
        'Files',
        'Partitions read',
        'Parallelism',
      ],
      scanned.map((q) => [keyedName(q.name, key.get(q.name)!), ...scanCell(q.scan, q.baselineScan)]),
    )
  )
}

/** Each query's time over the default branch's earlier runs, this run last and marked. */
function trendSection(settings: Settings, evaluation: Evaluation, key: ReadonlyMap<string, string>) {
  if (!settings.history || settings.history.length === 0) return undefined
  const rows = trends(
    settings.history,
    evaluation.queries.map((q) => ({ name: q.name, median: q.stats.median })),
  )
  const table = markdownTable(
    ['Query', `Trend (${settings.history.length} earlier runs, then ●this run)`, 'Earlier runs', 'This run'],
    rows.map((t) => [
      keyedName(t.query, key.get(t.query)!),
      `${sparkline([...t.earlier, t.current]).slice(0, -1)}●${sparkline([...t.earlier, t.current]).slice(-1)}`,
      t.earlier.length > 0 ? `${ms(Math.min(...t.earlier))} – ${ms(Math.max(...t.earlier))}` : '-',
      ms(t.current),
    ]),
  )
  const gate =
    settings.historyBaseline > 0 && settings.baseline
      ? `The baseline is ${settings.baseline.path}, pooled: the gate compares with their median.`
      : 'The gate compares with the baseline above; the trend is for reading.'
  return `### Trend on the default branch\n\nMedian time per run, oldest first. ${gate}\n\n${table}`
}

export function renderSummary(settings: Settings, evaluation: Evaluation): string {
  const queries = evaluation.queries
  const keys = axisLabels(
    queries.map((q) => q.name),
    'Q',
  )
  const key = new Map(queries.map((q, i) => [q.name, keys[i]!]))
  const outcome =
    failures(settings, evaluation).length > 0
      ? 'failed'
      : evaluation.findings.length > 0 || evaluation.missing.length > 0 || evaluation.planChanges.length > 0
        ? 'warning'
        : 'passed'
  return renderLayout({
    title: `Spectrum benchmark on ${targetText(settings)}`,
    outcome,
    sentence: outcomeSentence(settings, evaluation),
    inputs: runInputs(settings),
    problems: problemsOf(evaluation),
    details: [
      timingsSection(settings, evaluation, key),
      chartOf(evaluation, key),
      trendSection(settings, evaluation, key),
      scansSection(settings, evaluation, key),
    ],
  })
}

/** The summary of a run that stopped at a failing statement. */
export function renderFailure(what: string, error: string, settings?: Settings): string {
  return renderLayout({
    title: settings ? `Spectrum benchmark on ${targetText(settings)}` : 'Spectrum benchmark',
    outcome: 'failed',
    sentence: `${what} failed, so no query was compared.`,
    inputs: settings ? runInputs(settings) : undefined,
    problems: ['```\n' + error + '\n```'],
  })
}
