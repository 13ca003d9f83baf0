import { parseHistoryRows, queryHistorySql } from '../../../actions/spectrum-benchmark/src/query-history.js'

describe('query history', () => {
  it('reads SYS_QUERY_HISTORY on serverless, STL_WLM_QUERY less SVL_COMPILE on clusters', () => {
    expect(queryHistorySql(true, [5, 6])).toBe(
      'SELECT query_id AS query, queue_time AS queue_us, compile_time AS compile_us, execution_time AS execution_us FROM sys_query_history WHERE query_id IN (5, 6)',
    )
    const cluster = queryHistorySql(false, [5, 1.5])
    expect(cluster).toContain('FROM stl_wlm_query w')
    expect(cluster).toContain('w.total_exec_time - COALESCE(c.compile_us, 0) AS execution_us')
    expect(cluster).toContain(
      "SUM(CASE WHEN compile = 1 THEN DATEDIFF('microsecond', starttime, endtime) ELSE 0 END)",
    )
    expect(cluster).toContain('WHERE w.query IN (5)')
  })
  it('maps microseconds to milliseconds by query id and skips rows without an execution time', () => {
    const byId = parseHistoryRows([
      { query: 5, queue_us: '1500', compile_us: 250000, execution_us: 12000 },
      { query: 6, queue_us: 0, compile_us: 0, execution_us: null },
    ])
    expect([...byId]).toEqual([[5, { queueMs: 1.5, compileMs: 250, executionMs: 12 }]])
  })
})
