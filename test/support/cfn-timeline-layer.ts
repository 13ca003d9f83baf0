import {
  forwardTo,
  queryReply,
  startLoopbackProxy,
  type LoopbackProxy,
  type ProxyReply,
  type ProxyRequest,
} from './loopback-proxy.js'

/**
 * moto finishes a stack operation at once; a real one takes minutes and may
 * fail and roll back. This layer gives each region's execution a timeline: from
 * ExecuteChangeSet, DescribeStacks reports `<op>_IN_PROGRESS` for
 * `inProgressMs`; a region told to fail then reports the rollback
 * (ROLLBACK_IN_PROGRESS after a create, UPDATE_ROLLBACK_IN_PROGRESS after an
 * update) for `rollbackMs` and its completion after that; the others report
 * moto's real status. DescribeStackEvents lists, newest first, the events the
 * timeline has reached, shaped as AWS documents StackEvent: the stack's own
 * events (LogicalResourceId the stack name, PhysicalResourceId its ARN), each
 * resource's `<op>_IN_PROGRESS` at the start and its `<op>_COMPLETE` or, for the
 * failing resource, `<op>_FAILED` with ResourceStatusReason when the operation
 * fails (the others' "Resource creation cancelled"; a create's rollback then
 * deletes each resource), all carrying the execution's ClientRequestToken ("All events triggered
 * by a given stack operation are assigned the same client request token").
 * Simpler than AWS: one stack per region; the events of earlier operations are
 * not listed again after the execution; an update's rollback lists no per-resource events.
 */
export interface TimelineFailure {
  logicalId: string
  type: string
  reason: string
}

export interface RegionTimeline {
  inProgressMs: number
  /** The region's operation fails when `inProgressMs` is up, then rolls back for `rollbackMs`. */
  fail?: TimelineFailure & { rollbackMs: number }
}

export interface TimelineLayer extends LoopbackProxy {
  /** Region -> its next execution's timeline (regions left out finish at once, as moto does). */
  timelines: Map<string, RegionTimeline>
  /** Region -> when its change set was executed (Date.now()). */
  executedAt: Map<string, number>
  /** Region -> when its failing resource's *_FAILED event became visible (Date.now()), once it has. */
  failureShownAt: Map<string, number>
  /** The resources every execution reports events for (default: Queue, AWS::SQS::Queue). */
  resources: Array<{ logicalId: string; type: string }>
}

interface Execution {
  started: number
  timeline: RegionTimeline
  operation: 'CREATE' | 'UPDATE'
  stackId: string
  stackName: string
  token?: string
}

interface Event {
  at: number
  logicalId: string
  physicalId: string
  type: string
  status: string
  reason?: string
}

const CFN_NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/'

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The status DescribeStacks reports `elapsed` ms into the execution; undefined: moto's own. */
function statusAt(e: Execution, elapsed: number): string | undefined {
  const { inProgressMs, fail } = e.timeline
  if (elapsed < inProgressMs) return `${e.operation}_IN_PROGRESS`
  if (!fail) return undefined
  const prefix = e.operation === 'CREATE' ? 'ROLLBACK' : 'UPDATE_ROLLBACK'
  return elapsed < inProgressMs + fail.rollbackMs ? `${prefix}_IN_PROGRESS` : `${prefix}_COMPLETE`
}

function eventsOf(e: Execution, resources: TimelineLayer['resources']): Event[] {
  const { inProgressMs, fail } = e.timeline
  const op = e.operation
  const stack = { logicalId: e.stackName, physicalId: e.stackId, type: 'AWS::CloudFormation::Stack' }
  const events: Event[] = [{ at: 0, ...stack, status: `${op}_IN_PROGRESS`, reason: 'User Initiated' }]
  for (const r of resources) {
    const resource = { logicalId: r.logicalId, physicalId: '', type: r.type }
    events.push({ at: 200, ...resource, status: `${op}_IN_PROGRESS` })
    if (fail && fail.logicalId === r.logicalId) continue
    if (!fail)
      events.push({
        at: inProgressMs,
        ...resource,
        physicalId: `${r.logicalId}-physical`,
        status: `${op}_COMPLETE`,
      })
  }
  if (!fail) return [...events, { at: inProgressMs, ...stack, status: `${op}_COMPLETE` }]
  const rollback = op === 'CREATE' ? 'ROLLBACK' : 'UPDATE_ROLLBACK'
  const end = inProgressMs + fail.rollbackMs
  // The other resources' operations are cancelled; a create's rollback deletes them all.
  for (const r of resources) {
    const resource = { logicalId: r.logicalId, physicalId: '', type: r.type }
    if (r.logicalId !== fail.logicalId)
      events.push({
        at: inProgressMs,
        ...resource,
        status: `${op}_FAILED`,
        reason: op === 'CREATE' ? 'Resource creation cancelled' : 'Resource update cancelled',
      })
    if (op === 'CREATE') {
      events.push({ at: inProgressMs + 1, ...resource, status: 'DELETE_IN_PROGRESS' })
      events.push({ at: end, ...resource, status: 'DELETE_COMPLETE' })
    }
  }
  return [
    ...events,
    {
      at: inProgressMs,
      logicalId: fail.logicalId,
      physicalId: '',
      type: fail.type,
      status: `${op}_FAILED`,
      reason: fail.reason,
    },
    {
      at: inProgressMs,
      ...stack,
      status: `${rollback}_IN_PROGRESS`,
      reason: `The following resource(s) failed to ${op.toLowerCase()}: [${fail.logicalId}]. `,
    },
    { at: end, ...stack, status: `${rollback}_COMPLETE` },
  ]
}

