import { jest } from '@jest/globals'
import type { EC2Client } from '@aws-sdk/client-ec2'
import {
  copyOnce,
  deleteSnapshots,
  isLockedRefusal,
  makeCopies,
  type CopyOptions,
} from '../../../actions/prune-snapshots/src/apply.js'
import type { Clients } from '../../../actions/prune-snapshots/src/clients.js'
import type { PlannedCopy } from '../../../actions/prune-snapshots/src/plan.js'
import { RegionLog } from '../../../lib/log.js'

const awsError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } })

type Send = (command: { constructor: { name: string }; input: Record<string, unknown> }) => Promise<unknown>

/** Clients whose `send` answers from a script: one function for CopySnapshot, one for everything else. */
function fakeClients(copy: Send, other: Send) {
  const calls: Array<{ op: string; input: Record<string, unknown> }> = []
  const client = (send: Send) =>
    ({
      send: (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        calls.push({ op: command.constructor.name.replace(/Command$/, ''), input: command.input })
        return send(command)
      },
    }) as unknown as EC2Client
  const clients = { ec2: () => client(other), ec2Once: () => client(copy) } as unknown as Clients
  return { clients, calls, ops: () => calls.map((c) => c.op) }
}

const copy: PlannedCopy = {
  sourceRegion: 'eu-west-1',
  sourceSnapshotId: 'snap-source',
  sourceVolumeId: 'vol-1',
  region: 'us-east-1',
  startTime: 0,
  encrypted: false,
  tags: { 'prune-snapshots:source-snapshot-id': 'snap-source' },
}
const log = new RegionLog('us-east-1')
const options: CopyOptions = { log, lookDelaysMs: [0, 1], retryDelayMs: 1 }

beforeAll(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
})
afterAll(() => jest.restoreAllMocks())

