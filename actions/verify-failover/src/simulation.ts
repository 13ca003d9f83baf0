import type { Check } from './checks.js'
import { regionDistance } from './geo.js'
import { distinctRegions, isMonitored, type RoutedRecord } from './records.js'

/**
 * The records Route 53 answers a query with, given which records it considers
 * healthy (Route 53 Developer Guide, "How Amazon Route 53 chooses records when
 * health checking is configured"):
 * - a record without a health check is always healthy;
 * - when no record of the group is healthy, all of them are treated as healthy;
 * - failover: the primary while it is healthy, else the secondary;
 * - latency: the healthy record of the region closest to the resolver;
 * - weighted: the healthy records of non-zero weight (zero-weight ones only when
 *   none of those is healthy), any of which may be chosen;
 * - multivalue: up to eight healthy records.
 */
export function routeAnswer(
  records: readonly RoutedRecord[],
  isHealthy: (record: RoutedRecord) => boolean,
  resolverRegion?: string,
): RoutedRecord[] {
  if (records.length === 0) return []
  const healthy = records.filter(isHealthy)
  const pool = healthy.length > 0 ? healthy : [...records]
  const policy = records[0]!.policy
  switch (policy) {
    case 'failover': {
      const primary = pool.find((r) => r.failover === 'PRIMARY')
      return [primary ?? pool.find((r) => r.failover === 'SECONDARY') ?? pool[0]!]
    }
    case 'latency': {
      if (!resolverRegion) return pool
      const sorted = [...pool].sort(
        (a, b) => regionDistance(resolverRegion, a.region) - regionDistance(resolverRegion, b.region),
      )
      return [sorted[0]!]
    }
    case 'weighted': {
      const weighted = pool.filter((r) => (r.weight ?? 0) > 0)
      if (weighted.length > 0) return weighted
      const zero = healthy.filter((r) => (r.weight ?? 0) === 0)
      return zero.length > 0 ? zero : pool
    }
    case 'multivalue':
      return pool.slice(0, 8)
    default:
      return pool
  }
}

export interface SimulationCase {
  failed: string[]
  /** Per resolver location (latency routing) or `any`: the regions Route 53 would answer with that still serve. */
  answers: Array<{ resolver: string; answer: string[]; serving: string[] }>
  passed: boolean
}

export function* combinations<T>(items: readonly T[], size: number, start = 0): Generator<T[]> {
  if (size === 0) {
    yield []
    return
  }
  for (let i = start; i <= items.length - size; i++) {
    for (const rest of combinations(items, size - 1, i + 1)) yield [items[i]!, ...rest]
  }
}

/**
 * In the spirit of Route 53 Infima: for every failure of up to `depth` regions
 * (on top of what Route 53 sees as unhealthy now), work out which records Route
 * 53 would answer with, from each resolver location that matters, and whether
 * any of them still points at a serving region. A region that fails while its
 * record has no health check keeps being answered: that answer is dead. Losing
 * every region is not simulated (depth is capped at regions - 1), since no
 * configuration survives it.
 */
export function simulate(
  records: readonly RoutedRecord[],
  healthyNow: (record: RoutedRecord) => boolean,
  depth: number,
): SimulationCase[] {
  const regions = distinctRegions(records)
  const maxDepth = Math.min(depth, regions.length - 1)
  const resolvers = records[0]?.policy === 'latency' ? regions : ['any']
  const cases: SimulationCase[] = []
  for (let size = 0; size <= Math.max(0, maxDepth); size++) {
    for (const failed of combinations(regions, size)) {
      const down = new Set(failed)
      const serves = (r: RoutedRecord) => !down.has(r.region) && (!isMonitored(r) || healthyNow(r))
      // What Route 53 can see: a monitored record is unhealthy when its region is down or it is unhealthy now.
      const seenHealthy = (r: RoutedRecord) => (isMonitored(r) ? serves(r) : true)
      const answers = resolvers.map((resolver) => {
        const answer = routeAnswer(records, seenHealthy, resolver === 'any' ? undefined : resolver)
        return {
          resolver,
          answer: [...new Set(answer.map((r) => r.region))],
          serving: [...new Set(answer.filter(serves).map((r) => r.region))],
        }
      })
      cases.push({ failed, answers, passed: answers.every((a) => a.serving.length > 0) })
    }
  }
  return cases
}

export function simulationChecks(cases: readonly SimulationCase[]): Check[] {
  return cases.map((c) => {
    const dead = c.answers.filter((a) => a.serving.length === 0)
    const detail = c.passed
      ? c.answers
          .map((a) =>
            a.resolver === 'any' ? a.serving.join(', ') : `${a.resolver} -> ${a.serving.join(', ')}`,
          )
          .join('; ')
      : dead
          .map(
            (a) =>
              `${a.resolver === 'any' ? 'answer' : `resolver near ${a.resolver}`}: ${a.answer.join(', ') || 'nothing'} (not serving)`,
          )
          .join('; ')
    return {
      category: 'simulation' as const,
      name:
        c.failed.length === 0
          ? 'Answer with no region failed'
          : `Answer with ${c.failed.length} region(s) failed`,
      subject: c.failed.length === 0 ? 'none' : c.failed.join(' + '),
      passed: c.passed,
      detail,
    }
  })
}
