/**
 * Simulated snapshot ages. moto stamps every snapshot with the moment it was
 * created, so a few weeks of nightly backups cannot be seeded in seconds. The
 * demo records the time each seeded snapshot stands for, and this handler, in
 * front of moto, answers that time as the snapshot's `startTime` in EC2
 * DescribeSnapshots (an `item` of `snapshotSet` per snapshot, as in the EC2 API
 * Reference). Snapshots it does not know (the DR copies the action makes) keep
 * moto's time, which is right: a copy starts when it is made.
 */
import type { ProxyHandler } from '../test/support/loopback-proxy.js'

/** snapshot id -> the ISO time the snapshot stands for */
export type SnapshotAges = Map<string, string>

export function snapshotAgesHandler(ages: SnapshotAges): ProxyHandler {
  return async (req, forward) => {
    const reply = await forward()
    if (req.service !== 'ec2' || req.operation !== 'DescribeSnapshots' || reply.status !== 200) return reply
    if (ages.size === 0 || reply.body === undefined) return reply
    const body = rewriteStartTimes(Buffer.from(reply.body).toString(), ages)
    return { ...reply, body }
  }
}

/** Replaces `startTime` in each outer `item` (a snapshot; tags are nested items) whose id is known. */
export function rewriteStartTimes(xml: string, ages: SnapshotAges): string {
  let out = ''
  let depth = 0
  let start = 0
  let copied = 0
  for (const m of xml.matchAll(/<(\/?)item>/g)) {
    if (m[1] === '') {
      if (depth++ === 0) start = m.index
      continue
    }
    if (--depth !== 0) continue
    const end = m.index + m[0].length
    const item = xml.slice(start, end)
    const id = /<snapshotId>([^<]+)<\/snapshotId>/.exec(item)?.[1]
    const at = id === undefined ? undefined : ages.get(id)
    if (at === undefined) continue
    out +=
      xml.slice(copied, start) + item.replace(/<startTime>[^<]*<\/startTime>/, `<startTime>${at}</startTime>`)
    copied = end
  }
  return out + xml.slice(copied)
}
