import type { QueryFile, Settings } from './input-helper.js'
import { RESULTS_FORMAT, type QueryResult, type ResultsFile, type ScanStats } from './results.js'
import { sqlString } from './sql.js'
import { compareRuns, summarize, type Comparison, type RunStats } from './stats.js'

export interface Run {
  query: QueryFile
  /** Warm-up runs fill caches and are discarded. */
  kind: 'warmup' | 'measure'
  round: number
}

export interface Plan {
  /** Run in the benchmark's session before anything else. */
  sessionSettings: string[]
  setupSql: string[]
  runs: Run[]
  /** Notes worth printing with the plan (a sample too small to ever be significant, ...). */
  notes: string[]
}

/**
 * Rounds run every query once each, so a slow minute on the cluster touches all
 * queries alike instead of spoiling one query's runs; warm-up rounds come first.
 */
export function schedule(queries: readonly QueryFile[], warmup: number, iterations: number): Run[] {
  const runs: Run[] = []
  for (let round = 0; round < warmup; round++)
    for (const query of queries) runs.push({ query, kind: 'warmup', round })
  for (let round = 0; round < iterations; round++)
    for (const query of queries) runs.push({ query, kind: 'measure', round })
  return runs
}

/**
 * The session's settings: the result cache is turned off in the very session
 * that runs the measured queries (a repeat would otherwise be answered from the
 * cache in microseconds), and the query group labels every measured query.
 */
export function sessionSettings(settings: Pick<Settings, 'resultCache' | 'queryGroup'>): string[] {
  const out = [`SET enable_result_cache_for_session TO ${settings.resultCache ? 'on' : 'off'}`]
  if (settings.queryGroup) out.push(`SET query_group TO ${sqlString(settings.queryGroup)}`)
  return out
}

export function buildPlan(settings: Settings): Plan {
  const notes: string[] = []
  const baselineRuns = settings.baseline
    ? Math.min(...settings.baseline.results.queries.map((q) => q.durationsMs.length))
    : undefined
  // With n and m runs the smallest one-sided Mann-Whitney p is 1 / C(n+m, n).
  if (settings.iterations < 3 || (baselineRuns !== undefined && baselineRuns < 3)) {
    notes.push(
      'Fewer than 3 runs on a side: no difference can be significant, so no query can be flagged as regressed.',
    )
  }
  return {
    sessionSettings: sessionSettings(settings),
    setupSql: settings.setupSql,
    runs: schedule(settings.queries, settings.warmup, settings.iterations),
    notes,
  }
}

export function describePlan(settings: Settings, plan: Plan): string[] {
  const target = settings.clusterIdentifier
    ? `cluster ${settings.clusterIdentifier}`
    : `workgroup ${settings.workgroupName}`
  const measured = plan.runs.filter((r) => r.kind === 'measure').length
  return [
    `Plan: ${settings.queries.length} queries on ${target}, database ${settings.database} (${settings.region})`,
    `  session: ${plan.sessionSettings.join('; ')}`,
    ...(plan.setupSql.length > 0 ? [`  setup: ${plan.setupSql.length} statements, once`] : []),
    `  runs: ${settings.warmup} warm-up + ${settings.iterations} measured per query, in rounds (${plan.runs.length} statements, ${measured} measured)`,
    `  queries: ${settings.queries.map((q) => q.name).join(', ')}`,
    settings.baseline
      ? `  baseline: ${settings.baseline.path} (${settings.baseline.results.queries.length} queries); regression: median slower by more than ${formatPercent(settings.maxRegression)} and significant (p < 0.05)`
      : settings.baselineMissing
        ? `  baseline: none at ${settings.baselineMissing}; timings are reported without comparison`
        : '  baseline: none given; timings are reported without comparison',
    ...plan.notes.map((n) => `  note: ${n}`),
  ]
}

