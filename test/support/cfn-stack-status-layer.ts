import { startLoopbackProxy, type LoopbackProxy, type ProxyRequest } from './loopback-proxy.js'

/**
 * moto finishes every stack operation at once and never rolls a failed create
 * back (it answers the error synchronously instead), so a stack is never seen
 * in ROLLBACK_COMPLETE or in the middle of another operation. This layer makes
 * DescribeStacks report queued statuses for one stack, one per call, before it
 * reports moto's real status again: the states a deploy meets on AWS when an
 * earlier create rolled back, or another pipeline is updating the same stack.
 * Every request still goes to moto, so the stack's real lifecycle is unchanged.
 */
export interface StackStatusLayer extends LoopbackProxy {
  /** The next DescribeStacks calls for this stack report these statuses, in order. */
  queueStatuses(region: string, stackName: string, statuses: string[]): void
  /** Operations seen, in order, as `region:Operation`. */
  calls: string[]
}

function stackNameOf(nameOrId: string): string {
  return /^arn:[^:]+:cloudformation:[^:]+:\d+:stack\/([^/]+)\//.exec(nameOrId)?.[1] ?? nameOrId
}

export async function startStackStatusLayer(target: string): Promise<StackStatusLayer> {
  const queued = new Map<string, string[]>()
  const calls: string[] = []
  const proxy = await startLoopbackProxy(target, async (req: ProxyRequest, forward) => {
    calls.push(`${req.region}:${req.operation}`)
    const reply = await forward()
    if (req.operation !== 'DescribeStacks' || reply.status !== 200) return reply
    const key = `${req.region}/${stackNameOf(req.params.get('StackName') ?? '')}`
    const next = queued.get(key)?.shift()
    if (next === undefined) return reply
    const body = reply
      .body!.toString()
      .replace(/<StackStatus>[^<]*<\/StackStatus>/, `<StackStatus>${next}</StackStatus>`)
    return { ...reply, body }
  })
  return Object.assign(proxy, {
    calls,
    queueStatuses(region: string, stackName: string, statuses: string[]) {
      queued.set(`${region}/${stackName}`, [...statuses])
    },
  })
}
