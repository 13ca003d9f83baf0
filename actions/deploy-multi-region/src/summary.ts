/**
 * The job summary: the outcome, what failed (once per distinct cause), then one row
 * per region with a console link, the resource changes, the stack outputs and a
 * gantt of the rollout in seconds from its start.
 */
import {
  codeSpan,
  collapsed,
  durationCell,
  elapsedGantt,
  markdownTable,
  renderLayout,
  tableBlock,
  type GanttBar,
  type Outcome,
} from '../../../lib/summary.js'
import { sameTarget, spansAccounts, targetLabel } from '../../../lib/targets.js'
import { templateShown } from '../../../lib/cloudformation-inputs.js'
import { differenceKind } from './drift.js'
import { guardName } from './guard.js'
import type { ChangeRow, PackagingCounts, Settings, TargetResult, Verdict } from './model.js'

/** The stack's page in the CloudFormation console of its region. */
export function consoleLink(region: string, stackId: string): string {
  const query = `stackId=${encodeURIComponent(stackId)}`
  return `https://${region}.console.aws.amazon.com/cloudformation/home?region=${region}#/stacks/stackinfo?${query}`
}

function stackCell(r: TargetResult): string {
  return r.stackId ? `[console](${consoleLink(r.region, r.stackId)})` : '—'
}

/** Regions that fail for the same reason are one entry, not one per region. */
function failuresByReason(results: readonly TargetResult[]): Array<{ regions: string[]; reason: string }> {
  const groups = new Map<string, string[]>()
  for (const r of results.filter((x) => x.status === 'failed')) {
    const reason = r.reason ?? 'failed'
    groups.set(reason, [...(groups.get(reason) ?? []), targetLabel(r)])
  }
  return [...groups].map(([reason, regions]) => ({ regions, reason }))
}

function changeKey(changes: readonly ChangeRow[]): string {
  return JSON.stringify(
    changes.map((c) => [c.action, guardName(c), c.type, c.replacement ?? '', c.guard ?? '']),
  )
}

const GUARD_MARK = { blocked: '⛔ blocked', allowed: '⚠️ allowed' } as const

function replacementCell(c: ChangeRow): string {
  const replacement = c.action === 'Remove' ? 'Remove' : (c.replacement ?? '—')
  return c.guard ? `${replacement} ${GUARD_MARK[c.guard]}` : replacement
}

/**
 * Changes that replace or remove a stateful resource, before anything else: one
 * row per resource, with the regions it happens in and the guard's verdict.
 */
function destructiveTable(results: readonly TargetResult[]): string | undefined {
  const rows = new Map<string, { change: ChangeRow; regions: string[] }>()
  for (const r of results)
    for (const c of r.changes.filter((x) => x.guard)) {
      const key = JSON.stringify([guardName(c), c.type, c.action, c.replacement ?? '', c.guard])
      const row = rows.get(key) ?? { change: c, regions: [] }
      row.regions.push(targetLabel(r))
      rows.set(key, row)
    }
  if (rows.size === 0) return undefined
  const table = markdownTable(
    ['Guard', 'Logical id', 'Type', 'Change', 'Regions'],
    [...rows.values()].map(({ change: c, regions }) => [
      c.guard ? GUARD_MARK[c.guard] : '',
      `\`${guardName(c)}\``,
      c.type,
      c.action === 'Remove' ? 'Remove' : `Replacement ${c.replacement}`,
      regions.length === results.length && results.length > 1 ? 'every region' : regions.join(', '),
    ]),
  )
  const blocked = [...rows.values()].some(({ change }) => change.guard === 'blocked')
  const note = blocked
    ? 'A blocked change fails its region before anything is executed; name the resource in `allow-replacement` if the replacement is intended.'
    : 'Allowed by `allow-replacement`.'
  return `### Replaces or removes stateful resources\n\n${note}\n\n${table}`
}

