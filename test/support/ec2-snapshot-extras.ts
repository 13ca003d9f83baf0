import type { ProxyHandler, ProxyReply, ProxyRequest } from './loopback-proxy.js'

/**
 * What moto lacks for EBS snapshot housekeeping, answered in front of it:
 *
 * - EC2 DescribeLockedSnapshots (moto answers an HTML 500). AWS answers the
 *   locks of the account's snapshots in the region: `snapshotSet/item` with
 *   `ownerId`, `snapshotId`, `lockState` (governance, compliance,
 *   compliance-cooloff or expired), paginated with `nextToken`.
 * - Recycle Bin ListRules (REST-JSON `POST /list-rules`; moto has no rbin):
 *   `{"Rules": [{Identifier, Description, RetentionPeriod, LockState, RuleArn}]}`.
 * - DeleteSnapshot of a locked snapshot: AWS refuses it (a client error); moto
 *   would delete it.
 * - CopySnapshot's limit of 20 concurrent copies per destination region, as
 *   AWS's `ResourceLimitExceeded` (400, not retried by the SDK): moto copies
 *   instantly and has no limit, so `copyLimitRejections` rejects that many calls.
 * - Lost replies: `loseReplies[operation]` calls are carried out by moto but
 *   their answer never arrives (the connection is dropped), so whoever repeats
 *   the call meets the first call's effect.
 */
export interface SnapshotExtrasState {
  /** region -> locked snapshots */
  locks: Map<string, Array<{ snapshotId: string; lockState: string; ownerId?: string }>>
  /** region -> Recycle Bin rules for EBS snapshots */
  recycleBinRules: Map<string, Array<{ identifier: string; retentionDays: number }>>
  /** How DescribeLockedSnapshots answers: normally, AccessDenied (UnauthorizedOperation), or as an unknown action. */
  lockApi: 'ok' | 'denied' | 'unavailable'
  copyLimitRejections: number
  loseReplies: Map<string, number>
  /** Every CopySnapshot that reached moto. */
  copiesMade: number
  /** Let Recycle Bin calls through to moto, which does not implement them. */
  recycleBinPassthrough: boolean
}

export function snapshotExtrasState(): SnapshotExtrasState {
  return {
    locks: new Map(),
    recycleBinRules: new Map(),
    lockApi: 'ok',
    copyLimitRejections: 0,
    loseReplies: new Map(),
    copiesMade: 0,
    recycleBinPassthrough: false,
  }
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** An EC2 query-protocol error (`Response/Errors/Error`). */
export function ec2ErrorReply(status: number, code: string, message: string): ProxyReply {
  return {
    status,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>00000000-0000-0000-0000-000000000000</RequestID></Response>`,
  }
}

function lockedSnapshotsReply(state: SnapshotExtrasState, req: ProxyRequest): ProxyReply {
  const locks = state.locks.get(req.region) ?? []
  const items = locks
    .map(
      (l) =>
        `<item><ownerId>${l.ownerId ?? '123456789012'}</ownerId><snapshotId>${l.snapshotId}</snapshotId><lockState>${l.lockState}</lockState></item>`,
    )
    .join('')
  return {
    status: 200,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeLockedSnapshotsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>00000000-0000-0000-0000-000000000001</requestId><snapshotSet>${items}</snapshotSet></DescribeLockedSnapshotsResponse>`,
  }
}

function listRulesReply(state: SnapshotExtrasState, req: ProxyRequest): ProxyReply {
  const rules = (state.recycleBinRules.get(req.region) ?? []).map((r) => ({
    Identifier: r.identifier,
    Description: 'retain deleted snapshots',
    RetentionPeriod: { RetentionPeriodValue: r.retentionDays, RetentionPeriodUnit: 'DAYS' },
    LockState: 'unlocked',
    RuleArn: `arn:aws:rbin:${req.region}:123456789012:rule/${r.identifier}`,
  }))
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Rules: rules }),
  }
}

function takeOne(map: Map<string, number>, key: string): boolean {
  const n = map.get(key) ?? 0
  if (n <= 0) return false
  map.set(key, n - 1)
  return true
}

export function snapshotExtrasHandler(state: SnapshotExtrasState, next?: ProxyHandler): ProxyHandler {
  return async (req, forward) => {
    const pass = () => (next ? next(req, forward) : forward())
    if (req.service === 'rbin' && req.operation === 'POST /list-rules' && !state.recycleBinPassthrough) {
      return listRulesReply(state, req)
    }
    if (req.service !== 'ec2') return pass()
    switch (req.operation) {
      case 'DescribeLockedSnapshots':
        if (state.lockApi === 'denied') {
          return ec2ErrorReply(
            403,
            'UnauthorizedOperation',
            'You are not authorized to perform this operation.',
          )
        }
        if (state.lockApi === 'unavailable') {
          return ec2ErrorReply(
            400,
            'InvalidAction',
            'The action DescribeLockedSnapshots is not valid for this web service.',
          )
        }
        return lockedSnapshotsReply(state, req)
      case 'DeleteSnapshot': {
        const id = req.params.get('SnapshotId') ?? ''
        const lock = (state.locks.get(req.region) ?? []).find(
          (l) => l.snapshotId === id && l.lockState !== 'expired',
        )
        if (lock)
          return ec2ErrorReply(400, 'SnapshotLocked', `The snapshot '${id}' is locked and can't be deleted.`)
        break
      }
      case 'CopySnapshot':
        if (state.copyLimitRejections > 0) {
          state.copyLimitRejections--
          return ec2ErrorReply(
            400,
            'ResourceLimitExceeded',
            'You have reached the limit of 20 concurrent snapshot copies in this region.',
          )
        }
        break
    }
    if (takeOne(state.loseReplies, req.operation)) {
      const reply = await pass()
      if (req.operation === 'CopySnapshot' && reply !== 'drop' && reply.status === 200) state.copiesMade++
      return 'drop'
    }
    const reply = await pass()
    if (req.operation === 'CopySnapshot' && reply !== 'drop' && reply.status === 200) state.copiesMade++
    return reply
  }
}
