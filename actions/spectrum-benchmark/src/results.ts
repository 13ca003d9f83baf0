import type { RunStats } from './stats.js'

/**
 * The results file: what one run measured, written so that it can be the next
 * run's baseline (`baseline` input). Durations are the service's own
 * (DescribeStatement Duration), in milliseconds.
 */
export const RESULTS_FORMAT = 'spectrum-benchmark/v1'

export interface ScanStats {
  /** Bytes read from S3 by Spectrum. */
  bytesScanned: number
  rowsScanned: number
  /** Rows Spectrum returned to the cluster; null where the view has no such count (serverless). */
  rowsReturned: number | null
  files: number
  /** Peak S3 request parallelism per slice; null where the view has none (serverless). */
  parallelism: number | null
  /** Partitions of the external tables read, and those the query qualified (read); null when none is partitioned. */
  partitionsTotal?: number | null
  partitionsQualified?: number | null
}

/**
 * Where a query's time went, per measured run, in milliseconds, from the
 * engine's query history (SYS_QUERY_HISTORY on serverless; STL_WLM_QUERY and
 * SVL_COMPILE on clusters). Execution excludes compile and queue time, so a
 * cold compile cache or a busy queue does not read as a slower query.
 */
export interface QueryTimings {
  queueMs: number[]
  compileMs: number[]
  executionMs: number[]
}

export interface QueryResult {
  name: string
  /** Workspace-relative path of the .sql file. */
  file: string
  /** SHA-256 of the query text, so a changed query is visible next to its timing. */
  sha256: string
  durationsMs: number[]
  stats: RunStats
  /** Null when the engine gave none (not a Spectrum query, or scan-stats off). */
  scan: ScanStats | null
  /** The query's EXPLAIN, line by line, as Redshift printed it; absent when it could not be read. */
  plan?: string[]
  /** Queue, compile and execution time of the measured runs; absent when the views could not be read. */
  timings?: QueryTimings
}

export interface ResultsFile {
  format: typeof RESULTS_FORMAT
  createdAt: string
  target: { clusterIdentifier?: string; workgroupName?: string; database: string }
  settings: {
    iterations: number
    warmup: number
    resultCache: boolean
    queryGroup?: string
    /** The base branch's queries ran in the same window (A B A ...). */
    interleave?: boolean
  }
  queries: QueryResult[]
}

export function serializeResults(results: ResultsFile): string {
  return `${JSON.stringify(results, null, 2)}\n`
}

export class ResultsFormatError extends Error {}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new ResultsFormatError(what)
}

/** Parses and checks a results file; throws ResultsFormatError naming what is wrong. */
export function parseResults(text: string): ResultsFile {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new ResultsFormatError(`not JSON (${(error as Error).message})`)
  }
  check(data !== null && typeof data === 'object' && !Array.isArray(data), 'not a JSON object')
  const file = data as Partial<ResultsFile>
  check(file.format === RESULTS_FORMAT, `format is not ${RESULTS_FORMAT}`)
  check(Array.isArray(file.queries), 'queries is not a list')
  const names = new Set<string>()
  for (const [i, q] of file.queries.entries()) {
    check(q !== null && typeof q === 'object', `queries[${i}] is not an object`)
    check(typeof q.name === 'string' && q.name !== '', `queries[${i}].name is missing`)
    check(!names.has(q.name), `query ${q.name} is listed twice`)
    names.add(q.name)
    check(
      Array.isArray(q.durationsMs) &&
        q.durationsMs.length > 0 &&
        q.durationsMs.every((d) => isFiniteNumber(d) && d >= 0),
      `queries[${i}].durationsMs is not a list of durations`,
    )
    if (q.plan !== undefined)
      check(
        Array.isArray(q.plan) && q.plan.every((l) => typeof l === 'string'),
        `queries[${i}].plan is not a list of lines`,
      )
    if (q.timings !== undefined) {
      const t = q.timings as Partial<QueryTimings> | null
      check(
        t !== null &&
          typeof t === 'object' &&
          (['queueMs', 'compileMs', 'executionMs'] as const).every(
            (k) => Array.isArray(t[k]) && t[k].every((d) => isFiniteNumber(d) && d >= 0),
          ),
        `queries[${i}].timings is not queue, compile and execution times`,
      )
    }
    if (q.scan !== null && q.scan !== undefined) {
      check(isFiniteNumber(q.scan.bytesScanned), `queries[${i}].scan.bytesScanned is not a number`)
    }
  }
  return file as ResultsFile
}
