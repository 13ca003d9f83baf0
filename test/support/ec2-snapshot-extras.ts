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
 * - DeleteSnapshot of a locked snapshot is refused with `lockedDeleteCode`
 *   (`SnapshotLocked` unless a test says otherwise): "While a snapshot is
 *   locked, it can't be deleted by any user, regardless of their IAM
 *   permissions" (EBS User Guide, "Amazon EBS snapshot lock"). The EC2 API
 *   reference does not list the code; the message names the lock.
 * - CopySnapshot's limit, as the EBS User Guide ("Copy an Amazon EBS snapshot")
 *   states it: "There is a limit of 20 concurrent snapshot copy requests per
 *   destination Region. If you exceed this quota, you receive a
 *   ResourceLimitExceeded error." (400, not retried by the SDK). moto copies
 *   instantly; with `copyPendingMs` set, a copy made through this layer stays
 *   `pending` that long (DescribeSnapshots answers State `pending`, and its
 *   `status` filter sees it so) and holds one of its destination's 20 slots
 *   until then, as AWS's copies do for minutes to hours. Simpler than AWS: the
 *   pending time is fixed or drawn by the test, progress is not reported, and
 *   only copies made through this layer are counted. `copyLimitRejections`
 *   rejects that many calls outright (a full destination the test cannot see).
 * - Snapshot states moto never shows: `states` overrides a snapshot's State in
 *   DescribeSnapshots (e.g. `error`, one of AWS's "pending | completed | error |
 *   recoverable | recovering").
 * - Lost replies: `loseReplies[operation]` calls are carried out by moto but
 *   their answer never arrives (the connection is dropped), so whoever repeats
 *   the call meets the first call's effect.
 * - Restore timing. moto makes a volume `available` at once; AWS's CreateVolume
 *   answers `creating` and DescribeVolumes shows "creating | available | in-use
 *   | deleting | deleted | error" (EC2 API Reference, Volume). A volume created
 *   through this layer stays `creating` for `volumeCreatingMs`, and for ever
 *   when its snapshot is in `volumesNeverAvailable` (a restore that hangs).
 *   Simpler than AWS: DeleteVolume of a `creating` volume goes through (AWS
 *   documents only that the volume must be `available`, not attached).
 * - The archive tier (moto has no ModifySnapshotTier: HTTP 500, and no
 *   StorageTier). ModifySnapshotTier (`StorageTier` "You must specify archive")
 *   answers `snapshotId` and `tieringStartTime`, as the API reference shows;
 *   DescribeSnapshots then answers `storageTier` archive for it (standard for
 *   every other snapshot), and DescribeSnapshotTierStatus answers its
 *   SnapshotTierStatus (`storageTier`, `lastTieringStartTime`,
 *   `lastTieringOperationStatus`, `archivalCompleteTime`). `archived` can hold
 *   snapshots archived at a time the test chooses. Simpler than AWS: archival
 *   completes at once (AWS takes hours: `archival-in-progress` meanwhile), and
 *   DescribeSnapshotTierStatus lists only the archived snapshots (AWS lists
 *   every snapshot's tier), which is all the action reads from it.
 * - CopySnapshot of a snapshot another account shared (moto looks for the
 *   source in the caller's own account only and answers
 *   InvalidSnapshot.NotFound). AWS copies a snapshot shared with the caller
 *   through createVolumePermission ("Share a snapshot", EBS User Guide). When
 *   moto does not find the source and the layer saw it shared
 *   (ModifySnapshotAttribute add, not removed since), the copy is made in the
 *   caller's account and the destination region from a new volume of the same
 *   size, with the request's Description and tags, and answered as
 *   CopySnapshot answers (`snapshotId`). Simpler than AWS: the layer does not
 *   check that the caller is the account the snapshot was shared with, and the
 *   copy's VolumeId names the made-up volume (AWS: vol-ffffffff).
 * - `kmsKeyId` of encrypted snapshots: moto answers `encrypted` true without it;
 *   AWS's Snapshot has "kmsKeyId: The Amazon Resource Name (ARN) of the KMS key
 *   that was used to protect the volume encryption key for the parent volume".
 *   `snapshotKeys` gives it for the snapshots a test names.
 */
export interface SnapshotExtrasState {
  /** region -> locked snapshots */
  locks: Map<string, Array<{ snapshotId: string; lockState: string; ownerId?: string }>>
  /** region -> Recycle Bin rules for EBS snapshots */
  recycleBinRules: Map<string, Array<{ identifier: string; retentionDays: number }>>
  /** How DescribeLockedSnapshots answers: normally, UnauthorizedOperation (403), as an unknown action, or 503 Unavailable. */
  lockApi: 'ok' | 'denied' | 'unavailable' | 'server-error'
  copyLimitRejections: number
  loseReplies: Map<string, number>
  /** Every CopySnapshot that reached moto. */
  copiesMade: number
  /** Let Recycle Bin calls through to moto, which does not implement them. */
  recycleBinPassthrough: boolean
  /** The code DeleteSnapshot of a locked snapshot answers. */
  lockedDeleteCode: string
  /** How long a copy made through the layer stays pending (0: completed at once, as in moto). */
  copyPendingMs: number | (() => number)
  /** Copies made through the layer: id -> destination region and when it completes. */
  copies: Map<string, { region: string; readyAt: number }>
  /** The most copies pending at once, per destination region. */
  peakPendingCopies: Map<string, number>
  /** CopySnapshot calls refused with ResourceLimitExceeded because 20 copies were pending. */
  copiesRefusedAtLimit: number
  /** Snapshot id -> the State DescribeSnapshots answers for it. */
  states: Map<string, string>
  /** CopySnapshot calls on their way to moto, per destination region (they hold a slot too). */
  copiesStarting: Map<string, number>
  /** How long a volume created through the layer stays `creating` (0: available at once, as in moto). */
  volumeCreatingMs: number
  /** Volumes created from these snapshots never leave `creating`. */
  volumesNeverAvailable: Set<string>
  /** Volumes created through the layer: id -> region, snapshot and when it becomes available. */
  volumes: Map<string, { region: string; snapshotId: string; readyAt: number }>
  /** Snapshot id -> its archive: region and when archival started (epoch ms). */
  archived: Map<string, { region: string; at: number }>
  /** ModifySnapshotTier calls answered. */
  tierChanges: string[]
  /** Snapshot id -> the accounts it is shared with now (ModifySnapshotAttribute seen by the layer). */
  shares: Map<string, Set<string>>
  /** Snapshot id -> the ARN of its KMS key, answered as `kmsKeyId` in DescribeSnapshots. */
  snapshotKeys: Map<string, string>
  /** Copies of a shared snapshot made into another account. */
  sharedCopies: Array<{ sourceSnapshotId: string; snapshotId: string; region: string }>
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
    lockedDeleteCode: 'SnapshotLocked',
    copyPendingMs: 0,
    copies: new Map(),
    peakPendingCopies: new Map(),
    copiesRefusedAtLimit: 0,
    states: new Map(),
    copiesStarting: new Map(),
    volumeCreatingMs: 0,
    volumesNeverAvailable: new Set(),
    volumes: new Map(),
    archived: new Map(),
    tierChanges: [],
    shares: new Map(),
    snapshotKeys: new Map(),
    sharedCopies: [],
  }
}

/** AWS's limit of concurrent (pending) snapshot copies per destination region. */
export const COPY_LIMIT_PER_REGION = 20

export function pendingCopies(state: SnapshotExtrasState, region: string, now = Date.now()): number {
  let n = 0
  for (const c of state.copies.values()) if (c.region === region && c.readyAt > now) n++
  return n
}

/** The State a snapshot has as far as the layer knows, or undefined to keep moto's. */
function stateOf(state: SnapshotExtrasState, id: string, now: number): string | undefined {
  const forced = state.states.get(id)
  if (forced) return forced
  const copy = state.copies.get(id)
  return copy && copy.readyAt > now ? 'pending' : undefined
}

/**
 * Takes a `status` filter out of a DescribeSnapshots request (moto would apply
 * it to its own states) and returns its values, renumbering the other filters.
 */
function takeStatusFilter(req: ProxyRequest): string[] | undefined {
  const filters: Array<{ name: string; values: string[] }> = []
  for (let n = 1; req.params.has(`Filter.${n}.Name`); n++) {
    const values: string[] = []
    for (let m = 1; req.params.has(`Filter.${n}.Value.${m}`); m++)
      values.push(req.params.get(`Filter.${n}.Value.${m}`)!)
    filters.push({ name: req.params.get(`Filter.${n}.Name`)!, values })
  }
  const status = filters.find((f) => f.name === 'status')
  if (!status) return undefined
  const params = new URLSearchParams()
  for (const [k, v] of req.params) if (!k.startsWith('Filter.')) params.append(k, v)
  filters
    .filter((f) => f !== status)
    .forEach((f, i) => {
      params.append(`Filter.${i + 1}.Name`, f.name)
      f.values.forEach((v, j) => params.append(`Filter.${i + 1}.Value.${j + 1}`, v))
    })
  req.params = params
  req.body = Buffer.from(params.toString())
  return status.values
}

/** Splits the top-level `<item>`s of `<snapshotSet>` (each holds nested tagSet items). */
function mapSnapshotItems(xml: string, each: (item: string) => string): string {
  const open = xml.indexOf('<snapshotSet>')
  const close = xml.lastIndexOf('</snapshotSet>')
  if (open < 0 || close < 0) return xml
  const start = open + '<snapshotSet>'.length
  const inner = xml.slice(start, close)
  const out: string[] = []
  let depth = 0
  let itemStart = -1
  const tag = /<(\/?)item>/g
  for (let m = tag.exec(inner); m; m = tag.exec(inner)) {
    if (m[1] === '') {
      if (depth === 0) itemStart = m.index
      depth++
    } else if (--depth === 0) {
      out.push(each(inner.slice(itemStart, m.index + m[0].length)))
    }
  }
  return xml.slice(0, start) + out.join('') + xml.slice(close)
}

/** Rewrites the State of the snapshots the layer knows better about, and applies a taken `status` filter. */
function rewriteSnapshots(
  state: SnapshotExtrasState,
  reply: ProxyReply,
  statusFilter?: string[],
): ProxyReply {
  if (reply.status !== 200 || reply.body === undefined) return reply
  const now = Date.now()
  const body = mapSnapshotItems(reply.body.toString(), (item) => {
    const id = /<snapshotId>([^<]+)<\/snapshotId>/.exec(item)?.[1] ?? ''
    const forced = stateOf(state, id, now)
    let rewritten = forced ? item.replace(/<status>[^<]*<\/status>/, `<status>${forced}</status>`) : item
    if (!rewritten.includes('<storageTier>')) {
      const tier = state.archived.has(id) ? 'archive' : 'standard'
      rewritten = rewritten.replace(/<\/item>$/, `<storageTier>${tier}</storageTier></item>`)
    }
    const key = state.snapshotKeys.get(id)
    if (key && !rewritten.includes('<kmsKeyId>'))
      rewritten = rewritten.replace(/<\/item>$/, `<kmsKeyId>${key}</kmsKeyId></item>`)
    if (statusFilter) {
      const current = /<status>([^<]*)<\/status>/.exec(rewritten)?.[1]
      if (current === undefined || !statusFilter.includes(current)) return ''
    }
    return rewritten
  })
  return { ...reply, body }
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

const XML = { 'content-type': 'text/xml;charset=UTF-8' }

/** Records a createVolumePermission change passing through (ModifySnapshotAttribute). */
function recordShare(state: SnapshotExtrasState, req: ProxyRequest): void {
  const id = req.params.get('SnapshotId') ?? ''
  const users: string[] = []
  for (let n = 1; req.params.has(`UserId.${n}`); n++) users.push(req.params.get(`UserId.${n}`)!)
  for (let n = 1; req.params.has(`CreateVolumePermission.Add.${n}.UserId`); n++)
    users.push(req.params.get(`CreateVolumePermission.Add.${n}.UserId`)!)
  const removes: string[] = []
  for (let n = 1; req.params.has(`CreateVolumePermission.Remove.${n}.UserId`); n++)
    removes.push(req.params.get(`CreateVolumePermission.Remove.${n}.UserId`)!)
  const set = state.shares.get(id) ?? new Set<string>()
  const operation = req.params.get('OperationType')
  if (operation === 'remove') for (const u of users) set.delete(u)
  else for (const u of users) set.add(u)
  for (const u of removes) set.delete(u)
  state.shares.set(id, set)
}

/** Sends another EC2 query call with the caller's credentials (moto keys accounts by them). */
async function sendAs(
  req: ProxyRequest,
  forward: () => Promise<ProxyReply>,
  params: Record<string, string>,
): Promise<string> {
  const saved = { params: req.params, body: req.body }
  req.params = new URLSearchParams({ Version: '2016-11-15', ...params })
  req.body = Buffer.from(req.params.toString())
  try {
    const reply = await forward()
    const body = String(reply.body ?? '')
    if (reply.status !== 200) throw new Error(`${params.Action}: ${reply.status} ${body.slice(0, 200)}`)
    return body
  } finally {
    req.params = saved.params
    req.body = saved.body
  }
}

/** A copy of a shared snapshot into the caller's account: a new volume, and a snapshot of it tagged as asked. */
async function copySharedSnapshot(
  state: SnapshotExtrasState,
  req: ProxyRequest,
  forward: () => Promise<ProxyReply>,
): Promise<ProxyReply> {
  const volume = await sendAs(req, forward, {
    Action: 'CreateVolume',
    AvailabilityZone: `${req.region}a`,
    Size: '1',
  })
  const volumeId = /<volumeId>([^<]+)<\/volumeId>/.exec(volume)![1]!
  const params: Record<string, string> = {
    Action: 'CreateSnapshot',
    VolumeId: volumeId,
    Description: req.params.get('Description') ?? '',
  }
  for (const [k, v] of req.params) if (k.startsWith('TagSpecification.')) params[k] = v
  const made = await sendAs(req, forward, params)
  const snapshotId = /<snapshotId>([^<]+)<\/snapshotId>/.exec(made)![1]!
  const sourceSnapshotId = req.params.get('SourceSnapshotId') ?? ''
  state.sharedCopies.push({ sourceSnapshotId, snapshotId, region: req.region })
  const ms = typeof state.copyPendingMs === 'function' ? state.copyPendingMs() : state.copyPendingMs
  if (ms > 0) state.copies.set(snapshotId, { region: req.region, readyAt: Date.now() + ms })
  return {
    status: 200,
    headers: XML,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<CopySnapshotResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>00000000-0000-0000-0000-000000000004</requestId><snapshotId>${snapshotId}</snapshotId></CopySnapshotResponse>`,
  }
}
const iso = (ms: number) => new Date(ms).toISOString()

/** Rewrites `status` of the volumes still `creating` in DescribeVolumes (each volume a top-level `item`). */
function rewriteVolumes(state: SnapshotExtrasState, reply: ProxyReply): ProxyReply {
  if (reply.status !== 200 || reply.body === undefined) return reply
  const now = Date.now()
  let body = reply.body.toString()
  for (const [id, v] of state.volumes) {
    const creating = state.volumesNeverAvailable.has(v.snapshotId) || v.readyAt > now
    if (!creating) continue
    body = body.replace(
      new RegExp(`(<volumeId>${id}</volumeId>[\\s\\S]*?<status>)available(</status>)`),
      '$1creating$2',
    )
  }
  return { ...reply, body }
}

function modifySnapshotTierReply(state: SnapshotExtrasState, req: ProxyRequest): ProxyReply {
  const id = req.params.get('SnapshotId') ?? ''
  const at = Date.now()
  state.archived.set(id, { region: req.region, at })
  state.tierChanges.push(id)
  return {
    status: 200,
    headers: XML,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<ModifySnapshotTierResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>00000000-0000-0000-0000-000000000002</requestId><snapshotId>${id}</snapshotId><tieringStartTime>${iso(at)}</tieringStartTime></ModifySnapshotTierResponse>`,
  }
}

function snapshotTierStatusReply(state: SnapshotExtrasState, req: ProxyRequest): ProxyReply {
  const items = [...state.archived]
    .filter(([, a]) => a.region === req.region)
    .map(
      ([id, a]) =>
        `<item><snapshotId>${id}</snapshotId><status>completed</status><storageTier>archive</storageTier><lastTieringStartTime>${iso(a.at)}</lastTieringStartTime><lastTieringProgress>100</lastTieringProgress><lastTieringOperationStatus>archival-completed</lastTieringOperationStatus><archivalCompleteTime>${iso(a.at)}</archivalCompleteTime></item>`,
    )
    .join('')
  return {
    status: 200,
    headers: XML,
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeSnapshotTierStatusResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>00000000-0000-0000-0000-000000000003</requestId><snapshotTierStatusSet>${items}</snapshotTierStatusSet></DescribeSnapshotTierStatusResponse>`,
  }
}

/** A volume made through the layer: `creating` for `volumeCreatingMs`, or for ever from a snapshot that never restores. */
function holdCreating(state: SnapshotExtrasState, req: ProxyRequest, reply: ProxyReply | 'drop') {
  if (reply === 'drop' || reply.status !== 200) return reply
  const id = /<volumeId>([^<]+)<\/volumeId>/.exec(String(reply.body))?.[1]
  if (!id) return reply
  const snapshotId = req.params.get('SnapshotId') ?? ''
  state.volumes.set(id, { region: req.region, snapshotId, readyAt: Date.now() + state.volumeCreatingMs })
  if (!state.volumesNeverAvailable.has(snapshotId) && state.volumeCreatingMs <= 0) return reply
  return {
    ...reply,
    body: String(reply.body).replace(/<status>available<\/status>/, '<status>creating</status>'),
  }
}

/** DescribeLockedSnapshots as `lockApi` says: the locks, or one of the refusals. */
function lockApiReply(state: SnapshotExtrasState, req: ProxyRequest): ProxyReply {
  if (state.lockApi === 'denied')
    return ec2ErrorReply(403, 'UnauthorizedOperation', 'You are not authorized to perform this operation.')
  if (state.lockApi === 'server-error')
    return ec2ErrorReply(503, 'Unavailable', 'The service is unavailable. Please try again shortly.')
  if (state.lockApi === 'unavailable')
    return ec2ErrorReply(
      400,
      'InvalidAction',
      'The action DescribeLockedSnapshots is not valid for this web service.',
    )
  return lockedSnapshotsReply(state, req)
}

export function snapshotExtrasHandler(state: SnapshotExtrasState, next?: ProxyHandler): ProxyHandler {
  return async (req, forward) => {
    const pass = () => (next ? next(req, forward) : forward())
    if (req.service === 'rbin' && req.operation === 'POST /list-rules' && !state.recycleBinPassthrough) {
      return listRulesReply(state, req)
    }
    if (req.service !== 'ec2') return pass()
    switch (req.operation) {
      case 'DescribeSnapshots': {
        const statusFilter = takeStatusFilter(req)
        const reply = await pass()
        return reply === 'drop' ? reply : rewriteSnapshots(state, reply, statusFilter)
      }
      case 'ModifySnapshotTier':
        return modifySnapshotTierReply(state, req)
      case 'DescribeSnapshotTierStatus':
        return snapshotTierStatusReply(state, req)
      case 'DescribeVolumes': {
        const reply = await pass()
        return reply === 'drop' ? reply : rewriteVolumes(state, reply)
      }
      case 'CreateVolume':
        return holdCreating(state, req, await finish())
      case 'ModifySnapshotAttribute':
        if (req.params.get('Attribute') === 'createVolumePermission') recordShare(state, req)
        return pass()
      case 'DescribeLockedSnapshots':
        return lockApiReply(state, req)
      case 'DeleteSnapshot': {
        const id = req.params.get('SnapshotId') ?? ''
        const lock = (state.locks.get(req.region) ?? []).find(
          (l) => l.snapshotId === id && l.lockState !== 'expired',
        )
        if (lock)
          return ec2ErrorReply(
            400,
            state.lockedDeleteCode,
            `The snapshot '${id}' is locked and can't be deleted.`,
          )
        break
      }
      case 'CopySnapshot': {
        const limitReply = () =>
          ec2ErrorReply(
            400,
            'ResourceLimitExceeded',
            'You have reached the limit of 20 concurrent snapshot copies in this region.',
          )
        if (state.copyLimitRejections > 0) {
          state.copyLimitRejections--
          return limitReply()
        }
        // A copy holds its slot from the moment it is asked for.
        const starting = state.copiesStarting.get(req.region) ?? 0
        if (pendingCopies(state, req.region) + starting >= COPY_LIMIT_PER_REGION) {
          state.copiesRefusedAtLimit++
          return limitReply()
        }
        state.copiesStarting.set(req.region, starting + 1)
        try {
          const reply = await finish()
          const source = req.params.get('SourceSnapshotId') ?? ''
          const notFound =
            reply !== 'drop' && reply.status === 400 && /InvalidSnapshot.NotFound/.test(String(reply.body))
          if (notFound && (state.shares.get(source)?.size ?? 0) > 0)
            return await copySharedSnapshot(state, req, forward)
          return reply
        } finally {
          state.copiesStarting.set(req.region, (state.copiesStarting.get(req.region) ?? 1) - 1)
        }
      }
    }
    return finish()

    async function finish(): Promise<ProxyReply | 'drop'> {
      const lose = takeOne(state.loseReplies, req.operation)
      const reply = await pass()
      if (req.operation === 'CopySnapshot' && reply !== 'drop' && reply.status === 200) {
        state.copiesMade++
        const id = /<snapshotId>([^<]+)<\/snapshotId>/.exec(String(reply.body))?.[1]
        const ms = typeof state.copyPendingMs === 'function' ? state.copyPendingMs() : state.copyPendingMs
        if (id && ms > 0) {
          state.copies.set(id, { region: req.region, readyAt: Date.now() + ms })
          const now = pendingCopies(state, req.region)
          state.peakPendingCopies.set(req.region, Math.max(state.peakPendingCopies.get(req.region) ?? 0, now))
        }
      }
      return lose ? 'drop' : reply
    }
  }
}
