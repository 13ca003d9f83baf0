import type { Settings } from '../../../actions/spectrum-benchmark/src/input-helper.js'
import { evaluate } from '../../../actions/spectrum-benchmark/src/evaluate.js'
import { buildResultsFile } from '../../../actions/spectrum-benchmark/src/plan.js'
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
  planChanges: 'report',
  historyBaseline: 0,
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
    expect(md.split('\n')[0]).toBe(
      '## ❌ Spectrum benchmark on cluster `poc` failed: 1 of 2 queries regressed (median slower by more than 10%, significant at p < 0.05): q1.',
    )
    expect(md).toContain('`baseline` b.json · `max-regression` 10%')
    // The regression is listed right under the outcome, before the timings.
    expect(md.indexOf('| q1 | 130 ms | 100 ms | +30% | 0.004 |')).toBeLessThan(md.indexOf('### Timings'))
    expect(md).toMatch(/\| q1 \| 5 \| 130 ms \| .* \| 100 ms \| \+30% \| 0\.004 \| 🔴 regressed \|/)
    expect(md).toContain('| q\\|2 |')
    // This run as bars, the baseline as a line: never two bars at one x.
    expect(md).toContain('x-axis ["q1", "q|2"]')
    expect(md).toContain('  bar "this run" [130, 10]')
    expect(md).toContain('  line "baseline" [100, 10]')
    expect(md.match(/^ {2}bar /gm)).toHaveLength(1)
    expect(md).toContain('| q1 | 3.0 MB | 10 | 1 | 4 | - | 4 |')
  })

  it('shortens long query names on the chart axis and keys them in the tables', () => {
    const long = {
      ...settings,
      queries: ['01-revenue-flat-surrogate-keys', '02-revenue-partition-customer'].map((name) => ({
        ...settings.queries[0]!,
        name,
      })),
    }
    const evaluation = evaluate(
      long,
      new Map([
        ['01-revenue-flat-surrogate-keys', [30]],
        ['02-revenue-partition-customer', [10]],
      ]),
      new Map(),
    )
    const md = renderSummary(long, evaluation)
    expect(md).toContain('x-axis ["Q1", "Q2"]')
    expect(md).toContain('| **Q1** 01-revenue-flat-surrogate-keys |')
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
    const md = renderSummary(settings, evaluation)
    expect(md).toMatch(
      /^## ✅ Spectrum benchmark on cluster `poc` passed: 2 queries timed; no baseline to compare with\./,
    )
    expect(md).not.toContain('Baseline median')
  })

  it('shows a plan change as text: the query literals in its filters open no HTML and mention no one', () => {
    const plan = (filter: string) => [
      'XN S3 Query Scan t  (cost=0.00..1.00 rows=1 width=1)',
      '  ->  S3 Seq Scan spectrum.t t location:"s3://b/t" format:PARQUET  (cost=0.00..1.00 rows=1 width=1)',
      `        Filter: ${filter}`,
    ]
    const one = { ...settings, queries: settings.queries.slice(0, 1) }
    const base = buildResultsFile(one, new Map([['q1', [1, 1, 1]]]), new Map(), new Date(0), {
      plans: new Map([['q1', plan("(name = 'a')")]]),
    })
    const withBaseline = { ...one, baseline: { path: 'b.json', results: base } }
    const evaluation = evaluate(withBaseline, new Map([['q1', [1, 1, 1]]]), new Map(), {
      plans: new Map([['q1', plan("(name = '<img src=x>@team')")]]),
    })
    const md = renderSummary(withBaseline, evaluation)
    expect(md.split('\n')[0]).toContain('⚠️')
    expect(md).toContain("changed to (name = '&lt;img src=x&gt;@\u200bteam')")
    expect(md).not.toContain('<img')
  })

  it('renders a failure with the statement and the error', () => {
    const md = renderFailure("Query 'x'", 'ERROR: boom')
    expect(md).toMatch(/^## ❌ Spectrum benchmark failed: Query 'x' failed, so no query was compared\./)
    expect(md).toContain('```\nERROR: boom\n```')
  })
})

describe('ms', () => {
  it('formats by size', () => {
    expect([ms(1.234), ms(12.34), ms(123.4), ms(1234)]).toEqual(['1.23 ms', '12.3 ms', '123 ms', '1.23 s'])
  })
})
