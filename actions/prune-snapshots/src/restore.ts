/**
 * Restore tests: a volume is made from a kept backup in an Availability Zone of
 * its region, waited for until `available`, then deleted. Each test volume
 * carries RESTORE_TEST_TAG with the run's id, so that the post step deletes what
 * a killed run left, and the next run what an earlier one left (IAM can scope
 * CreateVolume and DeleteVolume to that tag).
 */
import {
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeAvailabilityZonesCommand,
  DescribeVolumesCommand,
  paginateDescribeVolumes,
  type EC2Client,
  type Volume,
} from '@aws-sdk/client-ec2'
import { describeError, errorCode } from '../../../lib/aws.js'
import type { RegionLog } from '../../../lib/log.js'
import { pollUntil, retryWhile, TimeoutError } from '../../../lib/poll.js'
import { retryTransient, type Clients } from './clients.js'
import { RESTORE_TESTED_TAG, type PlannedRestore } from './plan.js'

/** On every test volume: the id of the run that made it. */
export const RESTORE_TEST_TAG = 'prune-snapshots:restore-test'

/** One restore test as the `restore-tests` output gives it. */
export interface RestoreTest {
  account?: string
  volume: string
  snapshot: string
  region: string
  /** From CreateVolume until the volume was `available` (or the test gave up). */
  seconds: number
  ok: boolean
  reason?: string
  /** The test volume, while it exists. */
  testVolume?: string
}

export interface RestoreOptions {
  runId: string
  timeoutMs: number
  signal?: AbortSignal
  log: (region: string) => RegionLog
  /** How often a waiting test says so (default 30 s). */
  heartbeatMs?: number
  now?: () => number
}

/** The first Availability Zone of a region that is available (zones, not Local or Wavelength Zones). */
export async function availabilityZone(ec2: EC2Client): Promise<string> {
  const answer = await retryTransient(() =>
    ec2.send(
      new DescribeAvailabilityZonesCommand({
        Filters: [
          { Name: 'state', Values: ['available'] },
          { Name: 'zone-type', Values: ['availability-zone'] },
        ],
      }),
    ),
  )
  const names = (answer.AvailabilityZones ?? [])
    .filter((z) => z.State === 'available' && (z.ZoneType ?? 'availability-zone') === 'availability-zone')
    .map((z) => z.ZoneName!)
    .sort()
  if (names.length === 0) throw new Error('no Availability Zone is available')
  return names[0]!
}

/** The test volumes in a region, every run's (one paginated, filtered DescribeVolumes). */
export async function listTestVolumes(ec2: EC2Client): Promise<Volume[]> {
  return retryTransient(async () => {
    const volumes: Volume[] = []
    const pages = paginateDescribeVolumes(
      { client: ec2, pageSize: 500 },
      { Filters: [{ Name: 'tag-key', Values: [RESTORE_TEST_TAG] }] },
    )
    for await (const page of pages) volumes.push(...(page.Volumes ?? []))
    return volumes
  })
}

const runOf = (v: Volume) => v.Tags?.find((t) => t.Key === RESTORE_TEST_TAG)?.Value

/**
 * Deletes a volume; one still `creating` is waited out first (a DeleteVolume
 * needs an `available` volume). Already gone counts as deleted.
 */
export async function deleteTestVolume(
  ec2: EC2Client,
  volumeId: string,
  signal?: AbortSignal,
): Promise<void> {
  await retryWhile(
    async () => {
      try {
        await retryTransient(() => ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId })))
      } catch (error) {
        if (errorCode(error) === 'InvalidVolume.NotFound') return
        throw error
      }
    },
    { retryable: (e) => errorCode(e) === 'IncorrectState', timeoutMs: 300_000, signal, maxMs: 10_000 },
  )
}

/**
 * Deletes the test volumes another run left behind: those of `runId` (the post
 * step), or of other runs made longer ago than `olderThanMs` (a run gives up on
 * its volumes by then, so none is still being tested). Returns their ids.
 */
export async function deleteLeftovers(
  ec2: EC2Client,
  select: { runId: string } | { otherThan: string; olderThanMs: number; now: number },
  signal?: AbortSignal,
): Promise<string[]> {
  const leftovers = (await listTestVolumes(ec2)).filter((v) => {
    if (v.State === 'deleting' || v.State === 'deleted') return false
    if ('runId' in select) return runOf(v) === select.runId
    const made = v.CreateTime ? new Date(v.CreateTime).getTime() : 0
    return runOf(v) !== select.otherThan && select.now - made > select.olderThanMs
  })
  for (const v of leftovers) await deleteTestVolume(ec2, v.VolumeId!, signal)
  return leftovers.map((v) => v.VolumeId!)
}

