import { markdownTable, mermaidBarChart, mermaidGantt } from '../../../lib/summary.js'
import type { DrillResult } from './drill.js'
import type { Check, SimulationCase } from './plan.js'

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
  drill?: {
    region: string
    failoverSeconds?: number
    recoverySeconds?: number
    baseline: string[]
    duringFailover: string[]
    restore?: string
  }
}

export function buildReport(
  parts: Omit<Report, 'passed' | 'drill'>,
  drill?: { region: string; result: DrillResult },
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

export function renderSummary(report: Report, drillBars: DrillResult['bars'] = []): string {
  const failed = report.checks.filter((c) => !c.passed).length
  const lines = [
    `## Failover check: ${report.recordName.replace(/\.$/, '')} ${report.recordType}`,
    '',
    `${failed === 0 ? '✅ Passed' : '❌ Failed'}: ${report.checks.length - failed} of ${report.checks.length} checks passed. ` +
      `Regions: ${report.regions.join(', ') || 'none'}; healthy: ${report.healthyRegions.join(', ') || 'none'}.`,
    '',
    markdownTable(
      ['Area', 'Check', 'Subject', 'Result', 'Detail'],
      report.checks.map((c) => [
        CATEGORY_TITLES[c.category],
        c.name,
        c.subject,
        c.passed ? '✅ pass' : '❌ fail',
        c.detail,
      ]),
    ),
  ]
  if (report.unknownHealth && report.unknownHealth.length > 0) {
    lines.push(
      '',
      `Alias target health not known for ${report.unknownHealth.join(', ')}: Route 53 evaluates those targets itself; ` +
        'they are not counted in `min-healthy`.',
    )
  }
  if (report.notProbed && report.notProbed.length > 0) {
    lines.push(
      '',
      `Not probed from the runner (\`allow-private-targets\` is false): ` +
        report.notProbed.map((n) => `${n.region} ${n.target} (${n.reason})`).join('; ') +
        '.',
    )
  }
  if (report.checkers.length > 0) {
    lines.push(
      '',
      mermaidBarChart(
        'Route 53 checkers reporting healthy (healthy above 18%)',
        report.checkers.map((c) => c.region),
        'percent',
        [
          {
            name: 'healthy',
            values: report.checkers.map((c) => (c.total === 0 ? 0 : (100 * c.successes) / c.total)),
          },
        ],
      ),
    )
  }
  if (report.drill) {
    const d = report.drill
    lines.push(
      '',
      `### Drill: ${d.region}`,
      '',
      markdownTable(
        ['Failover (s)', 'Recovery (s)', 'Answer before', 'Answer during', 'Health check'],
        [
          [
            d.failoverSeconds ?? '-',
            d.recoverySeconds ?? '-',
            d.baseline.join(', ') || '-',
            d.duringFailover.join(', ') || '-',
            d.restore ?? '-',
          ],
        ],
      ),
    )
    if (drillBars.length > 0) lines.push('', mermaidGantt(`Drill of ${d.region}`, drillBars))
  }
  return lines.join('\n') + '\n'
}
