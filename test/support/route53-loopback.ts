import {
  GetHealthCheckCommand,
  ListResourceRecordSetsCommand,
  paginateListHealthChecks,
  Route53Client,
  type HealthCheck,
  type HealthCheckConfig,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { BlockList, connect, isIP } from 'node:net'
import { regionDistance } from '../../actions/verify-failover/src/geo.js'
import {
  startLoopbackProxy,
  type LoopbackProxy,
  type ProxyHandler,
  type ProxyReply,
  type ProxyRequest,
} from './loopback-proxy.js'
import { directClientConfig } from './moto.js'

/**
 * A Route 53 layer in front of moto. moto stores health checks but never
 * evaluates them (GetHealthCheckStatus is a canned "Success"), never bumps
 * HealthCheckVersion, and has no TestDNSAnswer. This layer adds those parts of
 * Route 53, following the Route 53 Developer Guide and API Reference:
 *
 * Health checking ("How Amazon Route 53 determines whether a health check is
 * healthy"):
 * - Health checkers in several regions (the check's Regions, else Route 53's
 *   default eight) each call the endpoint every RequestInterval. Here one round
 *   every `roundMs` stands for one interval, so tests run in seconds; the
 *   target is really requested once per round and every checker that can reach
 *   it observes that answer (`unreachableCheckers` simulates checkers cut off
 *   from the endpoint, which observe a timeout).
 * - HTTP/HTTPS: a TCP connection within 4 s, then a 2xx or 3xx status within
 *   2 s; *_STR_MATCH: the SearchString must be in the first 5,120 bytes of the
 *   body; TCP: the connection alone. Certificates are not validated.
 * - A checker changes its verdict only after FailureThreshold consecutive
 *   observations that disagree with it (both ways).
 * - GetHealthCheckStatus answers one observation per checker; the check is
 *   healthy when more than 18% of checkers report success.
 * - Inverted: Route 53 considers the check unhealthy when the endpoint is
 *   healthy and the other way round; the checkers' reports carry the inverted
 *   verdict. Disabled: Route 53 stops calling the endpoint and considers the
 *   check healthy. Changes to a check take effect at the next round.
 * - CALCULATED checks have no checkers: one is healthy when at least
 *   HealthThreshold of its ChildHealthChecks are (HealthCheckConfig, HealthThreshold:
 *   "If you specify a number greater than the number of child health checks,
 *   Route 53 always considers this health check to be unhealthy. If you specify
 *   0, Route 53 always considers this health check to be healthy."), Inverted
 *   and Disabled applying as above. GetHealthCheckStatus refuses them (API
 *   Reference, GetHealthCheckStatus: "You can't use GetHealthCheckStatus to get
 *   the status of a calculated health check") with 400 InvalidInput, one of the
 *   errors that page lists; the message text is this layer's own. Simpler than
 *   AWS: the calculated verdict follows its children at once, with no delay of
 *   its own.
 *
 * UpdateHealthCheck (API Reference): every successful update increments
 * HealthCheckVersion; an update that names another HealthCheckVersion fails with
 * 409 HealthCheckVersionMismatch and changes nothing. An element the update
 * leaves out keeps its value; moto instead drops a CALCULATED check's
 * ChildHealthChecks (and HealthThreshold) when an update omits them, so the
 * layer copies the current ones into such an update before moto sees it.
 *
 * TestDNSAnswer (API Reference; "How Amazon Route 53 chooses records when
 * health checking is configured"): answers from the zone's records and the
 * health above:
 * - a record without a health check is always healthy; an alias that evaluates
 *   target health takes the health of its target records in the zone;
 * - failover: PRIMARY while healthy, else SECONDARY;
 * - latency: the healthy record of the region closest to the client. The
 *   client is the EDNS0 client subnet when the request names one (TestDNSAnswer,
 *   EDNS0ClientSubnetIP: "specify the IPv4 or IPv6 address of a client in the
 *   applicable location"), else the resolver (ResolverIP; without one, "a DNS
 *   resolver in the AWS US East (N. Virginia) Region"). Its region comes from
 *   `clientSubnetRegions` (CIDR -> region) or `resolverRegions` (exact address),
 *   else `defaultResolverRegion`. Simpler than AWS: Route 53 ranks regions by
 *   the latency it has measured from the client's network, and applies
 *   EDNS0ClientSubnetMask (default /24, /64) before looking; here the subnet's
 *   own region comes first among the healthy records, then the others by
 *   distance between regions, and the mask is not applied;
 * - weighted: one healthy record of non-zero weight, chosen by weight (zero
 *   weights only when no such record is healthy); multivalue: up to 8 healthy;
 * - when every record of the group is unhealthy, Route 53 treats them all as
 *   healthy and chooses among all of them.
 */
export interface Route53LoopbackOptions {
  /** How long one checker round (one RequestInterval) takes here. Default 100 ms. */
  roundMs?: number
  /** Checkers per checker region. Default 2 (16 observations with the default regions). */
  checkersPerRegion?: number
  /** How many checkers cannot reach any endpoint (a network partition). Default 0. */
  unreachableCheckers?: number
  defaultResolverRegion?: string
  /** Resolver or client-subnet IP address -> the region it sits in. */
  resolverRegions?: Record<string, string>
  /** Client subnets (CIDR, such as `3.80.0.0/12`) -> the region they sit in, for EDNS0 client subnets. */
  clientSubnetRegions?: Record<string, string>
  /** Another handler to run first (fault injection); it may forward into this layer. */
  before?: ProxyHandler
}

export interface CheckerView {
  healthy: boolean
  successes: number
  total: number
}

export interface Route53Loopback extends LoopbackProxy {
  /** Route 53's current verdict on a health check (after Inverted/Disabled). */
  health(id: string): CheckerView | undefined
  version(id: string): number | undefined
  setUnreachableCheckers(n: number): void
  /** Resolves after `n` further checker rounds. */
  rounds(n: number): Promise<void>
  /** Forgets all health checks (call with moto's reset). */
  reset(): void
}

export const DEFAULT_CHECKER_REGIONS = [
  'us-east-1',
  'us-west-1',
  'us-west-2',
  'eu-west-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
]

interface Checker {
  region: string
  ip: string
  /** The checker's current verdict on the endpoint itself (before inversion). */
  healthy?: boolean
  streak: number
  detail: string
  checkedAt: Date
}

interface CheckState {
  config: HealthCheckConfig
  checkers: Checker[]
}

const XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/'

export function route53ErrorReply(status: number, code: string, message: string): ProxyReply {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<?xml version="1.0"?>\n<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>loopback-${Date.now()}</RequestId></ErrorResponse>`,
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function normaliseName(name: string): string {
  const lower = name.toLowerCase().replace(/\\052/g, '*')
  return lower.endsWith('.') ? lower : `${lower}.`
}

/** One request to a health check's endpoint, judged as a Route 53 checker judges it. */
export function checkEndpoint(config: HealthCheckConfig): Promise<{ ok: boolean; detail: string }> {
  const type = config.Type ?? 'HTTP'
  const host = config.IPAddress || config.FullyQualifiedDomainName || ''
  const https = type.startsWith('HTTPS')
  const port = config.Port ?? (https ? 443 : 80)
  return new Promise((resolve) => {
    let done = false
    let timer: NodeJS.Timeout
    const finish = (ok: boolean, detail: string) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve({ ok, detail })
    }
    timer = setTimeout(() => finish(false, 'Failure: Connection timed out.'), 4000)
    if (type === 'TCP') {
      const socket = connect({ host, port }, () => {
        socket.destroy()
        finish(true, 'Success: TCP connection established.')
      })
      socket.on('error', (e) => finish(false, `Failure: ${e.message}`))
      return
    }
    const req = (https ? httpsRequest : httpRequest)(
      {
        host,
        port,
        path: config.ResourcePath || '/',
        agent: false,
        headers: config.FullyQualifiedDomainName ? { host: config.FullyQualifiedDomainName } : {},
        ...(https ? { rejectUnauthorized: false } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0
        const chunks: Buffer[] = []
        let size = 0
        const judge = () => {
          res.destroy()
          const line = `HTTP Status Code ${status}`
          if (status < 200 || status >= 400) return finish(false, `Failure: HTTP Status Code ${status}.`)
          if (type.endsWith('_STR_MATCH')) {
            const head = Buffer.concat(chunks).subarray(0, 5120)
            const search = config.SearchString ?? ''
            if (search === '' || !head.includes(Buffer.from(search))) {
              return finish(false, `Failure: Search string not found in the response body. ${line}.`)
            }
          }
          finish(true, `Success: ${line}, OK`)
        }
        res.on('data', (c: Buffer) => {
          chunks.push(c)
          size += c.length
          if (size >= 5120) judge()
        })
        res.on('end', judge)
        res.on('error', (e) => finish(false, `Failure: ${e.message}`))
      },
    )
    req.on('socket', (socket) => {
      socket.once('connect', () => {
        clearTimeout(timer)
        timer = setTimeout(() => {
          req.destroy()
          finish(false, 'Failure: The endpoint did not respond within 2 seconds.')
        }, 2000)
      })
    })
    req.on('error', (e) => finish(false, `Failure: ${e.message}`))
    req.end()
  })
}

export async function startRoute53Loopback(
  motoEndpoint: string,
  options: Route53LoopbackOptions = {},
): Promise<Route53Loopback> {
  const roundMs = options.roundMs ?? 100
  const perRegion = options.checkersPerRegion ?? 2
  let unreachable = options.unreachableCheckers ?? 0
  const moto = new Route53Client(directClientConfig(motoEndpoint))
  const states = new Map<string, CheckState>()
  const versions = new Map<string, number>()
  const locks = new Map<string, Promise<unknown>>()
  let roundCount = 0
  const waiters: Array<{ at: number; resolve: () => void }> = []

  const checkersFor = (config: HealthCheckConfig): Checker[] => {
    const regions = config.Regions && config.Regions.length > 0 ? config.Regions : DEFAULT_CHECKER_REGIONS
    return regions.flatMap((region, r) =>
      Array.from({ length: perRegion }, (_, k) => ({
        region,
        ip: `198.51.100.${r * perRegion + k + 1}`,
        streak: 0,
        detail: 'Pending',
        checkedAt: new Date(),
      })),
    )
  }

  async function evaluate(id: string, config: HealthCheckConfig): Promise<void> {
    const calls =
      !config.Disabled && !['CALCULATED', 'CLOUDWATCH_METRIC', 'RECOVERY_CONTROL'].includes(config.Type ?? '')
    // Probe first, so a check is never listed without a first observation.
    const observed = calls ? await checkEndpoint(config) : undefined
    let state = states.get(id)
    if (!state || state.checkers.length !== checkersFor(config).length) {
      state = { config, checkers: checkersFor(config) }
      states.set(id, state)
    }
    state.config = config
    if (!observed) return
    const threshold = config.FailureThreshold ?? 3
    state.checkers.forEach((checker, i) => {
      const seen = i < unreachable ? { ok: false, detail: 'Failure: Connection timed out.' } : observed
      checker.detail = seen.detail
      checker.checkedAt = new Date()
      if (checker.healthy === undefined || checker.healthy === seen.ok) {
        checker.healthy = seen.ok
        checker.streak = 0
      } else if (++checker.streak >= threshold) {
        checker.healthy = seen.ok
        checker.streak = 0
      }
    })
  }

  async function ensure(id: string): Promise<CheckState | undefined> {
    const known = states.get(id)
    if (known) return known
    try {
      const out = await moto.send(new GetHealthCheckCommand({ HealthCheckId: id }))
      await evaluate(id, out.HealthCheck!.HealthCheckConfig!)
      return states.get(id)
    } catch {
      return undefined
    }
  }

  /** One report per checker: its verdict (after FailureThreshold), inverted when the check is. */
  function observations(state: CheckState) {
    const { Inverted, Disabled } = state.config
    return state.checkers.map((c) => {
      if (Disabled) return { c, ok: true, status: 'Success: The health check is disabled.' }
      if (c.healthy === undefined) return { c, ok: false, status: 'Failure: No observation yet.' }
      const ok = Inverted ? !c.healthy : c.healthy
      const last = c.detail.replace(/^(Success|Failure): /, '')
      return {
        c,
        ok,
        status: `${ok ? 'Success' : 'Failure'}: ${Inverted ? 'The health check is inverted. ' : ''}${last}`,
      }
    })
  }

  function view(state: CheckState, depth = 0): CheckerView {
    if (state.config.Type === 'CALCULATED') return calculatedView(state.config, depth)
    const obs = observations(state)
    const successes = obs.filter((o) => o.ok).length
    return { healthy: obs.length > 0 && successes / obs.length > 0.18, successes, total: obs.length }
  }

  /** successes/total count the child checks here. */
  function calculatedView(config: HealthCheckConfig, depth: number): CheckerView {
    const children = config.ChildHealthChecks ?? []
    const healthyChildren = children.filter((id) => {
      const child = states.get(id)
      return child !== undefined && depth < 3 && view(child, depth + 1).healthy
    }).length
    if (config.Disabled) return { healthy: true, successes: healthyChildren, total: children.length }
    const met = healthyChildren >= (config.HealthThreshold ?? children.length)
    return { healthy: config.Inverted ? !met : met, successes: healthyChildren, total: children.length }
  }

  async function listHealthChecks(): Promise<HealthCheck[]> {
    const all: HealthCheck[] = []
    for await (const page of paginateListHealthChecks({ client: moto }, {}))
      all.push(...(page.HealthChecks ?? []))
    return all
  }

  let stopped = false
  let timer: NodeJS.Timeout | undefined
  async function round(): Promise<void> {
    try {
      const checks = await listHealthChecks()
      const seen = new Set(checks.map((c) => c.Id!))
      await Promise.all(checks.map((c) => evaluate(c.Id!, c.HealthCheckConfig!)))
      for (const id of states.keys()) if (!seen.has(id)) states.delete(id)
    } catch {
      // moto restarting or reset mid-round: the next round reads again.
    }
    roundCount++
    for (const w of waiters.filter((w) => w.at <= roundCount)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
    if (!stopped) {
      timer = setTimeout(() => void round(), roundMs)
      timer.unref()
    }
  }

  /** Puts the layer's HealthCheckVersion into every <HealthCheck> block of a reply. */
  function rewriteVersions(body: string): string {
    return body.replace(/<HealthCheck>([\s\S]*?)<\/HealthCheck>/g, (block) => {
      const id = /<Id>([^<]+)<\/Id>/.exec(block)?.[1]
      if (!id) return block
      if (!versions.has(id)) versions.set(id, 1)
      return block.replace(
        /<HealthCheckVersion>\d+<\/HealthCheckVersion>/,
        `<HealthCheckVersion>${versions.get(id)}</HealthCheckVersion>`,
      )
    })
  }

  /** Copies a CALCULATED check's children into an update that leaves them out (see the header). */
  async function keepChildren(id: string, req: ProxyRequest): Promise<void> {
    const body = req.body.toString()
    if (/<ChildHealthChecks>|<HealthThreshold>/.test(body)) return
    let config: HealthCheckConfig | undefined
    try {
      config = (await moto.send(new GetHealthCheckCommand({ HealthCheckId: id }))).HealthCheck
        ?.HealthCheckConfig
    } catch {
      return
    }
    if (config?.Type !== 'CALCULATED') return
    const kept =
      (config.HealthThreshold !== undefined
        ? `<HealthThreshold>${config.HealthThreshold}</HealthThreshold>`
        : '') +
      `<ChildHealthChecks>${(config.ChildHealthChecks ?? []).map((c) => `<ChildHealthCheck>${escapeXml(c)}</ChildHealthCheck>`).join('')}</ChildHealthChecks>`
    ;(req as { body: Buffer }).body = Buffer.from(
      body.replace('</UpdateHealthCheckRequest>', `${kept}</UpdateHealthCheckRequest>`),
    )
  }

  function withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(id) ?? Promise.resolve()
    const next = previous.then(fn, fn)
    locks.set(
      id,
      next.catch(() => undefined),
    )
    return next
  }

  async function recordSets(zoneId: string): Promise<ResourceRecordSet[] | undefined> {
    const all: ResourceRecordSet[] = []
    let start: { name?: string; type?: string; id?: string } = {}
    try {
      for (;;) {
        const page = await moto.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: zoneId,
            StartRecordName: start.name,
            StartRecordType: start.type as never,
            StartRecordIdentifier: start.id,
          }),
        )
        all.push(...(page.ResourceRecordSets ?? []))
        if (!page.IsTruncated) return all
        start = { name: page.NextRecordName, type: page.NextRecordType, id: page.NextRecordIdentifier }
      }
    } catch {
      return undefined
    }
  }

  async function recordHealthy(
    set: ResourceRecordSet,
    all: ResourceRecordSet[],
    depth = 0,
  ): Promise<boolean> {
    if (set.HealthCheckId) {
      const state = await ensure(set.HealthCheckId)
      return state ? view(state).healthy : true
    }
    if (set.AliasTarget?.EvaluateTargetHealth && depth < 3) {
      const target = all.filter(
        (s) => normaliseName(s.Name!) === normaliseName(set.AliasTarget!.DNSName!) && s.Type === set.Type,
      )
      if (target.length === 0) return true
      const health = await Promise.all(target.map((t) => recordHealthy(t, all, depth + 1)))
      return health.some(Boolean)
    }
    return true
  }

  async function chooseAnswer(group: ResourceRecordSet[], all: ResourceRecordSet[], resolverRegion: string) {
    const health = await Promise.all(group.map((s) => recordHealthy(s, all)))
    const healthy = group.filter((_, i) => health[i])
    // No healthy record: Route 53 treats all of them as healthy.
    const pool = healthy.length > 0 ? healthy : group
    const first = group[0]!
    if (first.Failover) {
      return [
        pool.find((s) => s.Failover === 'PRIMARY') ??
          pool.find((s) => s.Failover === 'SECONDARY') ??
          pool[0]!,
      ]
    }
    if (first.Region) {
      const sorted = [...pool].sort(
        (a, b) => regionDistance(resolverRegion, a.Region!) - regionDistance(resolverRegion, b.Region!),
      )
      return [sorted[0]!]
    }
    if (first.Weight !== undefined) {
      let candidates = pool.filter((s) => (s.Weight ?? 0) > 0)
      if (candidates.length === 0) candidates = pool
      const total = candidates.reduce((sum, s) => sum + (s.Weight ?? 0), 0)
      let pick = Math.random() * total
      for (const s of candidates) {
        pick -= s.Weight ?? 0
        if (pick < 0) return [s]
      }
      return [candidates[0]!]
    }
    if (first.MultiValueAnswer) return pool.slice(0, 8)
    return pool
  }

  async function valuesOf(
    set: ResourceRecordSet,
    all: ResourceRecordSet[],
    resolverRegion: string,
    depth = 0,
  ): Promise<string[]> {
    if (set.AliasTarget) {
      const name = normaliseName(set.AliasTarget.DNSName!)
      const target = all.filter((s) => normaliseName(s.Name!) === name && s.Type === set.Type)
      if (target.length === 0 || depth >= 3) return [set.AliasTarget.DNSName!.replace(/\.$/, '')]
      const chosen = await chooseAnswer(target, all, resolverRegion)
      return (await Promise.all(chosen.map((s) => valuesOf(s, all, resolverRegion, depth + 1)))).flat()
    }
    return (set.ResourceRecords ?? []).map((r) => r.Value!)
  }

  const subnets = Object.entries(options.clientSubnetRegions ?? {}).map(([cidr, region]) => {
    const [address, bits] = cidr.split('/')
    const family = isIP(address!) === 6 ? 'ipv6' : 'ipv4'
    const list = new BlockList()
    list.addSubnet(address!, Number(bits ?? (family === 'ipv6' ? 128 : 32)), family)
    return { list, family, region }
  })

  /** The region latency routing answers for: the client subnet's, else the resolver's (see the header). */
  function clientRegion(query: URLSearchParams): string {
    const subnet = query.get('edns0clientsubnetip') ?? ''
    const family = isIP(subnet) === 6 ? 'ipv6' : 'ipv4'
    const bySubnet = subnet
      ? subnets.find((s) => s.family === family && s.list.check(subnet, family))
      : undefined
    return (
      bySubnet?.region ??
      options.resolverRegions?.[subnet] ??
      options.resolverRegions?.[query.get('resolverip') ?? ''] ??
      options.defaultResolverRegion ??
      'us-east-1'
    )
  }

  async function testDnsAnswer(query: URLSearchParams): Promise<ProxyReply> {
    const zoneId = (query.get('hostedzoneid') ?? '').replace(/^\/?hostedzone\//, '')
    const name = normaliseName(query.get('recordname') ?? '')
    const type = query.get('recordtype') ?? ''
    if (!zoneId || name === '.' || !type)
      return route53ErrorReply(400, 'InvalidInput', 'hostedzoneid, recordname and recordtype are required')
    const all = await recordSets(zoneId)
    if (!all) return route53ErrorReply(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${zoneId}`)
    const atName = all.filter((s) => normaliseName(s.Name!) === name)
    const group = atName.filter((s) => s.Type === type)
    const resolverRegion = clientRegion(query)
    const chosen = group.length > 0 ? await chooseAnswer(group, all, resolverRegion) : []
    const values = (await Promise.all(chosen.map((s) => valuesOf(s, all, resolverRegion)))).flat()
    const code = atName.length === 0 ? 'NXDOMAIN' : 'NOERROR'
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<TestDNSAnswerResponse xmlns="${XMLNS}">` +
      `<Nameserver>ns-1.awsdns-01.org</Nameserver><RecordName>${escapeXml(name)}</RecordName><RecordType>${escapeXml(type)}</RecordType>` +
      `<RecordData>${values.map((v) => `<RecordDataEntry>${escapeXml(v)}</RecordDataEntry>`).join('')}</RecordData>` +
      `<ResponseCode>${code}</ResponseCode><Protocol>UDP</Protocol></TestDNSAnswerResponse>`
    return { status: 200, headers: { 'content-type': 'text/xml' }, body }
  }

  async function healthCheckStatus(id: string): Promise<ProxyReply> {
    const state = await ensure(id)
    if (!state)
      return route53ErrorReply(404, 'NoSuchHealthCheck', `A health check with id ${id} does not exist.`)
    if (state.config.Type === 'CALCULATED')
      return route53ErrorReply(
        400,
        'InvalidInput',
        `Health check ${id} is a calculated health check: GetHealthCheckStatus does not report the status of calculated health checks.`,
      )
    const items = observations(state)
      .map(
        ({ c, status }) =>
          `<HealthCheckObservation><Region>${c.region}</Region><IPAddress>${c.ip}</IPAddress><StatusReport><Status>${escapeXml(status)}</Status><CheckedTime>${c.checkedAt.toISOString()}</CheckedTime></StatusReport></HealthCheckObservation>`,
      )
      .join('')
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<GetHealthCheckStatusResponse xmlns="${XMLNS}"><HealthCheckObservations>${items}</HealthCheckObservations></GetHealthCheckStatusResponse>`,
    }
  }

  const route53 = async (req: ProxyRequest, forward: () => Promise<ProxyReply>): Promise<ProxyReply> => {
    if (req.service !== 'route53') return forward()
    const [path, search = ''] = req.path.split('?')
    const query = new URLSearchParams(search)
    const hc = /^\/2013-04-01\/healthcheck\/([^/]+)(\/status)?$/.exec(path!)
    if (req.method === 'GET' && path === '/2013-04-01/testdnsanswer') return testDnsAnswer(query)
    if (hc && hc[2] && req.method === 'GET') return healthCheckStatus(decodeURIComponent(hc[1]!))
    if (hc && !hc[2] && req.method === 'POST') {
      const id = decodeURIComponent(hc[1]!)
      return withLock(id, async () => {
        const asked = /<HealthCheckVersion>(\d+)<\/HealthCheckVersion>/.exec(req.body.toString())?.[1]
        const current = versions.get(id) ?? 1
        if (asked !== undefined && Number(asked) !== current) {
          return route53ErrorReply(
            409,
            'HealthCheckVersionMismatch',
            `The value of HealthCheckVersion in the request (${asked}) does not match the current version (${current}).`,
          )
        }
        await keepChildren(id, req)
        const reply = await forward()
        if (reply.status !== 200) return reply
        versions.set(id, current + 1)
        return { ...reply, body: rewriteVersions(Buffer.from(reply.body ?? '').toString()) }
      })
    }
    const reply = await forward()
    if (hc && !hc[2] && req.method === 'DELETE' && reply.status < 300) {
      states.delete(decodeURIComponent(hc[1]!))
      versions.delete(decodeURIComponent(hc[1]!))
    }
    if (path!.startsWith('/2013-04-01/healthcheck') && reply.status < 300 && reply.body) {
      return { ...reply, body: rewriteVersions(Buffer.from(reply.body).toString()) }
    }
    return reply
  }

  const handler: ProxyHandler = options.before
    ? (req, forward) => options.before!(req, () => route53(req, forward))
    : route53
  const proxy = await startLoopbackProxy(motoEndpoint, handler)
  void round()
  return {
    ...proxy,
    health: (id) => {
      const state = states.get(id)
      return state ? view(state) : undefined
    },
    version: (id) => versions.get(id),
    setUnreachableCheckers: (n) => {
      unreachable = n
    },
    rounds: (n) => new Promise<void>((resolve) => waiters.push({ at: roundCount + n, resolve })),
    reset: () => {
      states.clear()
      versions.clear()
    },
    close: async () => {
      stopped = true
      clearTimeout(timer)
      for (const w of waiters.splice(0)) w.resolve()
      moto.destroy()
      await proxy.close()
    },
  }
}
