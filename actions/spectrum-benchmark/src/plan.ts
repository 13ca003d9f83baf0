import type { Measurements } from './evaluate.js'
import type { QueryFile, Settings } from './input-helper.js'
import { RESULTS_FORMAT, type QueryResult, type ResultsFile, type ScanStats } from './results.js'
import { sqlString } from './sql.js'
import { summarize } from './stats.js'

/**
 * Whose SQL a run is: this change's (`current`), or with interleave the base
 * branch's (`base`, the baseline) and the base's again (`base-again`, the A/A
 * series that measures the noise).
 */
export type Side = 'current' | 'base' | 'base-again'

export interface Run {
  query: QueryFile
  /** Warm-up runs fill caches and are discarded. */
  kind: 'warmup' | 'measure'
  round: number
  side: Side
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
export function schedule(
  queries: readonly QueryFile[],
  warmup: number,
  iterations: number,
  baseQueries?: readonly QueryFile[],
): Run[] {
  if (baseQueries) return interleaved(queries, baseQueries, warmup, iterations)
  const runs: Run[] = []
  for (let round = 0; round < warmup; round++)
    for (const query of queries) runs.push({ query, kind: 'warmup', round, side: 'current' })
  for (let round = 0; round < iterations; round++)
    for (const query of queries) runs.push({ query, kind: 'measure', round, side: 'current' })
  return runs
}

/**
 * Interleaved rounds: each query's base SQL, its current SQL, then the base SQL
 * again (A B A'), query after query, so both versions see the same minute of the
 * warehouse and A against A' shows how much the same SQL moves by itself. Warm-up
 * rounds run A and B once each.
 */
function interleaved(
  queries: readonly QueryFile[],
  baseQueries: readonly QueryFile[],
  warmup: number,
  iterations: number,
): Run[] {
  const base = new Map(baseQueries.map((q) => [q.name, q]))
  const current = new Map(queries.map((q) => [q.name, q]))
  const names = [...new Set([...queries.map((q) => q.name), ...baseQueries.map((q) => q.name)])].sort()
  const runs: Run[] = []
  const add = (kind: Run['kind'], round: number, sides: readonly Side[]) => {
    for (const name of names)
      for (const side of sides) {
        const query = side === 'current' ? current.get(name) : base.get(name)
        if (query) runs.push({ query, kind, round, side })
      }
  }
  for (let round = 0; round < warmup; round++) add('warmup', round, ['base', 'current'])
  for (let round = 0; round < iterations; round++) add('measure', round, ['base', 'current', 'base-again'])
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
    runs: schedule(settings.queries, settings.warmup, settings.iterations, settings.interleave?.baseQueries),
    notes,
  }
}

export function describePlan(settings: Settings, plan: Plan): string[] {
  const target = settings.clusterIdentifier
    ? `cluster ${settings.clusterIdentifier}`
    : `workgroup ${settings.workgroupName}`
  const measured = plan.runs.filter((r) => r.kind === 'measure').length
  const perQuery = settings.interleave ? ' per query and side' : ' per query'
  return [
    `Plan: ${settings.queries.length} queries on ${target}, database ${settings.database} (${settings.region})`,
    `  session: ${plan.sessionSettings.join('; ')}`,
    ...(plan.setupSql.length > 0 ? [`  setup: ${plan.setupSql.length} statements, once`] : []),
    `  runs: ${settings.warmup} warm-up + ${settings.iterations} measured${perQuery}, in rounds (${plan.runs.length} statements, ${measured} measured)`,
    `  queries: ${settings.queries.map((q) => q.name).join(', ')}`,
    settings.interleave
      ? `  baseline: the base branch's queries (${settings.interleave.baseQueries.length}), interleaved A B A' in every round; regression: median slower by more than ${formatPercent(settings.maxRegression)} and than the A/A noise, and significant (p < 0.05)`
      : settings.baseline
        ? `  baseline: ${settings.baseline.path} (${settings.baseline.results.queries.length} queries); regression: median slower by more than ${formatPercent(settings.maxRegression)} and significant (p < 0.05)`
        : settings.baselineMissing
          ? `  baseline: none at ${settings.baselineMissing}; timings are reported without comparison`
          : '  baseline: none given; timings are reported without comparison',
    `  plans: EXPLAIN of every query, compared with the baseline's (plan-changes: ${settings.planChanges ?? 'report'})`,
    settings.maxScanGrowth === undefined
      ? '  scans: growth in bytes scanned is reported (no max-scan-growth)'
      : `  scans: bytes scanned growing by more than ${formatPercent(settings.maxScanGrowth)} fails (max-scan-growth)`,
    ...plan.notes.map((n) => `  note: ${n}`),
  ]
}

export function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(1))}%`
}

export function buildResultsFile(
  settings: Settings,
  durations: ReadonlyMap<string, number[]>,
  scans: ReadonlyMap<string, ScanStats | null>,
  now: Date,
  extra: Pick<Measurements, 'plans' | 'timings'> = {},
  queryFiles: readonly QueryFile[] = settings.queries,
): ResultsFile {
  const queries: QueryResult[] = queryFiles
    .filter((q) => (durations.get(q.name) ?? []).length > 0)
    .map((q) => {
      const samples = durations.get(q.name)!
      const plan = extra.plans?.get(q.name)
      const timings = extra.timings?.get(q.name)
      return {
        name: q.name,
        file: q.file,
        sha256: q.sha256,
        durationsMs: samples,
        stats: summarize(samples),
        scan: scans.get(q.name) ?? null,
        ...(plan ? { plan } : {}),
        ...(timings ? { timings } : {}),
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
      ...(settings.interleave ? { interleave: true } : {}),
    },
    queries,
  }
}