/** The change list per region; regions with the same list share one table. */
function changeTables(results: readonly TargetResult[], mode: string): string | undefined {
  const withChanges = results.filter((r) => r.changes.length > 0)
  if (withChanges.length === 0) return undefined
  const groups = new Map<string, TargetResult[]>()
  for (const r of withChanges)
    groups.set(changeKey(r.changes), [...(groups.get(changeKey(r.changes)) ?? []), r])
  const heading =
    mode === 'plan-only'
      ? '### Resource changes (preview: the change sets were deleted)'
      : mode === 'plan'
        ? '### Resource changes (plan: the change sets are kept; apply executes exactly these)'
        : '### Resource changes'
  const tables = [...groups.values()].map((regions) => {
    const changes = regions[0]?.changes ?? []
    const where =
      regions.length === results.length && results.length > 1
        ? 'every region'
        : regions.map((r) => targetLabel(r)).join(', ')
    const label = `${where}: ${changes.length} change(s)`
    const table = markdownTable(
      ['Action', 'Logical id', 'Type', 'Replacement'],
      changes.map((c) => [c.action, guardName(c), c.type, replacementCell(c)]),
    )
    return changes.length > 10 ? collapsed(label, table) : `**${label}**\n\n${table}`
  })
  return [heading, ...tables].join('\n\n')
}

/**
 * Drifted resources per region with what differs (the property and the kind of
 * difference; the values only with `drift-values`), under the outcome.
 */
function driftTable(results: readonly TargetResult[]): string | undefined {
  const withValues = results.some((r) =>
    (r.drift?.resources ?? []).some((d) => d.differences.some((p) => p.expected !== undefined)),
  )
  const rows = results.flatMap((r) =>
    (r.drift?.resources ?? []).flatMap((d) =>
      d.differences.length === 0
        ? [
            [
              targetLabel(r),
              `\`${d.logicalId}\``,
              d.type,
              d.status,
              '—',
              '—',
              ...(withValues ? ['—', '—'] : []),
            ],
          ]
        : d.differences.map((p) => [
            targetLabel(r),
            `\`${d.logicalId}\``,
            d.type,
            d.status,
            codeSpan(p.path),
            differenceKind(p.kind),
            ...(withValues ? [p.expected ?? '', p.actual ?? ''] : []),
          ]),
    ),
  )
  if (rows.length === 0) return undefined
  return `### Drift before planning\n\nThese resources no longer match the template; the change set was planned against the template, not against what is there.\n\n${tableBlock(
    'Drifted properties',
    [
      'Region',
      'Logical id',
      'Type',
      'Drift',
      'Property',
      'Difference',
      ...(withValues ? ['Expected', 'Actual'] : []),
    ],
    rows,
    20,
  )}`
}

/** A FAILED change set's validation errors: resource, property and CloudFormation's message. */
function validationTable(results: readonly TargetResult[]): string | undefined {
  const rows = results.flatMap((r) =>
    (r.validationErrors ?? []).map((v) => [
      targetLabel(r),
      v.resource ? codeSpan(v.resource) : '—',
      v.property ? codeSpan(v.property) : '—',
      v.message,
    ]),
  )
  if (rows.length === 0) return undefined
  return `### Validation errors\n\n${tableBlock('Validation errors', ['Region', 'Logical id', 'Property', 'Message'], rows, 20)}`
}

/** rollback-all: what was undone in the regions that had succeeded. */
function rollbackTable(results: readonly TargetResult[]): string | undefined {
  const rows = results.flatMap(({ rollback, ...r }) =>
    rollback
      ? [
          [
            targetLabel(r),
            r.status,
            rollback.action === 'deleted'
              ? 'stack deleted (this run created it)'
              : 'updated back to its earlier template and parameters',
            rollback.outcome === 'done' ? '✅ done' : `❌ failed: ${rollback.reason ?? ''}`,
          ],
        ]
      : [],
  )
  if (rows.length === 0) return undefined
  const table = markdownTable(['Region', 'Had been', 'Rolled back', 'Outcome'], rows)
  return `### Rolled back (on-region-failure: rollback-all)\n\nA region failed, so the regions this run had changed were rolled back.\n\n${table}`
}