/** One restore test: create, wait until available, delete; never throws. */
export async function restoreTest(
  ec2: EC2Client,
  zone: string,
  test: PlannedRestore,
  options: RestoreOptions,
): Promise<RestoreTest> {
  const now = options.now ?? (() => Date.now())
  const log = options.log(test.region)
  const result: RestoreTest = {
    volume: test.volume,
    snapshot: test.snapshotId,
    region: test.region,
    seconds: 0,
    ok: false,
  }
  const started = now()
  try {
    const made = await ec2.send(
      new CreateVolumeCommand({
        SnapshotId: test.snapshotId,
        AvailabilityZone: zone,
        TagSpecifications: [
          {
            ResourceType: 'volume',
            Tags: [
              { Key: RESTORE_TEST_TAG, Value: options.runId },
              { Key: 'Name', Value: `restore test of ${test.snapshotId} (${test.volume})` },
            ],
          },
        ],
      }),
    )
    result.testVolume = made.VolumeId
    log.info(`restore test of ${test.volume}: volume ${made.VolumeId} from ${test.snapshotId} in ${zone}`)
    let said = started
    const state = await pollUntil(
      async () => {
        const answer = await retryTransient(() =>
          ec2.send(new DescribeVolumesCommand({ VolumeIds: [made.VolumeId!] })),
        )
        const current = answer.Volumes?.[0]?.State
        if (current === 'available' || current === 'error') return current
        if (now() - said >= (options.heartbeatMs ?? 30_000)) {
          said = now()
          log.info(
            `restore test of ${test.volume}: ${made.VolumeId} still ${current ?? 'unknown'} after ${Math.round((said - started) / 1000)} s`,
          )
        }
        return undefined
      },
      {
        what: `volume ${made.VolumeId} to become available`,
        timeoutMs: options.timeoutMs,
        signal: options.signal,
        initialMs: 500,
        maxMs: 5000,
      },
    )
    result.seconds = Math.round((now() - started) / 100) / 10
    if (state === 'available') result.ok = true
    else result.reason = `volume ${made.VolumeId} went to state error`
  } catch (error) {
    result.seconds = Math.round((now() - started) / 100) / 10
    result.reason =
      error instanceof TimeoutError
        ? `volume ${result.testVolume} was not available within ${Math.round(options.timeoutMs / 1000)} s`
        : describeError(error)
  }
  if (result.testVolume) {
    try {
      await deleteTestVolume(ec2, result.testVolume)
      delete result.testVolume
    } catch (error) {
      const left = `test volume ${result.testVolume} was not deleted (${describeError(error)}); the post step or the next run deletes it`
      result.reason = result.reason ? `${result.reason}; ${left}` : left
      result.ok = false
    }
  }
  // The rotation's memory: the next runs test other volumes first.
  await ec2
    .send(
      new CreateTagsCommand({
        Resources: [test.snapshotId],
        Tags: [{ Key: RESTORE_TESTED_TAG, Value: new Date(started).toISOString() }],
      }),
    )
    .catch((error: unknown) =>
      log.warning(`could not tag ${test.snapshotId} as tested: ${describeError(error)}`),
    )
  if (result.ok)
    log.info(`restore test of ${test.volume}: ${test.snapshotId} restored in ${result.seconds} s`)
  else
    log.error(
      `restore test of ${test.volume} from ${test.snapshotId} failed: ${result.reason}`,
      `Restore test ${test.volume}`,
    )
  return result
}

/**
 * Runs one account's planned tests, every region at once: first the leftovers
 * of earlier runs are deleted there, then each test. `record` is called with
 * the regions before the first volume is made (the post step's state).
 */
export async function runRestoreTests(
  clients: Clients,
  tests: readonly PlannedRestore[],
  options: RestoreOptions,
): Promise<RestoreTest[]> {
  const regions = [...new Set(tests.map((t) => t.region))]
  const zones = new Map<string, Promise<string>>()
  const prepare = (region: string) => {
    let zone = zones.get(region)
    if (!zone) {
      const ec2 = clients.ec2(region)
      zone = deleteLeftovers(ec2, {
        otherThan: options.runId,
        olderThanMs: options.timeoutMs,
        now: (options.now ?? Date.now)(),
      })
        .then((gone) => {
          if (gone.length > 0)
            options
              .log(region)
              .warning(`deleted ${gone.length} test volume(s) an earlier run left: ${gone.join(', ')}`)
        })
        .catch((error: unknown) =>
          options
            .log(region)
            .warning(`could not look for test volumes earlier runs left: ${describeError(error)}`),
        )
        .then(() => availabilityZone(ec2))
      zones.set(region, zone)
    }
    return zone
  }
  for (const region of regions) void prepare(region).catch(() => undefined)
  return Promise.all(
    tests.map(async (test) => {
      try {
        return await restoreTest(clients.ec2(test.region), await prepare(test.region), test, options)
      } catch (error) {
        return {
          volume: test.volume,
          snapshot: test.snapshotId,
          region: test.region,
          seconds: 0,
          ok: false,
          reason: `no Availability Zone to test in: ${describeError(error)}`,
        }
      }
    }),
  )
}
