import {
  barChart,
  elapsedGantt,
  markdownTable,
  markdownText,
  renderLayout,
  tableBlock,
} from '../../../lib/summary.js'
import type { Drill } from './drill-step.js'
import type { DrillResult } from './drill.js'
import type { Check } from './checks.js'
import type { SimulationCase } from './simulation.js'

export interface Report {
  hostedZoneId: string
  recordName: string
  recordType: string
  regions: string[]
  healthyRegions: string[]
  passed: boolean
  /** Route 53's checkers per region, before any drill. */
  checkers: Array<{ region: string; successes: number; total: number }>
  checks: Check[]
  simulation: SimulationCase[]
  /** Probe targets on the runner's own network that were not requested, and why. */
  notProbed?: Array<{ region: string; target: string; reason: string }>
  /** Regions with an alias record whose target's health is not known: not counted in min-healthy. */
  unknownHealth?: string[]
  /** The inputs that shaped the drill, shown under the outcome. */
  drillInputs?: {
    stopAlarms: string[]
    vantagePoints: string[]
    maxFailoverSeconds?: number
    resolvers?: string[]
  }
  drill?: {
    region: string
    failoverSeconds?: number
    recoverySeconds?: number
    baseline: string[]
    duringFailover: string[]
    restore?: string
    /** Request interval x failure threshold + TTL of the drilled region's record. */
    predictedFailoverSeconds?: number
    prediction?: string
    vantage?: DrillResult['vantage']
    resolvers?: DrillResult['resolvers']
    stopped?: DrillResult['stopped']
  }
}

export function buildReport(
  parts: Omit<Report, 'passed' | 'drill'>,
  drill?: Pick<Drill, 'region' | 'result' | 'prediction'>,
): Report {
  return {
    ...parts,
    passed: parts.checks.every((c) => c.passed),
    drill: drill
      ? {
          region: drill.region,
          failoverSeconds: drill.result.failoverSeconds,
          recoverySeconds: drill.result.recoverySeconds,
          baseline: drill.result.baseline,
          duringFailover: drill.result.duringFailover,
          restore: drill.result.restore,
          predictedFailoverSeconds: drill.prediction?.seconds,
          prediction: drill.prediction?.detail,
          vantage: drill.result.vantage,
          resolvers: drill.result.resolvers,
          stopped: drill.result.stopped,
        }
      : undefined,
  }
}

const CATEGORY_TITLES: Record<Check['category'], string> = {
  configuration: 'Configuration',
  route53: 'Route 53',
  probe: 'Runner probe',
  simulation: 'Simulation',
  drill: 'Drill',
}

function checkRow(c: Check): unknown[] {
  return [CATEGORY_TITLES[c.category], c.name, c.subject, c.passed ? '✅ pass' : '❌ fail', c.detail]
}

const CHECK_HEADERS = ['Area', 'Check', 'Subject', 'Result', 'Detail']

function drillSentence(d: NonNullable<Report['drill']>): string {
  if (d.stopped)
    return `the drill of ${d.region} was stopped by alarm ${d.stopped.alarm} and its health check restored${d.stopped.restoreSeconds !== undefined ? ` ${d.stopped.restoreSeconds} s after the alarm` : ': failed'}`
  const predicted =
    d.predictedFailoverSeconds !== undefined ? ` (predicted ${d.predictedFailoverSeconds} s)` : ''
  const failover =
    d.failoverSeconds === undefined
      ? 'did not fail over'
      : `failed over in ${d.failoverSeconds} s${predicted}`
  const recovery = d.recoverySeconds === undefined ? 'did not recover' : `recovered in ${d.recoverySeconds} s`
  return `the drill of ${d.region} ${failover} and ${recovery}`
}

/** One row per vantage point, when the drill followed more than the default resolver. */
function vantageTable(vantage: DrillResult['vantage']): string | undefined {
  if (!vantage || vantage.length === 0 || (vantage.length === 1 && vantage[0]!.clientSubnet === null))
    return undefined
  return (
    '#### Vantage points\n\n' +
    markdownTable(
      ['Vantage point', 'Client subnet', 'Answer before', 'Answer during', 'Failover (s)', 'Recovery (s)'],
      vantage.map((v) => [
        v.name,
        v.clientSubnet ?? 'default resolver',
        v.answerBefore.join(', ') || '—',
        v.answerDuring.join(', ') || '—',
        v.failoverSeconds ?? 'not moved',
        v.recoverySeconds ?? '—',
      ]),
    )
  )
}