function eventXml(e: Execution, event: Event): string {
  const fields: Record<string, string | undefined> = {
    StackId: e.stackId,
    EventId: `${event.logicalId}-${event.status}-${e.started}`,
    StackName: e.stackName,
    LogicalResourceId: event.logicalId,
    PhysicalResourceId: event.physicalId,
    ResourceType: event.type,
    Timestamp: new Date(e.started + event.at).toISOString(),
    ResourceStatus: event.status,
    ResourceStatusReason: event.reason,
    ClientRequestToken: e.token,
  }
  return `<member>${Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<${k}>${escapeXml(v!)}</${k}>`)
    .join('')}</member>`
}

function tag(body: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1]
}

export async function startTimelineLayer(target: string): Promise<TimelineLayer> {
  const timelines = new Map<string, RegionTimeline>()
  const failureShownAt = new Map<string, number>()
  const executedAt = new Map<string, number>()
  const executions = new Map<string, Execution>()
  const resources = [{ logicalId: 'Queue', type: 'AWS::SQS::Queue' }]

  /** A query of moto's own, made as the caller's request (its region and credentials). */
  const ask = async (req: ProxyRequest, params: Record<string, string>): Promise<string> => {
    const body = Buffer.from(new URLSearchParams({ Version: '2010-05-15', ...params }).toString())
    const reply = await forwardTo(target, { ...req, body })
    return reply.body?.toString() ?? ''
  }
  const describeStack = async (req: ProxyRequest, forward: () => Promise<ProxyReply>) => {
    const reply = await forward()
    const execution = executions.get(req.region)
    if (!execution || reply.status !== 200) return reply
    const status = statusAt(execution, Date.now() - execution.started)
    if (status === undefined) return reply
    const body = reply
      .body!.toString()
      .replace(/<StackStatus>[^<]*<\/StackStatus>/, `<StackStatus>${status}</StackStatus>`)
    return { ...reply, body }
  }

  const proxy = await startLoopbackProxy(target, async (req, forward) => {
    if (req.service !== 'cloudformation') return forward()
    const execution = executions.get(req.region)
    switch (req.operation) {
      case 'ExecuteChangeSet': {
        const timeline = timelines.get(req.region)
        if (!timeline) return forward()
        // Which stack and which operation: the change set says, before moto carries it out.
        const changeSet = await ask(req, {
          Action: 'DescribeChangeSet',
          ChangeSetName: req.params.get('ChangeSetName') ?? '',
          ...(req.params.get('StackName') ? { StackName: req.params.get('StackName')! } : {}),
        })
        const stackId = tag(changeSet, 'StackId') ?? ''
        // A CREATE change set's stack waits in REVIEW_IN_PROGRESS until it is executed.
        const before = tag(await ask(req, { Action: 'DescribeStacks', StackName: stackId }), 'StackStatus')
        const reply = await forward()
        if (reply.status !== 200) return reply
        executedAt.set(req.region, Date.now())
        executions.set(req.region, {
          started: Date.now(),
          timeline,
          operation: before === 'REVIEW_IN_PROGRESS' ? 'CREATE' : 'UPDATE',
          stackId,
          stackName: tag(changeSet, 'StackName') ?? '',
          ...(req.params.get('ClientRequestToken') ? { token: req.params.get('ClientRequestToken')! } : {}),
        })
        return reply
      }
      case 'DescribeStacks':
        return describeStack(req, forward)
      case 'DescribeStackEvents': {
        if (!execution) return forward()
        const elapsed = Date.now() - execution.started
        const reached = eventsOf(execution, resources)
          .filter((e) => e.at <= elapsed)
          .sort((a, b) => a.at - b.at)
          .reverse()
        const fail = execution.timeline.fail
        if (fail && elapsed >= execution.timeline.inProgressMs && !failureShownAt.has(req.region))
          failureShownAt.set(req.region, execution.started + execution.timeline.inProgressMs)
        return queryReply(
          'DescribeStackEvents',
          CFN_NAMESPACE,
          `<StackEvents>${reached.map((e) => eventXml(execution, e)).join('')}</StackEvents>`,
        )
      }
      default:
        return forward()
    }
  })
  return Object.assign(proxy, { timelines, executedAt, failureShownAt, resources })
}
