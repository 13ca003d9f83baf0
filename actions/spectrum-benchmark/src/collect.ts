import { describeError } from '../../../lib/aws.js'
import type { RegionLog } from '../../../lib/log.js'
import { AbortedError } from '../../../lib/poll.js'
import type { DataApiSession } from './data-api.js'
import { explainSql, planLines } from './explain.js'
import type { QueryFile } from './input-helper.js'
import { parseHistoryRows, queryHistorySql, type RunTiming } from './query-history.js'
import type { QueryTimings, ScanStats } from './results.js'
import { parseScanRows, scanStatsSql } from './scan-stats.js'

/**
 * What the benchmark reads besides its timings, after the measured runs, in the
 * same session: plans, scan statistics and the query history. Each is a help,
 * not a condition of the run: a missing view or grant is a warning and leaves
 * that part out, never fails the step (cancellation still stops it).
 */

/** Query ids per statement: the history is read in slices this long. */
const IDS_PER_STATEMENT = 200

async function optional<T>(log: RegionLog, what: string, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read()
  } catch (error) {
    if (error instanceof AbortedError) throw error
    log.warning(`${what} not available: ${describeError(error)}`)
    return undefined
  }
}

/** Each query's EXPLAIN, line by line. */
export async function collectPlans(
  session: DataApiSession,
  queries: readonly QueryFile[],
  log: RegionLog,
  label = '',
): Promise<Map<string, string[]>> {
  const plans = new Map<string, string[]>()
  for (const q of queries) {
    const lines = await optional(log, `The plan of '${q.name}'${label}`, async () => {
      const done = await session.execute(explainSql(q.sql), `EXPLAIN of '${q.name}'${label}`)
      return planLines(await session.rows(done.id))
    })
    if (lines && lines.length > 0) plans.set(q.name, lines)
  }
  return plans
}

/** Spectrum scan statistics of one run of each query, by query name. */
export async function collectScans(
  session: DataApiSession,
  serverless: boolean,
  queryIds: ReadonlyMap<string, number>,
  log: RegionLog,
): Promise<Map<string, ScanStats | null>> {
  const scans = new Map<string, ScanStats | null>()
  const ids = [...new Set(queryIds.values())]
  if (ids.length === 0) return scans
  const byId = await optional(log, 'Spectrum scan statistics are', async () => {
    const finished = await session.execute(scanStatsSql(serverless, ids), 'scan statistics')
    return parseScanRows(await session.rows(finished.id))
  })
  if (byId) for (const [name, id] of queryIds) scans.set(name, byId.get(id) ?? null)
  return scans
}

/**
 * Queue, compile and execution time of every measured run, by query name; a
 * query with a run the history does not know is left out (its gate falls back
 * to the statements' Durations).
 */
export async function collectTimings(
  session: DataApiSession,
  serverless: boolean,
  runIds: ReadonlyMap<string, readonly number[]>,
  log: RegionLog,
): Promise<Map<string, QueryTimings>> {
  const out = new Map<string, QueryTimings>()
  const ids = [...new Set([...runIds.values()].flat())]
  if (ids.length === 0) return out
  const byId = await optional(log, 'Queue, compile and execution times are', async () => {
    const all = new Map<number, RunTiming>()
    for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
      const slice = ids.slice(i, i + IDS_PER_STATEMENT)
      const finished = await session.execute(queryHistorySql(serverless, slice), 'query history')
      for (const [id, t] of parseHistoryRows(await session.rows(finished.id))) all.set(id, t)
    }
    return all
  })
  if (!byId) return out
  for (const [name, list] of runIds) {
    const runs = list.map((id) => byId.get(id))
    if (runs.length === 0 || runs.some((r) => r === undefined)) continue
    out.set(name, {
      queueMs: runs.map((r) => r!.queueMs),
      compileMs: runs.map((r) => r!.compileMs),
      executionMs: runs.map((r) => r!.executionMs),
    })
  }
  return out
}
