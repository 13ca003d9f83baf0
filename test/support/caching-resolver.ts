import { TestDNSAnswerCommand, type RRType } from '@aws-sdk/client-route-53'
import * as dnsPacket from 'dns-packet'
import { createSocket } from 'node:dgram'
import { route53Client } from './route53-topology.js'

export interface CachingResolver {
  /** `127.0.0.1:port`, as node:dns and the `resolvers` input take it. */
  server: string
  /** Questions answered from the cache, and those that asked Route 53. */
  stats: { cached: number; asked: number }
  close(): Promise<void>
}

/**
 * A recursive resolver on a loopback UDP port for the drill's `resolvers`, in
 * front of the Route 53 layer: a question it has no fresh answer for is asked
 * of Route 53 (TestDNSAnswer, with the resolver's own client subnet), and the
 * answer is kept for `ttlSeconds`, as a resolver keeps a record for its TTL (RFC
 * 1035, 3.2.1: "the time interval that the resource record may be cached").
 * Simpler than a real resolver: it serves one zone, takes the TTL it is given
 * instead of the record's, and answers A, AAAA and CNAME questions only.
 */
export async function startCachingResolver(
  route53Endpoint: string,
  zoneId: string,
  options: { ttlSeconds: number; clientSubnet?: string },
): Promise<CachingResolver> {
  const client = route53Client(route53Endpoint)
  const cache = new Map<string, { values: string[]; until: number }>()
  const stats = { cached: 0, asked: 0 }
  const socket = createSocket('udp4')
  socket.on('message', (message, remote) => {
    void (async () => {
      const query = dnsPacket.decode(message)
      const question = query.questions?.[0]
      if (!question) return
      const key = `${question.type} ${question.name.toLowerCase()}`
      let entry = cache.get(key)
      if (entry && entry.until > Date.now()) stats.cached++
      else {
        stats.asked++
        const out = await client.send(
          new TestDNSAnswerCommand({
            HostedZoneId: zoneId,
            RecordName: question.name,
            RecordType: question.type as RRType,
            ...(options.clientSubnet ? { EDNS0ClientSubnetIP: options.clientSubnet } : {}),
          }),
        )
        entry = { values: out.RecordData ?? [], until: Date.now() + options.ttlSeconds * 1000 }
        cache.set(key, entry)
      }
      const ttl = Math.max(0, Math.ceil((entry.until - Date.now()) / 1000))
      const reply = dnsPacket.encode({
        type: 'response',
        id: query.id,
        flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
        questions: [question],
        answers: entry.values.map((data) => ({
          type: question.type as 'A',
          class: 'IN' as const,
          name: question.name,
          ttl,
          data,
        })),
      })
      socket.send(reply, remote.port, remote.address)
    })().catch(() => undefined)
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return {
    server: `127.0.0.1:${socket.address().port}`,
    stats,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
}
