import { median } from 'simple-statistics'
import { comparePlans, type PlanChange } from './explain.js'
import type { QueryFile, Settings } from './input-helper.js'
import type { QueryResult, QueryTimings, ScanStats } from './results.js'
import { compareRuns, summarize, type Comparison, type RunStats } from './stats.js'

/** What a run measured beyond the durations and scans: plans, where the time went, the A/A series. */
export interface Measurements {
  plans?: ReadonlyMap<string, string[]>
  timings?: ReadonlyMap<string, QueryTimings>
  /**
   * With `interleave`, the base's second series of each query (A B A'): set
   * against the first (the baseline), it measures how far the same SQL moves on
   * its own in this window: the noise.
   */
  baseAgain?: ReadonlyMap<string, { durationsMs: number[]; timings?: QueryTimings }>
}

export interface ScanFinding {
  query: string
  message: string
}

export interface QueryEvaluation {
  name: string
  file: string
  stats: RunStats
  comparison: Comparison
  baselineStats?: RunStats
  scan: ScanStats | null
  baselineScan: ScanStats | null
  /** The SQL text differs from the baseline's. */
  sqlChanged: boolean
  /** What the time gate judged: execution time from the query history, or the statement's whole Duration. */
  basis: 'execution' | 'duration'
  timings?: QueryTimings
  /** |A/A change| of the median, with interleave; the time gate's limit is at least this. */
  noise?: number
}

export interface Evaluation {
  queries: QueryEvaluation[]
  regressions: string[]
  improvements: string[]
  /** Scan statistics do not vary from run to run, so a jump is a finding in itself. */
  findings: ScanFinding[]
  /** Bytes scanned grown past max-scan-growth: these fail the step. */
  scanGrowth: ScanFinding[]
  /** Queries whose EXPLAIN changed against the baseline's (empty with plan-changes: ignore). */
  planChanges: PlanChange[]
  /** Queries of the baseline that this run did not have. */
  missing: string[]
}

type EvaluationSettings = Pick<Settings, 'queries' | 'baseline' | 'maxRegression'> &
  Partial<Pick<Settings, 'maxScanGrowth' | 'planChanges'>>

function scanFindings(
  name: string,
  current: ScanStats | null,
  base: ScanStats | null,
  threshold: number,
): ScanFinding[] {
  if (!current || !base) return []
  const out: ScanFinding[] = []
  const grew = (now: number, before: number) => (before > 0 ? now / before - 1 > threshold : now > 0)
  if (grew(current.bytesScanned, base.bytesScanned)) {
    const partitions =
      base.partitionsQualified != null && current.partitionsQualified != null
        ? `, partitions ${base.partitionsQualified} -> ${current.partitionsQualified}`
        : ''
    out.push({
      query: name,
      message: `bytes scanned rose from ${base.bytesScanned} to ${current.bytesScanned} (rows ${base.rowsScanned} -> ${current.rowsScanned}, files ${base.files} -> ${current.files}${partitions})`,
    })
  } else if (current.files > base.files) {
    out.push({ query: name, message: `files scanned rose from ${base.files} to ${current.files}` })
  }
  return out
}

/** Execution times when both sides have them (compile and queue apart), else the whole Durations. */
function gateSamples(
  durations: readonly number[],
  timings: QueryTimings | undefined,
  base: Pick<QueryResult, 'durationsMs' | 'timings'> | undefined,
): { current: number[]; baseline?: number[]; basis: QueryEvaluation['basis'] } {
  const usable = (t: QueryTimings | undefined, n: number) => t !== undefined && t.executionMs.length === n
  if (usable(timings, durations.length) && (!base || usable(base.timings, base.durationsMs.length)))
    return { current: timings!.executionMs, baseline: base?.timings?.executionMs, basis: 'execution' }
  return { current: [...durations], baseline: base?.durationsMs, basis: 'duration' }
}

function noiseOf(
  basis: QueryEvaluation['basis'],
  baseline: readonly number[] | undefined,
  again: { durationsMs: number[]; timings?: QueryTimings } | undefined,
): number | undefined {
  if (!again || !baseline || baseline.length === 0) return undefined
  const samples = basis === 'execution' ? again.timings?.executionMs : again.durationsMs
  if (!samples || samples.length === 0) return undefined
  const base = median([...baseline])
  return base > 0 ? Math.abs(median([...samples]) / base - 1) : 0
}

function evaluateQuery(
  q: QueryFile,
  settings: EvaluationSettings,
  durations: readonly number[],
  scan: ScanStats | null,
  base: QueryResult | undefined,
  extra: Measurements,
): QueryEvaluation {
  const timings = extra.timings?.get(q.name)
  const samples = gateSamples(durations, timings, base)
  const noise = noiseOf(samples.basis, samples.baseline, extra.baseAgain?.get(q.name))
  // A change inside the measured noise is not a change, however significant.
  const limit = Math.max(settings.maxRegression, noise ?? 0)
  return {
    name: q.name,
    file: q.file,
    stats: summarize(samples.current),
    comparison: compareRuns(samples.current, samples.baseline, limit),
    baselineStats: samples.baseline ? summarize(samples.baseline) : undefined,
    scan,
    baselineScan: base?.scan ?? null,
    sqlChanged: base?.sha256 !== undefined && base.sha256 !== q.sha256,
    basis: samples.basis,
    timings,
    noise,
  }
}

