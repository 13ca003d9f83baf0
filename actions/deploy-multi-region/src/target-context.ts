/**
 * What every phase of one target's deploy is given: the settings, the target's
 * gateway, tokens, log and cancellation signal, and the deadline its waits keep.
 * The phases (prepare, change-set, execute, rollback) take this and return what
 * the next one needs; nothing is kept between them but what they return.
 */
import type { AccountCredentials } from '../../../lib/aws.js'
import type { RegionLog } from '../../../lib/log.js'
import { AbortedError, pollUntil } from '../../../lib/poll.js'
import type { Target } from '../../../lib/targets.js'
import type { CloudFormationApi, RequestTokens } from './cloudformation-api.js'
import type { EventFollower } from './events.js'
import type { Settings, TargetResult } from './model.js'
import type { TemplateProvider } from './template.js'

export interface TargetContext {
  target: Target
  settings: Settings
  api: CloudFormationApi
  templates: TemplateProvider
  /** The target account's credentials in a run over several accounts; undefined: the job's own. */
  access?: AccountCredentials
  log: RegionLog
  signal: AbortSignal
  /** Unique to this run: names the change set (the post step finds leftovers by it). */
  runToken: string
  tokens: RequestTokens
  /** The target's stack events, each printed once as it is seen. */
  events: EventFollower
  /** When `timeout-minutes` runs out for this target's run (ms since the epoch); undefined: no deadline. */
  deadline?: number
  /** Tells the caller what the target is doing, for the cancellation report. */
  phase: (text: string) => void
}

/** A target failure with the message users see (AWS's own where there is one) and what is known by then. */
export class TargetFailure extends Error {
  constructor(
    message: string,
    readonly stackId?: string,
    readonly logicalId?: string,
    readonly detail: Partial<Pick<TargetResult, 'changes' | 'drift' | 'validationErrors'>> = {},
  ) {
    super(message)
    this.name = 'TargetFailure'
  }
}

/** Cancelled before anything was changed: the target counts as skipped. */
export class CancelledBeforeChange extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CancelledBeforeChange'
  }
}

export function remainingMs(ctx: TargetContext): number | undefined {
  return ctx.deadline === undefined ? undefined : Math.max(0, ctx.deadline - Date.now())
}

/** Polls with short growing intervals until `check` answers, the deadline passes or the run is cancelled. */
export function poll<T>(ctx: TargetContext, what: string, check: () => Promise<T | undefined>): Promise<T> {
  return pollUntil(check, {
    what,
    initialMs: 200,
    factor: 1.5,
    maxMs: 1000,
    timeoutMs: remainingMs(ctx),
    signal: ctx.signal,
  })
}

export function checkCancelled(ctx: TargetContext): void {
  if (ctx.signal.aborted) throw new AbortedError()
}
