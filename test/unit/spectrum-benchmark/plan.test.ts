import type { QueryFile, Settings } from '../../../actions/spectrum-benchmark/src/input-helper.js'
import { buildReport, evaluate } from '../../../actions/spectrum-benchmark/src/evaluate.js'
import {
  buildPlan,
  buildResultsFile,
  describePlan,
  schedule,
  sessionSettings,
} from '../../../actions/spectrum-benchmark/src/plan.js'
import {
  parseResults,
  serializeResults,
  type ScanStats,
} from '../../../actions/spectrum-benchmark/src/results.js'

const query = (name: string): QueryFile => ({
  name,
  file: `queries/${name}.sql`,
  sql: `SELECT '${name}'`,
  sha256: name.padEnd(64, '0'),
})

const settings: Settings = {
  region: 'eu-west-1',
  workgroupName: 'poc',
  database: 'dev',
  queries: [query('a'), query('b')],
  setupSql: [],
  iterations: 3,
  warmup: 1,
  resultCache: false,
  maxRegression: 0.1,
  resultsFile: '/ws/out.json',
  resultsFileRelative: 'out.json',
  queryTimeoutSeconds: 60,
  scanStats: true,
  planChanges: 'report',
  historyBaseline: 0,
}

const scan = (bytes: number, files = 1): ScanStats => ({
  bytesScanned: bytes,
  rowsScanned: bytes / 10,
  rowsReturned: 1,
  files,
  parallelism: files,
})

describe('schedule', () => {
  it('runs warm-up rounds first, then measured rounds that visit every query once', () => {
    const runs = schedule([query('a'), query('b')], 1, 2).map((r) => `${r.kind}:${r.query.name}:${r.round}`)
    expect(runs).toEqual([
      'warmup:a:0',
      'warmup:b:0',
      'measure:a:0',
      'measure:b:0',
      'measure:a:1',
      'measure:b:1',
    ])
  })
})

describe('sessionSettings', () => {
  it('turns the result cache off and sets a quoted query group', () => {
    expect(sessionSettings({ resultCache: false, queryGroup: "pr's 1" })).toEqual([
      'SET enable_result_cache_for_session TO off',
      "SET query_group TO 'pr''s 1'",
    ])
    expect(sessionSettings({ resultCache: true })).toEqual(['SET enable_result_cache_for_session TO on'])
  })
})

describe('buildPlan and describePlan', () => {
  it('notes when no difference could ever be significant', () => {
    expect(buildPlan({ ...settings, iterations: 2 }).notes[0]).toMatch(/Fewer than 3 runs/)
    expect(buildPlan(settings).notes).toEqual([])
  })
  it('prints the target, the runs and the baseline rule', () => {
    const text = describePlan(settings, buildPlan(settings)).join('\n')
    expect(text).toContain('2 queries on workgroup poc, database dev (eu-west-1)')
    expect(text).toContain('1 warm-up + 3 measured per query, in rounds (8 statements, 6 measured)')
    expect(text).toContain('baseline: none given')
  })
})

describe('evaluate', () => {
  const baselineFile = buildResultsFile(
    settings,
    new Map([
      ['a', [100, 101, 99, 100, 100]],
      ['b', [50, 51, 49, 50, 50]],
      ['gone', [1, 1, 1]],
    ]),
    new Map([['a', scan(1000, 2)]]),
    new Date(0),
  )
  baselineFile.queries.push({ ...baselineFile.queries[0]!, name: 'gone' })
  const withBaseline = { ...settings, baseline: { path: 'base.json', results: baselineFile } }

  it('flags the slow query (5 runs a side; 3 a side can never reach p < 0.05), reports scan jumps and queries missing from this run', () => {
    const evaluation = evaluate(
      withBaseline,
      new Map([
        ['a', [100, 102, 98, 100, 100]],
        ['b', [80, 81, 79, 80, 80]],
      ]),
      new Map([['a', scan(5000, 8)]]),
    )
    expect(evaluation.regressions).toEqual(['b'])
    expect(evaluation.findings).toEqual([
      { query: 'a', message: expect.stringContaining('bytes scanned rose from 1000 to 5000') },
    ])
    expect(evaluation.missing).toEqual(['gone'])
    const report = buildReport(evaluation, 'out.json')
    expect(report.queries.map((q) => [q.name, q.verdict, q.change])).toEqual([
      ['a', 'unchanged', 0],
      ['b', 'regressed', 0.6],
    ])
  })

  it('marks a query whose SQL changed since the baseline', () => {
    const changed = { ...withBaseline, queries: [{ ...query('a'), sha256: 'f'.repeat(64) }, query('b')] }
    const evaluation = evaluate(
      changed,
      new Map([
        ['a', [1, 1, 1]],
        ['b', [50, 50, 50]],
      ]),
      new Map(),
    )
    expect(evaluation.queries.map((q) => q.sqlChanged)).toEqual([true, false])
  })
})

describe('buildResultsFile', () => {
  it('writes a file that is valid as the next baseline', () => {
    const file = buildResultsFile(
      settings,
      new Map([
        ['a', [1, 2, 3]],
        ['b', [4, 5, 6]],
      ]),
      new Map(),
      new Date(0),
    )
    expect(parseResults(serializeResults(file))).toEqual(file)
    expect(file.target).toEqual({ workgroupName: 'poc', database: 'dev' })
    expect(file.queries.map((q) => q.stats.median)).toEqual([2, 5])
  })
})
