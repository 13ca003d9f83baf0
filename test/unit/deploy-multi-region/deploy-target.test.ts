import { jest } from '@jest/globals'
import { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import { STATEFUL_TYPES } from '../../../actions/deploy-multi-region/src/guard.js'
import {
  CloudFormationApi,
  requestTokens,
} from '../../../actions/deploy-multi-region/src/cloudformation-api.js'
import { applyTarget } from '../../../actions/deploy-multi-region/src/apply.js'
import { deployTarget } from '../../../actions/deploy-multi-region/src/deploy-target.js'
import { EventFollower } from '../../../actions/deploy-multi-region/src/events.js'
import type { TargetContext } from '../../../actions/deploy-multi-region/src/target-context.js'
import type { Settings } from '../../../actions/deploy-multi-region/src/model.js'
import type { TemplateProvider } from '../../../actions/deploy-multi-region/src/template.js'
import { RegionLog } from '../../../lib/log.js'

/** A client of the SDK's class, as its paginators require, whose send is the stand-in. */
function standIn(send: (command: never) => Promise<unknown>): CloudFormationClient {
  return Object.assign(Object.create(CloudFormationClient.prototype) as CloudFormationClient, { send })
}

const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders/1111'
const CHANGE_SET_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/cs/2222'

/**
 * A CloudFormation stand-in whose stack, once the change set is executed, stays
 * UPDATE_IN_PROGRESS: an update that hangs on a resource.
 */
function hangingUpdate(afterExecute = 'UPDATE_IN_PROGRESS', events: object[] = []) {
  const calls: string[] = []
  let executed = false
  const send = async (command: object) => {
    const name = command.constructor.name.replace(/Command$/, '')
    calls.push(name)
    switch (name) {
      case 'DescribeStacks':
        return {
          Stacks: [
            {
              StackName: 'orders',
              StackId: STACK_ID,
              StackStatus: executed ? afterExecute : 'UPDATE_COMPLETE',
              CreationTime: new Date(),
            },
          ],
        }
      case 'DescribeStackEvents':
        return { StackEvents: executed ? events : [] }
      case 'ListChangeSets':
        return { Summaries: [] }
      case 'CreateChangeSet':
        return { Id: CHANGE_SET_ID, StackId: STACK_ID }
      case 'DescribeChangeSet':
        return {
          Status: 'CREATE_COMPLETE',
          ExecutionStatus: executed ? 'EXECUTE_IN_PROGRESS' : 'AVAILABLE',
          Changes: [
            {
              Type: 'Resource',
              ResourceChange: {
                Action: 'Modify',
                LogicalResourceId: 'Queue',
                ResourceType: 'AWS::SQS::Queue',
                Replacement: 'False',
              },
            },
          ],
        }
      case 'ExecuteChangeSet':
        executed = true
        return {}
      case 'CancelUpdateStack':
        return {}
      default:
        throw new Error(`unexpected call ${name}`)
    }
  }
  return { cfn: standIn(send), calls }
}

function deployer(
  cfn: CloudFormationClient,
  timeoutMinutes: number | undefined,
  signal = new AbortController().signal,
  more: Partial<Settings> = {},
  initialStatus = 'UPDATE_COMPLETE',
) {
  const settings = {
    stackName: 'orders',
    parameters: {},
    regionParameters: {},
    capabilities: [],
    tags: [],
    notificationArns: [],
    onFailure: 'ROLLBACK',
    timeoutMinutes,
    mode: 'deploy',
    template: { kind: 'url', url: 'https://templates.s3.amazonaws.com/orders.yaml' },
    statefulTypes: STATEFUL_TYPES,
    allowReplacement: [],
    ...more,
  } as unknown as Settings
  const api = new CloudFormationApi(cfn)
  const log = new RegionLog('eu-west-1')
  const ctx: TargetContext = {
    target: { region: 'eu-west-1' },
    settings,
    api,
    templates: {
      forTarget: async () => ({ TemplateBody: '{}' }),
      uploadedFor: async () => undefined,
    } as unknown as TemplateProvider,
    log,
    signal,
    runToken: 'deploy-1-1-abcd',
    tokens: requestTokens('deploy-1-1-abcd', 'eu-west-1'),
    events: new EventFollower(api, log),
    phase: () => {},
  }
  const initial = {
    status: initialStatus,
    stackId: STACK_ID,
    outputs: {},
    parameterKeys: [],
    readAt: Date.now(),
  }
  return {
    run: async () => (await deployTarget(ctx, initial)).result,
    apply: async () => {
      const planned = {
        region: 'eu-west-1',
        changeSetId: CHANGE_SET_ID,
        changeSetType: 'UPDATE' as const,
        stackId: STACK_ID,
        lastUpdatedTime: null,
        templateSha256: 'a'.repeat(64),
        changes: [],
      }
      return (await applyTarget(ctx, { planned, stack: initial, changes: [] })).result
    },
  }
}

describe('deployTarget: timeout-minutes', () => {
  let stdout: jest.SpiedFunction<typeof process.stdout.write>
  beforeEach(() => {
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
  })
  afterEach(() => {
    jest.restoreAllMocks()
  })

  it('gives up when the deadline passes while the stack is UPDATE_IN_PROGRESS and cancels the update', async () => {
    const { cfn, calls } = hangingUpdate()
    // The deadline is set when the region starts; the clock then jumps to 1 s before it.
    const realNow = Date.now.bind(Date)
    const d = deployer(cfn, 1)
    let skew = 0
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skew)
    calls.length = 0
    const run = d.run()
    skew = 59_000
    const started = realNow()
    const result = await run
    expect(realNow() - started).toBeLessThan(5_000)
    expect(result).toMatchObject({
      status: 'failed',
      stackId: STACK_ID,
      reason: expect.stringContaining('timed out after 1 minute(s); the update was cancelled and rolls back'),
    })
    expect(calls).toContain('ExecuteChangeSet')
    expect(calls.filter((c) => c === 'CancelUpdateStack')).toHaveLength(1)
    expect(calls.indexOf('CancelUpdateStack')).toBeGreaterThan(calls.indexOf('ExecuteChangeSet'))
    const printed = stdout.mock.calls.map((c) => String(c[0])).join('')
    expect(printed).toContain('::error title=deploy-multi-region::[eu-west-1] ')
    expect(printed).toContain('timed out after 1 minute(s); the update was cancelled')
  })

  it('apply: timeout-minutes counts from the target’s own apply, not from the plan’s verification', async () => {
    const { cfn, calls } = hangingUpdate()
    const controller = new AbortController()
    const d = deployer(cfn, 1, controller.signal)
    const realNow = Date.now.bind(Date)
    // Verification and earlier waves took 30 minutes before this target's apply starts.
    const skew = 30 * 60_000
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skew)
    const run = d.apply()
    await new Promise((r) => setTimeout(r, 1500))
    // Still following its update: its minute has not run out.
    expect(calls).toContain('ExecuteChangeSet')
    expect(calls).not.toContain('CancelUpdateStack')
    controller.abort()
    const result = await run
    expect(result.reason).not.toMatch(/timed out/)
  })

  it('without timeout-minutes keeps following the stack (no deadline)', async () => {
    const { cfn, calls } = hangingUpdate()
    const controller = new AbortController()
    const d = deployer(cfn, undefined, controller.signal)
    const realNow = Date.now.bind(Date)
    let skew = 0
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skew)
    const run = d.run()
    // Far past any deadline: still following, until the job is cancelled.
    skew = 10 * 60 * 60_000
    await new Promise((r) => setTimeout(r, 1500))
    expect(calls).not.toContain('CancelUpdateStack')
    expect(calls.filter((c) => c === 'DescribeStacks').length).toBeGreaterThan(1)
    controller.abort()
    const result = await run
    expect(result.status).toBe('failed')
    expect(result.reason).toMatch(
      /cancelled while the stack was UPDATE_IN_PROGRESS; CloudFormation carries on/,
    )
    expect(calls).not.toContain('CancelUpdateStack')
  })
})

