import {
  forwardTo,
  queryErrorReply,
  startLoopbackProxy,
  type LoopbackProxy,
  type ProxyReply,
  type ProxyRequest,
  type ProxyStats,
} from './loopback-proxy.js'

/**
 * A loopback layer in front of moto_server for CloudFormation StackSets. moto
 * finishes every StackSet operation at once and skips several documented
 * behaviours; this layer adds them back, each as described in the AWS
 * CloudFormation API Reference:
 *
 * - OperationId (CreateStackInstances, UpdateStackInstances, DeleteStackInstances,
 *   UpdateStackSet): "the operation ID also functions as an idempotency token, to
 *   ensure that CloudFormation performs the stack set operation only once". The
 *   operation is known by the id the caller passed, and a repeated id is answered
 *   with OperationIdAlreadyExistsException (409). moto ignores the id on the
 *   instance calls and makes up its own, so ids are mapped both ways here.
 * - DescribeStackSetOperation / ListStackSetOperationResults of an unknown id:
 *   OperationNotFoundException (404) (moto: a ValidationError).
 * - CreateStackSet: ClientRequestToken lets a retried request return the first
 *   answer; another request for a name in use gets NameAlreadyExistsException
 *   (409) (moto creates a second stack set with the same name).
 * - DescribeStackSet reports the Capabilities and ManagedExecution last set
 *   (moto drops both).
 * - UpdateStackSet with an empty Tags list (the SDK sends `Tags=`) removes the
 *   stack set's tags. API Reference, UpdateStackSet, Tags: "If you specify an
 *   empty value, CloudFormation removes all currently associated tags." (and
 *   from every stack instance, which this layer does not model); moto ignores
 *   the empty list and keeps them.
 * - CreateStackInstances with DeploymentTargets.AccountFilterType UNION is
 *   refused with a ValidationError. API Reference, DeploymentTargets,
 *   AccountFilterType: "Note that UNION is not supported for
 *   CreateStackInstances operations." (moto accepts it; the exact AWS message
 *   is not documented, so this one is ours.)
 * - CreateStackSet / UpdateStackSet with AutoDeployment.RetainStacksOnAccountRemoval
 *   while AutoDeployment.Enabled is not true is refused with a ValidationError.
 *   API Reference, AutoDeployment, RetainStacksOnAccountRemoval: "If set to true,
 *   stack resources are retained when an account is removed from a target
 *   organization or OU. ... Specify only if Enabled is set to True." (moto
 *   accepts it; the exact AWS message is not documented, so this one is ours.)
 * - Optional: the first N operation-starting calls answer
 *   OperationInProgressException (409, "Another Operation on StackSet ... is in
 *   progress"), which AWS returns while another operation runs on the stack set
 *   and which the SDK does not retry.
 * - Optional: operations report RUNNING for the first K polls (AWS operations take
 *   minutes), an account/region that fails (the operation ends FAILED, its result
 *   is FAILED with a StatusReason and the instance becomes OUTDATED with detailed
 *   status FAILED), and lost replies (the call is carried out but the answer is
 *   never sent, so the SDK retries into the first call's effect).
 */
export interface StackSetLoopbackOptions {
  /** Answer this many operation-starting calls with OperationInProgressException. */
  operationInProgress?: number
  /** DescribeStackSetOperation shows RUNNING for this many polls of each operation. */
  runningPolls?: number
  /** Operations that touch this account/region fail there. */
  failInstance?: { account: string; region: string; reason: string }
  /** Carry out these calls but drop the connection instead of answering (once each, per listed entry). */
  loseReplies?: string[]
  /** Called for every CloudFormation request before it is answered. */
  onRequest?: (req: ProxyRequest) => void
}

export const OPERATION_STARTERS = [
  'UpdateStackSet',
  'CreateStackInstances',
  'UpdateStackInstances',
  'DeleteStackInstances',
]
export const MUTATING_STACKSET_CALLS = [
  ...OPERATION_STARTERS,
  'CreateStackSet',
  'DeleteStackSet',
  'StopStackSetOperation',
]

export interface StackSetLoopback extends LoopbackProxy {
  options: StackSetLoopbackOptions
  /** Counters of what the layer itself answered. */
  answered: {
    operationInProgress: number
    operationIdRepeats: number
    tokenReplays: number
    lostReplies: number
  }
  /** Forget operation ids, tokens and names (call with moto's reset). */
  resetState(): void
}

/** Calls that change a stack set, counted from the proxy's statistics. */
export function mutatingCalls(stats: ProxyStats): number {
  return MUTATING_STACKSET_CALLS.reduce((n, op) => n + (stats.byOperation.get(op) ?? 0), 0)
}

interface OperationState {
  motoId: string
  polls: number
  pairs: Array<[string, string]>
  fails: boolean
}

