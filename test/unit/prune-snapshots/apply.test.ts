import { jest } from '@jest/globals'
import type { EC2Client } from '@aws-sdk/client-ec2'
import {
  copyOnce,
  deleteSnapshots,
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

  it('waits out ResourceLimitExceeded without looking for a copy', async () => {
    let n = 0
    const f = fakeClients(
      () =>
        n++ < 2
          ? Promise.reject(awsError('ResourceLimitExceeded', 400))
          : Promise.resolve({ SnapshotId: 'snap-copy' }),
      () => Promise.reject(new Error('not expected')),
    )
    await expect(copyOnce(f.clients, copy, options)).resolves.toMatchObject({ snapshotId: 'snap-copy' })
    expect(f.ops()).toEqual(['CopySnapshot', 'CopySnapshot', 'CopySnapshot'])
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

describe('deleteSnapshots', () => {
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