const NESTED_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders-Network-ABC/3333'
const OURS = 'deploy-1-1-abcd-eu-west-1-execute'

/**
 * A stack that is rolling back another pipeline's failed update when the run
 * starts, then fails our update in a nested stack. Events are served as
 * DescribeStackEvents does: newest first.
 */
function nestedFailure() {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s))
  const ev = (id: string, s: number, logical: string, status: string, extra: object = {}) => ({
    EventId: id,
    Timestamp: at(s),
    StackName: 'orders',
    LogicalResourceId: logical,
    ResourceType: logical === 'orders' ? 'AWS::CloudFormation::Stack' : 'AWS::SQS::Queue',
    ResourceStatus: status,
    ...extra,
  })
  let phase: 'other' | 'stable' | 'ours' = 'other'
  let polls = 0
  const history = [ev('h1', 1, 'orders', 'UPDATE_IN_PROGRESS', { ClientRequestToken: 'other-pipeline' })]
  const otherFailure = [
    ev('o2', 3, 'orders', 'UPDATE_ROLLBACK_IN_PROGRESS', { ClientRequestToken: 'other-pipeline' }),
    ev('o1', 2, 'Cache', 'UPDATE_FAILED', {
      ResourceStatusReason: 'Resource handler returned message: "Rate exceeded" (the other pipeline)',
      ClientRequestToken: 'other-pipeline',
    }),
  ]
  const ours = [
    ev('u4', 20, 'orders', 'UPDATE_ROLLBACK_COMPLETE', { ClientRequestToken: OURS }),
    // Same timestamp as the nested failure below: CloudFormation's order decides which came first.
    ev('u3', 12, 'Queue', 'UPDATE_FAILED', {
      ResourceStatusReason: 'Resource update cancelled',
      ClientRequestToken: OURS,
    }),
    {
      ...ev('u2', 12, 'Network', 'UPDATE_FAILED', { ClientRequestToken: OURS }),
      ResourceType: 'AWS::CloudFormation::Stack',
      PhysicalResourceId: NESTED_ID,
      ResourceStatusReason: `Embedded stack ${NESTED_ID} was not successfully updated. Currently, it is in UPDATE_ROLLBACK_IN_PROGRESS state.`,
    },
    {
      ...ev('u1', 10, 'Network', 'UPDATE_IN_PROGRESS', { ClientRequestToken: OURS }),
      ResourceType: 'AWS::CloudFormation::Stack',
    },
  ]
  const nested = [
    {
      ...ev('n2', 11, 'PrivateSubnet', 'UPDATE_FAILED'),
      ResourceType: 'AWS::EC2::Subnet',
      ResourceStatusReason: "The CIDR '10.0.9.0/24' conflicts with another subnet",
    },
    {
      ...ev('n1', 4, 'OldSubnet', 'UPDATE_FAILED'),
      ResourceStatusReason: 'an earlier failure of the nested stack',
    },
  ]
  const calls: string[] = []
  const send = async (command: { input?: { StackName?: string } }) => {
    const name = command.constructor.name.replace(/Command$/, '')
    calls.push(name)
    switch (name) {
      case 'DescribeStacks': {
        let status = 'UPDATE_ROLLBACK_COMPLETE'
        if (phase === 'other') {
          status = ++polls > 1 ? 'UPDATE_ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_IN_PROGRESS'
        }
        if (phase === 'ours') status = ++polls > 1 ? 'UPDATE_ROLLBACK_COMPLETE' : 'UPDATE_IN_PROGRESS'
        return {
          Stacks: [{ StackName: 'orders', StackId: STACK_ID, StackStatus: status, CreationTime: at(0) }],
        }
      }
      case 'DescribeStackEvents': {
        if (command.input?.StackName === NESTED_ID) return { StackEvents: nested }
        if (phase === 'other' && polls === 0) return { StackEvents: history }
        const listed = [...otherFailure, ...history]
        return { StackEvents: phase === 'ours' && polls > 1 ? [...ours, ...listed] : listed }
      }
      case 'ListChangeSets':
        return { Summaries: [] }
      case 'CreateChangeSet':
        phase = 'stable'
        return { Id: CHANGE_SET_ID, StackId: STACK_ID }
      case 'DescribeChangeSet':
        return {
          Status: 'CREATE_COMPLETE',
          ExecutionStatus: 'AVAILABLE',
          Changes: [
            {
              Type: 'Resource',
              ResourceChange: {
                Action: 'Modify',
                LogicalResourceId: 'Network',
                ResourceType: 'AWS::CloudFormation::Stack',
              },
            },
          ],
        }
      case 'ExecuteChangeSet':
        phase = 'ours'
        polls = 0
        return {}
      default:
        throw new Error(`unexpected call ${name}`)
    }
  }
  return { cfn: standIn(send), calls }
}

