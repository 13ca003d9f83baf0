import { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import { Inputs, mapInputReader } from '../../../lib/inputs.js'
import { RegionLog } from '../../../lib/log.js'
import { AbortedError } from '../../../lib/poll.js'
import { getSettings } from '../../../actions/stackset-rollout/src/input-helper.js'
import {
  OperationStillRunningError,
  StackSetApi,
} from '../../../actions/stackset-rollout/src/stackset-api.js'

const settings = getSettings(
  new Inputs(
    mapInputReader({
      'stack-set-name': 'baseline',
      template: 'https://bucket.s3.us-east-1.amazonaws.com/t.yaml',
      accounts: '111111111111',
      regions: 'us-east-1',
      'timeout-minutes': '1',
    }),
  ),
  { AWS_REGION: 'us-east-1' },
)

const awsError = (name: string) => Object.assign(new Error(`${name} message`), { name })

interface Call {
  command: string
  input: Record<string, unknown>
}

/** A client whose answers are scripted per command name. */
function fakeClient(answer: (call: Call, calls: Call[]) => unknown) {
  const calls: Call[] = []
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const call = { command: command.constructor.name.replace(/Command$/, ''), input: command.input }
      calls.push(call)
      const out = answer(call, calls)
      if (out instanceof Error) throw out
      return out
    },
  }
  // Of the SDK's client class, as its paginators require.
  return {
    client: Object.assign(Object.create(CloudFormationClient.prototype) as CloudFormationClient, client),
    calls,
  }
}

/** Keeps the lines without printing them. */
class QuietLog extends RegionLog {
  override info(line: string): void {
    this.lines.push(line)
  }
  override warning(line: string): void {
    this.lines.push(line)
  }
}
const quiet = () => new QuietLog('us-east-1')
const fast = { initialMs: 5, factor: 1, maxMs: 5 }
const group = { targets: ['111111111111'], regions: ['us-east-1'] }

