import { evaluate, failures } from '../../../actions/spectrum-benchmark/src/evaluate.js'
import type { QueryFile } from '../../../actions/spectrum-benchmark/src/input-helper.js'
import {
  RESULTS_FORMAT,
  type QueryResult,
  type QueryTimings,
  type ScanStats,
} from '../../../actions/spectrum-benchmark/src/results.js'
import { summarize } from '../../../actions/spectrum-benchmark/src/stats.js'

const q: QueryFile = { name: 'q', file: 'queries/q.sql', sql: 'SELECT 1', sha256: 'a'.repeat(64) }
const timings = (executionMs: number[], compileMs = 0): QueryTimings => ({
  executionMs,
  compileMs: executionMs.map(() => compileMs),
  queueMs: executionMs.map(() => 0),
})
const scan = (bytesScanned: number): ScanStats => ({
  bytesScanned,
  rowsScanned: bytesScanned / 10,
  rowsReturned: null,
  files: 1,
  parallelism: null,
})
const base = (result: Partial<QueryResult>) => ({
  path: 'base.json',
  results: {
    format: RESULTS_FORMAT,
    createdAt: '2026-12-01T00:00:00Z',
    target: { database: 'dev' },
    settings: { iterations: 5, warmup: 0, resultCache: false },
    queries: [
      {
        name: 'q',
        file: q.file,
        sha256: q.sha256,
        durationsMs: [100, 101, 99, 100, 100],
        stats: summarize([100, 101, 99, 100, 100]),
        scan: null,
        ...result,
      },
    ],
  },
})
const settings = (extra: object = {}) => ({ queries: [q], maxRegression: 0.1, ...extra })

describe('evaluate', () => {
  it('judges execution time when both sides have it: a cold compile is not a regression', () => {
    const evaluation = evaluate(
      settings({ baseline: base({ timings: timings([90, 91, 89, 90, 90]) }) }),
      new Map([['q', [500, 501, 499, 500, 500]]]),
      new Map(),
      { timings: new Map([['q', timings([90, 90, 91, 89, 90], 410)]]) },
    )
    expect(evaluation.queries[0]).toMatchObject({ basis: 'execution', comparison: { verdict: 'unchanged' } })
    expect(evaluation.regressions).toEqual([])
  })

  it('falls back to the Durations when the baseline has no execution times', () => {
    const evaluation = evaluate(
      settings({ baseline: base({}) }),
      new Map([['q', [150, 151, 149, 150, 150]]]),
      new Map(),
      {
        timings: new Map([['q', timings([100, 100, 100, 100, 100])]]),
      },
    )
    expect(evaluation.queries[0]!.basis).toBe('duration')
    expect(evaluation.regressions).toEqual(['q'])
  })

  it('flags a change only past the A/A noise as well as max-regression', () => {
    const slower = new Map([['q', [115, 116, 114, 115, 115]]])
    const quiet = evaluate(settings({ baseline: base({}) }), slower, new Map(), {
      baseAgain: new Map([['q', { durationsMs: [101, 100, 99, 100, 101] }]]),
    })
    expect(quiet.queries[0]!.noise).toBeCloseTo(0, 2)
    expect(quiet.regressions).toEqual(['q'])
    const noisy = evaluate(settings({ baseline: base({}) }), slower, new Map(), {
      baseAgain: new Map([['q', { durationsMs: [120, 121, 119, 120, 120] }]]),
    })
    expect(noisy.queries[0]!.noise).toBeCloseTo(0.2, 5)
    expect(noisy.regressions).toEqual([])
  })

  it('fails on bytes scanned past max-scan-growth, and on plan changes only with plan-changes: fail', () => {
    const plan = ['XN S3 Query Scan t  (cost=0.00..1.00 rows=1 width=1)']
    const changed = ['XN Seq Scan on t  (cost=0.00..1.00 rows=1 width=1)']
    const s = settings({
      baseline: base({ scan: scan(1000), plan }),
      maxScanGrowth: 0.1,
      planChanges: 'report',
    })
    const evaluation = evaluate(
      s,
      new Map([['q', [100, 100, 100, 100, 100]]]),
      new Map([['q', scan(1200)]]),
      {
        plans: new Map([['q', changed]]),
      },
    )
    expect(evaluation.scanGrowth).toEqual([
      { query: 'q', message: expect.stringContaining('from 1000 to 1200') },
    ])
    expect(evaluation.findings).toEqual([])
    expect(evaluation.planChanges).toEqual([
      { query: 'q', description: expect.stringContaining('steps appeared') },
    ])
    expect(failures(s, evaluation)).toEqual(['1 query scanned more than max-scan-growth allows: q'])
    expect(failures({ ...s, planChanges: 'fail' }, evaluation)).toHaveLength(2)
    expect(
      evaluate({ ...s, planChanges: 'ignore' }, new Map([['q', [1]]]), new Map(), {}).planChanges,
    ).toEqual([])
  })
})