describe('deployTarget: root cause of a failed update', () => {
  beforeEach(() => {
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
  })
  afterEach(() => {
    jest.restoreAllMocks()
  })

  it("reports this run's nested resource, not the operation it waited for nor the embedded stack's summary", async () => {
    const { cfn, calls } = nestedFailure()
    const result = await deployer(cfn, undefined, undefined, {}, 'UPDATE_ROLLBACK_IN_PROGRESS').run()
    expect(calls).toContain('ExecuteChangeSet')
    expect(result).toMatchObject({
      status: 'failed',
      reason:
        "stack UPDATE_ROLLBACK_COMPLETE: Network > PrivateSubnet (AWS::EC2::Subnet): The CIDR '10.0.9.0/24' conflicts with another subnet",
    })
    expect(calls.filter((c) => c === 'DescribeStackEvents').length).toBeGreaterThan(2)
  })
})

describe('deployTarget: a failed resource', () => {
  let stdout: jest.SpiedFunction<typeof process.stdout.write>
  beforeEach(() => {
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
  })
  afterEach(() => {
    jest.restoreAllMocks()
  })

  it('keeps the change list, names the resource and annotates its line in the template', async () => {
    const template = 'Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n  Queue:\n    Type: AWS::SQS::Queue\n'
    const { cfn } = hangingUpdate('UPDATE_ROLLBACK_COMPLETE', [
      {
        EventId: 'e1',
        Timestamp: new Date(),
        LogicalResourceId: 'Queue',
        ResourceType: 'AWS::SQS::Queue',
        ResourceStatus: 'UPDATE_FAILED',
        ResourceStatusReason: 'Queue name must end in .fifo for FIFO queues',
      },
    ])
    const d = deployer(cfn, undefined, undefined, {
      template: {
        kind: 'file',
        path: '/w/t.yaml',
        input: 'templates/queue.yaml',
        body: template,
        bytes: 70,
        parameters: [],
        resources: ['Topic', 'Queue'],
      },
    })
    const result = await d.run()
    expect(result).toMatchObject({
      status: 'failed',
      failedResource: 'Queue',
      changes: [{ action: 'Modify', logicalId: 'Queue', type: 'AWS::SQS::Queue', replacement: 'False' }],
    })
    const printed = stdout.mock.calls.map((c) => String(c[0])).join('')
    expect(printed).toContain(
      '::error title=deploy-multi-region,file=templates/queue.yaml,line=4::[eu-west-1] stack UPDATE_ROLLBACK_COMPLETE: Queue (AWS::SQS::Queue): Queue name must end in .fifo',
    )
  })
})
