import {
  queryErrorReply,
  startLoopbackProxy,
  type LoopbackProxy,
  type ProxyReply,
  type ProxyRequest,
} from './loopback-proxy.js'

/**
 * CloudFormation behaviours that change management relies on and moto lacks,
 * served the way the CloudFormation API reference documents them. Every other
 * request goes to moto unchanged.
 *
 * - Replacement (ResourceChange): "For the Modify action, indicates whether
 *   CloudFormation will replace the resource by creating a new one and deleting
 *   the old one ... True, False, Conditional". moto never sets it. The test says
 *   which logical ids a change set replaces (`replacements`); the layer adds the
 *   field to every Modify of that id in DescribeChangeSet. Simpler than AWS: AWS
 *   derives it from the properties that change (RequiresRecreation); here it is
 *   given, per logical id, for every change set.
 * - LastUpdatedTime (Stack): "The time the stack was last updated. This field
 *   will only be returned if the stack has been updated at least once." moto never
 *   returns it. The layer stamps the time of each ExecuteChangeSet of an UPDATE
 *   change set (and of UpdateStack) and adds it to DescribeStacks.
 * - ExecuteChangeSet: "When you execute a change set, CloudFormation deletes all
 *   other change sets associated with the stack because they aren't valid for the
 *   updated stack." moto keeps them AVAILABLE. The layer answers
 *   DescribeChangeSet / ExecuteChangeSet of such a change set with AWS's
 *   `ChangeSetNotFound` error ("The specified change set name or ID doesn't
 *   exit", HTTP 404), and so for a change set deleted with DeleteChangeSet (moto
 *   answers those with an HTML 500).
 * Simpler than AWS throughout: stacks are keyed by region and name.
 */
export interface ChangeManagementLayer extends LoopbackProxy {
  /** logical id -> the Replacement every Modify of it reports. */
  replacements: Map<string, 'True' | 'False' | 'Conditional'>
  /** Operations seen, in order, as `region:Operation`. */
  calls: string[]
  /** Requests seen, for assertions on what was sent. */
  requests: ProxyRequest[]
  /** Change set ARNs passed to ExecuteChangeSet that the layer let through, in order. */
  executed: string[]
  reset(): void
}

interface ChangeSetRecord {
  region: string
  stackName: string
  type: string
}

function stackNameOf(nameOrId: string): string {
  return /^arn:[^:]+:cloudformation:[^:]+:\d+:stack\/([^/]+)\//.exec(nameOrId)?.[1] ?? nameOrId
}

function tag(body: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1]
}

export async function startChangeManagementLayer(
  target: string,
  /** May answer a request itself before the layer does; undefined lets the layer handle it. */
  intercept?: (
    req: ProxyRequest,
    forward: () => Promise<ProxyReply>,
  ) => Promise<ProxyReply | 'drop'> | undefined,
): Promise<ChangeManagementLayer> {
  const replacements = new Map<string, 'True' | 'False' | 'Conditional'>()
  const calls: string[] = []
  const requests: ProxyRequest[] = []
  const executed: string[] = []
  const changeSets = new Map<string, ChangeSetRecord>()
  const gone = new Set<string>()
  const lastUpdated = new Map<string, string>()
  const key = (region: string, stack: string) => `${region}/${stackNameOf(stack)}`

  /** The change set's id from its ARN, or from its name and stack. */
  const resolve = (req: ProxyRequest): string | undefined => {
    const name = req.params.get('ChangeSetName') ?? ''
    if (name.startsWith('arn:')) return name
    const stack = req.params.get('StackName') ?? ''
    for (const [id, record] of changeSets)
      if (
        record.region === req.region &&
        record.stackName === stackNameOf(stack) &&
        id.includes(`:changeSet/${name}/`)
      )
        return id
    return undefined
  }
  const notFound = (req: ProxyRequest) =>
    queryErrorReply(
      404,
      'ChangeSetNotFound',
      `ChangeSet [${req.params.get('ChangeSetName') ?? ''}] does not exist`,
    )

  const proxy = await startLoopbackProxy(target, async (req, forward) => {
    calls.push(`${req.region}:${req.operation}`)
    requests.push(req)
    const intercepted = intercept?.(req, forward)
    if (intercepted) return intercepted
    if (req.service !== 'cloudformation') return forward()
    const id = ['DescribeChangeSet', 'ExecuteChangeSet', 'DeleteChangeSet'].includes(req.operation)
      ? resolve(req)
      : undefined
    if (id && gone.has(id)) return notFound(req)

    switch (req.operation) {
      case 'CreateChangeSet': {
        const reply = await forward()
        const created = tag(reply.body?.toString() ?? '', 'Id')
        if (reply.status === 200 && created)
          changeSets.set(created, {
            region: req.region,
            stackName: req.params.get('StackName') ?? '',
            type: req.params.get('ChangeSetType') ?? 'UPDATE',
          })
        return reply
      }
      case 'DeleteChangeSet': {
        if (!id) return notFound(req)
        const reply = await forward()
        if (reply.status === 200) gone.add(id)
        return reply
      }
      case 'ExecuteChangeSet': {
        const reply = await forward()
        const record = id ? changeSets.get(id) : undefined
        if (reply.status === 200 && id && record) {
          executed.push(id)
          for (const [other, r] of changeSets)
            if (other !== id && r.region === record.region && r.stackName === record.stackName)
              gone.add(other)
          if (record.type === 'UPDATE')
            lastUpdated.set(key(record.region, record.stackName), new Date().toISOString())
        }
        return reply
      }
      case 'UpdateStack': {
        const reply = await forward()
        if (reply.status === 200)
          lastUpdated.set(key(req.region, req.params.get('StackName') ?? ''), new Date().toISOString())
        return reply
      }
      case 'DescribeChangeSet': {
        const reply = await forward()
        if (reply.status !== 200 || replacements.size === 0) return reply
        const body = reply
          .body!.toString()
          .replace(/<ResourceChange>([\s\S]*?)<\/ResourceChange>/g, (whole, inner: string) => {
            const logical = tag(inner, 'LogicalResourceId')
            const value = logical ? replacements.get(logical) : undefined
            if (tag(inner, 'Action') !== 'Modify' || !value || inner.includes('<Replacement>')) return whole
            return `<ResourceChange>${inner}<Replacement>${value}</Replacement></ResourceChange>`
          })
        return { ...reply, body }
      }
      case 'DescribeStacks': {
        const reply = await forward()
        if (reply.status !== 200) return reply
        // A stack member's StackName comes before its CreationTime (its Parameters may sit between).
        const body = reply
          .body!.toString()
          .replace(
            /(<StackName>([^<]*)<\/StackName>[\s\S]*?<CreationTime>[^<]*<\/CreationTime>)(?!<LastUpdatedTime>)/g,
            (whole, _all: string, name: string) => {
              const when = lastUpdated.get(key(req.region, name))
              return when ? `${whole}<LastUpdatedTime>${when}</LastUpdatedTime>` : whole
            },
          )
        return { ...reply, body }
      }
      default:
        return forward()
    }
  })
  return Object.assign(proxy, {
    replacements,
    calls,
    requests,
    executed,
    reset() {
      replacements.clear()
      calls.length = 0
      requests.length = 0
      executed.length = 0
      proxy.resetStats()
    },
  })
}
