import {
  parseResults,
  RESULTS_FORMAT,
  ResultsFormatError,
  serializeResults,
  type ResultsFile,
} from '../../../actions/spectrum-benchmark/src/results.js'
import { summarize } from '../../../actions/spectrum-benchmark/src/stats.js'

const sample: ResultsFile = {
  format: RESULTS_FORMAT,
  createdAt: '2026-01-02T03:04:05.000Z',
  target: { workgroupName: 'poc', database: 'dev' },
  settings: { iterations: 3, warmup: 1, resultCache: false, queryGroup: 'pr-1' },
  queries: [
    {
      name: 'q1',
      file: 'queries/q1.sql',
      sha256: 'ab'.repeat(32),
      durationsMs: [10.5, 11.25, 9.75],
      stats: summarize([10.5, 11.25, 9.75]),
      scan: { bytesScanned: 1024, rowsScanned: 10, rowsReturned: 2, files: 3, parallelism: 3 },
    },
    {
      name: 'q2',
      file: 'queries/q2.sql',
      sha256: 'cd'.repeat(32),
      durationsMs: [1, 2, 3],
      stats: summarize([1, 2, 3]),
      scan: null,
    },
  ],
}

describe('results files', () => {
  it('round-trip: what is written parses back to the same results', () => {
    expect(parseResults(serializeResults(sample))).toEqual(sample)
  })
  it('round-trip twice gives the same text', () => {
    const text = serializeResults(sample)
    expect(serializeResults(parseResults(text))).toBe(text)
  })
  it.each([
    ['not JSON', '{', /not JSON/],
    ['a list', '[]', /not a JSON object/],
    ['another format', JSON.stringify({ ...sample, format: 'other/v9' }), /format is not/],
    ['queries missing', JSON.stringify({ format: RESULTS_FORMAT }), /queries is not a list/],
    [
      'a negative duration',
      JSON.stringify({ ...sample, queries: [{ ...sample.queries[0], durationsMs: [-1] }] }),
      /durationsMs/,
    ],
    [
      'no runs',
      JSON.stringify({ ...sample, queries: [{ ...sample.queries[0], durationsMs: [] }] }),
      /durationsMs/,
    ],
    [
      'a repeated query',
      JSON.stringify({ ...sample, queries: [sample.queries[0], sample.queries[0]] }),
      /listed twice/,
    ],
  ])('rejects %s', (_label, text, message) => {
    expect(() => parseResults(text)).toThrow(ResultsFormatError)
    expect(() => parseResults(text)).toThrow(message)
  })
})