export function evaluate(
  settings: EvaluationSettings,
  durations: ReadonlyMap<string, number[]>,
  scanStats: ReadonlyMap<string, ScanStats | null>,
  extra: Measurements = {},
): Evaluation {
  const baseline = new Map((settings.baseline?.results.queries ?? []).map((q) => [q.name, q]))
  const queries = settings.queries.map((q) =>
    evaluateQuery(
      q,
      settings,
      durations.get(q.name) ?? [],
      scanStats.get(q.name) ?? null,
      baseline.get(q.name),
      extra,
    ),
  )
  const names = new Set(settings.queries.map((q) => q.name))
  // Without max-scan-growth, a jump past max-regression is a warning, as before the gate existed.
  const growth = settings.maxScanGrowth
  const scans = queries.flatMap((q) =>
    scanFindings(q.name, q.scan, q.baselineScan, growth ?? settings.maxRegression),
  )
  const isBytes = (f: ScanFinding) => f.message.startsWith('bytes scanned')
  const planChanges =
    settings.planChanges === 'ignore'
      ? []
      : comparePlans(
          settings.queries.map((q) => ({
            query: q.name,
            base: baseline.get(q.name)?.plan,
            current: extra.plans?.get(q.name),
          })),
        )
  return {
    queries,
    regressions: queries.filter((q) => q.comparison.verdict === 'regressed').map((q) => q.name),
    improvements: queries.filter((q) => q.comparison.verdict === 'improved').map((q) => q.name),
    findings: scans.filter((f) => growth === undefined || !isBytes(f)),
    scanGrowth: growth === undefined ? [] : scans.filter(isBytes),
    planChanges,
    missing: [...baseline.keys()].filter((n) => !names.has(n)),
  }
}

/** The steps that fail: regressions, scan growth past the limit, and plan changes with plan-changes: fail. */
export function failures(
  settings: Pick<Settings, 'maxRegression'> & Partial<Pick<Settings, 'planChanges'>>,
  evaluation: Evaluation,
): string[] {
  const out: string[] = []
  if (evaluation.regressions.length > 0)
    out.push(
      `${evaluation.regressions.length} queries regressed by more than ${Number((settings.maxRegression * 100).toFixed(1))}%: ${evaluation.regressions.join(', ')}`,
    )
  if (evaluation.scanGrowth.length > 0)
    out.push(
      `${evaluation.scanGrowth.length === 1 ? '1 query' : `${evaluation.scanGrowth.length} queries`} scanned more than max-scan-growth allows: ${evaluation.scanGrowth.map((f) => f.query).join(', ')}`,
    )
  if (settings.planChanges === 'fail' && evaluation.planChanges.length > 0)
    out.push(
      `${evaluation.planChanges.length === 1 ? '1 query plan' : `${evaluation.planChanges.length} query plans`} changed (plan-changes: fail): ${evaluation.planChanges.map((c) => c.query).join(', ')}`,
    )
  return out
}

export function round(ms: number): number {
  return Number(ms.toFixed(3))
}

function medianOf(values: readonly number[] | undefined): number | null {
  return values && values.length > 0 ? round(median([...values])) : null
}

/** The JSON `report` output: every query's statistics and verdict. */
export function buildReport(evaluation: Evaluation, resultsFile: string) {
  return {
    resultsFile,
    regressions: evaluation.regressions,
    improvements: evaluation.improvements,
    findings: evaluation.findings,
    scanGrowth: evaluation.scanGrowth,
    planChanges: evaluation.planChanges,
    missing: evaluation.missing,
    queries: evaluation.queries.map((q) => ({
      name: q.name,
      verdict: q.comparison.verdict,
      basis: q.basis,
      medianMs: round(q.stats.median),
      p95Ms: round(q.stats.p95),
      minMs: round(q.stats.min),
      maxMs: round(q.stats.max),
      madMs: round(q.stats.mad),
      runs: q.stats.runs,
      baselineMedianMs: q.comparison.baselineMedian === undefined ? null : round(q.comparison.baselineMedian),
      change: q.comparison.change === undefined ? null : Number(q.comparison.change.toFixed(4)),
      pValue: q.comparison.pValue === undefined ? null : Number(q.comparison.pValue.toPrecision(3)),
      noise: q.noise === undefined ? null : Number(q.noise.toFixed(4)),
      queueMedianMs: medianOf(q.timings?.queueMs),
      compileMedianMs: medianOf(q.timings?.compileMs),
      executionMedianMs: medianOf(q.timings?.executionMs),
      sqlChanged: q.sqlChanged,
      planChanged: evaluation.planChanges.some((c) => c.query === q.name),
      scan: q.scan,
    })),
  }
}
