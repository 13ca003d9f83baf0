/**
 * Demo step: verify-failover on the records the Route 53 step created, with a
 * drill of one region: its health check is inverted, the action measures how
 * long Route 53 takes to answer another region from three client locations,
 * then puts the check back, watching a stop alarm of the region that takes
 * over. The Route 53 layer runs one checker round per 50 ms, so the drill
 * takes seconds.
 */
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch'
import { run } from '../actions/verify-failover/src/main.js'
import { runActionStep } from './action-step.js'
import { DEMO_REGIONS, type DemoEnvironment } from './environment.js'
import { routing } from './route53.js'

export const DRILL_REGION = DEMO_REGIONS[0]!
const STOP_ALARM = 'orders-5xx-eu-west-1'

export async function verifyFailover(demo: DemoEnvironment): Promise<boolean> {
  const current = routing.current
  if (!current) throw new Error('The Route 53 records have not been created (run the Route 53 step first).')
  // The stop alarm: the error rate of the region that takes over, in OK.
  const cloudWatch = new CloudWatchClient({
    endpoint: demo.moto.endpoint,
    region: 'eu-west-1',
    maxAttempts: 2,
    credentials: demo.credentials,
  })
  await cloudWatch.send(
    new PutMetricAlarmCommand({
      AlarmName: STOP_ALARM,
      Namespace: 'Orders',
      MetricName: '5xx',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 10,
      ComparisonOperator: 'GreaterThanThreshold',
    }),
  )
  await cloudWatch.send(
    new SetAlarmStateCommand({ AlarmName: STOP_ALARM, StateValue: 'OK', StateReason: 'Demo: no errors' }),
  )
  const result = await runActionStep(demo, {
    action: 'verify-failover',
    run,
    inputs: {
      'hosted-zone-id': current.zoneId,
      'record-name': current.recordName,
      'min-healthy': 2,
      'max-ttl': 60,
      'drill-region': DRILL_REGION,
      'drill-timeout-minutes': 1,
      // The demo's health endpoints listen on 127.0.0.1.
      'allow-private-targets': true,
      'stop-alarms': `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${STOP_ALARM}`,
      'vantage-points': 'virginia=3.80.0.1, ireland=3.248.0.1, sydney=3.24.0.1',
      'max-failover-seconds': 120,
    },
    // The action's polls wait at most 100 ms here, in step with the layer's fast rounds.
    env: { ...demo.envFor(demo.endpoints.route53), VERIFY_FAILOVER_POLL_MAX_MS: '100' },
  })
  return !result.failed
}
