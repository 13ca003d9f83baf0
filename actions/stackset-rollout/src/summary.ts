import { durationCell, elapsedGantt, markdownTable, renderLayout } from '../../../lib/summary.js'
import type { CurrentInstance } from './plan.js'
import type { OperationRecord } from './stackset-api.js'

export interface InstanceOutput {
  account: string
  region: string
  status: string
  detailedStatus: string | null
  reason: string | null
  organizationalUnitId?: string
}

/** The `instances` output: one entry per stack instance, sorted by account then region. */
export function instancesOutput(instances: readonly CurrentInstance[]): InstanceOutput[] {
  return [...instances]
    .sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region))
    .map((i) => ({
      account: i.account,
      region: i.region,
      status: i.status,
      detailedStatus: i.detailedStatus ?? null,
      reason: i.reason ?? null,
      ...(i.organizationalUnitId ? { organizationalUnitId: i.organizationalUnitId } : {}),
    }))
}

const ICONS: Record<string, string> = { CURRENT: '✅', OUTDATED: '⚠️', INOPERABLE: '❌' }

export function statusCell(instance: CurrentInstance | undefined): string {
  if (!instance) return '—'
  const detail =
    instance.detailedStatus && instance.detailedStatus !== 'SUCCEEDED' ? ` (${instance.detailedStatus})` : ''
  return `${ICONS[instance.status] ?? '•'} ${instance.status}${detail}`
}

/**
 * Accounts down, regions across: every declared account and region appears,
 * plus any the stack set still has; a pair without an instance shows a dash.
 */
export function instanceGrid(
  instances: readonly CurrentInstance[],
  declaredAccounts: readonly string[],
  declaredRegions: readonly string[],
): string {
  const accounts = [...new Set([...declaredAccounts, ...instances.map((i) => i.account)])].sort()
  const regions = [...new Set([...declaredRegions, ...instances.map((i) => i.region)])]
  if (accounts.length === 0) return '_No stack instances._'
  const byPair = new Map(instances.map((i) => [`${i.account}/${i.region}`, i]))
  const rows = accounts.map((account) => [
    account,
    ...regions.map((region) => statusCell(byPair.get(`${account}/${region}`))),
  ])
  return markdownTable(['Account', ...regions], rows)
}

export function operationsTable(operations: readonly OperationRecord[]): string {
  if (operations.length === 0) return '_No operation was needed: the stack set already matches the workflow._'
  const rows = operations.map((op) => {
    const failed = op.results.filter((r) => r.status !== 'SUCCEEDED').length
    return [
      op.kind,
      op.operationId,
      op.description,
      op.status,
      durationCell(op.endedMs - op.startedMs),
      `${op.results.length - failed}/${op.results.length}`,
      op.waitedForOthers > 0 ? `waited ${op.waitedForOthers}x for another operation` : '—',
    ]
  })
  return markdownTable(
    ['Operation', 'Id', 'What', 'Status', 'Duration', 'Instances succeeded', 'Notes'],
    rows,
  )
}

export function failuresTable(operations: readonly OperationRecord[]): string | undefined {
  const rows = operations.flatMap((op) =>
    op.results
      .filter((r) => r.status !== 'SUCCEEDED')
      .map((r) => [op.kind, r.account ?? '', r.region ?? '', r.status ?? '', r.reason ?? '']),
  )
  return rows.length > 0
    ? markdownTable(['Operation', 'Account', 'Region', 'Status', 'Reason'], rows)
    : undefined
}

/** "6 of 6 stack instances CURRENT", or what the others are. */
function instanceTally(instances: readonly CurrentInstance[]): string {
  if (instances.length === 0) return 'no stack instances'
  const current = instances.filter((i) => i.status === 'CURRENT').length
  const others = [...new Set(instances.filter((i) => i.status !== 'CURRENT').map((i) => i.status))]
  return `${current} of ${instances.length} stack instances CURRENT${others.length ? ` (others ${others.join(', ')})` : ''}`
}

export function buildSummary(args: {
  stackSetName: string
  stackSetId: string
  homeRegion: string
  planLines: readonly string[]
  operations: readonly OperationRecord[]
  instances: readonly CurrentInstance[]
  accounts: readonly string[]
  regions: readonly string[]
  /** What happened, one sentence; a leading ✅ or ❌ (older callers) is dropped. */
  outcome: string
  /** The rollout failed or was cancelled; undefined: read from the outcome's mark. */
  failed?: boolean
}): string {
  const failedMark = args.outcome.trim().startsWith('❌')
  const failed = args.failed ?? failedMark
  // The first line says "failed" already.
  const sentence = args.outcome.replace(/^\s*(✅|❌|⚠️)\s*/u, '').replace(/^Failed:\s*/, '')
  const failures = failuresTable(args.operations)
  // Instance failures within failure-tolerance leave the operation SUCCEEDED: a warning.
  const outcome = failed ? 'failed' : failures ? 'warning' : 'passed'
  const gantt =
    args.operations.length > 1
      ? elapsedGantt(
          'Stack set operations',
          args.operations.map((op) => ({
            section: op.kind,
            label: op.operationId.slice(0, 8),
            startMs: op.startedMs,
            endMs: op.endedMs,
            state: op.status === 'SUCCEEDED' ? ('done' as const) : ('crit' as const),
          })),
        )
      : undefined
  return renderLayout({
    title: `Rollout of stack set \`${args.stackSetName}\``,
    outcome,
    sentence: `${sentence.replace(/\.$/, '')}; ${instanceTally(args.instances)}.`,
    inputs: [
      ['home region', args.homeRegion],
      ['accounts', args.accounts],
      ['regions', args.regions],
    ],
    problems: [failures ? `### Instances that did not succeed\n\n${failures}` : undefined],
    details: [
      `### Stack instances\n\n${instanceGrid(args.instances, args.accounts, args.regions)}`,
      `### Plan\n\n${args.planLines.map((l) => `- ${l}`).join('\n') || '- nothing to do'}`,
      `### Operations\n\n${operationsTable(args.operations)}`,
      gantt,
      `Stack set id \`${args.stackSetId || 'not created'}\`.`,
    ],
  })
}
