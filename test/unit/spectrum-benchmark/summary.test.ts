import type { Settings } from '../../../actions/spectrum-benchmark/src/input-helper.js'
import { buildResultsFile, evaluate } from '../../../actions/spectrum-benchmark/src/plan.js'
import { ms, renderFailure, renderSummary } from '../../../actions/spectrum-benchmark/src/summary.js'

const settings: Settings = {
  region: 'eu-west-1',
  clusterIdentifier: 'poc',
  database: 'dev',
  queries: ['q1', 'q|2'].map((name) => ({
    name,
    file: `${name}.sql`,
    sql: 'SELECT 1',
    sha256: 'a'.repeat(64),
  })),
  setupSql: [],
  iterations: 5,
  warmup: 1,
  resultCache: false,
  maxRegression: 0.1,
  resultsFile: '/ws/r.json',
  resultsFileRelative: 'r.json',
  queryTimeoutSeconds: 60,
  scanStats: true,
}

describe('renderSummary', () => {
  it('shows a table per query, a bar chart of baseline and current medians and the verdicts', () => {
    const base = buildResultsFile(
      settings,
      new Map([
        ['q1', [100, 101, 99, 100, 102]],
        ['q|2', [10, 11, 9, 10, 10]],
      ]),
      new Map(),
      new Date(0),
    )
    const withBaseline = { ...settings, baseline: { path: 'b.json', results: base } }
    const evaluation = evaluate(
      withBaseline,
      new Map([
        ['q1', [130, 131, 129, 130, 132]],
        ['q|2', [10, 10, 10, 11, 9]],
      ]),
      new Map([
        ['q1', { bytesScanned: 3 * 1024 * 1024, rowsScanned: 10, rowsReturned: 1, files: 4, parallelism: 4 }],
      ]),
    )
    const md = renderSummary(withBaseline, evaluation)
    expect(md).toContain('1 of 2 queries regressed**: q1')
    expect(md).toMatch(/\| q1 \| 5 \| 130 ms \| .* \| 100 ms \| \+30% \| 0\.004 \| :red_circle: regressed \|/)
    expect(md).toContain('| q\\|2 |')
    expect(md).toContain('xychart-beta')
    expect(md).toContain('x-axis ["q1", "q|2"]')
    expect(md).toContain('bar [100, 10]')
    expect(md).toContain('bar [130, 10]')
    expect(md).toContain('| q1 | 3.0 MB | 10 | 1 | 4 | 4 |')
  })

  it('says when there is no baseline', () => {
    const evaluation = evaluate(
      settings,
      new Map([
        ['q1', [1]],
        ['q|2', [2]],
      ]),
      new Map(),
    )
    expect(renderSummary(settings, evaluation)).toContain('No baseline: timings only.')
  })

  it('renders a failure with the statement and the error', () => {
    expect(renderFailure("Query 'x'", 'ERROR: boom')).toContain("**Query 'x'** failed")
  })
})

describe('ms', () => {
  it('formats by size', () => {
    expect([ms(1.234), ms(12.34), ms(123.4), ms(1234)]).toEqual(['1.23 ms', '12.3 ms', '123 ms', '1.23 s'])
  })
})
