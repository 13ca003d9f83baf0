import { max, medianAbsoluteDeviation, median, min, quantileSorted } from 'simple-statistics'

/** Summary statistics of one query's measured runs, in milliseconds. */
export interface RunStats {
  runs: number
  median: number
  p95: number
  min: number
  max: number
  /** Median absolute deviation: a spread that one slow outlier does not inflate. */
  mad: number
}

export function summarize(samples: readonly number[]): RunStats {
  if (samples.length === 0) throw new Error('No samples to summarize')
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    runs: samples.length,
    median: median(sorted),
    p95: quantileSorted(sorted, 0.95),
    min: min(sorted),
    max: max(sorted),
    mad: medianAbsoluteDeviation(sorted),
  }
}

/** Mid-ranks (1-based) of the pooled samples; tied values share their average rank. */
function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0])
  const out = new Array<number>(values.length)
  for (let i = 0; i < order.length;) {
    let j = i
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++
    const rank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) out[order[k]![1]] = rank
    i = j + 1
  }
  return out
}

function combinations(n: number, k: number): number {
  let c = 1
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i
  return c
}

/** Standard normal upper tail, P(Z >= z) (Abramowitz-Stegun 7.1.26 erfc approximation). */
function normalUpperTail(z: number): number {
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * x)
  const erfc =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
    Math.exp(-x * x)
  return z >= 0 ? erfc / 2 : 1 - erfc / 2
}

const EXACT_LIMIT = 200_000

/**
 * One-sided Mann-Whitney U test: the probability of a rank sum of `current` at
 * least as large as observed if both samples came from the same distribution
 * (small p: current is stochastically larger, i.e. slower). Exact by
 * enumerating every split of the pooled ranks while that is cheap (5 vs 5 runs:
 * 252 splits, smallest p 1/252), normal approximation with tie correction beyond.
 */
export function mannWhitneyGreater(current: readonly number[], baseline: readonly number[]): number {
  const n1 = current.length
  const n2 = baseline.length
  if (n1 === 0 || n2 === 0) return 1
  const pooled = [...current, ...baseline]
  const r = ranks(pooled)
  const observed = r.slice(0, n1).reduce((a, b) => a + b, 0)
  const total = combinations(n1 + n2, n1)
  if (total <= EXACT_LIMIT) {
    let atLeast = 0
    const eps = 1e-9
    const walk = (start: number, left: number, sum: number) => {
      if (left === 0) {
        if (sum >= observed - eps) atLeast++
        return
      }
      for (let i = start; i <= r.length - left; i++) walk(i + 1, left - 1, sum + r[i]!)
    }
    walk(0, n1, 0)
    return atLeast / total
  }
  const n = n1 + n2
  const u = observed - (n1 * (n1 + 1)) / 2
  const mean = (n1 * n2) / 2
  const counts = new Map<number, number>()
  for (const v of pooled) counts.set(v, (counts.get(v) ?? 0) + 1)
  let ties = 0
  for (const t of counts.values()) ties += t ** 3 - t
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)))
  if (variance <= 0) return 1
  return normalUpperTail((u - mean - 0.5) / Math.sqrt(variance))
}

export type Verdict = 'regressed' | 'improved' | 'unchanged' | 'new'

export interface Comparison {
  verdict: Verdict
  /** Relative change of the median: 0.3 = 30% slower, -0.2 = 20% faster. */
  change?: number
  /** One-sided p-value in the direction of the change. */
  pValue?: number
  baselineMedian?: number
}

export const SIGNIFICANCE = 0.05

/**
 * The speed-up that mirrors a slowdown limit: slower by more than `maxRegression`
 * means a median above (1 + maxRegression) times the baseline's, so faster means
 * a median below 1 / (1 + maxRegression) times it (10%: 9.1% faster; 300%: four
 * times as fast). Unlike -maxRegression it is reachable for every limit.
 */
export function improvementLimit(maxRegression: number): number {
  return 1 / (1 + maxRegression) - 1
}

/**
 * A query regresses only when its median is slower than the baseline's by more
 * than `maxRegression` (a fraction) AND the runs differ significantly; a large
 * change on runs that overlap, or a significant change of a few percent, is
 * noise for a merge gate. Improvements are judged the same way, against the
 * mirrored limit (improvementLimit). The p-value is always the one-sided one in
 * the direction the median moved, so a clear speed-up shows a small p too.
 */
export function compareRuns(
  current: readonly number[],
  baseline: readonly number[] | undefined,
  maxRegression: number,
  alpha = SIGNIFICANCE,
): Comparison {
  if (!baseline || baseline.length === 0) return { verdict: 'new' }
  const cur = median([...current])
  const base = median([...baseline])
  const change = base > 0 ? cur / base - 1 : cur > 0 ? Infinity : 0
  const pValue = change < 0 ? mannWhitneyGreater(baseline, current) : mannWhitneyGreater(current, baseline)
  const significant = pValue < alpha
  const verdict =
    change > maxRegression && significant
      ? 'regressed'
      : change < improvementLimit(maxRegression) && significant
        ? 'improved'
        : 'unchanged'
  return { verdict, change, pValue, baselineMedian: base }
}
