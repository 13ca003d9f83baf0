import { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import {
  CloudFormationApi,
  arnParts,
  isToolkitChangeSetName,
  requestTokens,
} from '../../../actions/deploy-multi-region/src/cloudformation-api.js'
import { EventTracker } from '../../../actions/deploy-multi-region/src/plan.js'

interface Call {
  command: string
  input: Record<string, unknown>
}

const awsError = (name: string, message = `${name} message`) => Object.assign(new Error(message), { name })

/** A gateway over a client of the SDK's class (as its paginators require) whose answers are scripted. */
function gateway(answer: (call: Call) => unknown) {
  const calls: Call[] = []
  const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const call = { command: command.constructor.name.replace(/Command$/, ''), input: { ...command.input } }
    calls.push(call)
    const out = answer(call)
    if (out instanceof Error) throw out
    return out
  }
  const client = Object.assign(Object.create(CloudFormationClient.prototype) as CloudFormationClient, {
    send,
  })
  return { api: new CloudFormationApi(client), calls }
}

const CHANGE_SET = 'arn:aws:cloudformation:us-east-1:123456789012:changeSet/cs/1'
const STACK = 'arn:aws:cloudformation:us-east-1:123456789012:stack/orders/1'
const request = (type: 'CREATE' | 'UPDATE') => ({
  StackName: 'orders',
  ChangeSetName: 'deploy-1-us-east-1',
  ChangeSetType: type,
  ClientToken: 'deploy-1-us-east-1',
})

describe('requestTokens', () => {
  it('gives every request of a target its own token, and names within CloudFormation’s 128 characters', () => {
    const t = requestTokens(`deploy-${'9'.repeat(90)}`, 'ap-southeast-2')
    const tokens = [t.createChangeSet, t.execute, t.deleteFailedStack, t.cancelUpdate, t.rollbackExecute]
    expect(new Set(tokens).size).toBe(tokens.length)
    expect(t.changeSetName.length).toBeLessThanOrEqual(128)
    expect(t.rollbackChangeSetName.length).toBeLessThanOrEqual(128)
    expect(t.rollbackChangeSetName).toMatch(/-rollback$/)
    expect(requestTokens('deploy-1', 'us-east-1')).toMatchObject({
      changeSetName: 'deploy-1-us-east-1',
      execute: 'deploy-1-us-east-1-execute',
    })
  })
})

describe('change set naming', () => {
  it('names a plan-only run’s change sets with the gate prefix the gate role is limited to', () => {
    expect(requestTokens('deploy-1', 'us-east-1', { gate: true }).changeSetName).toBe(
      'gate-deploy-1-us-east-1',
    )
    const longest = requestTokens(`deploy-${'9'.repeat(93)}`, 'ap-southeast-2', { gate: true })
    expect(longest.changeSetName.length).toBeLessThanOrEqual(128)
    expect(longest.rollbackChangeSetName.length).toBeLessThanOrEqual(128)
  })
  it('tells this toolkit’s change set names for a region, and a gate’s only when asked', () => {
    expect(isToolkitChangeSetName('deploy-1-1-abcd-us-east-1', 'us-east-1')).toBe(true)
    expect(isToolkitChangeSetName('deploy-1-1-abcd-us-east-1', 'eu-west-1')).toBe(false)
    expect(isToolkitChangeSetName('gate-deploy-1-1-abcd-us-east-1', 'us-east-1')).toBe(false)
    expect(isToolkitChangeSetName('gate-deploy-1-1-abcd-us-east-1', 'us-east-1', true)).toBe(true)
    expect(isToolkitChangeSetName('hand-made-us-east-1', 'us-east-1')).toBe(false)
  })
  it('reads region, account and name from an ARN', () => {
    expect(arnParts(CHANGE_SET)).toMatchObject({ account: expect.stringMatching(/^\d{12}$/) })
    expect(arnParts('not an arn')).toBeUndefined()
  })
})

