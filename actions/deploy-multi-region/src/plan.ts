/**
 * Pure planning: what to do with each region's stack, in which order, and how
 * to read CloudFormation's answers. No I/O here, so all of it is unit-tested.
 */
import type {
  ChangeRow,
  OnFailure,
  StackAction,
  StackDecision,
  StackEventLike,
  TargetPlan,
  TargetStatus,
  Verdict,
} from './model.js'

const UPDATABLE = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_COMPLETE',
  // Stacks whose failed operation kept its resources (rollback disabled) can be updated to retry.
  'CREATE_FAILED',
  'UPDATE_FAILED',
])

export function isInProgress(status: string | undefined): boolean {
  return status !== undefined && status.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS'
}

export function decideStackAction(status: string | undefined): StackDecision {
  if (status === undefined || status === 'DELETE_COMPLETE') return { action: 'create', why: 'new stack' }
  if (status === 'REVIEW_IN_PROGRESS') {
    return { action: 'create', why: 'stack awaiting its first change set (REVIEW_IN_PROGRESS)' }
  }
  if (status === 'ROLLBACK_COMPLETE') {
    return { action: 'recreate', why: 'first create failed (ROLLBACK_COMPLETE): delete and create again' }
  }
  if (isInProgress(status)) return { action: 'wait', why: `${status}: wait for it to finish first` }
  if (UPDATABLE.has(status)) return { action: 'update', why: status }
  return {
    action: 'blocked',
    why: `stack is ${status}, which needs manual attention before it can be deployed`,
  }
}

export type StackOutcome = 'success' | 'failure' | 'in-progress'

/** What a stack status means once our change set has been executed. */
export function executionOutcome(status: string | undefined): StackOutcome {
  if (status === 'CREATE_COMPLETE' || status === 'UPDATE_COMPLETE' || status === 'IMPORT_COMPLETE')
    return 'success'
  if (status === undefined) return 'failure'
  // UPDATE_COMPLETE_CLEANUP_IN_PROGRESS is waited out so the next deploy finds a stable stack.
  if (status.endsWith('_IN_PROGRESS')) return 'in-progress'
  return 'failure'
}

/** CloudFormation's ways of saying a change set is empty (a FAILED change set, not a failed deploy). */
export function isEmptyChangeSet(status: string | undefined, reason: string | undefined): boolean {
  if (status !== 'FAILED' || !reason) return false
  return /didn't contain changes|No updates are to be performed|does not contain changes/i.test(reason)
}

/**
 * How `on-failure` maps onto change sets: CreateChangeSet's OnStackFailure covers
 * stack creation (ROLLBACK, DELETE, DO_NOTHING); an update can only keep or roll
 * back its changes, through ExecuteChangeSet's DisableRollback. The two must not
 * both be given for one change set.
 */
export function failureBehaviour(
  onFailure: OnFailure,
  type: 'CREATE' | 'UPDATE',
): { onStackFailure?: OnFailure; disableRollback?: boolean } {
  if (type === 'CREATE') return { onStackFailure: onFailure }
  return { disableRollback: onFailure === 'DO_NOTHING' }
}

/** Canary targets first (one wave), then the rest; one wave when there are no canaries. */
export function regionWaves(regions: readonly string[], canaries: readonly string[]): string[][] {
  const first = regions.filter((r) => canaries.includes(r))
  const rest = regions.filter((r) => !canaries.includes(r))
  return [first, rest].filter((wave) => wave.length > 0)
}

/** "How many targets may fail before no further target is started." */
export function mayStartMore(failed: number, tolerance: number): boolean {
  return failed <= tolerance
}

interface ChangeLike {
  Type?: string
  ResourceChange?: {
    Action?: string
    LogicalResourceId?: string
    ResourceType?: string
    Replacement?: string
    PolicyAction?: string
  }
}

export function changeRows(changes: readonly ChangeLike[] | undefined): ChangeRow[] {
  return (changes ?? []).flatMap(({ ResourceChange: r }) => {
    if (!r) return []
    const row: ChangeRow = {
      action: r.Action ?? 'Unknown',
      logicalId: r.LogicalResourceId ?? '',
      type: r.ResourceType ?? '',
    }
    if (r.Replacement) row.replacement = r.Replacement
    if (r.PolicyAction) row.policyAction = r.PolicyAction
    return [row]
  })
}

export function describeChange(row: ChangeRow): string {
  const replacement = row.replacement === undefined ? '' : ` (replacement: ${row.replacement})`
  const policy = row.policyAction === undefined ? '' : ` (resource: ${row.policyAction})`
  const mark =
    row.guard === 'blocked'
      ? ' BLOCKED: stateful resource, not in allow-replacement'
      : row.guard === 'allowed'
        ? ' (stateful resource, allowed by allow-replacement)'
        : ''
  const name = [...(row.nestedPath ?? []), row.logicalId].join('/')
  return `${row.action.padEnd(7)} ${name} [${row.type}]${replacement}${policy}${mark}`
}

/**
 * A change set name unique to this run, attempt and region: a retried job or a
 * rerun never meets a change set of an earlier one. Names start with a letter
 * and hold letters, digits and hyphens (at most 128).
 */
export function runToken(env: NodeJS.ProcessEnv, random: string, now = Date.now()): string {
  const run = env.GITHUB_RUN_ID ? `${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT ?? '1'}` : now.toString(36)
  return `deploy-${run}-${random}`.replace(/[^-A-Za-z0-9]/g, '-').slice(0, 100)
}

export function changeSetName(token: string, region: string): string {
  return `${token}-${region}`.slice(0, 128)
}