describe('copyOnce', () => {
  it('finds the copy made by a call whose reply was lost, and does not copy again', async () => {
    const f = fakeClients(
      () => Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
      () => Promise.resolve({ Snapshots: [{ SnapshotId: 'snap-copy', State: 'pending' }] }),
    )
    await expect(copyOnce(f.clients, copy, options)).resolves.toMatchObject({
      snapshotId: 'snap-copy',
      found: true,
    })
    expect(f.ops()).toEqual(['CopySnapshot', 'DescribeSnapshots'])
    expect(f.calls[1]!.input).toMatchObject({
      Filters: [{ Name: 'tag:prune-snapshots:source-snapshot-id', Values: ['snap-source'] }],
    })
  })

  it('tries again after an unclear failure when no copy was made', async () => {
    let n = 0
    const f = fakeClients(
      () =>
        n++ === 0
          ? Promise.reject(awsError('InternalError', 500))
          : Promise.resolve({ SnapshotId: 'snap-copy' }),
      () => Promise.resolve({ Snapshots: [] }),
    )
    await expect(copyOnce(f.clients, copy, options)).resolves.toEqual({ copy, snapshotId: 'snap-copy' })
    expect(f.ops()).toEqual(['CopySnapshot', 'DescribeSnapshots', 'DescribeSnapshots', 'CopySnapshot'])
  })

  it('never copies again when the look for the first copy fails', async () => {
    const f = fakeClients(
      () => Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
      () => Promise.reject(awsError('InternalError', 500)),
    )
    await expect(copyOnce(f.clients, copy, options)).rejects.toThrow(
      /copy of snap-source got no clear answer .* the look for it in us-east-1 failed \(InternalError.*not repeated/,
    )
    expect(f.ops().filter((op) => op === 'CopySnapshot')).toHaveLength(1)
  })

  it('hands ResourceLimitExceeded back at once, without looking for a copy (makeCopies waits for a slot)', async () => {
    const f = fakeClients(
      () => Promise.reject(awsError('ResourceLimitExceeded', 400)),
      () => Promise.reject(new Error('not expected')),
    )
    await expect(copyOnce(f.clients, copy, options)).rejects.toThrow('ResourceLimitExceeded')
    expect(f.ops()).toEqual(['CopySnapshot'])
  })

  it('gives up at once on a client error', async () => {
    const f = fakeClients(
      () => Promise.reject(awsError('InvalidParameterValue', 400)),
      () => Promise.resolve({}),
    )
    await expect(copyOnce(f.clients, copy, options)).rejects.toThrow('InvalidParameterValue')
    expect(f.ops()).toEqual(['CopySnapshot'])
  })

  it('sends the tags, and the key when one is given', async () => {
    const f = fakeClients(
      () => Promise.resolve({ SnapshotId: 'snap-copy' }),
      () => Promise.resolve({}),
    )
    await copyOnce(f.clients, copy, { ...options, kmsKeyId: 'alias/dr' })
    expect(f.calls[0]!.input).toMatchObject({
      SourceRegion: 'eu-west-1',
      SourceSnapshotId: 'snap-source',
      Encrypted: true,
      KmsKeyId: 'alias/dr',
      TagSpecifications: [
        {
          ResourceType: 'snapshot',
          Tags: [{ Key: 'prune-snapshots:source-snapshot-id', Value: 'snap-source' }],
        },
      ],
    })
  })

  it('starts no copy after cancellation', async () => {
    const controller = new AbortController()
    controller.abort()
    const f = fakeClients(
      () => Promise.resolve({ SnapshotId: 'snap-copy' }),
      () => Promise.resolve({}),
    )
    const result = await makeCopies(f.clients, [copy], { ...options, signal: controller.signal })
    expect(result).toEqual({ results: [], notStarted: [copy] })
    expect(f.calls).toEqual([])
  })
})

describe('makeCopies', () => {
  const copies = (n: number): PlannedCopy[] =>
    Array.from({ length: n }, (_, i) => ({ ...copy, sourceSnapshotId: `snap-source-${i}` }))
  const fast = { ...options, slotPollMs: { initialMs: 1, maxMs: 2 } }

  it('starts only as many copies as slots are free, and more as pending copies complete', async () => {
    /** Our copies pending in the destination; each look at it sees one more complete. */
    let pending = 18
    let peak = pending
    let made = 0
    const f = fakeClients(
      () => {
        if (pending >= 20) return Promise.reject(awsError('ResourceLimitExceeded', 400))
        pending++
        peak = Math.max(peak, pending)
        return Promise.resolve({ SnapshotId: `snap-copy-${made++}` })
      },
      () => {
        pending = Math.max(0, pending - 1)
        return Promise.resolve({ Snapshots: Array.from({ length: pending }, () => ({ State: 'pending' })) })
      },
    )
    const result = await makeCopies(f.clients, copies(6), { ...fast, pendingCopies: 18 })
    expect(result.results.filter((r) => r.snapshotId)).toHaveLength(6)
    expect(result.results.filter((r) => r.error)).toEqual([])
    expect(peak).toBe(20)
    // Never a call the destination had to refuse: the slots were counted.
    expect(f.ops().filter((op) => op === 'CopySnapshot')).toHaveLength(6)
    expect(f.calls.find((c) => c.op === 'DescribeSnapshots')!.input).toMatchObject({
      Filters: [
        { Name: 'status', Values: ['pending'] },
        { Name: 'tag-key', Values: ['prune-snapshots:source-snapshot-id'] },
      ],
    })
  })

  it('waits out slots held by copies it cannot see, trying again after each look', async () => {
    let refusals = 3
    const f = fakeClients(
      () =>
        refusals-- > 0
          ? Promise.reject(awsError('ResourceLimitExceeded', 400))
          : Promise.resolve({ SnapshotId: 'snap-copy' }),
      () => Promise.resolve({ Snapshots: [] }),
    )
    const result = await makeCopies(f.clients, copies(1), fast)
    expect(result.results).toMatchObject([{ snapshotId: 'snap-copy' }])
    expect(f.ops()).toEqual([
      'CopySnapshot',
      'DescribeSnapshots',
      'CopySnapshot',
      'DescribeSnapshots',
      'CopySnapshot',
      'DescribeSnapshots',
      'CopySnapshot',
    ])
  })

  it('gives up the copies not started when no slot frees up in time', async () => {
    const f = fakeClients(
      () => Promise.reject(awsError('ResourceLimitExceeded', 400)),
      () => Promise.resolve({ Snapshots: [] }),
    )
    const result = await makeCopies(f.clients, copies(2), { ...fast, slotTimeoutMs: 20 })
    expect(result.results.map((r) => r.error)).toEqual([
      expect.stringMatching(/no copy slot in us-east-1 freed up/),
      expect.stringMatching(/no copy slot in us-east-1 freed up/),
    ])
  })
})

describe('deleteSnapshots', () => {
  it.each([
    ['SnapshotLocked', "The snapshot 'snap-locked' is locked and can't be deleted."],
    ['OperationNotPermitted', 'The snapshot snap-locked is locked in compliance mode.'],
  ])('records a %s refusal as kept: locked, not a failure', async (code, message) => {
    const f = fakeClients(
      () => Promise.resolve({}),
      () => Promise.reject(Object.assign(awsError(code, 400), { message })),
    )
    const result = await deleteSnapshots(f.clients, 'eu-west-1', ['snap-locked'], { log })
    expect(result.failed).toEqual([])
    expect(result.refused).toEqual([
      { snapshotId: 'snap-locked', reason: expect.stringMatching(/^kept: locked \(/) },
    ])
    expect(isLockedRefusal(awsError('InvalidParameterValue', 400))).toBe(false)
  })

  it('counts not-found as deleted, keeps refused ones and records failures', async () => {
    const f = fakeClients(
      () => Promise.resolve({}),
      (command) => {
        const id = command.input.SnapshotId
        if (id === 'snap-gone') return Promise.reject(awsError('InvalidSnapshot.NotFound', 400))
        if (id === 'snap-ami') return Promise.reject(awsError('InvalidSnapshot.InUse', 400))
        if (id === 'snap-denied') return Promise.reject(awsError('UnauthorizedOperation', 403))
        return Promise.resolve({})
      },
    )
    const result = await deleteSnapshots(
      f.clients,
      'eu-west-1',
      ['snap-ok', 'snap-gone', 'snap-ami', 'snap-denied'],
      { log },
    )
    expect(result.deleted.sort()).toEqual(['snap-gone', 'snap-ok'])
    expect(result.alreadyGone).toEqual(['snap-gone'])
    expect(result.refused.map((r) => r.snapshotId)).toEqual(['snap-ami'])
    expect(result.failed.map((r) => r.snapshotId)).toEqual(['snap-denied'])
  })

  it('keeps at most 10 deletions in flight and honours max-rate', async () => {
    let inFlight = 0
    let peak = 0
    const f = fakeClients(
      () => Promise.resolve({}),
      async () => {
        peak = Math.max(peak, ++inFlight)
        await new Promise((r) => setTimeout(r, 5))
        inFlight--
        return {}
      },
    )
    const ids = Array.from({ length: 40 }, (_, i) => `snap-${i}`)
    await deleteSnapshots(f.clients, 'eu-west-1', ids, { log })
    expect(peak).toBe(10)
    const started = Date.now()
    await deleteSnapshots(f.clients, 'eu-west-1', ids.slice(0, 6), { log, maxRate: 20 })
    // Six starts at 20 per second, evenly spaced: at least 250 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(240)
  })

  it('starts nothing once cancelled', async () => {
    const controller = new AbortController()
    controller.abort()
    const f = fakeClients(
      () => Promise.resolve({}),
      () => Promise.resolve({}),
    )
    const result = await deleteSnapshots(f.clients, 'eu-west-1', ['snap-1', 'snap-2'], {
      log,
      signal: controller.signal,
    })
    expect(result.notStarted).toEqual(['snap-1', 'snap-2'])
    expect(f.calls).toEqual([])
  })
})
