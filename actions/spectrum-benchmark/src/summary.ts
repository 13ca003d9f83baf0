import { markdownTable, mermaidBarChart } from '../../../lib/summary.js'
import type { Settings } from './input-helper.js'
import { formatPercent, type Evaluation, type QueryEvaluation } from './plan.js'
import type { ScanStats } from './results.js'

const VERDICT_TEXT: Record<string, string> = {
  regressed: ':red_circle: regressed',
  improved: ':green_circle: faster',
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

export function renderSummary(settings: Settings, evaluation: Evaluation): string {
  const target = settings.clusterIdentifier
    ? `cluster \`${settings.clusterIdentifier}\``
    : `workgroup \`${settings.workgroupName}\``
  const parts: string[] = ['## Spectrum benchmark', '']
  const headline =
    evaluation.regressions.length > 0
      ? `:red_circle: **${evaluation.regressions.length} of ${evaluation.queries.length} queries regressed**: ${evaluation.regressions.join(', ')}.`
      : settings.baseline
        ? `:white_check_mark: No query regressed (limit: median slower by more than ${formatPercent(settings.maxRegression)}, significant at p < 0.05).`
        : ':information_source: No baseline: timings only.'
  parts.push(headline, '')
  parts.push(
    `${evaluation.queries.length} queries on ${target}, database \`${settings.database}\`: ${settings.warmup} warm-up and ${settings.iterations} measured runs each, result cache ${settings.resultCache ? 'on' : 'off'}${settings.queryGroup ? `, query group \`${settings.queryGroup}\`` : ''}. Times are the service's own (DescribeStatement Duration).`,
    '',
  )
  parts.push(
    markdownTable(
      [
        'Query',
        'Runs',
        'Median',
        'p95',
        'Min',
        'Max',
        'Spread (MAD)',
        'Baseline median',
        'Change',
        'p-value',
        'Verdict',
      ],
      evaluation.queries.map((q) => [
        q.name,
        q.stats.runs,
        ms(q.stats.median),
        ms(q.stats.p95),
        ms(q.stats.min),
        ms(q.stats.max),
        ms(q.stats.mad),
        ms(q.comparison.baselineMedian),
        signedPercent(q.comparison.change),
        q.comparison.pValue === undefined ? '-' : String(Number(q.comparison.pValue.toPrecision(2))),
        verdictCell(q),
      ]),
    ),
    '',
  )
  const withBaseline = evaluation.queries.filter((q) => q.comparison.baselineMedian !== undefined)
  if (withBaseline.length > 0) {
    parts.push(
      '### Median per query: baseline (first bar) and this run (second bar)',
      '',
      mermaidBarChart(
        'Median duration, ms',
        withBaseline.map((q) => q.name),
        'ms',
        [
          { name: 'baseline', values: withBaseline.map((q) => q.comparison.baselineMedian ?? 0) },
          { name: 'current', values: withBaseline.map((q) => q.stats.median) },
        ],
      ),
      '',
    )
  } else {
    parts.push(
      '### Median per query',
      '',
      mermaidBarChart(
        'Median duration, ms',
        evaluation.queries.map((q) => q.name),
        'ms',
        [{ name: 'current', values: evaluation.queries.map((q) => q.stats.median) }],
      ),
      '',
    )
  }
  const scanned = evaluation.queries.filter((q) => q.scan)
  if (scanned.length > 0) {
    parts.push(
      '### Spectrum scans',
      '',
      markdownTable(
        ['Query', 'Bytes scanned (vs baseline)', 'Rows scanned', 'Rows returned', 'Files', 'Parallelism'],
        scanned.map((q) => [q.name, ...scanCell(q.scan, q.baselineScan)]),
      ),
      '',
    )
  }
  if (evaluation.findings.length > 0) {
    parts.push('### Findings', '', ...evaluation.findings.map((f) => `- **${f.query}**: ${f.message}`), '')
  }
  if (evaluation.missing.length > 0) {
    parts.push(`Queries of the baseline not run this time: ${evaluation.missing.join(', ')}.`, '')
  }
  if (settings.baselineMissing)
    parts.push(`No baseline file at \`${settings.baselineMissing}\`: nothing to compare with.`, '')
  return parts.join('\n')
}

/** The summary of a run that stopped at a failing statement. */
export function renderFailure(what: string, error: string): string {
  return ['## Spectrum benchmark', '', `:x: **${what}** failed:`, '', '```', error, '```', ''].join('\n')
}
