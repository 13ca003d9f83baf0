/**
 * A run's targets made ready: a grouped log each, a context per target (its
 * account's client, tokens, deadline), every stack read at once and the plan
 * made from what was read; and what is in progress when the run is cancelled.
 */
import * as core from '@actions/core'
import { randomBytes } from 'node:crypto'
import { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import type { AccountAccess } from '../../../lib/assume-role.js'
import { clientFactory, describeError } from '../../../lib/aws.js'
import { fanOutTargets } from '../../../lib/fanout.js'
import { Annotations, RegionLog } from '../../../lib/log.js'
import { targetLabel, type Target } from '../../../lib/targets.js'
import { CloudFormationApi, requestTokens } from './cloudformation-api.js'
import { EventFollower } from './events.js'
import type { Settings, StackSnapshot, TargetPlan, TargetResult } from './model.js'
import { decideStackAction, runToken } from './plan.js'
import type { TargetContext } from './target-context.js'
import type { TemplateProvider } from './template.js'
import { resultWithout } from './waves.js'

/** Everything a run keeps per target, by target label. */
export class TargetSet {
  readonly annotations: Annotations
  readonly runToken = runToken(process.env, randomBytes(4).toString('hex'))
  /** What each target is doing now, for the cancellation report. */
  readonly phases = new Map<string, string>()
  private readonly logs = new Map<string, RegionLog>()
  private readonly contexts = new Map<string, TargetContext>()
  private readonly clients = clientFactory(CloudFormationClient)

  constructor(
    private readonly settings: Settings,
    private readonly access: Map<string, AccountAccess>,
    private readonly signal: AbortSignal,
    /** Each target's template: the one provider, so each bucket is written once. */
    readonly templates: TemplateProvider,
  ) {
    this.annotations = new Annotations(settings.targets.map(targetLabel))
  }

  log(target: Target): RegionLog {
    const label = targetLabel(target)
    let log = this.logs.get(label)
    if (!log) {
      log = new RegionLog(label, { grouped: true, annotations: this.annotations })
      this.logs.set(label, log)
    }
    return log
  }

  /** AWS's reason when the target's account role could not be assumed. */
  refused(target: Target): string | undefined {
    const entry = target.account === undefined ? undefined : this.access.get(target.account)
    return entry && !entry.ok ? entry.reason : undefined
  }

  api(target: Target): CloudFormationApi {
    return this.context(target).api
  }

  /** The target's context, made once (its deadline is set when its run starts). */
  context(target: Target): TargetContext {
    const label = targetLabel(target)
    const known = this.contexts.get(label)
    if (known) return known
    const entry = target.account === undefined ? undefined : this.access.get(target.account)
    const access = entry?.ok ? entry.access : undefined
    const api = new CloudFormationApi(this.clients(target.region, access))
    const log = this.log(target)
    const context: TargetContext = {
      target,
      settings: this.settings,
      api,
      templates: this.templates,
      ...(access ? { access } : {}),
      log,
      signal: this.signal,
      runToken: this.runToken,
      tokens: requestTokens(this.runToken, target.region, { gate: this.settings.mode === 'plan-only' }),
      events: new EventFollower(api, log),
      phase: (text) => {
        this.phases.set(label, text)
        log.activity(text)
      },
    }
    this.contexts.set(label, context)
    return context
  }

  flushAll(): void {
    for (const log of this.logs.values()) log.flush()
  }

  /** On cancellation, each target in progress says what it was doing. */
  reportCancellation(): () => void {
    const onAbort = () => {
      const busy = [...this.phases.entries()]
      if (busy.length === 0) core.warning('Cancelled: no target was in progress.')
      for (const [label, phase] of busy)
        this.logs.get(label)?.warning(`Cancelled while in progress: ${phase}`)
    }
    this.signal.addEventListener('abort', onAbort, { once: true })
    return () => this.signal.removeEventListener('abort', onAbort)
  }
}

/** The stacks as read before anything changes, and what will be done with each. */
export interface ReadTargets {
  plans: TargetPlan[]
  /** The target's stack as read; undefined when it could not be read. */
  stateOf: (target: Target) => StackSnapshot | undefined
  /** A target whose stack could not be read fails before it starts: its error logged, its result. */
  unreadable: (target: Target) => TargetResult | undefined
}

/**
 * Every target's stack, read at once (within the per-account cap), and what
 * will be done with it: the plan printed before anything changes. A target of
 * an account whose role was refused is not read: AWS's reason is its error.
 */
export async function readAndPlan(
  settings: Settings,
  set: TargetSet,
  waves: readonly Target[][],
): Promise<ReadTargets> {
  const outcomes = await fanOutTargets(
    settings.targets,
    async (target) => {
      const refused = set.refused(target)
      if (refused !== undefined) throw new Error(refused)
      return set.api(target).describeStack(settings.stackName)
    },
    { maxParallel: settings.maxParallel, maxParallelPerAccount: settings.maxParallelPerAccount },
  )
  const read = new Map<string, { plan: TargetPlan; state?: StackSnapshot }>(
    outcomes.map((o) => {
      const { account, region } = o.item
      const wave = waves.findIndex((w) => w.includes(o.item))
      const where = { ...(account !== undefined ? { account } : {}), region, wave }
      if (o.state !== 'fulfilled') {
        const readError = o.state === 'rejected' ? describeError(o.error) : 'not read'
        const plan: TargetPlan = { ...where, decision: { action: 'blocked', why: 'unreadable' }, readError }
        return [targetLabel(o.item), { plan }]
      }
      const state = o.value
      const decision = decideStackAction(state.status)
      const plan: TargetPlan = { ...where, status: state.status, stackId: state.stackId, decision }
      return [targetLabel(o.item), { plan, state }]
    }),
  )
  return {
    plans: [...read.values()].map((r) => r.plan),
    stateOf: (target) => read.get(targetLabel(target))?.state,
    unreadable: (target) => {
      const entry = read.get(targetLabel(target))
      if (entry?.state) return undefined
      const why = entry?.plan.readError ?? 'not read'
      const log = set.log(target)
      log.error(`Cannot read the stack: ${why}`, `deploy-multi-region ${targetLabel(target)}`)
      log.flush('failed: cannot read the stack')
      return resultWithout(target, 'failed', why)
    },
  }
}
