import { median } from 'simple-statistics'
import { RESULTS_FORMAT, type QueryResult, type QueryTimings, type ResultsFile } from './results.js'
import { summarize } from './stats.js'

/**
 * The default branch's earlier runs: results files kept by the workflow as an
 * artifact series (one artifact a run), oldest first. They draw each query's
 * trend, and with `history-baseline: N` the last N of them are the baseline.
 */
export interface HistoryRun {
  path: string
  results: ResultsFile
}

/** Oldest first, by the time each run wrote its results. */
export function orderHistory(runs: readonly HistoryRun[]): HistoryRun[] {
  return [...runs].sort(
    (a, b) => a.results.createdAt.localeCompare(b.results.createdAt) || a.path.localeCompare(b.path),
  )
}

/** The time a run's query took, as the gate judges it: execution time where the run has it. */
export function runMedian(q: QueryResult): number {
  const execution = q.timings?.executionMs
  return execution && execution.length > 0 ? median([...execution]) : q.stats.median
}

function pooledTimings(runs: readonly QueryResult[]): QueryTimings | undefined {
  if (!runs.every((r) => r.timings && r.timings.executionMs.length === r.durationsMs.length)) return undefined
  return {
    queueMs: runs.flatMap((r) => r.timings!.queueMs),
    compileMs: runs.flatMap((r) => r.timings!.compileMs),
    executionMs: runs.flatMap((r) => r.timings!.executionMs),
  }
}

/**
 * A baseline made of the last `n` runs: each query's runs pooled (so its median
 * is the median of the last n runs' measurements and the statistical test sees
 * every one of them), its plan and scan from the newest run that has the query.
 */
export function historyBaseline(runs: readonly HistoryRun[], n: number): ResultsFile {
  const last = orderHistory(runs).slice(-n)
  const newest = last.at(-1)!.results
  const names = [...new Set(last.flatMap((r) => r.results.queries.map((q) => q.name)))]
  const queries: QueryResult[] = names.map((name) => {
    const seen = last.flatMap((r) => r.results.queries.filter((q) => q.name === name))
    const latest = seen.at(-1)!
    const durationsMs = seen.flatMap((q) => q.durationsMs)
    const timings = pooledTimings(seen)
    return {
      ...latest,
      durationsMs,
      stats: summarize(durationsMs),
      ...(timings ? { timings } : { timings: undefined }),
    }
  })
  return {
    format: RESULTS_FORMAT,
    createdAt: newest.createdAt,
    target: newest.target,
    settings: newest.settings,
    queries,
  }
}

const BARS = '▁▂▃▄▅▆▇█'

/** A sparkline of the values, scaled between their least and greatest. */
export function sparkline(values: readonly number[]): string {
  const lo = Math.min(...values)
  const hi = Math.max(...values)
  return values
    .map((v) => BARS[hi > lo ? Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1)) : 0])
    .join('')
}

export interface Trend {
  query: string
  /** The earlier runs' times, oldest first (a run without the query is left out). */
  earlier: number[]
  current: number
}

/** Each query's time over the history and this run. */
export function trends(
  runs: readonly HistoryRun[],
  current: ReadonlyArray<{ name: string; median: number }>,
): Trend[] {
  const ordered = orderHistory(runs)
  return current.map((q) => ({
    query: q.name,
    earlier: ordered.flatMap((r) => r.results.queries.filter((x) => x.name === q.name).map(runMedian)),
    current: q.median,
  }))
}