describe('StackSetApi.runOperation', () => {
  it('reuses one operation id across OperationInProgress retries and logs each wait', async () => {
    let busy = 2
    const { client, calls } = fakeClient((call) => {
      if (call.command === 'CreateStackInstances')
        return busy-- > 0 ? awsError('OperationInProgressException') : { OperationId: call.input.OperationId }
      if (call.command === 'DescribeStackSetOperation') {
        return calls.some((c) => c.command === 'CreateStackInstances' && busy < 0)
          ? { StackSetOperation: { OperationId: call.input.OperationId, Status: 'SUCCEEDED' } }
          : awsError('OperationNotFoundException')
      }
      return { Summaries: [{ Account: '111111111111', Region: 'us-east-1', Status: 'SUCCEEDED' }] }
    })
    const log = quiet()
    const api = new StackSetApi(client, settings, log, new AbortController().signal, Date.now(), fast)
    const record = await api.runOperation('CreateStackInstances', 'add', group, undefined)
    const ids = calls.filter((c) => c.command === 'CreateStackInstances').map((c) => c.input.OperationId)
    expect(ids).toHaveLength(3)
    expect(new Set(ids).size).toBe(1)
    expect(record).toMatchObject({ operationId: ids[0], status: 'SUCCEEDED', waitedForOthers: 2 })
    expect(
      log.lines.filter((l) => l.startsWith('Another operation is in progress on stack set baseline')),
    ).toHaveLength(2)
    // Before each retry it checks whether the first attempt took effect after all.
    expect(calls.filter((c) => c.command === 'DescribeStackSetOperation').length).toBeGreaterThanOrEqual(3)
  })

  it('waits for the operation an earlier attempt started when the id already exists', async () => {
    const { client, calls } = fakeClient((call) => {
      if (call.command === 'UpdateStackSet') return awsError('OperationIdAlreadyExistsException')
      if (call.command === 'DescribeStackSetOperation') return { StackSetOperation: { Status: 'SUCCEEDED' } }
      return { Summaries: [] }
    })
    const api = new StackSetApi(client, settings, quiet(), new AbortController().signal, Date.now(), fast)
    const record = await api.runOperation('UpdateStackSet', 'update', undefined, undefined)
    expect(record.operationId).toBe(calls[0]!.input.OperationId)
    expect(calls[0]!.input.TemplateURL).toBe('https://bucket.s3.us-east-1.amazonaws.com/t.yaml')
    expect(calls.map((c) => c.command)).toEqual([
      'UpdateStackSet',
      'DescribeStackSetOperation',
      'ListStackSetOperationResults',
    ])
  })

  it('fails clearly when another operation keeps the stack set busy past timeout-minutes', async () => {
    const { client, calls } = fakeClient((call) =>
      call.command === 'CreateStackInstances'
        ? awsError('OperationInProgressException')
        : awsError('OperationNotFoundException'),
    )
    // 58.5 s of the one-minute timeout are already used: room for a couple of retries.
    const api = new StackSetApi(client, settings, quiet(), new AbortController().signal, Date.now() - 58500)
    await expect(api.runOperation('CreateStackInstances', 'add', group, undefined)).rejects.toThrow(
      /CreateStackInstances could not start within timeout-minutes \(1\): another operation kept stack set baseline busy/,
    )
    expect(calls.filter((c) => c.command === 'CreateStackInstances').length).toBeGreaterThanOrEqual(2)
  })

  it('says which operation is still running when timeout-minutes runs out during the wait', async () => {
    const { client } = fakeClient((call) =>
      call.command === 'UpdateStackInstances'
        ? { OperationId: call.input.OperationId }
        : { StackSetOperation: { Status: 'RUNNING' } },
    )
    const api = new StackSetApi(
      client,
      settings,
      quiet(),
      new AbortController().signal,
      Date.now() - 59800,
      fast,
    )
    await expect(api.runOperation('UpdateStackInstances', 'update', group, undefined)).rejects.toThrow(
      /timeout-minutes \(1\) ran out while UpdateStackInstances operation [0-9a-f-]{36} was still RUNNING on stack set baseline/,
    )
  })

  it('names the running operation when cancelled while waiting, and starts nothing once cancelled', async () => {
    const controller = new AbortController()
    const { client } = fakeClient((call) => {
      if (call.command === 'DeleteStackInstances') return { OperationId: call.input.OperationId }
      setTimeout(() => controller.abort(), 1)
      return { StackSetOperation: { Status: 'RUNNING' } }
    })
    const api = new StackSetApi(client, settings, quiet(), controller.signal, Date.now(), {
      initialMs: 50,
      factor: 1,
      maxMs: 50,
    })
    const error = await api
      .runOperation('DeleteStackInstances', 'remove', group, undefined)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(OperationStillRunningError)
    expect(String(error)).toMatch(
      /Cancelled while DeleteStackInstances operation [0-9a-f-]{36} is still running on stack set baseline/,
    )
    expect(String(error)).toContain(
      'aws cloudformation describe-stack-set-operation --region us-east-1 --stack-set-name baseline',
    )
    await expect(api.runOperation('CreateStackInstances', 'add', group, undefined)).rejects.toBeInstanceOf(
      AbortedError,
    )
  })

  it('passes operation preferences, retain-stacks and targets to the API', async () => {
    const prefs = getSettings(
      new Inputs(
        mapInputReader({
          'stack-set-name': 'baseline',
          template: 'https://bucket.s3.us-east-1.amazonaws.com/t.yaml',
          accounts: '111111111111',
          regions: 'us-east-1,eu-west-1',
          'region-order': 'eu-west-1,us-east-1',
          'failure-tolerance': '10%',
          'max-concurrent': '3',
          'retain-stacks': 'true',
        }),
      ),
      { AWS_REGION: 'us-east-1' },
    )
    const { client, calls } = fakeClient((call) =>
      call.command === 'DeleteStackInstances'
        ? { OperationId: call.input.OperationId }
        : call.command === 'DescribeStackSetOperation'
          ? { StackSetOperation: { Status: 'SUCCEEDED' } }
          : { Summaries: [] },
    )
    const api = new StackSetApi(client, prefs, quiet(), new AbortController().signal, Date.now(), fast)
    await api.runOperation(
      'DeleteStackInstances',
      'remove',
      { targets: ['111111111111'], regions: ['us-east-1'] },
      undefined,
    )
    expect(calls[0]!.input).toMatchObject({
      Accounts: ['111111111111'],
      Regions: ['us-east-1'],
      RetainStacks: true,
      OperationPreferences: {
        RegionOrder: ['us-east-1'],
        FailureTolerancePercentage: 10,
        MaxConcurrentCount: 3,
      },
    })
  })
})

