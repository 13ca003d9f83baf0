import { resolve } from 'node:path'
import { run } from '../../actions/deploy-multi-region/src/main.js'
import * as log from '../../lib/log.js'
import { runActionInProcess, type ActionRun } from './action-runner.js'
import { startTimelineLayer } from './cfn-timeline-layer.js'
import { localAwsEnv, type MotoServer } from './moto.js'

/**
 * A deploy to three regions whose stacks take 40 s, one of which (eu-west-1)
 * fails and rolls back for 25 s more, all times multiplied by `scale`; every
 * line the step prints is timed as it is written. Shared by the live-log test
 * (a shortened scale) and bench/live-log.ts (real time).
 */
export const LIVE_LOG_REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']
export const FAILING_REGION = 'eu-west-1'

export interface TimedLine {
  /** ms since the step started. */
  at: number
  text: string
}

export interface LiveLogRun {
  result: ActionRun
  lines: TimedLine[]
  /** When the first change set was executed, and when the step ended: ms since the step started. */
  inProgressFrom: number
  endedAt: number
  /** The longest time without a printed line while targets were in progress, ms. */
  longestSilenceMs: number
  /** From CloudFormation listing the failing resource's *_FAILED event to its line in the log, ms. */
  failureShownAfterMs: number
}

export async function deployWithTimeline(
  moto: MotoServer,
  options: {
    scale: number
    stackName: string
    /** The failing resource's ResourceStatusReason. */
    reason?: string
    /** Runs in the same step after the action (a mask registered later). */
    after?: () => void
    /** Quiet time before a heartbeat line; default 20 s on the scale. */
    heartbeatMs?: number
  },
): Promise<LiveLogRun> {
  const layer = await startTimelineLayer(moto.endpoint)
  const ms = (seconds: number) => Math.round(seconds * 1000 * options.scale)
  for (const region of LIVE_LOG_REGIONS)
    layer.timelines.set(region, {
      inProgressMs: ms(40),
      ...(region === FAILING_REGION
        ? {
            fail: {
              logicalId: 'Queue',
              type: 'AWS::SQS::Queue',
              reason:
                options.reason ?? 'Resource handler returned message: "Access denied for sqs:CreateQueue"',
              rollbackMs: ms(25),
            },
          }
        : {}),
    })
  layer.resources.push({ logicalId: 'QueueUrlParameter', type: 'AWS::SSM::Parameter' })
  // The heartbeat on the same scale (main has none: the bench measures it there too).
  const configure = (log as unknown as { configureHeartbeat?: (o: { intervalMs?: number }) => void })
    .configureHeartbeat
  configure?.({ intervalMs: options.heartbeatMs ?? ms(20) })

  const lines: TimedLine[] = []
  let started = 0
  let partial = ''
  const write = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array) => {
    const now = performance.now() - started
    partial += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()
    const parts = partial.split('\n')
    partial = parts.pop()!
    for (const text of parts) lines.push({ at: now, text })
    return true
  }) as typeof process.stdout.write
  let result: ActionRun
  let endedAt: number
  try {
    started = performance.now()
    result = await runActionInProcess(
      async () => {
        await run()
        options.after?.()
      },
      {
        'stack-name': options.stackName,
        template: 'templates/sample-queue.yaml',
        regions: LIVE_LOG_REGIONS.join(','),
      },
      { ...localAwsEnv(layer.endpoint), GITHUB_WORKSPACE: resolve(import.meta.dirname, '../..') },
      { echo: true },
    )
    endedAt = performance.now() - started
  } finally {
    process.stdout.write = write
    configure?.({})
    await layer.close()
  }
  // From the first execution on (a log that holds its lines back says nothing of it meanwhile).
  const executions = [...layer.executedAt.values()]
  const inProgressFrom = executions.length > 0 ? toPerformance(Math.min(...executions)) - started : endedAt
  const times = [inProgressFrom, ...lines.map((l) => l.at).filter((at) => at >= inProgressFrom), endedAt]
  let longestSilenceMs = 0
  for (let i = 1; i < times.length; i++)
    longestSilenceMs = Math.max(longestSilenceMs, times[i]! - times[i - 1]!)
  const shownAt = layer.failureShownAt.get(FAILING_REGION)
  const failedLine = lines.find(
    (l) => l.text.includes(FAILING_REGION) && l.text.includes('CREATE_FAILED AWS::SQS::Queue Queue'),
  )
  const failureShownAfterMs =
    shownAt === undefined || !failedLine
      ? Number.POSITIVE_INFINITY
      : failedLine.at + started - toPerformance(shownAt)
  return { result, lines, inProgressFrom, endedAt, longestSilenceMs, failureShownAfterMs }
}

/** A Date.now() time on performance.now()'s clock. */
function toPerformance(epochMs: number): number {
  return epochMs - (Date.now() - performance.now())
}
