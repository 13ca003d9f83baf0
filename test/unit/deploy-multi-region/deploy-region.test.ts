import { jest } from '@jest/globals'
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import { RegionDeployer } from '../../../actions/deploy-multi-region/src/deploy-region.js'
import type { Settings } from '../../../actions/deploy-multi-region/src/input-helper.js'
import type { TemplateProvider } from '../../../actions/deploy-multi-region/src/template.js'
import { RegionLog } from '../../../lib/log.js'

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
  return { cfn: { send } as unknown as CloudFormationClient, calls }
}

function deployer(
  cfn: CloudFormationClient,
  timeoutMinutes: number | undefined,
  signal = new AbortController().signal,
  more: Partial<Settings> = {},
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
    planOnly: false,
    ...more,
  } as unknown as Settings
  return new RegionDeployer({
    region: 'eu-west-1',
    settings,
    cfn,
    templates: { forRegion: async () => ({ TemplateBody: '{}' }) } as unknown as TemplateProvider,
    log: new RegionLog('eu-west-1'),
    signal,
    token: 'deploy-1-1-abcd',
    initial: { status: 'UPDATE_COMPLETE', stackId: STACK_ID, outputs: {}, readAt: Date.now() },
    phase: () => {},
  })
}

describe('RegionDeployer: timeout-minutes', () => {
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

describe('RegionDeployer: a failed resource', () => {
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
      template: { kind: 'file', path: '/w/t.yaml', input: 'templates/queue.yaml', body: template, bytes: 70 },
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
