/**
 * Where each measured run's time went: queue, compile and execution, from the
 * engine's query history, by Redshift query id.
 *
 * - Serverless workgroups: SYS_QUERY_HISTORY, one row per query, with
 *   `queue_time`, `compile_time` and `execution_time` in microseconds (execution
 *   apart from queue, compile and planning time).
 * - Provisioned clusters: STL_WLM_QUERY (`total_queue_time`, `total_exec_time`,
 *   microseconds) and SVL_COMPILE, one row per segment with `compile` 1 when the
 *   segment was compiled, 0 when it came from the cache, and its `starttime` and
 *   `endtime`. Compiling happens while the query executes, so execution is
 *   `total_exec_time` less the compile time.
 */

export interface RunTiming {
  queueMs: number
  compileMs: number
  executionMs: number
}

export function queryHistorySql(serverless: boolean, queryIds: readonly number[]): string {
  const ids = queryIds.filter((id) => Number.isSafeInteger(id)).join(', ')
  if (serverless) {
    return `SELECT query_id AS query, queue_time AS queue_us, compile_time AS compile_us, execution_time AS execution_us FROM sys_query_history WHERE query_id IN (${ids})`
  }
  const compiled = `SELECT query, SUM(CASE WHEN compile = 1 THEN DATEDIFF('microsecond', starttime, endtime) ELSE 0 END) AS compile_us FROM svl_compile WHERE query IN (${ids}) GROUP BY query`
  return `SELECT w.query, w.total_queue_time AS queue_us, COALESCE(c.compile_us, 0) AS compile_us, w.total_exec_time - COALESCE(c.compile_us, 0) AS execution_us FROM stl_wlm_query w LEFT JOIN (${compiled}) c ON c.query = w.query WHERE w.query IN (${ids})`
}

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null
  const n = Number(value)
  return Number.isFinite(n) ? n : null
}

/** Maps the rows of queryHistorySql to timings by query id. */
export function parseHistoryRows(rows: ReadonlyArray<Record<string, unknown>>): Map<number, RunTiming> {
  const out = new Map<number, RunTiming>()
  for (const row of rows) {
    const query = toNumber(row.query)
    const execution = toNumber(row.execution_us)
    if (query === null || execution === null) continue
    out.set(query, {
      queueMs: Math.max(0, toNumber(row.queue_us) ?? 0) / 1000,
      compileMs: Math.max(0, toNumber(row.compile_us) ?? 0) / 1000,
      executionMs: Math.max(0, execution) / 1000,
    })
  }
  return out
}
