/**
 * stackset-rollout under faults: the main scenario (create a stack set and its
 * instances over 2 accounts x 2 regions) with 20% of calls faulted, over 20 seeds.
 *
 * FAULT_RATE and FAULT_MAX_ATTEMPTS stress it harder (see fault-report.ts).
 *
 * Replay one seed (FAULT_VERBOSE=1 also lists the faults injected):
 *   FAULT_SEED=7 node scripts/jest-report.mjs --config jest.faults.config.js test/faults/stackset-rollout.test.ts
 */
import { copyFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CloudFormationClient,
  DescribeStackSetCommand,
  ListStackInstancesCommand,
  type StackInstanceSummary,
} from '@aws-sdk/client-cloudformation'
import { run } from '../../actions/stackset-rollout/src/main.js'
import { runActionInProcess } from '../support/action-runner.js'
import { startFaultProxy } from '../support/fault-proxy.js'
import { startMoto, type MotoServer, directClientConfig } from '../support/moto.js'
import { mutatingCalls, startStackSetLoopback, type StackSetLoopback } from '../support/stackset-loopback.js'
import { FAULT_RATE, FaultReport, faultEnv, faultSeeds, seedMoto } from './fault-report.js'

const ACCOUNTS = ['111111111111', '222222222222']
const REGIONS = ['us-east-1', 'eu-west-1']
const NAME = 'baseline'
const DECLARED = ACCOUNTS.flatMap((a) => REGIONS.map((r) => `${a}/${r}`)).sort()

describe('stackset-rollout with 20% of calls faulted', () => {
  let moto: MotoServer
  let layer: StackSetLoopback
  let workspace: string
  const report = new FaultReport('stackset-rollout')

  beforeAll(async () => {
    moto = await startMoto()
    // Operations report RUNNING for two polls, as real ones do for a while, so polls meet faults too.
    layer = await startStackSetLoopback(moto.endpoint, { runningPolls: 2 })
    workspace = mkdtempSync(join(tmpdir(), 'stackset-faults-'))
    copyFileSync(join(process.cwd(), 'templates', 'stackset-sample.yaml'), join(workspace, 'stackset.yaml'))
  })
  afterAll(async () => {
    report.finish()
    await layer.close()
    await moto.stop()
  })

  const inputs = {
    'stack-set-name': NAME,
    template: 'stackset.yaml',
    parameters: 'Environment=dev',
    accounts: ACCOUNTS.join(','),
    regions: REGIONS.join(','),
    'max-concurrent': '50%',
    'failure-tolerance': '1',
    'region-concurrency': 'parallel',
  }

  const cfn = () => new CloudFormationClient(directClientConfig(moto.endpoint))

  /** What AWS (moto) holds: the stack set's existence and its instances as account/region. */
  async function endState(): Promise<{ exists: boolean; instances: string[] }> {
    const exists = await cfn()
      .send(new DescribeStackSetCommand({ StackSetName: NAME }))
      .then((r) => r.StackSet?.Status === 'ACTIVE')
      .catch(() => false)
    if (!exists) return { exists, instances: [] }
    const summaries: StackInstanceSummary[] = []
    let token: string | undefined
    do {
      const page = await cfn().send(new ListStackInstancesCommand({ StackSetName: NAME, NextToken: token }))
      summaries.push(...(page.Summaries ?? []))
      token = page.NextToken
    } while (token)
    return { exists, instances: summaries.map((s) => `${s.Account}/${s.Region}`).sort() }
  }

  function duplicates(list: string[]): string[] {
    return list.filter((x, i) => list.indexOf(x) !== i)
  }

  it.each(faultSeeds())('seed %i', async (seed) => {
    const startedAt = Date.now()
    await moto.reset()
    await seedMoto(moto.endpoint, seed)
    layer.resetState()
    const proxy = await startFaultProxy(layer.endpoint, { seed, rate: FAULT_RATE })
    const rollout = () =>
      runActionInProcess(run, inputs, { ...faultEnv(proxy.endpoint), GITHUB_WORKSPACE: workspace })
    const problems: string[] = []
    try {
      const result = await rollout()
      proxy.setEnabled(false)

      const after = await endState()
      const extra = after.instances.filter((i) => !DECLARED.includes(i))
      if (extra.length > 0) problems.push(`undeclared instances: ${extra.join(', ')}`)
      const twice = duplicates(after.instances)
      if (twice.length > 0) problems.push(`duplicate instances: ${twice.join(', ')}`)
      if (!result.failed) {
        if (!after.exists) problems.push('the run succeeded but the stack set does not exist')
        const missing = DECLARED.filter((d) => !after.instances.includes(d))
        if (missing.length > 0)
          problems.push(`the run succeeded but instances are missing: ${missing.join(', ')}`)
        const reported = JSON.parse(result.outputs.instances ?? '[]') as Array<{ status: string }>
        if (reported.length !== DECLARED.length || reported.some((i) => i.status !== 'CURRENT'))
          problems.push(`output instances: ${result.outputs.instances}`)
      } else {
        // A failed run must leave something a plain rerun can finish.
        const repair = await rollout()
        if (repair.failed)
          problems.push(`a rerun without faults after the failure failed: ${repair.errors.join(' | ')}`)
        const repaired = await endState()
        if (repaired.instances.join() !== DECLARED.join())
          problems.push(`after the rerun the instances are ${repaired.instances.join(', ')}`)
      }

      // Converged: another run without faults changes nothing.
      layer.resetStats()
      const rerun = await rollout()
      if (rerun.failed) problems.push(`the rerun without faults failed: ${rerun.errors.join(' | ')}`)
      const mutating = mutatingCalls(layer.stats)
      if (mutating > 0) problems.push(`the rerun without faults made ${mutating} mutating call(s)`)
      report.record(seed, proxy.faults, result, problems, startedAt)
    } finally {
      await proxy.close()
    }
  })
})
