import { markdownTable, mermaidGantt } from '../../../lib/summary.js'
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
      `${((op.endedMs - op.startedMs) / 1000).toFixed(1)} s`,
      `${op.results.length - failed}/${op.results.length}`,
      op.waitedForOthers > 0 ? `waited ${op.waitedForOthers}x for another operation` : '',
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

export function buildSummary(args: {
  stackSetName: string
  stackSetId: string
  homeRegion: string
  planLines: readonly string[]
  operations: readonly OperationRecord[]
  instances: readonly CurrentInstance[]
  accounts: readonly string[]
  regions: readonly string[]
  outcome: string
}): string {
  const parts = [
    `## Stack set ${args.stackSetName}`,
    `${args.outcome} · \`${args.stackSetId || 'not created'}\` administered from ${args.homeRegion}`,
    '### Plan',
    args.planLines.map((l) => `- ${l}`).join('\n'),
    '### Stack instances',
    instanceGrid(args.instances, args.accounts, args.regions),
    '### Operations',
    operationsTable(args.operations),
  ]
  const failures = failuresTable(args.operations)
  if (failures) parts.push('### Instances that did not succeed', failures)
  if (args.operations.length > 1) {
    parts.push(
      mermaidGantt(
        'Stack set operations',
        args.operations.map((op) => ({
          section: op.kind,
          label: op.operationId.slice(0, 8),
          startMs: op.startedMs,
          endMs: op.endedMs,
          state: op.status === 'SUCCEEDED' ? ('done' as const) : ('crit' as const),
        })),
      ),
    )
  }
  return parts.join('\n\n') + '\n'
}
