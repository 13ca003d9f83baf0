import { deployWithTimeline, FAILING_REGION, LIVE_LOG_REGIONS } from '../support/live-log-run.js'
import { startMoto, type MotoServer } from '../support/moto.js'

/**
 * The deploy on a quarter of its time scale (bench/live-log.ts runs it in
 * real time): stacks take 10 s instead of 40, the failing region rolls back for
 * 6.25 s instead of 25. The heartbeat comes after 3 s of quiet (20 s in real time would be
 * 5 s here): a busy machine may hold a timer back, and the bound is 7.5 s.
 */
const SCALE = 0.25

describe('the live log of a deploy whose stacks take a while', () => {
  let moto: MotoServer
  beforeAll(async () => {
    moto = await startMoto()
  }, 60_000)
  afterAll(async () => {
    await moto?.stop()
  })

  it('is never silent for long while targets are in progress, and prints a failure as CloudFormation shows it', async () => {
    const run = await deployWithTimeline(moto, { scale: SCALE, stackName: 'live-log', heartbeatMs: 3_000 })
    expect(run.result.failed).toBe(true)
    const texts = run.lines.map((l) => l.text)

    // No silence over 30 s (on this scale) while targets are in progress.
    expect(run.longestSilenceMs).toBeLessThan(30_000 * SCALE)
    // The failing resource's event printed within 5 s of CloudFormation listing it
    // (the deploy polls about once a second; the scale does not shorten that).
    expect(run.failureShownAfterMs).toBeLessThan(5_000)

    // The heartbeat names each unfinished target, what it is doing and for how long.
    const beats = texts.filter((t) => t.startsWith('Still in progress'))
    expect(beats.length).toBeGreaterThan(0)
    expect(beats[0]).toMatch(/us-east-1 CREATE_IN_PROGRESS \d+s, waiting on Queue, QueueUrlParameter/)
    expect(beats.some((b) => /eu-west-1 ROLLBACK_IN_PROGRESS \d+s, waiting on Queue/.test(b))).toBe(true)

    // Each stack event printed as it came, with its target in front, before the target was done ...
    const failed = texts.findIndex((t) => /^\[eu-west-1\] \S+ CREATE_FAILED AWS::SQS::Queue Queue /.test(t))
    expect(failed).toBeGreaterThanOrEqual(0)
    expect(texts.findIndex((t) => t.startsWith(`::group::[${FAILING_REGION}] failed`))).toBeGreaterThan(
      failed,
    )
    // ... and each target's tidy record folded in a group when it was done.
    for (const region of LIVE_LOG_REGIONS)
      expect(texts.filter((t) => t.startsWith(`::group::[${region}] `))).toHaveLength(1)
  }, 120_000)
})