function members(params: URLSearchParams, name: string): string[] {
  const out: string[] = []
  for (let i = 1; params.has(`${name}.member.${i}`); i++) out.push(params.get(`${name}.member.${i}`)!)
  return out
}

const text = (reply: ProxyReply) => (reply.body === undefined ? '' : Buffer.from(reply.body).toString())
const withBody = (reply: ProxyReply, body: string): ProxyReply => ({ ...reply, body })

export async function startStackSetLoopback(
  target: string,
  options: StackSetLoopbackOptions = {},
): Promise<StackSetLoopback> {
  const operations = new Map<string, OperationState>()
  const failedPairs = new Map<string, string>()
  const tokens = new Map<string, ProxyReply>()
  const names = new Set<string>()
  const capabilities = new Map<string, string[]>()
  const managed = new Map<string, boolean>()
  const tagsRemoved = new Set<string>()
  const answered = { operationInProgress: 0, operationIdRepeats: 0, tokenReplays: 0, lostReplies: 0 }
  let lost = [...(options.loseReplies ?? [])]

  const resend = (req: ProxyRequest, params: URLSearchParams) =>
    forwardTo(target, { ...req, params, body: Buffer.from(params.toString()) })

  const failing = (pairs: Array<[string, string]>) =>
    options.failInstance !== undefined &&
    pairs.some(([a, r]) => a === options.failInstance!.account && r === options.failInstance!.region)

  async function handle(req: ProxyRequest, forward: () => Promise<ProxyReply>): Promise<ProxyReply> {
    const p = req.params
    const op = req.operation
    const name = p.get('StackSetName') ?? ''

    if (
      (op === 'CreateStackSet' || op === 'UpdateStackSet') &&
      p.get('AutoDeployment.Enabled') !== 'true' &&
      p.has('AutoDeployment.RetainStacksOnAccountRemoval')
    ) {
      return queryErrorReply(
        400,
        'ValidationError',
        'RetainStacksOnAccountRemoval can be specified only when AutoDeployment is enabled.',
      )
    }

    if (op === 'CreateStackInstances' && p.get('DeploymentTargets.AccountFilterType') === 'UNION') {
      return queryErrorReply(
        400,
        'ValidationError',
        'AccountFilterType UNION is not supported for CreateStackInstances operations.',
      )
    }

    if (OPERATION_STARTERS.includes(op)) {
      const requested = p.get('OperationId')
      if (requested && operations.has(requested)) {
        answered.operationIdRepeats++
        return queryErrorReply(
          409,
          'OperationIdAlreadyExistsException',
          `The operation ID ${requested} already exists.`,
        )
      }
      if (answered.operationInProgress < (options.operationInProgress ?? 0)) {
        answered.operationInProgress++
        return queryErrorReply(
          409,
          'OperationInProgressException',
          `Another Operation on StackSet ${name} is in progress`,
        )
      }
      const reply = await forward()
      const body = text(reply)
      const motoId = /<OperationId>([^<]+)<\/OperationId>/.exec(body)?.[1]
      if (reply.status !== 200 || !motoId) return reply
      const mine = requested ?? motoId
      let pairs: Array<[string, string]> = []
      const accounts = members(p, 'Accounts')
      for (const a of accounts) for (const r of members(p, 'Regions')) pairs.push([a, r])
      // UpdateStackSet without accounts updates every instance.
      const everyInstance = op === 'UpdateStackSet' && accounts.length === 0
      if (everyInstance && options.failInstance)
        pairs = [[options.failInstance.account, options.failInstance.region]]
      const state: OperationState = {
        motoId,
        polls: 0,
        pairs,
        fails: op !== 'DeleteStackInstances' && failing(pairs),
      }
      // An instance stays OUTDATED after a failed operation until a later one succeeds on it.
      if (state.fails)
        failedPairs.set(
          `${options.failInstance!.account}/${options.failInstance!.region}`,
          options.failInstance!.reason,
        )
      else if (everyInstance) failedPairs.clear()
      else for (const [a, r] of pairs) failedPairs.delete(`${a}/${r}`)
      operations.set(mine, state)
      if (op === 'UpdateStackSet') {
        if (p.get('Tags') === '') tagsRemoved.add(name)
        else if (p.has('Tags.member.1')) tagsRemoved.delete(name)
        capabilities.set(name, members(p, 'Capabilities'))
        if (p.has('ManagedExecution.Active')) managed.set(name, p.get('ManagedExecution.Active') === 'true')
      }
      return withBody(reply, body.replace(motoId, mine))
    }

    if (op === 'CreateStackSet') {
      const token = p.get('ClientRequestToken')
      if (token && tokens.has(token)) {
        answered.tokenReplays++
        return tokens.get(token)!
      }
      if (names.has(name))
        return queryErrorReply(409, 'NameAlreadyExistsException', `StackSet ${name} already exists`)
      const reply = await forward()
      if (reply.status === 200) {
        names.add(name)
        if (token) tokens.set(token, reply)
        capabilities.set(name, members(p, 'Capabilities'))
        managed.set(name, p.get('ManagedExecution.Active') === 'true')
      }
      return reply
    }

    if (op === 'DeleteStackSet') {
      const reply = await forward()
      if (reply.status === 200) names.delete(name)
      return reply
    }

    if (op === 'DescribeStackSet') {
      const reply = await forward()
      if (reply.status !== 200) return reply
      let body = text(reply)
      const stackSetName = /<StackSetName>([^<]+)<\/StackSetName>/.exec(body)?.[1] ?? name
      if (tagsRemoved.has(stackSetName)) body = body.replace(/<Tags>[\s\S]*?<\/Tags>/, '<Tags/>')
      const caps = capabilities.get(stackSetName) ?? []
      if (caps.length > 0) {
        body = body.replace(
          '</StackSet>',
          `<Capabilities>${caps.map((c) => `<member>${c}</member>`).join('')}</Capabilities></StackSet>`,
        )
      }
      if (managed.has(stackSetName)) {
        body = body.replace(
          /<ManagedExecution><Active>\w+<\/Active><\/ManagedExecution>/,
          `<ManagedExecution><Active>${managed.get(stackSetName)}</Active></ManagedExecution>`,
        )
      }
      return withBody(reply, body)
    }

    if (
      op === 'DescribeStackSetOperation' ||
      op === 'ListStackSetOperationResults' ||
      op === 'StopStackSetOperation'
    ) {
      const mine = p.get('OperationId') ?? ''
      const state = operations.get(mine)
      if (!state)
        return queryErrorReply(
          404,
          'OperationNotFoundException',
          `The specified operation ID ${mine} does not exist.`,
        )
      const params = new URLSearchParams(p)
      params.set('OperationId', state.motoId)
      const reply = await resend(req, params)
      if (reply.status !== 200) return reply
      let body = text(reply).split(state.motoId).join(mine)
      if (op === 'DescribeStackSetOperation') {
        state.polls++
        if (state.polls <= (options.runningPolls ?? 0)) {
          body = body
            .replace(/<Status>SUCCEEDED<\/Status>/, '<Status>RUNNING</Status>')
            .replace(/<EndTimestamp>[^<]*<\/EndTimestamp>/, '')
        } else if (state.fails) {
          body = body.replace(
            /<Status>SUCCEEDED<\/Status>/,
            '<Status>FAILED</Status><StatusReason>The operation failed in at least one account and region.</StatusReason>',
          )
        }
      }
      if (op === 'ListStackSetOperationResults' && state.fails) {
        const { account, region, reason } = options.failInstance!
        body = body.replace(/<member>([\s\S]*?)<\/member>/g, (whole: string, inner: string) =>
          inner.includes(`<Account>${account}</Account>`) && inner.includes(`<Region>${region}</Region>`)
            ? `<member>${inner.replace('<Status>SUCCEEDED</Status>', `<Status>FAILED</Status><StatusReason>${reason}</StatusReason>`)}</member>`
            : whole,
        )
      }
      return withBody(reply, body)
    }

    if (op === 'ListStackInstances' && failedPairs.size > 0) {
      const reply = await forward()
      const body = text(reply).replace(/<member>([\s\S]*?)<\/member>/g, (whole: string, inner: string) => {
        const account = /<Account>([^<]+)<\/Account>/.exec(inner)?.[1]
        const region = /<Region>([^<]+)<\/Region>/.exec(inner)?.[1]
        const reason = failedPairs.get(`${account}/${region}`)
        return reason !== undefined
          ? `<member>${inner
              .replace(
                '<Status>CURRENT</Status>',
                `<Status>OUTDATED</Status><StatusReason>${reason}</StatusReason>`,
              )
              .replace(
                '<DetailedStatus>SUCCEEDED</DetailedStatus>',
                '<DetailedStatus>FAILED</DetailedStatus>',
              )}</member>`
          : whole
      })
      return withBody(reply, body)
    }

    return forward()
  }

  const proxy = await startLoopbackProxy(target, async (req, forward) => {
    if (req.service !== 'cloudformation') return forward()
    options.onRequest?.(req)
    const reply = await handle(req, forward)
    const index = lost.indexOf(req.operation)
    if (index !== -1 && reply.status === 200) {
      lost.splice(index, 1)
      answered.lostReplies++
      return 'drop'
    }
    return reply
  })
  return Object.assign(proxy, {
    options,
    answered,
    resetState: () => {
      operations.clear()
      failedPairs.clear()
      tokens.clear()
      names.clear()
      capabilities.clear()
      managed.clear()
      tagsRemoved.clear()
      lost = [...(options.loseReplies ?? [])]
      for (const key of Object.keys(answered) as Array<keyof typeof answered>) answered[key] = 0
    },
  })
}
