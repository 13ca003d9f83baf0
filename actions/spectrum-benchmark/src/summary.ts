import {
  axisLabels,
  barAndLineChart,
  barChart,
  keyedName,
  markdownTable,
  renderLayout,
  type RunInput,
} from '../../../lib/summary.js'
import type { Settings } from './input-helper.js'
import { formatPercent, type Evaluation, type QueryEvaluation } from './plan.js'
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

function scanCell(scan: ScanStats | null, base: ScanStats | null): string[] {
  if (!scan) return ['-', '-', '-', '-', '-']
  const change =
    base && base.bytesScanned > 0 ? ` (${signedPercent(scan.bytesScanned / base.bytesScanned - 1)})` : ''
  return [
    `${bytes(scan.bytesScanned)}${change}`,
    String(scan.rowsScanned),
    scan.rowsReturned === null ? '-' : String(scan.rowsReturned),
    String(scan.files),
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
  ]
}

export function renderSummary(settings: Settings, evaluation: Evaluation): string {
  const queries = evaluation.queries
  const keys = axisLabels(
    queries.map((q) => q.name),
    'Q',
  )
  const key = new Map(queries.map((q, i) => [q.name, keys[i]!]))
  const regressed = queries.filter((q) => q.comparison.verdict === 'regressed')
  const limit = `median slower by more than ${formatPercent(settings.maxRegression)}, significant at p < 0.05`
  const sentence =
    regressed.length > 0
      ? `${regressed.length} of ${queries.length} queries regressed (${limit}): ${regressed.map((q) => q.name).join(', ')}.`
      : settings.baseline
        ? `No query regressed: ${queries.length} compared with the baseline (${limit}).`
        : `${queries.length} queries timed; no baseline to compare with${settings.baselineMissing ? ` (no file at \`${settings.baselineMissing}\`)` : ''}.`
  const outcome =
    regressed.length > 0
      ? 'failed'
      : evaluation.findings.length > 0 || evaluation.missing.length > 0
        ? 'warning'
        : 'passed'
  const problems: Array<string | undefined> = []
  if (regressed.length > 0) {
    problems.push(
      markdownTable(
        ['Query', 'Median', 'Baseline median', 'Change', 'p-value'],
        regressed.map((q) => [
          q.name,
          ms(q.stats.median),
          ms(q.comparison.baselineMedian),
          signedPercent(q.comparison.change),
          q.comparison.pValue === undefined ? '—' : String(Number(q.comparison.pValue.toPrecision(2))),
        ]),
      ),
    )
  }
  if (evaluation.findings.length > 0)
    problems.push(evaluation.findings.map((f) => `- ⚠️ **${f.query}**: ${f.message}`).join('\n'))
  if (evaluation.missing.length > 0)
    problems.push(`⚠️ Queries of the baseline not run this time: ${evaluation.missing.join(', ')}.`)
  const timings = markdownTable(
    [
      'Query',
      'Runs',
      'Median',
      'p95',
      'Range',
      'Spread (MAD)',
      ...(settings.baseline ? ['Baseline median', 'Change', 'p-value', 'Verdict'] : []),
    ],
    queries.map((q) => [
      keyedName(q.name, key.get(q.name)!),
      q.stats.runs,
      ms(q.stats.median),
      ms(q.stats.p95),
      `${ms(q.stats.min)} – ${ms(q.stats.max)}`,
      ms(q.stats.mad),
      ...(settings.baseline
        ? [
            ms(q.comparison.baselineMedian),
            signedPercent(q.comparison.change),
            q.comparison.pValue === undefined ? '—' : String(Number(q.comparison.pValue.toPrecision(2))),
            verdictCell(q),
          ]
        : []),
    ]),
  )
  const withBaseline = queries.filter((q) => q.comparison.baselineMedian !== undefined)
  const chart =
    withBaseline.length > 0
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
  const scanned = queries.filter((q) => q.scan)
  const scans =
    scanned.length > 0
      ? '### Spectrum scans\n\n' +
        markdownTable(
          [
            'Query',
            settings.baseline ? 'Bytes scanned (vs baseline)' : 'Bytes scanned',
            'Rows scanned',
            'Rows returned',
            'Files',
            'Parallelism',
          ],
          scanned.map((q) => [keyedName(q.name, key.get(q.name)!), ...scanCell(q.scan, q.baselineScan)]),
        )
      : undefined
  return renderLayout({
    title: `Spectrum benchmark on ${targetText(settings)}`,
    outcome,
    sentence,
    inputs: runInputs(settings),
    problems,
    details: [
      `### Timings\n\nTimes are the service's own (DescribeStatement Duration).\n\n${timings}`,
      chart,
      scans,
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
