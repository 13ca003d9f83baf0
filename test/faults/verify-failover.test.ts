/**
 * verify-failover under faults: the main scenario (a drill over three latency
 * records that inverts one region's health check, measures the failover and
 * restores the check) with 20% of calls faulted, over 20 seeds.
 *
 * FAULT_RATE and FAULT_MAX_ATTEMPTS stress it harder (see fault-report.ts).
 *
 * Replay one seed (FAULT_VERBOSE=1 also lists the faults injected):
 *   FAULT_SEED=7 node scripts/jest-report.mjs --config jest.faults.config.js test/faults/verify-failover.test.ts
 * moto is seeded too, so health check ids (part of Route 53's REST paths, which the
 * fault proxy keys on) are the same on a replay. How many times the drill polls
 * depends on timing, so faults on later polls may shift slightly between replays.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../actions/verify-failover/src/main.js'
import type { Report } from '../../actions/verify-failover/src/summary.js'
import { runActionInProcess } from '../support/action-runner.js'
import { startFaultProxy } from '../support/fault-proxy.js'
import { startHealthEndpoint, type HealthEndpoint } from '../support/health-endpoint.js'
import { startMoto, type MotoServer } from '../support/moto.js'
import { startRoute53Loopback, type Route53Loopback } from '../support/route53-loopback.js'
import { createTopology, healthCheckConfig, route53Client } from '../support/route53-topology.js'
import { FAULT_RATE, FaultReport, faultEnv, faultSeeds, seedMoto } from './fault-report.js'

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']
const DRILL = 'us-east-1'

describe('verify-failover drill with 20% of calls faulted', () => {
  let moto: MotoServer
  let r53: Route53Loopback
  const endpoints: Record<string, HealthEndpoint> = {}
  const report = new FaultReport('verify-failover')
  const client = () => route53Client(r53.endpoint)
  // Where the drills write their records, as a runner's RUNNER_TEMP.
  const runnerTemp = mkdtempSync(join(tmpdir(), 'runner-temp-'))

  beforeAll(async () => {
    moto = await startMoto()
    r53 = await startRoute53Loopback(moto.endpoint, { roundMs: 50 })
    for (const region of REGIONS) endpoints[region] = await startHealthEndpoint('ok')
  })
  afterAll(async () => {
    report.finish()
    await r53.close()
    await Promise.all(Object.values(endpoints).map((e) => e.close()))
    await moto.stop()
    rmSync(runnerTemp, { recursive: true, force: true })
  })

  it.each(faultSeeds())('seed %i', async (seed) => {
    const startedAt = Date.now()
    await moto.reset()
    await seedMoto(moto.endpoint, seed)
    r53.reset()
    // Setup straight against the Route 53 layer: no faults.
    const t = await createTopology(
      client(),
      REGIONS.map((region, i) => ({ region, port: endpoints[region]!.port, value: `10.0.${i}.1` })),
    )
    const proxy = await startFaultProxy(r53.endpoint, { seed, rate: FAULT_RATE })
    const problems: string[] = []
    try {
      const result = await runActionInProcess(
        run,
        {
          'hosted-zone-id': t.zoneId,
          'record-name': t.recordName,
          'drill-region': DRILL,
          'drill-timeout-minutes': 1,
          // The health endpoints listen on 127.0.0.1.
          'allow-private-targets': true,
        },
        { ...faultEnv(proxy.endpoint), VERIFY_FAILOVER_POLL_MAX_MS: '100', RUNNER_TEMP: runnerTemp },
      )
      proxy.setEnabled(false)

      // Whatever happened, every health check is back to not inverted.
      for (const region of REGIONS) {
        const config = await healthCheckConfig(client(), t.healthCheckIds[region]!)
        if (config.Inverted !== false)
          problems.push(`health check of ${region} left Inverted=${config.Inverted}`)
        if (config.Disabled === true) problems.push(`health check of ${region} left disabled`)
        if (region !== DRILL && config.version !== 1)
          problems.push(`health check of ${region} changed (version ${config.version})`)
      }
      if (!result.failed) {
        const parsed = JSON.parse(result.outputs.report ?? '{}') as Report
        const failed = (parsed.checks ?? []).filter((c) => !c.passed).map((c) => `${c.name} [${c.subject}]`)
        if (failed.length > 0) problems.push(`the run succeeded with failed checks: ${failed.join(', ')}`)
        if (parsed.drill?.restore !== 'changed') problems.push(`drill restore: ${parsed.drill?.restore}`)
        // Measured, to 0.1 s: with 50 ms checker rounds a quick failover can round to 0.
        const failover = result.outputs['failover-seconds']
        if (!failover || !(Number(failover) >= 0)) problems.push(`failover-seconds: ${failover}`)
      }
      report.record(seed, proxy.faults, result, problems, startedAt)
    } finally {
      await proxy.close()
    }
  })
})
