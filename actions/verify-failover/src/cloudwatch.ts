import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch'
import { lazyClientFactory } from '../../../lib/aws.js'
import { retryWhile } from '../../../lib/poll.js'
import { isRetryable } from './route53.js'

/** CloudWatch is called only when stop-alarms is given: its SDK package is loaded then. */
export const cloudWatchClient = lazyClientFactory(
  async () => (await import('@aws-sdk/client-cloudwatch')).CloudWatchClient,
)

/** An alarm as DescribeAlarms reports it. */
export interface AlarmReading {
  name: string
  arn?: string
  state: string
  reason: string
  /** When the alarm last changed state (StateUpdatedTimestamp). */
  changedAt?: Date
}

/** DescribeAlarms takes at most 100 names a request (AlarmNames: "Maximum number of 100 items"). */
const NAMES_PER_REQUEST = 100

/**
 * The named alarms of one region, metric and composite (DescribeAlarms returns
 * only metric alarms unless AlarmTypes asks for composite ones too). A name
 * that is not there is simply absent from the answer.
 */
export async function describeAlarms(
  client: CloudWatchClient,
  names: readonly string[],
  signal?: AbortSignal,
): Promise<AlarmReading[]> {
  const { paginateDescribeAlarms } = await import('@aws-sdk/client-cloudwatch')
  const readings: AlarmReading[] = []
  for (let i = 0; i < names.length; i += NAMES_PER_REQUEST) {
    const chunk = names.slice(i, i + NAMES_PER_REQUEST)
    await retryWhile(
      async () => {
        const found: AlarmReading[] = []
        const pages = paginateDescribeAlarms(
          { client },
          { AlarmNames: chunk, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
        )
        for await (const page of pages) {
          for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
            found.push({
              name: a.AlarmName ?? '',
              arn: a.AlarmArn,
              state: a.StateValue ?? 'INSUFFICIENT_DATA',
              reason: a.StateReason ?? '',
              changedAt: a.StateUpdatedTimestamp,
            })
          }
        }
        readings.push(...found)
      },
      { retryable: isRetryable, timeoutMs: 30000, signal },
    )
  }
  return readings
}
