import {
  forwardTo,
  queryErrorReply,
  queryReply,
  startLoopbackProxy,
  type LoopbackProxy,
  type ProxyReply,
  type ProxyRequest,
} from './loopback-proxy.js'
import { changeSetTemplates } from './cfn-change-set-templates.js'

/**
 * CloudFormation termination protection, which moto stores but does not serve
 * (UpdateTerminationProtection answers HTTP 500) or enforce. Following the
 * CloudFormation API reference:
 * - UpdateTerminationProtection(StackName, EnableTerminationProtection) sets the
 *   flag on a stack given by name or stack id and answers its StackId; a stack
 *   that does not exist is a ValidationError.
 * - DescribeStacks reports the flag as EnableTerminationProtection.
 * - DeleteStack of a protected stack fails with a ValidationError
 *   ("Stack [name] cannot be deleted while TerminationProtection is enabled").
 * - GetTemplate with ChangeSetName answers the change set's submitted template
 *   (test/support/cfn-change-set-templates.ts), which moto ignores.
 * Everything else goes to moto unchanged. Stacks are keyed by region and name.
 */
export interface TerminationProtectionLayer extends LoopbackProxy {
  /** region/stack name -> flag, as set through the layer. */
  protectedStacks: Map<string, boolean>
}

function stackNameOf(nameOrId: string): string {
  return /^arn:[^:]+:cloudformation:[^:]+:\d+:stack\/([^/]+)\//.exec(nameOrId)?.[1] ?? nameOrId
}

export async function startTerminationProtectionLayer(
  target: string,
  /** Sees every request first, so a test can act at a chosen moment of a run. */
  observe?: (req: ProxyRequest) => void,
  /** May answer a request itself (a fault on the wire); undefined lets the layer handle it. */
  intercept?: (
    req: ProxyRequest,
    forward: () => Promise<ProxyReply>,
  ) => Promise<ProxyReply | 'drop'> | undefined,
): Promise<TerminationProtectionLayer> {
  const flags = new Map<string, boolean>()
  const key = (region: string, stack: string) => `${region}/${stackNameOf(stack)}`
  const templates = changeSetTemplates(target)
  const proxy = await startLoopbackProxy(target, async (req, forward) => {
    observe?.(req)
    const intercepted = intercept?.(req, forward)
    if (intercepted) return intercepted
    if (req.service !== 'cloudformation') return forward()
    const template = templates.answer(req)
    if (template) return template
    if (req.operation === 'CreateChangeSet') {
      const reply = await forward()
      await templates.record(req, reply)
      return reply
    }
    const stack = req.params.get('StackName') ?? ''
    if (req.operation === 'UpdateTerminationProtection') {
      const probe = await fetchStackId(target, req, stack)
      if (!probe) return queryErrorReply(400, 'ValidationError', `Stack [${stack}] does not exist`)
      flags.set(key(req.region, stack), req.params.get('EnableTerminationProtection') === 'true')
      return queryReply(
        'UpdateTerminationProtection',
        'http://cloudformation.amazonaws.com/doc/2010-05-15/',
        `<StackId>${probe}</StackId>`,
      )
    }
    if (req.operation === 'DeleteStack' && flags.get(key(req.region, stack))) {
      return queryErrorReply(
        400,
        'ValidationError',
        `Stack [${stackNameOf(stack)}] cannot be deleted while TerminationProtection is enabled`,
      )
    }
    const reply = await forward()
    if (req.operation !== 'DescribeStacks' || reply.status !== 200 || reply.body === undefined) return reply
    const body = reply.body
      .toString()
      .replace(
        /<StackId>([^<]+)<\/StackId>([\s\S]*?)<EnableTerminationProtection>(true|false)<\/EnableTerminationProtection>/g,
        (whole, id: string, middle: string) => {
          const flag = flags.get(key(req.region, id))
          return flag === undefined
            ? whole
            : `<StackId>${id}</StackId>${middle}<EnableTerminationProtection>${flag}</EnableTerminationProtection>`
        },
      )
    return { ...reply, body }
  })
  return Object.assign(proxy, { protectedStacks: flags })
}

/** The stack's id from moto (DescribeStacks sent with the caller's headers; moto does not check signatures). */
async function fetchStackId(target: string, req: ProxyRequest, stack: string): Promise<string | undefined> {
  const body = Buffer.from(
    new URLSearchParams({ Action: 'DescribeStacks', Version: '2010-05-15', StackName: stack }).toString(),
  )
  const reply = await forwardTo(target, { ...req, body })
  if (reply.status !== 200) return undefined
  return /<StackId>([^<]+)<\/StackId>/.exec(reply.body?.toString() ?? '')?.[1]
}