describe('CloudFormationApi', () => {
  it('carries on with its own change set when a retried CreateChangeSet meets AlreadyExists', async () => {
    const { api, calls } = gateway(({ command }) =>
      command === 'CreateChangeSet'
        ? awsError('AlreadyExistsException')
        : { ChangeSetId: CHANGE_SET, StackId: STACK },
    )
    expect(await api.createChangeSet(request('CREATE'))).toEqual({
      id: CHANGE_SET,
      stackId: STACK,
      existing: true,
    })
    expect(calls[1]).toEqual({
      command: 'DescribeChangeSet',
      input: { StackName: 'orders', ChangeSetName: 'deploy-1-us-east-1' },
    })
  })

  it('reads "No updates are to be performed" on an update as an empty change set, and fails a create with it', async () => {
    const noUpdates = () => awsError('ValidationError', 'No updates are to be performed.')
    expect(await gateway(noUpdates).api.createChangeSet(request('UPDATE'))).toEqual({ empty: true })
    await expect(gateway(noUpdates).api.createChangeSet(request('CREATE'))).rejects.toThrow(/No updates/)
  })

  it('answers alreadyExecuting when ExecuteChangeSet failed but the change set is executing', async () => {
    const executing = gateway(({ command }) =>
      command === 'ExecuteChangeSet'
        ? awsError('ThrottlingException')
        : { ExecutionStatus: 'EXECUTE_IN_PROGRESS' },
    )
    expect(await executing.api.executeChangeSet(CHANGE_SET, 'deploy-1-us-east-1-execute')).toEqual({
      alreadyExecuting: true,
    })
    expect(executing.calls[0]!.input).toMatchObject({ ClientRequestToken: 'deploy-1-us-east-1-execute' })
    const available = gateway(({ command }) =>
      command === 'ExecuteChangeSet' ? awsError('ThrottlingException') : { ExecutionStatus: 'AVAILABLE' },
    )
    await expect(available.api.executeChangeSet(CHANGE_SET, 'x')).rejects.toThrow(/ThrottlingException/)
  })

  it('takes a change set already deleted as deleted', async () => {
    const { api } = gateway(() => awsError('ChangeSetNotFoundException'))
    await expect(api.deleteChangeSet(CHANGE_SET)).resolves.toBeUndefined()
    await expect(gateway(() => awsError('AccessDenied')).api.deleteChangeSet(CHANGE_SET)).rejects.toThrow()
  })

  it('joins every page of a change set’s changes', async () => {
    const { api, calls } = gateway(({ input }) =>
      input.NextToken === undefined
        ? { Status: 'CREATE_COMPLETE', Changes: [{ Type: 'Resource' }], NextToken: 'p2' }
        : { Status: 'CREATE_COMPLETE', Changes: [{ Type: 'Resource' }, { Type: 'Resource' }] },
    )
    const described = await api.describeChangeSet(CHANGE_SET)
    expect(described).toMatchObject({ status: 'CREATE_COMPLETE' })
    expect(described.changes).toHaveLength(3)
    expect(calls.map((c) => c.input.NextToken)).toEqual([undefined, 'p2'])
  })

  it('reads stack events page by page only until it meets one already seen, oldest first', async () => {
    const tracker = new EventTracker()
    tracker.prime([{ EventId: 'old' }])
    const { api, calls } = gateway(({ input }) =>
      input.NextToken === undefined
        ? { StackEvents: [{ EventId: 'e3' }, { EventId: 'e2' }], NextToken: 'p2' }
        : { StackEvents: [{ EventId: 'e1' }, { EventId: 'old' }], NextToken: 'p3' },
    )
    const fresh = await api.readNewEvents(STACK, tracker)
    expect(fresh.map((e) => e.EventId)).toEqual(['e1', 'e2', 'e3'])
    expect(calls).toHaveLength(2)
  })

  it('gives an empty snapshot for a stack that does not exist', async () => {
    const { api } = gateway(() => awsError('ValidationError', 'Stack with id orders does not exist'))
    expect(await api.describeStack('orders')).toMatchObject({ outputs: {}, parameterKeys: [] })
    expect((await api.describeStack('orders')).status).toBeUndefined()
  })
})