/** The bucket for a region: the `template-bucket` input with `{region}` replaced. */
export function templateBucketFor(bucketPattern: string, region: string): string {
  return bucketPattern.replaceAll('{region}', region)
}

const KNOCK_ON = /^(Resource (creation|update) cancelled|The following resource\(s\) failed)/i

/**
 * The event that explains a failure: the earliest failed resource event whose
 * reason is not merely the knock-on of another resource failing. `events` are
 * oldest first, as CloudFormation recorded them (equal timestamps keep its order),
 * and belong to one operation; an event carrying another operation's client
 * request token is not considered.
 */
export function rootCause(
  events: readonly StackEventLike[],
  operationToken?: string,
): StackEventLike | undefined {
  const failed = events.filter(
    (e) =>
      e.ResourceStatus?.endsWith('_FAILED') &&
      e.ResourceStatusReason &&
      (operationToken === undefined ||
        e.ClientRequestToken === undefined ||
        e.ClientRequestToken === operationToken),
  )
  return failed.find((e) => !KNOCK_ON.test(e.ResourceStatusReason ?? '')) ?? failed[0]
}

/**
 * A failed nested stack resource ("Embedded stack ... was not successfully
 * created"): the nested stack's id, whose own events hold the real reason.
 */
export function nestedStackOf(cause: StackEventLike, stackId: string): string | undefined {
  if (cause.ResourceType !== 'AWS::CloudFormation::Stack') return undefined
  const nested = cause.PhysicalResourceId
  if (!nested || nested === stackId || !nested.startsWith('arn:')) return undefined
  return nested
}

/** The nested stack's events of this operation: from the parent's first event for that resource on. */
export function nestedEventsOfRun(
  nested: readonly StackEventLike[],
  parentEvents: readonly StackEventLike[],
  logicalId: string,
): StackEventLike[] {
  const start = parentEvents.find((e) => e.LogicalResourceId === logicalId)?.Timestamp?.getTime()
  return start === undefined ? [...nested] : nested.filter((e) => (e.Timestamp?.getTime() ?? 0) >= start)
}

/** How a root cause reads: the path through nested stacks, the type and CloudFormation's reason. */
export function describeCause(path: readonly string[], cause: StackEventLike): string {
  return `${[...path, cause.LogicalResourceId].join(' > ')} (${cause.ResourceType}): ${cause.ResourceStatusReason}`
}

export function formatEvent(e: StackEventLike): string {
  const time = e.Timestamp ? e.Timestamp.toISOString().slice(11, 19) : '--:--:--'
  const reason = e.ResourceStatusReason ? ` ${e.ResourceStatusReason}` : ''
  return `${time} ${e.ResourceStatus ?? ''} ${e.ResourceType ?? ''} ${e.LogicalResourceId ?? ''}${reason}`
}

/**
 * Keeps the ids of the stack events already seen, so each event is printed
 * once even though every poll reads the newest page again.
 */
export class EventTracker {
  private readonly seen = new Set<string>()
  readonly events: StackEventLike[] = []

  /** Marks events that happened before this run as seen without keeping them. */
  prime(events: readonly StackEventLike[]): void {
    for (const e of events) if (e.EventId) this.seen.add(e.EventId)
  }

  /**
   * Takes events as DescribeStackEvents lists them, newest first, and returns
   * the unseen ones oldest first, remembering them. The list is reversed, not
   * sorted: events with equal timestamps keep CloudFormation's order.
   */
  add(newestFirst: readonly StackEventLike[]): StackEventLike[] {
    const fresh: StackEventLike[] = []
    for (const e of newestFirst) {
      if (!e.EventId || this.seen.has(e.EventId)) continue
      this.seen.add(e.EventId)
      fresh.push(e)
    }
    fresh.reverse()
    this.events.push(...fresh)
    return fresh
  }

  has(eventId: string): boolean {
    return this.seen.has(eventId)
  }
}

export function planLine(plan: TargetPlan, planOnly: boolean): string {
  if (plan.readError) return `cannot read the stack: ${plan.readError}`
  const verb: Record<StackAction, string> = {
    create: planOnly ? 'preview a new stack' : 'create',
    update: planOnly ? 'preview changes' : 'update',
    recreate: planOnly ? 'would delete and recreate' : 'delete and recreate',
    wait: 'wait, then deploy',
    blocked: 'blocked',
  }
  return `${verb[plan.decision.action]} (${plan.decision.why})`
}

/** The step's outcome: fail on a cancelled run, a failed canary or failures beyond the tolerance. */
export function verdictOf(
  failureTolerance: number,
  statuses: readonly TargetStatus[],
  failed: number,
  canaryFailed: string | undefined,
  cancelled: boolean,
): Verdict {
  const count = (s: string) => statuses.filter((status) => status === s).length
  const tally = ['created', 'updated', 'unchanged', 'planned', 'failed', 'skipped']
    .map((s) => [s, count(s)] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ')
  if (cancelled) return { fail: true, text: `Cancelled: ${tally}.` }
  if (canaryFailed)
    return {
      fail: true,
      text: `Canary ${canaryFailed} did not succeed, so no other target was started: ${tally}.`,
    }
  if (failed > failureTolerance) {
    return {
      fail: true,
      text: `${failed} target(s) failed, more than the failure tolerance of ${failureTolerance}: ${tally}.`,
    }
  }
  if (failed > 0)
    return {
      fail: false,
      text: `${failed} target(s) failed, within the failure tolerance of ${failureTolerance}: ${tally}.`,
    }
  return { fail: false, text: `All ${statuses.length} target(s) done: ${tally}.` }
}