/** Output keys down, regions across, so a value that differs between regions stands out. */
function outputsTable(results: readonly TargetResult[]): string | undefined {
  const withOutputs = results.filter((r) => Object.keys(r.outputs).length > 0)
  if (withOutputs.length === 0) {
    const deployed = results.some((r) => ['created', 'updated', 'unchanged'].includes(r.status))
    return deployed ? '### Stack outputs\n\nThe stacks have no outputs.' : undefined
  }
  const keys = [...new Set(withOutputs.flatMap((r) => Object.keys(r.outputs)))].sort()
  const table = markdownTable(
    ['Output', ...withOutputs.map((r) => targetLabel(r))],
    keys.map((k) => [`\`${k}\``, ...withOutputs.map((r) => r.outputs[k] ?? '—')]),
  )
  return `### Stack outputs\n\n${table}`
}

function outcomeOf(verdict: Verdict, results: readonly TargetResult[]): Outcome {
  if (verdict.fail) return 'failed'
  return results.some((r) => r.status === 'failed' || r.status === 'skipped') ? 'warning' : 'passed'
}

function isCanary(settings: Settings, r: TargetResult): boolean {
  return settings.canaryTargets
    ? settings.canaryTargets.some((c) => sameTarget(c, r))
    : settings.canaryRegions.includes(r.region)
}

/** A run over several accounts: one section per account, its targets' rows under it. */
function byAccount(results: readonly TargetResult[]): Array<[string | undefined, TargetResult[]]> {
  const groups = new Map<string | undefined, TargetResult[]>()
  for (const r of results) groups.set(r.account, [...(groups.get(r.account) ?? []), r])
  return [...groups]
}

/** What packaging uploaded per target: objects the template references, uploaded, already there. */
function packagingTable(packaging: PackagingCounts | undefined): string | undefined {
  if (!packaging || packaging.size === 0) return undefined
  const rows = [...packaging.entries()].map(([region, c]) => [
    region,
    c.objects,
    c.uploaded,
    c.bytes,
    c.present,
  ])
  return `### Packaged artifacts\n\n${markdownTable(['Region', 'Objects', 'Uploaded', 'Bytes uploaded', 'Already there'], rows)}`
}

/**
 * The REVIEW_IN_PROGRESS stacks a run leaves (a preview's, or a plan of new
 * stacks waiting for apply) and how to remove them.
 */
function reviewStacksNote(settings: Settings, results: readonly TargetResult[]): string | undefined {
  const left = results.filter((r) => r.reviewStackLeft)
  const planned = results.filter((r) => r.planned?.changeSetType === 'CREATE')
  const command = (r: TargetResult) =>
    `\`aws cloudformation delete-stack --stack-name ${settings.stackName} --region ${r.region}\``
  if (left.length > 0)
    return (
      `### Review stacks left\n\nThe preview of a new stack left an empty \`REVIEW_IN_PROGRESS\` stack ` +
      `(the pull-request gate role may not delete stacks). The next deploy or plan of the stack removes it; ` +
      `to remove it now:\n\n${left.map((r) => `- ${targetLabel(r)}: ${command(r)}`).join('\n')}`
    )
  if (planned.length > 0)
    return (
      `### To discard this plan\n\nIts new stacks wait in \`REVIEW_IN_PROGRESS\` for apply. ` +
      `A later deploy or plan of the stack removes them; to discard the plan now:\n\n` +
      `${planned.map((r) => `- ${targetLabel(r)}: ${command(r)}`).join('\n')}`
    )
  return undefined
}

