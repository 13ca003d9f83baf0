import fc from 'fast-check'
import {
  compareRuns,
  improvementLimit,
  mannWhitneyGreater,
  summarize,
} from '../../../actions/spectrum-benchmark/src/stats.js'
import { mulberry32 } from '../../support/random.js'

/** Runs around `center` with a relative noise of up to +-`noise`. */
function runs(random: () => number, center: number, noise: number, n = 5): number[] {
  return Array.from({ length: n }, () => center * (1 + (random() * 2 - 1) * noise))
}

describe('summarize', () => {
  it('gives median, p95, min, max and MAD', () => {
    expect(summarize([10, 12, 11, 50, 13])).toMatchObject({ runs: 5, median: 12, min: 10, max: 50, mad: 1 })
    // p95 interpolates between the two largest runs.
    expect(summarize([10, 12, 11, 50, 13]).p95).toBeCloseTo(42.6)
  })
  it('keeps one outlier from moving the median and the MAD much', () => {
    const calm = summarize([100, 101, 99, 100, 102])
    const spiky = summarize([100, 101, 99, 100, 1000])
    expect(spiky.median).toBe(calm.median)
    expect(spiky.mad).toBeLessThanOrEqual(calm.mad + 1)
  })
})

describe('mannWhitneyGreater', () => {
  it('is exact for 5 against 5 runs: complete separation gives 1/252', () => {
    expect(mannWhitneyGreater([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])).toBeCloseTo(1 / 252, 10)
    expect(mannWhitneyGreater([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])).toBe(1)
  })
  it('handles ties with mid-ranks', () => {
    expect(mannWhitneyGreater([5, 5, 5], [5, 5, 5])).toBe(1)
    expect(mannWhitneyGreater([2, 3, 3], [1, 1, 2])).toBeLessThan(0.2)
  })
  it('uses the normal approximation for large samples', () => {
    const random = mulberry32(7)
    const base = runs(random, 100, 0.05, 40)
    const slower = runs(random, 120, 0.05, 40)
    expect(mannWhitneyGreater(slower, base)).toBeLessThan(1e-6)
    expect(mannWhitneyGreater(base, slower)).toBeGreaterThan(0.99)
  })
})

describe('compareRuns', () => {
  it('flags a 30% slowdown of one query in 5 runs', () => {
    const random = mulberry32(42)
    const suite = ['q1', 'q2', 'q3', 'q4', 'q5'].map((name, i) => ({
      name,
      base: runs(random, 200 + i * 150, 0.03),
    }))
    const verdicts = suite.map(({ name, base }) => {
      const current = runs(
        random,
        (name === 'q3' ? 1.3 : 1) * (base.reduce((a, b) => a + b) / base.length),
        0.03,
      )
      return [name, compareRuns(current, base, 0.1).verdict]
    })
    expect(verdicts).toEqual([
      ['q1', 'unchanged'],
      ['q2', 'unchanged'],
      ['q3', 'regressed'],
      ['q4', 'unchanged'],
      ['q5', 'unchanged'],
    ])
  })

  it('never flags +-3% noise across all queries (property, many seeds)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.double({ min: 5, max: 50_000, noNaN: true }),
        (seed, center) => {
          const random = mulberry32(seed)
          const base = runs(random, center, 0.03)
          const current = runs(random, center, 0.03)
          return compareRuns(current, base, 0.1).verdict === 'unchanged'
        },
      ),
      { numRuns: 500 },
    )
  })

  it('does not flag a large change whose runs overlap (not significant)', () => {
    const result = compareRuns([100, 400, 120, 380, 150], [100, 110, 390, 105, 120], 0.1)
    expect(result.change).toBeGreaterThan(0.1)
    expect(result.verdict).toBe('unchanged')
  })

  it('does not flag a significant but small slowdown', () => {
    const result = compareRuns([105, 105.5, 106, 106.5, 107], [100, 100.5, 101, 101.5, 102], 0.1)
    expect(result.pValue).toBeLessThan(0.05)
    expect(result.verdict).toBe('unchanged')
  })

  it('reports improvements and queries without a baseline', () => {
    expect(compareRuns([50, 51, 52, 50, 49], [100, 101, 99, 100, 102], 0.1).verdict).toBe('improved')
    expect(compareRuns([50, 51], undefined, 0.1)).toEqual({ verdict: 'new' })
  })

  it('gives the p-value of the direction the median moved: a 32% speed-up does not show p = 1', () => {
    const base = [100, 101, 102, 103, 104]
    const faster = base.map((d) => d * 0.68)
    const result = compareRuns(faster, base, 3)
    expect(result.change).toBeCloseTo(-0.32, 5)
    expect(result.pValue).toBeCloseTo(1 / 252, 6)
    expect(result.verdict).toBe('unchanged')
    expect(compareRuns(faster, base, 0.1)).toMatchObject({ verdict: 'improved', pValue: 1 / 252 })
  })

  it.each([0.1, 0.5, 1, 3, 10])('can report an improvement whatever max-regression is (%s)', (limit) => {
    const base = [100, 101, 102, 103, 104]
    const ratio = (1 / (1 + limit)) * 0.9
    expect(improvementLimit(limit)).toBeGreaterThan(-1)
    expect(
      compareRuns(
        base.map((d) => d * ratio),
        base,
        limit,
      ).verdict,
    ).toBe('improved')
    expect(
      compareRuns(
        base.map((d) => d * (1 + limit) * 1.1),
        base,
        limit,
      ).verdict,
    ).toBe('regressed')
  })

  it('mirrors the slowdown limit for speed-ups: 10% slower, or about 9.1% faster', () => {
    expect(improvementLimit(0.1)).toBeCloseTo(-0.0909, 4)
    expect(improvementLimit(3)).toBe(-0.75)
  })

  it('cannot reach significance with fewer than 3 runs a side', () => {
    expect(compareRuns([300, 310], [100, 101], 0.1).verdict).toBe('unchanged')
  })
})
