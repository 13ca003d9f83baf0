import { createServer, type Server } from 'node:http'
import {
  describeTarget,
  judge,
  embeddedIpv4,
  notProbedReason,
  probe,
  probeTarget,
  SEARCH_BYTES,
} from '../../../actions/verify-failover/src/probe.js'
import {
  selfSignedCertificate,
  startHealthEndpoint,
  type HealthEndpoint,
} from '../../support/health-endpoint.js'

describe('probeTarget', () => {
  it('maps each endpoint check type like Route 53 does', () => {
    expect(
      probeTarget({
        Type: 'HTTPS_STR_MATCH',
        FullyQualifiedDomainName: 'x.example.com',
        ResourcePath: 'health',
        SearchString: 'ok',
      }),
    ).toEqual({
      protocol: 'https',
      host: 'x.example.com',
      hostName: 'x.example.com',
      port: 443,
      path: '/health',
      searchString: 'ok',
      sni: true,
    })
    expect(
      probeTarget({
        Type: 'HTTP',
        IPAddress: '192.0.2.1',
        FullyQualifiedDomainName: 'a.example.com',
        Port: 8080,
      }),
    ).toMatchObject({
      protocol: 'http',
      host: '192.0.2.1',
      hostName: 'a.example.com',
      port: 8080,
      path: '/',
      searchString: undefined,
    })
    expect(probeTarget({ Type: 'TCP', IPAddress: '192.0.2.1', Port: 22 })).toMatchObject({
      protocol: 'tcp',
      port: 22,
    })
    expect(probeTarget({ Type: 'CALCULATED' })).toBeUndefined()
    expect(probeTarget({ Type: 'HTTP' })).toBeUndefined()
  })
  it('describes targets for logs', () => {
    expect(
      describeTarget(probeTarget({ Type: 'HTTP', IPAddress: '::1', Port: 81, ResourcePath: '/h' })!),
    ).toBe('http://[::1]:81/h')
  })
})

describe('judge', () => {
  it('accepts 2xx and 3xx and finds the string only in the first 5,120 bytes', () => {
    expect(judge(200, Buffer.alloc(0)).ok).toBe(true)
    expect(judge(302, Buffer.alloc(0)).ok).toBe(true)
    expect(judge(404, Buffer.alloc(0))).toEqual({ ok: false, detail: 'HTTP status 404' })
    expect(judge(200, Buffer.from('all ok'), 'ok').ok).toBe(true)
    expect(judge(200, Buffer.from('fail'), 'ok').ok).toBe(false)
    expect(judge(200, Buffer.from(`${'x'.repeat(SEARCH_BYTES - 1)}ok`), 'ok').ok).toBe(false)
    expect(judge(200, Buffer.from(`${'x'.repeat(SEARCH_BYTES - 2)}ok`), 'ok').ok).toBe(true)
    expect(judge(200, Buffer.from('anything'), '').ok).toBe(false)
  })
})

// The test endpoints listen on 127.0.0.1, which a probe only reaches when private targets are allowed.
const LOOPBACK = { allowPrivateTargets: true }