/** What the runner's resolvers answered, their caches included. */
function resolverTable(resolvers: DrillResult['resolvers']): string | undefined {
  if (!resolvers || resolvers.length === 0) return undefined
  return (
    "#### Resolvers (what clients' caches answer)\n\n" +
    markdownTable(
      ['Resolver', 'Answer before', 'Answer during', 'Failover (s)', 'Recovery (s)'],
      resolvers.map((r) => [
        r.resolver,
        r.answerBefore.join(', ') || '—',
        r.answerDuring.join(', ') || '—',
        r.failoverSeconds ?? 'not moved',
        r.recoverySeconds ?? '—',
      ]),
    )
  )
}

export function renderSummary(report: Report, drillBars: DrillResult['bars'] = []): string {
  const failedChecks = report.checks.filter((c) => !c.passed)
  const total = report.checks.length
  const drill = report.drill ? `; ${drillSentence(report.drill)}` : ''
  const sentence =
    failedChecks.length === 0
      ? `all ${total} checks passed${drill}.`
      : `${failedChecks.length} of ${total} checks failed, first ${failedChecks[0]!.name} (${failedChecks[0]!.subject})${drill}.`
  const details: Array<string | undefined> = []
  if (report.drill) {
    const d = report.drill
    const drillPassed = report.checks.filter((c) => c.category === 'drill').every((c) => c.passed)
    // A red bar says "this went wrong": only a failed drill draws one.
    const bars = drillBars.map((b) =>
      drillPassed && b.state === 'crit' ? { ...b, state: 'done' as const } : b,
    )
    details.push(
      `### Drill: ${d.region}\n\n` +
        markdownTable(
          ['Failover (s)', 'Predicted (s)', 'Recovery (s)', 'Answer before', 'Answer during', 'Health check'],
          [
            [
              d.failoverSeconds ?? '—',
              d.predictedFailoverSeconds ?? '—',
              d.recoverySeconds ?? '—',
              d.baseline.join(', ') || '—',
              d.duringFailover.join(', ') || '—',
              d.restore ?? '—',
            ],
          ],
        ) +
        (d.prediction ? `\n\nPredicted for a real failure: ${d.prediction}.` : '') +
        (d.stopped
          ? `\n\nStopped by alarm ${markdownText(d.stopped.alarm)} (${d.stopped.region}) ${markdownText(d.stopped.reason)}; ` +
            `health check restored ${d.stopped.restoreSeconds ?? '—'} s after the alarm was seen.`
          : ''),
      vantageTable(d.vantage),
      resolverTable(d.resolvers),
      elapsedGantt(`Drill of ${d.region}`, bars),
    )
  }
  details.push(
    barChart({
      title: 'Route 53 checkers reporting healthy (healthy above 18%)',
      unit: 'percent of checkers',
      items: report.checkers.map((c) => c.region),
      series: {
        name: 'healthy',
        values: report.checkers.map((c) => (c.total === 0 ? 0 : Math.round((100 * c.successes) / c.total))),
      },
    }),
    tableBlock('All checks', CHECK_HEADERS, report.checks.map(checkRow)),
  )
  return renderLayout({
    title: `Failover check of \`${report.recordName.replace(/\.$/, '')}\` ${report.recordType}`,
    outcome: failedChecks.length === 0 ? 'passed' : 'failed',
    sentence,
    inputs: [
      ['hosted-zone-id', report.hostedZoneId],
      ['regions', report.regions],
      ['drill', report.drill?.region],
      ['stop-alarms', report.drillInputs?.stopAlarms],
      ['vantage-points', report.drillInputs?.vantagePoints],
      ['max-failover-seconds', report.drillInputs?.maxFailoverSeconds],
      ['resolvers', report.drillInputs?.resolvers],
    ],
    problems: [
      failedChecks.length > 0
        ? `### Failed checks\n\n${markdownTable(CHECK_HEADERS, failedChecks.map(checkRow))}`
        : undefined,
      report.healthyRegions.length < report.regions.length
        ? `Healthy regions: ${report.healthyRegions.join(', ') || 'none'} of ${report.regions.join(', ')}.`
        : undefined,
      report.unknownHealth && report.unknownHealth.length > 0
        ? `Alias target health not known for ${report.unknownHealth.join(', ')}: Route 53 evaluates those targets itself; ` +
          'they are not counted in `min-healthy`.'
        : undefined,
      report.notProbed && report.notProbed.length > 0
        ? 'Not probed from the runner (`allow-private-targets` is false): ' +
          report.notProbed.map((n) => `${n.region} ${n.target} (${n.reason})`).join('; ') +
          '.'
        : undefined,
    ],
    details,
  })
}