describe('StackSetApi requests for service-managed targets', () => {
  const serviceManaged = (filter: string) =>
    getSettings(
      new Inputs(
        mapInputReader({
          'stack-set-name': 'baseline',
          template: 'https://bucket.s3.us-east-1.amazonaws.com/t.yaml',
          'permission-model': 'service-managed',
          'organizational-units': 'ou-ab12-cd34ef56',
          accounts: '111111111111',
          'account-filter-type': filter,
          regions: 'us-east-1',
        }),
      ),
      { AWS_REGION: 'us-east-1' },
    )
  const answer = (call: Call) =>
    call.command === 'DescribeStackSetOperation'
      ? { StackSetOperation: { Status: 'SUCCEEDED' } }
      : call.command.endsWith('StackInstances')
        ? { OperationId: call.input.OperationId }
        : { Summaries: [] }

  it.each(['intersection', 'difference'])(
    'deletes a removed organizational unit by itself, without the declared accounts (%s)',
    async (filter) => {
      const { client, calls } = fakeClient(answer)
      const api = new StackSetApi(client, serviceManaged(filter), quiet(), new AbortController().signal)
      await api.runOperation(
        'DeleteStackInstances',
        'remove',
        { targets: ['ou-ab12-00000000'], regions: ['us-east-1'] },
        undefined,
      )
      expect(calls[0]!.input.DeploymentTargets).toEqual({ OrganizationalUnitIds: ['ou-ab12-00000000'] })
      expect(calls[0]!.input).not.toHaveProperty('Accounts')
    },
  )

  it('narrows creates and updates with the declared accounts and filter', async () => {
    const { client, calls } = fakeClient(answer)
    const api = new StackSetApi(client, serviceManaged('intersection'), quiet(), new AbortController().signal)
    const ous = { targets: ['ou-ab12-cd34ef56'], regions: ['us-east-1'] }
    await api.runOperation('CreateStackInstances', 'add', ous, undefined)
    await api.runOperation('UpdateStackInstances', 'update', ous, undefined)
    for (const command of ['CreateStackInstances', 'UpdateStackInstances'])
      expect(calls.find((c) => c.command === command)!.input.DeploymentTargets).toEqual({
        OrganizationalUnitIds: ['ou-ab12-cd34ef56'],
        Accounts: ['111111111111'],
        AccountFilterType: 'INTERSECTION',
      })
  })
})

describe('StackSetApi lists the SDK would send empty', () => {
  it('leaves out Tags, Parameters, Capabilities and Regions that the inputs leave empty', async () => {
    const { client, calls } = fakeClient((call) =>
      call.command === 'UpdateStackSet'
        ? { OperationId: call.input.OperationId }
        : call.command === 'DescribeStackSetOperation'
          ? { StackSetOperation: { Status: 'SUCCEEDED' } }
          : call.command === 'CreateStackSet'
            ? { StackSetId: 'baseline:1' }
            : { Summaries: [] },
    )
    const api = new StackSetApi(client, settings, quiet(), new AbortController().signal, Date.now(), fast)
    await api.createStackSet(undefined)
    await api.runOperation('UpdateStackSet', 'update', undefined, undefined)
    for (const call of calls.filter(
      (c) => c.command === 'CreateStackSet' || c.command === 'UpdateStackSet',
    )) {
      for (const list of ['Tags', 'Parameters', 'Capabilities', 'Regions', 'Accounts'])
        expect(call.input[list]).toBeUndefined()
    }
  })
})

describe('StackSetApi.createStackSet', () => {
  it('sends a client request token and settles NameAlreadyExists by reading the stack set', async () => {
    const { client, calls } = fakeClient((call) =>
      call.command === 'CreateStackSet'
        ? awsError('NameAlreadyExistsException')
        : { StackSet: { StackSetId: 'baseline:1', Status: 'ACTIVE', Parameters: [], Tags: [] } },
    )
    const api = new StackSetApi(client, settings, quiet(), new AbortController().signal)
    await expect(api.createStackSet(undefined)).resolves.toBe('baseline:1')
    expect(calls[0]!.input.ClientRequestToken).toMatch(/^stackset-rollout-[0-9a-f-]{36}$/)
    expect(calls[0]!.input.ManagedExecution).toEqual({ Active: true })
  })
})
