import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DescribeStacksCommand,
  ListChangeSetsCommand,
} from '@aws-sdk/client-cloudformation'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { run } from '../../actions/deploy-multi-region/src/main.js'
import { runActionInProcess, type ActionRun } from '../support/action-runner.js'
import { startLoopbackProxy, type LoopbackProxy } from '../support/loopback-proxy.js'
import { localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'

const WORKSPACE = resolve(import.meta.dirname, '../..')
const TEMPLATE = 'templates/sample-queue.yaml'
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']

interface Result {
  region: string
  status: string
  stackId: string | null
  outputs: Record<string, string>
  changes: Array<{ action: string; logicalId: string; type: string; replacement?: string }>
  durationMs: number
  reason?: string
}

/** The Parameters.member.N fields of a CreateChangeSet request, by key. */
function parametersSent(params: URLSearchParams): Record<string, { value?: string; usePrevious?: string }> {
  const out: Record<string, { value?: string; usePrevious?: string }> = {}
  for (let n = 1; params.has(`Parameters.member.${n}.ParameterKey`); n++) {
    const key = params.get(`Parameters.member.${n}.ParameterKey`)!
    const value = params.get(`Parameters.member.${n}.ParameterValue`)
    const usePrevious = params.get(`Parameters.member.${n}.UsePreviousValue`)
    out[key] = { ...(value !== null ? { value } : {}), ...(usePrevious !== null ? { usePrevious } : {}) }
  }
  return out
}

const KEPT_QUEUE_PARAMETERS = {
  Environment: { value: 'staging' },
  FifoQueue: { usePrevious: 'true' },
  QueueName: { usePrevious: 'true' },
}

describe('deploy-multi-region against moto', () => {
  let moto: MotoServer
  let proxy: LoopbackProxy
  let env: Record<string, string>
  /** Sees the form fields of each CreateChangeSet request while set. */
  let recordCreateChangeSet: ((params: URLSearchParams) => void) | undefined

  beforeAll(async () => {
    moto = await startMoto()
    proxy = await startLoopbackProxy(moto.endpoint, (req, forward) => {
      if (req.operation === 'CreateChangeSet') recordCreateChangeSet?.(req.params)
      return forward()
    })
    env = { ...localAwsEnv(proxy.endpoint), GITHUB_WORKSPACE: WORKSPACE }
  })
  afterAll(async () => {
    await proxy.close()
    await moto.stop()
  })

  const deploy = (inputs: Record<string, string>) =>
    runActionInProcess(run, { template: TEMPLATE, regions: REGIONS.join(','), ...inputs }, env)
  const results = (r: ActionRun) => JSON.parse(r.outputs.results ?? '[]') as Result[]
  const byRegion = (r: ActionRun) => Object.fromEntries(results(r).map((x) => [x.region, x]))

  /** Uses the SDK directly, with the same local environment, to look at what the action left. */
  async function withEnv<T>(fn: () => Promise<T>): Promise<T> {
    const saved = { ...process.env }
    Object.assign(process.env, env)
    try {
      return await fn()
    } finally {
      process.env = saved
    }
  }
  const stackIn = (region: string, stackName: string) =>
    withEnv(async () => {
      const cfn = new CloudFormationClient({ region, maxAttempts: 1 })
      try {
        const answer = await cfn.send(new DescribeStacksCommand({ StackName: stackName }))
        return answer.Stacks?.[0]
      } catch {
        return undefined
      }
    })
  const openChangeSets = (region: string, stackName: string) =>
    withEnv(async () => {
      const cfn = new CloudFormationClient({ region, maxAttempts: 1 })
      const answer = await cfn.send(new ListChangeSetsCommand({ StackName: stackName }))
      // moto lists change sets of every stack and keeps executed ones; AWS does neither.
      return (answer.Summaries ?? []).filter(
        (s) => s.StackName === stackName && s.ExecutionStatus === 'AVAILABLE',
      )
    })

  describe('one stack through its life', () => {
    const stackName = 'orders'

    it('creates the stack in three regions at once, printing each new event once', async () => {
      // Every parameter given: moto decides "no changes" against the parameters a stack was
      // created with, and later runs leave QueueName and FifoQueue out (they keep their values).
      const r = await deploy({
        'stack-name': stackName,
        parameters: 'Environment=staging, QueueName=, FifoQueue=false',
      })
      expect(r.failed).toBe(false)
      const all = byRegion(r)
      for (const region of REGIONS) {
        expect(all[region]).toMatchObject({ status: 'created' })
        expect(all[region]!.stackId).toMatch(
          new RegExp(`^arn:aws:cloudformation:${region}:\\d{12}:stack/orders/`),
        )
        expect(all[region]!.changes.map((c) => c.logicalId).sort()).toEqual(['Queue', 'QueueUrlParameter'])
        const stack = await stackIn(region, stackName)
        expect(stack?.StackStatus).toBe('CREATE_COMPLETE')
        expect(await openChangeSets(region, stackName)).toEqual([])
      }
      expect(Object.keys(JSON.parse(r.outputs['stack-ids']!)).sort()).toEqual([...REGIONS].sort())
      expect(JSON.parse(r.outputs.outputs!)).toHaveProperty('eu-west-1')
      // Once as it came, and once more in the region's folded record.
      const completeLines = r.stdout
        .split('\n')
        .filter((l) => /^\[eu-west-1\] .*CREATE_COMPLETE AWS::CloudFormation::Stack/.test(l))
      expect(completeLines).toHaveLength(2)
      const record = r.stdout.slice(r.stdout.indexOf('::group::[eu-west-1]'))
      expect(record.slice(0, record.indexOf('::endgroup::'))).toContain(completeLines[0])
      expect(r.summary).toContain('| eu-west-1 | created |')
      expect(r.summary).toContain('gantt')
    })

    it('updates the stack when a parameter changes', async () => {
      const r = await deploy({ 'stack-name': stackName, parameters: 'Environment=production' })
      expect(r.failed).toBe(false)
      expect(results(r).map((x) => x.status)).toEqual(['updated', 'updated', 'updated'])
      const stack = await stackIn('ap-southeast-2', stackName)
      expect(stack?.StackStatus).toBe('UPDATE_COMPLETE')
      expect(stack?.Parameters).toContainEqual({ ParameterKey: 'Environment', ParameterValue: 'production' })
      // Events from the create are not printed again.
      expect(r.stdout).not.toMatch(/CREATE_COMPLETE AWS::CloudFormation::Stack/)
      expect(r.stdout).toMatch(/\[ap-southeast-2\] .*UPDATE_COMPLETE AWS::CloudFormation::Stack/)
    })

    it('reports unchanged on a rerun with nothing new and leaves no change set', async () => {
      // moto compares an update with the parameters the stack was created with (see the facts file).
      proxy.resetStats()
      const sent: URLSearchParams[] = []
      recordCreateChangeSet = (params) => sent.push(params)
      const r = await deploy({ 'stack-name': stackName, parameters: 'Environment=staging' })
      recordCreateChangeSet = undefined
      expect(r.failed).toBe(false)
      expect(results(r).map((x) => x.status)).toEqual(['unchanged', 'unchanged', 'unchanged'])
      for (const region of REGIONS) expect(await openChangeSets(region, stackName)).toEqual([])
      expect(r.summary).toContain('| us-east-1 | unchanged |')
      // The parameters the input left out are sent as UsePreviousValue, without a value.
      expect(sent).toHaveLength(3)
      for (const params of sent) expect(parametersSent(params)).toEqual(KEPT_QUEUE_PARAMETERS)
    })

    it('keeps the values of the parameters an update leaves out (UsePreviousValue)', async () => {
      const named = 'kept-values'
      const first = await deploy({
        'stack-name': named,
        regions: 'eu-west-1',
        parameters: 'Environment=one, QueueName=kept-queue',
      })
      expect(results(first)[0]!.status).toBe('created')
      const sent: URLSearchParams[] = []
      recordCreateChangeSet = (params) => sent.push(params)
      const r = await deploy({ 'stack-name': named, regions: 'eu-west-1', parameters: 'Environment=two' })
      recordCreateChangeSet = undefined
      expect(r.failed).toBe(false)
      expect(results(r)[0]!.status).toBe('updated')
      expect(parametersSent(sent[0]!)).toEqual({
        Environment: { value: 'two' },
        FifoQueue: { usePrevious: 'true' },
        QueueName: { usePrevious: 'true' },
      })
      // Without UsePreviousValue the queue name would go back to the template's default ('').
      const stack = await stackIn('eu-west-1', named)
      expect(stack?.Parameters).toContainEqual({ ParameterKey: 'QueueName', ParameterValue: 'kept-queue' })
      expect(stack?.Parameters).toContainEqual({ ParameterKey: 'Environment', ParameterValue: 'two' })
    })

    it('previews a change in plan-only mode without applying it', async () => {
      const r = await deploy({ 'stack-name': stackName, parameters: 'Environment=qa', 'plan-only': 'true' })
      expect(r.failed).toBe(false)
      expect(results(r).map((x) => x.status)).toEqual(['planned', 'planned', 'planned'])
      for (const region of REGIONS) {
        const stack = await stackIn(region, stackName)
        expect(stack?.Parameters).not.toContainEqual({ ParameterKey: 'Environment', ParameterValue: 'qa' })
        expect(await openChangeSets(region, stackName)).toEqual([])
      }
    })
  })

  it('plan-only for a new stack lists the additions, leaves no change set and only the empty review stack', async () => {
    proxy.resetStats()
    const r = await deploy({ 'stack-name': 'preview-only', 'plan-only': 'yes' })
    expect(r.failed).toBe(false)
    for (const result of results(r)) {
      expect(result.status).toBe('planned')
      expect(result.changes).toEqual(
        expect.arrayContaining([
          { action: 'Add', logicalId: 'Queue', type: 'AWS::SQS::Queue' },
          { action: 'Add', logicalId: 'QueueUrlParameter', type: 'AWS::SSM::Parameter' },
        ]),
      )
    }
    for (const region of REGIONS) {
      // The pull-request gate role may not delete stacks: the next deploy creates this one for real.
      const stack = await stackIn(region, 'preview-only')
      expect(stack?.StackStatus).toBe('REVIEW_IN_PROGRESS')
      expect(await openChangeSets(region, 'preview-only')).toEqual([])
    }
    expect(proxy.stats.byOperation.get('ExecuteChangeSet')).toBeUndefined()
    expect(proxy.stats.byOperation.get('DeleteStack')).toBeUndefined()
    expect(r.summary).toContain('### Review stacks left')
    expect(r.summary).toContain('Resource changes')
  })

  it('stops at a failing canary region and leaves the other regions untouched', async () => {
    const r = await deploy({
      'stack-name': 'canary-check',
      'canary-regions': 'eu-west-1',
      // A FIFO queue whose name lacks .fifo: moto refuses it when the change set is executed.
      'region-parameters': JSON.stringify({ 'eu-west-1': { QueueName: 'orders', FifoQueue: 'true' } }),
    })
    expect(r.failed).toBe(true)
    const all = byRegion(r)
    expect(all['eu-west-1']).toMatchObject({ status: 'failed' })
    expect(all['eu-west-1']!.reason).toMatch(/Queue name must end in \.fifo/)
    expect(all['us-east-1']).toMatchObject({
      status: 'skipped',
      reason: 'canary eu-west-1 did not succeed',
    })
    expect(all['ap-southeast-2']).toMatchObject({ status: 'skipped' })
    expect(await stackIn('us-east-1', 'canary-check')).toBeUndefined()
    expect(await stackIn('ap-southeast-2', 'canary-check')).toBeUndefined()
    expect(await openChangeSets('eu-west-1', 'canary-check')).toEqual([])
    expect(r.errors.some((e) => /Queue name must end in \.fifo/.test(e))).toBe(true)
    expect(
      r.errors.some((e) => /Canary eu-west-1 did not succeed, so no other target was started/.test(e)),
    ).toBe(true)
  })

  it('keeps going within the failure tolerance', async () => {
    const r = await deploy({
      'stack-name': 'tolerant',
      'failure-tolerance': '1',
      'region-parameters': 'ap-southeast-2:\n  QueueName: jobs\n  FifoQueue: "true"',
    })
    expect(r.failed).toBe(false)
    expect(results(r).map((x) => x.status)).toEqual(['created', 'created', 'failed'])
    expect(r.warnings.some((w) => /within the failure tolerance of 1/.test(w))).toBe(true)
  })

  it('deploys over a REVIEW_IN_PROGRESS stack left by an earlier, never executed change set', async () => {
    await withEnv(async () => {
      const cfn = new CloudFormationClient({ region: 'us-east-1', maxAttempts: 1 })
      await cfn.send(
        new CreateChangeSetCommand({
          StackName: 'leftover',
          ChangeSetName: 'abandoned',
          ChangeSetType: 'CREATE',
          TemplateBody: readFileSync(resolve(WORKSPACE, TEMPLATE), 'utf8'),
        }),
      )
    })
    const r = await deploy({ 'stack-name': 'leftover', regions: 'us-east-1' })
    expect(r.failed).toBe(false)
    expect(results(r)[0]).toMatchObject({ region: 'us-east-1', status: 'created' })
  })

  it('warns when termination protection cannot be applied (moto lacks the call)', async () => {
    const r = await deploy({
      'stack-name': 'protected',
      regions: 'eu-west-1',
      'termination-protection': 'true',
    })
    expect(r.failed).toBe(false)
    expect(results(r)[0]!.status).toBe('created')
    expect(r.warnings.some((w) => /\[eu-west-1\] Could not enable termination protection/.test(w))).toBe(true)
  })

  it('rejects a bad region name before any request is made', async () => {
    proxy.resetStats()
    const r = await deploy({ 'stack-name': 'never', regions: 'us-east-1,mars-north-1' })
    expect(r.failed).toBe(true)
    expect(r.errors[0]).toMatch(/Input 'regions': "mars-north-1" is not valid/)
    expect(proxy.stats.total).toBe(0)
  })

  it('rejects malformed parameters before any request is made', async () => {
    proxy.resetStats()
    const r = await deploy({ 'stack-name': 'never', parameters: 'Environment="unclosed' })
    expect(r.failed).toBe(true)
    expect(r.errors[0]).toMatch(/Input 'parameters'.*not closed/)
    expect(proxy.stats.total).toBe(0)
  })
})
