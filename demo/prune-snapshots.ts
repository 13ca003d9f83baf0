/**
 * Demo step: four weeks of nightly EBS snapshots of two volumes (plus a weekly
 * one, a protected one and a locked one) seeded in moto, then pruned by
 * prune-snapshots with a retention of days and weeks, copying what is kept to a
 * DR region. moto dates every snapshot "now", so the demo records the night each
 * snapshot stands for and the layer in front of moto answers that time (see
 * snapshot-ages.ts).
 */
import { CreateSnapshotCommand, CreateVolumeCommand, EC2Client, type Tag } from '@aws-sdk/client-ec2'
import { run } from '../actions/prune-snapshots/src/main.js'
import { runActionStep } from './action-step.js'
import type { DemoEnvironment } from './environment.js'

export const PRUNE_REGION = 'eu-west-1'
export const DR_REGION = 'eu-central-1'
const NIGHTS = 28
const DAY_MS = 24 * 60 * 60 * 1000

export async function seedSnapshots(demo: DemoEnvironment, nights = NIGHTS): Promise<number> {
  const ec2 = new EC2Client({
    region: PRUNE_REGION,
    endpoint: demo.moto.endpoint,
    maxAttempts: 2,
    credentials: demo.credentials,
  })
  // Nightly backups are taken at 02:00 UTC.
  const lastNight = new Date()
  lastNight.setUTCHours(2, 0, 0, 0)
  if (lastNight.getTime() > Date.now()) lastNight.setTime(lastNight.getTime() - DAY_MS)
  let made = 0
  const snapshot = async (volumeId: string, at: Date, description: string, tags: Tag[]) => {
    const out = await ec2.send(
      new CreateSnapshotCommand({
        VolumeId: volumeId,
        Description: description,
        TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
      }),
    )
    demo.snapshotAges.set(out.SnapshotId!, at.toISOString())
    made++
    return out.SnapshotId!
  }
  try {
    for (const name of ['orders-db', 'orders-files']) {
      const volume = await ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: `${PRUNE_REGION}a`,
          Size: 8,
          TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'Name', Value: name }] }],
        }),
      )
      const volumeId = volume.VolumeId!
      const locked: string[] = []
      for (let n = nights - 1; n >= 0; n--) {
        const at = new Date(lastNight.getTime() - n * DAY_MS)
        const day = at.toISOString().slice(0, 10)
        const tags = [
          { Key: 'Name', Value: `${name} ${day}` },
          { Key: 'Backup', Value: 'nightly' },
        ]
        // The oldest backup of the database is kept for an audit, by tag.
        if (name === 'orders-db' && n === nights - 1) tags.push({ Key: 'DoNotDelete', Value: 'audit' })
        const id = await snapshot(volumeId, at, `Nightly backup of ${name} (${day})`, tags)
        // One backup of the file volume sits under a governance-mode snapshot lock.
        if (name === 'orders-files' && n === nights - 3) locked.push(id)
      }
      // A manual snapshot outside the nightly schedule: not matched by the filter, never touched.
      await snapshot(
        volumeId,
        new Date(lastNight.getTime() - 10 * DAY_MS + 9 * 3600 * 1000),
        `Before the ${name} resize`,
        [
          { Key: 'Name', Value: `${name} manual` },
          { Key: 'Backup', Value: 'manual' },
        ],
      )
      if (locked.length > 0) {
        const current = demo.snapshotExtras.locks.get(PRUNE_REGION) ?? []
        demo.snapshotExtras.locks.set(PRUNE_REGION, [
          ...current,
          ...locked.map((snapshotId) => ({ snapshotId, lockState: 'governance' })),
        ])
      }
    }
  } finally {
    ec2.destroy()
  }
  return made
}

export async function pruneSnapshots(demo: DemoEnvironment): Promise<boolean> {
  const seeded = await seedSnapshots(demo)
  if (demo.echo)
    console.log(
      `Seeded ${seeded} snapshots of two volumes in ${PRUNE_REGION}, dated over ${NIGHTS} nights.\n`,
    )
  const result = await runActionStep(demo, {
    action: 'prune-snapshots',
    run,
    inputs: {
      regions: PRUNE_REGION,
      filters: 'Backup=nightly',
      'keep-last': 3,
      'keep-daily': 7,
      'keep-weekly': 4,
      'dr-region': DR_REGION,
      'dr-keep-last': 2,
      'max-delete': 60,
    },
    env: { ...demo.envFor(demo.endpoints.ec2), RUNNER_TEMP: demo.outputDir },
  })
  return !result.failed
}
