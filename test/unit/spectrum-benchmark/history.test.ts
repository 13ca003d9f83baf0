import {
  historyBaseline,
  orderHistory,
  sparkline,
  trends,
  type HistoryRun,
} from '../../../actions/spectrum-benchmark/src/history.js'
import { RESULTS_FORMAT, type QueryResult } from '../../../actions/spectrum-benchmark/src/results.js'
import { summarize } from '../../../actions/spectrum-benchmark/src/stats.js'

const query = (name: string, durationsMs: number[], executionMs?: number[]): QueryResult => ({
  name,
  file: `queries/${name}.sql`,
  sha256: 'a'.repeat(64),
  durationsMs,
  stats: summarize(durationsMs),
  scan: null,
  ...(executionMs
    ? { timings: { executionMs, compileMs: executionMs.map(() => 0), queueMs: executionMs.map(() => 0) } }
    : {}),
})

const run = (path: string, createdAt: string, queries: QueryResult[]): HistoryRun => ({
  path,
  results: {
    format: RESULTS_FORMAT,
    createdAt,
    target: { workgroupName: 'poc', database: 'dev' },
    settings: { iterations: 3, warmup: 0, resultCache: false },
    queries,
  },
})

const HISTORY = [
  run('h/3.json', '2026-12-03T00:00:00Z', [query('a', [30, 31, 32], [20, 21, 22]), query('b', [5, 5, 5])]),
  run('h/1.json', '2026-12-01T00:00:00Z', [query('a', [10, 11, 12], [9, 10, 11])]),
  run('h/2.json', '2026-12-02T00:00:00Z', [query('a', [20, 21, 22], [15, 16, 17]), query('b', [4, 4, 4])]),
]

describe('history', () => {
  it('orders the runs by the time they wrote their results', () => {
    expect(orderHistory(HISTORY).map((r) => r.path)).toEqual(['h/1.json', 'h/2.json', 'h/3.json'])
  })

  it('pools the last N runs into one baseline, execution times included', () => {
    const base = historyBaseline(HISTORY, 2)
    const a = base.queries.find((q) => q.name === 'a')!
    expect(a.durationsMs).toEqual([20, 21, 22, 30, 31, 32])
    expect(a.timings?.executionMs).toEqual([15, 16, 17, 20, 21, 22])
    expect(a.stats.median).toBe(26)
    expect(base.queries.find((q) => q.name === 'b')!.durationsMs).toEqual([4, 4, 4, 5, 5, 5])
    expect(base.createdAt).toBe('2026-12-03T00:00:00Z')
  })

  it('leaves timings out of the pool when a run had none', () => {
    const base = historyBaseline(HISTORY, 3)
    expect(base.queries.find((q) => q.name === 'b')!.timings).toBeUndefined()
  })

  it('draws each query over the runs, execution time where a run has it', () => {
    expect(trends(HISTORY, [{ name: 'a', median: 40 }])).toEqual([
      { query: 'a', earlier: [10, 16, 21], current: 40 },
    ])
    expect(sparkline([10, 16, 21, 40])).toBe('▁▂▄█')
    expect(sparkline([5, 5])).toBe('▁▁')
  })
})