describe("targets on the runner's own network", () => {
  it('names loopback, link-local, metadata and unspecified addresses, IPv4-mapped forms included', () => {
    expect(notProbedReason('127.0.0.1')).toBe('a loopback address')
    expect(notProbedReason('127.10.0.3')).toBe('a loopback address')
    expect(notProbedReason('::1')).toBe('a loopback address')
    expect(notProbedReason('::ffff:127.0.0.1')).toBe('a loopback address')
    expect(notProbedReason('169.254.169.254')).toBe('the instance metadata service address')
    expect(notProbedReason('fd00:ec2::254')).toBe('the instance metadata service address')
    expect(notProbedReason('169.254.1.2')).toBe('a link-local address')
    expect(notProbedReason('fe80::1')).toBe('a link-local address')
    expect(notProbedReason('febf::1')).toBe('a link-local address')
    expect(notProbedReason('0.0.0.0')).toBe('an unspecified address')
    expect(notProbedReason('::')).toBe('an unspecified address')
    for (const open of ['192.0.2.1', '8.8.8.8', '2001:db8::1', 'fec0::1', 'api.example.com'])
      expect(notProbedReason(open)).toBeUndefined()
  })

  it('names private, shared, multicast and reserved ranges, and the Azure metadata address', () => {
    const cases: Array<[string, string]> = [
      ['10.0.0.1', 'a private address'],
      ['10.255.255.255', 'a private address'],
      ['172.16.0.1', 'a private address'],
      ['172.31.255.254', 'a private address'],
      ['192.168.1.1', 'a private address'],
      ['fc00::1', 'a private address'],
      ['fd12:3456:789a::1', 'a private address'],
      ['::ffff:10.1.2.3', 'a private address'],
      ['100.64.0.1', 'a shared (carrier-grade NAT) address'],
      ['100.127.255.254', 'a shared (carrier-grade NAT) address'],
      ['224.0.0.251', 'a multicast address'],
      ['239.255.255.250', 'a multicast address'],
      ['ff02::1', 'a multicast address'],
      ['255.255.255.255', 'a reserved or broadcast address'],
      ['168.63.129.16', 'the instance metadata service address'],
    ]
    for (const [address, reason] of cases)
      expect([address, notProbedReason(address)]).toEqual([address, reason])
    for (const open of [
      '172.15.255.255',
      '172.32.0.1',
      '100.63.255.255',
      '100.128.0.1',
      '192.169.0.1',
      '168.63.129.17',
    ])
      expect([open, notProbedReason(open)]).toEqual([open, undefined])
  })

  it('reads NAT64 and 6to4 forms back to the IPv4 address they reach', () => {
    expect(embeddedIpv4('64:ff9b::a9fe:a9fe')).toEqual({ form: 'NAT64', ipv4: '169.254.169.254' })
    expect(embeddedIpv4('64:ff9b::169.254.169.254')).toEqual({ form: 'NAT64', ipv4: '169.254.169.254' })
    expect(embeddedIpv4('2002:7f00:1::')).toEqual({ form: '6to4', ipv4: '127.0.0.1' })
    expect(embeddedIpv4('2001:db8::1')).toBeUndefined()
    expect(notProbedReason('64:ff9b::a9fe:a9fe')).toBe(
      'a NAT64 form of 169.254.169.254, the instance metadata service address',
    )
    expect(notProbedReason('64:ff9b::10.0.0.1')).toBe('a NAT64 form of 10.0.0.1, a private address')
    expect(notProbedReason('64:ff9b:1::a00:1')).toBe('a NAT64 form of 10.0.0.1, a private address')
    expect(notProbedReason('64:ff9b::a83f:8110')).toBe(
      'a NAT64 form of 168.63.129.16, the instance metadata service address',
    )
    expect(notProbedReason('2002:a9fe:a9fe::1')).toBe(
      'a 6to4 form of 169.254.169.254, the instance metadata service address',
    )
    expect(notProbedReason('2002:c0a8:0101::')).toBe('a 6to4 form of 192.168.1.1, a private address')
    expect(notProbedReason('2002:7f00:0001:0:0:0:0:1')).toBe('a 6to4 form of 127.0.0.1, a loopback address')
    expect(notProbedReason('::127.0.0.1')).toBe('an IPv4-compatible form of 127.0.0.1, a loopback address')
    expect(notProbedReason('::a9fe:a9fe')).toMatch(/form of 169\.254\.169\.254, the instance metadata/)
    // The same forms of a public address are probed.
    expect(notProbedReason('64:ff9b::808:808')).toBeUndefined()
    expect(notProbedReason('2002:808:808::1')).toBeUndefined()
  })

  it('does not request a private target by address or by name unless private targets are allowed', async () => {
    const skipped = await probe(probeTarget({ Type: 'HTTP', IPAddress: '10.0.0.1', Port: 80 })!)
    expect(skipped).toMatchObject({ ok: false, skipped: '10.0.0.1 is a private address', ms: 0 })
    const nat64 = await probe(probeTarget({ Type: 'TCP', IPAddress: '64:ff9b::a9fe:a9fe', Port: 80 })!)
    expect(nat64.skipped).toBe(
      '64:ff9b::a9fe:a9fe is a NAT64 form of 169.254.169.254, the instance metadata service address',
    )
  })

  it('does not request such a target unless private targets are allowed', async () => {
    const endpoint = await startHealthEndpoint('ok')
    try {
      const config = {
        Type: 'HTTP' as const,
        IPAddress: '127.0.0.1',
        Port: endpoint.port,
        ResourcePath: '/health',
      }
      const skipped = await probe(probeTarget(config)!)
      expect(skipped).toMatchObject({
        ok: false,
        skipped: '127.0.0.1 is a loopback address',
        detail: 'not probed: 127.0.0.1 is a loopback address (set allow-private-targets: true to probe it)',
      })
      expect(endpoint.hits).toBe(0)
      // A name that resolves to loopback is refused at resolution, before any connection.
      const byName = await probe(
        probeTarget({ Type: 'TCP', FullyQualifiedDomainName: 'localhost', Port: endpoint.port })!,
      )
      expect(byName.skipped).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address$/)
      const metadata = await probe(probeTarget({ Type: 'HTTP', IPAddress: '169.254.169.254' })!)
      expect(metadata.skipped).toBe('169.254.169.254 is the instance metadata service address')
      expect(metadata.ms).toBe(0)
      expect(endpoint.hits).toBe(0)
      expect(await probe(probeTarget(config)!, LOOPBACK)).toMatchObject({ ok: true, status: 200 })
      expect(endpoint.hits).toBe(1)
    } finally {
      await endpoint.close()
    }
  })
})