export function summaryMarkdown(
  settings: Settings,
  results: readonly TargetResult[],
  verdict: Verdict | string,
  packaging?: PackagingCounts,
): string {
  const v = typeof verdict === 'string' ? { fail: false, text: verdict } : verdict
  const titles: Record<string, string> = {
    'plan-only': `Plan for stack \`${settings.stackName}\``,
    plan: `Plan for stack \`${settings.stackName}\` (change sets kept for apply)`,
    apply: `Apply of the reviewed plan for stack \`${settings.stackName}\``,
  }
  const title = titles[settings.mode] ?? `Deploy of stack \`${settings.stackName}\``
  const failures = failuresByReason(results)
  // One cause everywhere: it is the sentence, and a table would only repeat it.
  const oneCause = failures.length === 1 ? failures[0] : undefined
  const failedCount = results.filter((r) => r.status === 'failed').length
  const sentence = oneCause
    ? `${failedCount} of ${results.length} target(s) failed (failure tolerance ${settings.failureTolerance}): ${oneCause.reason.replace(/\.?$/, '.')}` +
      (v.text.startsWith('Canary') ? ' No other target was started.' : '')
    : v.text
  const problems =
    failures.length > 1
      ? markdownTable(
          ['Failed in', 'Reason'],
          failures.map((f) => [f.regions.join(', '), f.reason]),
        )
      : undefined
  const anyReason = results.some((r) => r.status === 'skipped' && r.reason)
  const targetTable = (rows: readonly TargetResult[]) =>
    markdownTable(
      ['Region', 'Status', 'Duration', 'Changes', 'Stack', ...(anyReason ? ['Why skipped'] : [])],
      rows.map((r) => [
        isCanary(settings, r) ? `${r.region} (canary)` : r.region,
        r.status,
        durationCell(r.durationMs, r.startedAt !== undefined),
        r.startedAt === undefined && r.changes.length === 0 ? '—' : r.changes.length,
        stackCell(r),
        ...(anyReason ? [r.status === 'skipped' ? (r.reason ?? '') : ''] : []),
      ]),
    )
  const multiAccount = spansAccounts(results)
  const regionTable = multiAccount
    ? byAccount(results)
        .map(([account, rows]) => {
          const failedHere = rows.filter((r) => r.status === 'failed').length
          const tally = failedHere > 0 ? `${failedHere} of ${rows.length} failed` : `${rows.length} done`
          return `### Account ${account ?? '(own)'}: ${tally}\n\n${targetTable(rows)}`
        })
        .join('\n\n')
    : targetTable(results)
  const bars: GanttBar[] = results.flatMap((r) =>
    r.startedAt !== undefined && r.endedAt !== undefined
      ? [
          {
            section: isCanary(settings, r) ? 'canary' : 'regions',
            label: `${targetLabel(r)} ${r.status}`,
            startMs: r.startedAt,
            endMs: r.endedAt,
            state: r.status === 'failed' ? 'crit' : 'done',
          },
        ]
      : [],
  )
  const template = templateShown(settings.template)
  return renderLayout({
    title,
    outcome: outcomeOf(v, results),
    sentence,
    inputs: [
      ['template', template],
      ['accounts', settings.accounts],
      ['regions', settings.regions],
      ['canary-regions', settings.canaryRegions],
      ['max-parallel', settings.maxParallel],
      ['failure-tolerance', settings.failureTolerance],
      ['on-failure', settings.mode === 'plan-only' ? undefined : settings.onFailure],
      ['on-region-failure', settings.onRegionFailure === 'rollback-all' ? 'rollback-all' : undefined],
    ],
    problems: [
      rollbackTable(results),
      destructiveTable(results),
      validationTable(results),
      driftTable(results),
      problems,
    ],
    details: [
      regionTable,
      changeTables(results, settings.mode),
      outputsTable(results),
      packagingTable(packaging),
      reviewStacksNote(settings, results),
      bars.length > 1 ? elapsedGantt('Regions over time', bars) : undefined,
    ],
  })
}
