/**
 * deploy-multi-region under faults: the main scenario (create the sample queue
 * stack in 3 regions at once) with 20% of calls faulted, over 20 seeds.
 *
 * A run is correct when every region it reports created/updated holds exactly
 * one stack of that name in CREATE_COMPLETE/UPDATE_COMPLETE, no change set is
 * left unexecuted, and a failed run names its error and leaves nothing that a
 * plain rerun cannot finish.
 *
 * Replay one seed (FAULT_VERBOSE=1 also lists the faults injected):
 *   FAULT_SEED=7 node scripts/jest-report.mjs --config jest.faults.config.js test/faults/deploy-multi-region.test.ts
 */
import { resolve } from 'node:path'
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListChangeSetsCommand,
  type ChangeSetSummary,
  type Stack,
} from '@aws-sdk/client-cloudformation'
import { run } from '../../actions/deploy-multi-region/src/main.js'
import { runActionInProcess, type ActionRun } from '../support/action-runner.js'
import { startFaultProxy } from '../support/fault-proxy.js'
import { startMoto, type MotoServer, directClientConfig } from '../support/moto.js'
import { FAULT_RATE, FaultReport, faultEnv, faultSeeds, seedMoto } from './fault-report.js'

const WORKSPACE = resolve(import.meta.dirname, '../..')
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']
const DONE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE'])

interface Result {
  region: string
  status: string
  stackId: string | null
  reason?: string
}

describe('deploy-multi-region with 20% of calls faulted', () => {
  let moto: MotoServer
  const report = new FaultReport('deploy-multi-region')

  beforeAll(async () => {
    moto = await startMoto()
  })
  afterAll(async () => {
    report.finish()
    await moto.stop()
  })

  const cfn = (region: string) => new CloudFormationClient(directClientConfig(moto.endpoint, region))

  /** Every stack of that name in the region that is not deleted (moto lists deleted ones too). */
  async function stacksNamed(region: string, name: string): Promise<Stack[]> {
    const answer = await cfn(region).send(new DescribeStacksCommand({}))
    return (answer.Stacks ?? []).filter((s) => s.StackName === name && s.StackStatus !== 'DELETE_COMPLETE')
  }

  /** Change sets of the stack still waiting to be executed (moto keeps executed ones listed). */
  async function unexecuted(region: string, name: string): Promise<ChangeSetSummary[]> {
    const answer = await cfn(region).send(new ListChangeSetsCommand({ StackName: name }))
    return (answer.Summaries ?? []).filter(
      (s) =>
        s.StackName === name &&
        s.ExecutionStatus !== 'EXECUTE_COMPLETE' &&
        s.ExecutionStatus !== 'EXECUTE_IN_PROGRESS' &&
        s.ExecutionStatus !== 'OBSOLETE',
    )
  }

  /** What AWS (moto) holds in every region, checked against what the run reported. */
  async function check(name: string, r: ActionRun): Promise<string[]> {
    const problems: string[] = []
    const results = JSON.parse(r.outputs.results ?? '[]') as Result[]
    if (results.length !== REGIONS.length) problems.push(`results output: ${r.outputs.results}`)
    for (const region of REGIONS) {
      const result = results.find((x) => x.region === region)
      const stacks = await stacksNamed(region, name)
      if (stacks.length > 1)
        problems.push(`${region}: ${stacks.length} stacks named ${name} (${stacks.map((s) => s.StackId)})`)
      const left = await unexecuted(region, name)
      if (left.length > 0)
        problems.push(`${region}: change set(s) left behind: ${left.map((c) => c.ChangeSetName).join(', ')}`)
      if (result?.status === 'created' || result?.status === 'updated') {
        const stack = stacks[0]
        if (!stack) problems.push(`${region}: reported ${result.status} but no stack exists`)
        else if (!DONE.has(stack.StackStatus ?? ''))
          problems.push(`${region}: reported ${result.status} but the stack is ${stack.StackStatus}`)
        else if (result.stackId !== stack.StackId)
          problems.push(`${region}: reported stack ${result.stackId}, found ${stack.StackId}`)
      } else if (result?.status === 'failed') {
        if (!result.reason) problems.push(`${region}: failed without a reason`)
        // A stack that only held this run's change set must not be left in review.
        if (stacks.some((s) => s.StackStatus === 'REVIEW_IN_PROGRESS'))
          problems.push(`${region}: failed and left a REVIEW_IN_PROGRESS stack`)
      } else if (!r.failed) {
        problems.push(`${region}: the run succeeded but the region is ${result?.status ?? 'missing'}`)
      }
    }
    return problems
  }

  it.each(faultSeeds())('seed %i', async (seed) => {
    const startedAt = Date.now()
    await moto.reset()
    await seedMoto(moto.endpoint, seed)
    const proxy = await startFaultProxy(moto.endpoint, { seed, rate: FAULT_RATE })
    const name = `faults-${seed}`
    const deploy = () =>
      runActionInProcess(
        run,
        { template: 'templates/sample-queue.yaml', regions: REGIONS.join(','), 'stack-name': name },
        { ...faultEnv(proxy.endpoint), GITHUB_WORKSPACE: WORKSPACE },
      )
    try {
      const result = await deploy()
      proxy.setEnabled(false)
      const problems = await check(name, result)
      if (result.failed) {
        // No partial damage: the same deploy without faults finishes the job.
        const repair = await deploy()
        if (repair.failed)
          problems.push(`a rerun without faults after the failure failed: ${repair.errors.join(' | ')}`)
        for (const p of await check(name, repair)) problems.push(`after the rerun: ${p}`)
      }
      report.record(seed, proxy.faults, result, problems, startedAt)
    } finally {
      await proxy.close()
    }
  })
})
