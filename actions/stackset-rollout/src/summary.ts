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

/**
 * GitHub's limits: "Outputs can be a maximum of 1 MB per job ... Size is
 * approximated based on UTF-16 encoding", and a step summary over 1024k is not
 * uploaded. The `instances` output takes at most 200,000 characters (400 KB in
 * UTF-16, leaving room for the job's other outputs) and the summary at most
 * 900 KiB; beyond that they are cut, with a note, and the full list is in the
 * file named by `instances-file`.
 */
export const INSTANCES_OUTPUT_MAX_CHARS = 200_000
export const SUMMARY_MAX_BYTES = 900 * 1024

/** The `instances` output as JSON: every entry that fits in maxChars, in order. */
export function fitInstancesOutput(
  entries: readonly InstanceOutput[],
  maxChars = INSTANCES_OUTPUT_MAX_CHARS,
): { json: string; kept: number } {
  let length = 2
  let kept = 0
  for (const entry of entries) {
    const next = length + JSON.stringify(entry).length + (kept > 0 ? 1 : 0)
    if (next > maxChars) break
    length = next
    kept++
  }
  return { json: JSON.stringify(entries.slice(0, kept)), kept }
}

/** Rows whose lines fit in maxBytes (UTF-8), in order. */
function rowsThatFit(rows: ReadonlyArray<readonly unknown[]>, maxBytes: number): number {
  let bytes = 0
  let kept = 0
  for (const row of rows) {
    bytes += Buffer.byteLength(markdownTable([], [row]).split('\n').pop()!, 'utf8') + 1
    if (bytes > maxBytes) break
    kept++
  }
  return kept
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
  limit?: { maxBytes: number; note: (omitted: number) => string },
): string {
  const accounts = [...new Set([...declaredAccounts, ...instances.map((i) => i.account)])].sort()
  const regions = [...new Set([...declaredRegions, ...instances.map((i) => i.region)])]
  if (accounts.length === 0) return '_No stack instances._'
  const byPair = new Map(instances.map((i) => [`${i.account}/${i.region}`, i]))
  const rows = accounts.map((account) => [
    account,
    ...regions.map((region) => statusCell(byPair.get(`${account}/${region}`))),
  ])
  return cappedTable(['Account', ...regions], rows, limit)
}

function cappedTable(
  headers: readonly string[],
  rows: ReadonlyArray<readonly unknown[]>,
  limit: { maxBytes: number; note: (omitted: number) => string } | undefined,
): string {
  const kept = limit ? rowsThatFit(rows, limit.maxBytes) : rows.length
  const table = markdownTable(headers, rows.slice(0, kept))
  return kept < rows.length ? `${table}\n\n${limit!.note(rows.length - kept)}` : table
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

export function failuresTable(
  operations: readonly OperationRecord[],
  limit?: { maxBytes: number; note: (omitted: number) => string },
): string | undefined {
  const rows = operations.flatMap((op) =>
    op.results
      .filter((r) => r.status !== 'SUCCEEDED')
      .map((r) => [op.kind, r.account ?? '', r.region ?? '', r.status ?? '', r.reason ?? '']),
  )
  return rows.length > 0
    ? cappedTable(['Operation', 'Account', 'Region', 'Status', 'Reason'], rows, limit)
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
  /** Where every instance is listed, named when a table is cut to keep the summary under maxBytes. */
  instancesFile?: string
  maxBytes?: number
  /** The rollout failed or was cancelled; undefined: read from the outcome's mark. */
  failed?: boolean
}): string {
  const full = summaryParts(args)
  const maxBytes = args.maxBytes ?? SUMMARY_MAX_BYTES
  if (Buffer.byteLength(full, 'utf8') <= maxBytes) return full
  // Too large for GitHub: the two tables that grow with the instances share what the rest leaves.
  const fixed = Buffer.byteLength(summaryParts({ ...args, instances: [], operations: [] }), 'utf8')
  const where = args.instancesFile ? `; every instance is listed in \`${args.instancesFile}\`` : ''
  const share = Math.max(0, Math.floor((maxBytes - fixed - 2048) / 2))
  const limit = (noun: string) => ({
    maxBytes: share,
    note: (omitted: number) =>
      `_${omitted} more ${noun} not shown to keep the summary within GitHub's limit${where}._`,
  })
  return summaryParts(args, { grid: limit('account row(s)'), failures: limit('failed result(s)') })
}

function summaryParts(
  args: Parameters<typeof buildSummary>[0],
  limits: {
    grid?: { maxBytes: number; note: (omitted: number) => string }
    failures?: { maxBytes: number; note: (omitted: number) => string }
  } = {},
): string {
  const failedMark = args.outcome.trim().startsWith('❌')
  const failed = args.failed ?? failedMark
  // The first line says "failed" already.
  const sentence = args.outcome.replace(/^\s*(✅|❌|⚠️)\s*/u, '').replace(/^Failed:\s*/, '')
  const failures = failuresTable(args.operations, limits.failures)
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
  return renderLayout(
    {
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
        `### Stack instances\n\n${instanceGrid(args.instances, args.accounts, args.regions, limits.grid)}`,
        `### Plan\n\n${args.planLines.map((l) => `- ${l}`).join('\n') || '- nothing to do'}`,
        `### Operations\n\n${operationsTable(args.operations)}`,
        gantt,
        `Stack set id \`${args.stackSetId || 'not created'}\`.`,
      ],
      ...(args.instancesFile ? { fullDetail: `\`${args.instancesFile}\`` } : {}),
    },
    // The tables above are cut to fit first; the layout's own cut is the last resort.
    Number.MAX_SAFE_INTEGER,
  )
}