export function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(1))}%`
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
}

export interface Evaluation {
  queries: QueryEvaluation[]
  regressions: string[]
  improvements: string[]
  /** Scan statistics do not vary from run to run, so a jump is a finding in itself. */
  findings: ScanFinding[]
  /** Queries of the baseline that this run did not have. */
  missing: string[]
}

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
    out.push({
      query: name,
      message: `bytes scanned rose from ${base.bytesScanned} to ${current.bytesScanned} (rows ${base.rowsScanned} -> ${current.rowsScanned}, files ${base.files} -> ${current.files})`,
    })
  } else if (current.files > base.files) {
    out.push({ query: name, message: `files scanned rose from ${base.files} to ${current.files}` })
  }
  return out
}

export function evaluate(
  settings: Pick<Settings, 'queries' | 'baseline' | 'maxRegression'>,
  durations: ReadonlyMap<string, number[]>,
  scans: ReadonlyMap<string, ScanStats | null>,
): Evaluation {
  const baseline = new Map((settings.baseline?.results.queries ?? []).map((q) => [q.name, q]))
  const queries: QueryEvaluation[] = settings.queries.map((q) => {
    const samples = durations.get(q.name) ?? []
    const base = baseline.get(q.name)
    return {
      name: q.name,
      file: q.file,
      stats: summarize(samples),
      comparison: compareRuns(samples, base?.durationsMs, settings.maxRegression),
      baselineStats: base ? summarize(base.durationsMs) : undefined,
      scan: scans.get(q.name) ?? null,
      baselineScan: base?.scan ?? null,
      sqlChanged: base?.sha256 !== undefined && base.sha256 !== q.sha256,
    }
  })
  const names = new Set(settings.queries.map((q) => q.name))
  return {
    queries,
    regressions: queries.filter((q) => q.comparison.verdict === 'regressed').map((q) => q.name),
    improvements: queries.filter((q) => q.comparison.verdict === 'improved').map((q) => q.name),
    findings: queries.flatMap((q) => scanFindings(q.name, q.scan, q.baselineScan, settings.maxRegression)),
    missing: [...baseline.keys()].filter((n) => !names.has(n)),
  }
}

export function buildResultsFile(
  settings: Settings,
  durations: ReadonlyMap<string, number[]>,
  scans: ReadonlyMap<string, ScanStats | null>,
  now: Date,
): ResultsFile {
  const queries: QueryResult[] = settings.queries.map((q) => {
    const samples = durations.get(q.name) ?? []
    return {
      name: q.name,
      file: q.file,
      sha256: q.sha256,
      durationsMs: samples,
      stats: summarize(samples),
      scan: scans.get(q.name) ?? null,
    }
  })
  return {
    format: RESULTS_FORMAT,
    createdAt: now.toISOString(),
    target: {
      ...(settings.clusterIdentifier
        ? { clusterIdentifier: settings.clusterIdentifier }
        : { workgroupName: settings.workgroupName }),
      database: settings.database,
    },
    settings: {
      iterations: settings.iterations,
      warmup: settings.warmup,
      resultCache: settings.resultCache,
      ...(settings.queryGroup ? { queryGroup: settings.queryGroup } : {}),
    },
    queries,
  }
}

/** The JSON `report` output: every query's statistics and verdict. */
export function buildReport(evaluation: Evaluation, resultsFile: string) {
  return {
    resultsFile,
    regressions: evaluation.regressions,
    improvements: evaluation.improvements,
    findings: evaluation.findings,
    missing: evaluation.missing,
    queries: evaluation.queries.map((q) => ({
      name: q.name,
      verdict: q.comparison.verdict,
      medianMs: round(q.stats.median),
      p95Ms: round(q.stats.p95),
      minMs: round(q.stats.min),
      maxMs: round(q.stats.max),
      madMs: round(q.stats.mad),
      runs: q.stats.runs,
      baselineMedianMs: q.comparison.baselineMedian === undefined ? null : round(q.comparison.baselineMedian),
      change: q.comparison.change === undefined ? null : Number(q.comparison.change.toFixed(4)),
      pValue: q.comparison.pValue === undefined ? null : Number(q.comparison.pValue.toPrecision(3)),
      sqlChanged: q.sqlChanged,
      scan: q.scan,
    })),
  }
}

export function round(ms: number): number {
  return Number(ms.toFixed(3))
}
