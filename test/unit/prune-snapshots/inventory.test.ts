import type { Clients } from '../../../actions/prune-snapshots/src/clients.js'
import {
  listLockedSnapshotIds,
  locksUnreadWarning,
  snapshotFilters,
  toSnapshot,
} from '../../../actions/prune-snapshots/src/inventory.js'

describe('snapshotFilters', () => {
  const base = { filters: [], volumeIds: [], source: true, dr: false }
  it('sends Key=Value as tag:Key and the first Key=* as tag-key', () => {
    expect(
      snapshotFilters({
        ...base,
        filters: [{ key: 'Backup', value: 'nightly' }, { key: 'Team' }, { key: 'Owner' }],
      }),
    ).toEqual([
      { Name: 'tag:Backup', Values: ['nightly'] },
      { Name: 'tag-key', Values: ['Team'] },
    ])
  })
  it('filters by volume in a source region and by the source volume tag in the DR region', () => {
    expect(snapshotFilters({ ...base, volumeIds: ['vol-12345678'] })).toEqual([
      { Name: 'volume-id', Values: ['vol-12345678'] },
    ])
    expect(snapshotFilters({ ...base, source: false, dr: true, volumeIds: ['vol-12345678'] })).toEqual([
      { Name: 'tag:prune-snapshots:source-volume-id', Values: ['vol-12345678'] },
    ])
    expect(snapshotFilters({ ...base, source: false, dr: true })).toEqual([
      { Name: 'tag-key', Values: ['prune-snapshots:source-snapshot-id'] },
    ])
    // A region that is both: copies have no real volume id, so the volume check is left to the planner.
    expect(snapshotFilters({ ...base, dr: true, volumeIds: ['vol-12345678'] })).toEqual([])
  })
})

describe('toSnapshot', () => {
  it('keeps what the planner needs', () => {
    expect(
      toSnapshot('eu-west-1', {
        SnapshotId: 'snap-1',
        VolumeId: 'vol-1',
        OwnerId: '123456789012',
        State: 'completed',
        StartTime: new Date('2026-01-01T00:00:00Z'),
        StorageTier: 'standard',
        Tags: [{ Key: 'a', Value: 'b' }],
      }),
    ).toEqual({
      id: 'snap-1',
      region: 'eu-west-1',
      volumeId: 'vol-1',
      ownerId: '123456789012',
      state: 'completed',
      startTime: Date.parse('2026-01-01T00:00:00Z'),
      storageTier: 'standard',
      description: undefined,
      encrypted: undefined,
      tags: { a: 'b' },
    })
  })
})

describe('listLockedSnapshotIds', () => {
  const clientsAnswering = (answer: () => Promise<unknown>) =>
    ({ ec2: () => ({ send: answer }) }) as unknown as Clients
  const awsError = (name: string, status: number, message: string) =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } })

  it.each([
    [
      awsError('UnauthorizedOperation', 403, 'You are not authorized to perform this operation.'),
      /answered HTTP 403 UnauthorizedOperation: You are not authorized.*Allow ec2:DescribeLockedSnapshots/,
    ],
    [
      awsError('InternalError', 500, 'An internal error has occurred.'),
      /answered HTTP 500 InternalError: An internal error.*"kept: locked"\.$/,
    ],
    [
      awsError('InvalidAction', 400, 'The action DescribeLockedSnapshots is not valid'),
      /snapshot locks are not offered here \(HTTP 400 InvalidAction/,
    ],
  ])(
    'does not fail the region when the locks cannot be read, and says what was answered',
    async (error, warning) => {
      const result = await listLockedSnapshotIds(
        clientsAnswering(() => Promise.reject(error)),
        'eu-west-1',
      )
      expect(result.ids.size).toBe(0)
      expect(locksUnreadWarning(result.unread!)).toMatch(warning)
    },
  )

  it('reads the locks that prevent deletion', async () => {
    const result = await listLockedSnapshotIds(
      clientsAnswering(() =>
        Promise.resolve({
          Snapshots: [
            { SnapshotId: 'snap-1', LockState: 'governance' },
            { SnapshotId: 'snap-2', LockState: 'expired' },
          ],
        }),
      ),
      'eu-west-1',
    )
    expect([...result.ids]).toEqual(['snap-1'])
    expect(result.unread).toBeUndefined()
  })
})
