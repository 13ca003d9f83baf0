/**
 * The archive tier: ModifySnapshotTier moves a kept long-term snapshot to
 * archive ("When you archive a snapshot, it is converted to a full snapshot ...
 * and moved from the standard tier to the archive tier", EC2 API Reference), and
 * DescribeSnapshotTierStatus says when an archived one was archived, for AWS's
 * 90-day minimum there.
 */
import { ModifySnapshotTierCommand, paginateDescribeSnapshotTierStatus } from '@aws-sdk/client-ec2'
import pLimit from 'p-limit'
import { describeError } from '../../../lib/aws.js'
import type { RegionLog } from '../../../lib/log.js'
import { retryTransient, type Clients } from './clients.js'

export interface ArchiveResult {
  archived: string[]
  failed: Array<{ snapshotId: string; error: string }>
  notStarted: string[]
}

const ARCHIVES_IN_FLIGHT = 5

/** Moves one region's planned snapshots to the archive tier; after cancellation nothing new starts. */
export async function archiveSnapshots(
  clients: Clients,
  region: string,
  snapshotIds: readonly string[],
  options: { signal?: AbortSignal; log: RegionLog },
): Promise<ArchiveResult> {
  const result: ArchiveResult = { archived: [], failed: [], notStarted: [] }
  const ec2 = clients.ec2(region)
  const limit = pLimit(ARCHIVES_IN_FLIGHT)
  await Promise.all(
    snapshotIds.map((snapshotId) =>
      limit(async () => {
        if (options.signal?.aborted) return void result.notStarted.push(snapshotId)
        try {
          await retryTransient(() =>
            ec2.send(new ModifySnapshotTierCommand({ SnapshotId: snapshotId, StorageTier: 'archive' })),
          )
          result.archived.push(snapshotId)
          options.log.info(`${snapshotId} moved to the archive tier`)
        } catch (error) {
          result.failed.push({ snapshotId, error: describeError(error) })
          options.log.error(
            `${snapshotId} was not archived: ${describeError(error)}`,
            `Archiving ${snapshotId}`,
          )
        }
      }),
    ),
  )
  return result
}

/**
 * When each archived snapshot of the region was archived: the last tiering
 * operation's start (its completion when the start is not given).
 */
export async function listArchivedAt(clients: Clients, region: string): Promise<Map<string, number>> {
  return retryTransient(async () => {
    const at = new Map<string, number>()
    const pages = paginateDescribeSnapshotTierStatus({ client: clients.ec2(region), pageSize: 1000 }, {})
    for await (const page of pages) {
      for (const s of page.SnapshotTierStatuses ?? []) {
        const time = s.LastTieringStartTime ?? s.ArchivalCompleteTime
        if (s.SnapshotId && s.StorageTier === 'archive' && time)
          at.set(s.SnapshotId, new Date(time).getTime())
      }
    }
    return at
  })
}