describe('probe', () => {
  let endpoint: HealthEndpoint
  let slow: Server
  let slowPort: number
  beforeAll(async () => {
    endpoint = await startHealthEndpoint('ok')
    slow = createServer(() => {
      // accepts the connection and never answers
    })
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve))
    slowPort = (slow.address() as { port: number }).port
  })
  afterAll(async () => {
    await endpoint.close()
    slow.closeAllConnections()
    await new Promise((resolve) => slow.close(resolve))
  })
  const target = (extra: object = {}) =>
    probeTarget({
      Type: 'HTTP_STR_MATCH',
      IPAddress: '127.0.0.1',
      Port: endpoint.port,
      ResourcePath: '/health',
      SearchString: 'ok',
      ...extra,
    })!

  it('passes a healthy endpoint', async () => {
    endpoint.setBody('ok')
    endpoint.setStatus(200)
    expect(await probe(target(), LOOPBACK)).toMatchObject({
      ok: true,
      status: 200,
      detail: 'HTTP status 200, found "ok"',
    })
  })
  it('fails on the body, the status, a wrong path and a refused connection', async () => {
    endpoint.setBody('fail')
    expect(await probe(target(), LOOPBACK)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/"ok" not in the first 5120 bytes/),
    })
    endpoint.setBody('ok')
    endpoint.setStatus(503)
    expect(await probe(target(), LOOPBACK)).toMatchObject({ ok: false, status: 503 })
    endpoint.setStatus(200)
    expect(await probe(target({ ResourcePath: '/nope' }), LOOPBACK)).toMatchObject({ ok: false, status: 404 })
    const refused = await probe(target({ Port: 1 }), LOOPBACK)
    expect(refused.ok).toBe(false)
    expect(refused.detail).toMatch(/ECONNREFUSED/)
  })
  it('fails an endpoint that connects but does not answer in time', async () => {
    const result = await probe(target({ Port: slowPort }), { answerTimeoutMs: 200, ...LOOPBACK })
    expect(result).toMatchObject({ ok: false, detail: 'no answer within 0.2 s of connecting' })
    expect(result.ms).toBeLessThan(2000)
  })
  it('probes a TCP check by connecting', async () => {
    expect(
      await probe(probeTarget({ Type: 'TCP', IPAddress: '127.0.0.1', Port: endpoint.port })!, LOOPBACK),
    ).toMatchObject({ ok: true })
  })
  it('stops when cancelled', async () => {
    const controller = new AbortController()
    const pending = probe(target({ Port: slowPort }), { signal: controller.signal, ...LOOPBACK })
    controller.abort()
    expect(await pending).toMatchObject({ ok: false, detail: 'cancelled' })
  })
})

describe('probe over HTTPS', () => {
  let tls: HealthEndpoint
  beforeAll(async () => {
    tls = await startHealthEndpoint('ok', '/health', { tls: selfSignedCertificate() })
  })
  afterAll(() => tls.close())
  it('does not validate the certificate and sends the domain name as SNI and Host', async () => {
    const target = probeTarget({
      Type: 'HTTPS_STR_MATCH',
      IPAddress: '127.0.0.1',
      FullyQualifiedDomainName: 'api.example.com',
      Port: tls.port,
      ResourcePath: '/health',
      SearchString: 'ok',
      EnableSNI: true,
    })!
    expect(await probe(target, LOOPBACK)).toMatchObject({ ok: true, status: 200 })
    tls.setBody('fail')
    expect(await probe(target, LOOPBACK)).toMatchObject({ ok: false })
  })
})
