import {
  changeRows,
  changeSetName,
  decideStackAction,
  describeChange,
  EventTracker,
  executionOutcome,
  failureBehaviour,
  formatEvent,
  isEmptyChangeSet,
  isInProgress,
  mayStartMore,
  planLine,
  regionWaves,
  rootCause,
  nestedStackOf,
  nestedEventsOfRun,
  describeCause,
  runToken,
  templateBucketFor,
  verdictOf,
} from '../../../actions/deploy-multi-region/src/plan.js'
import { s3ObjectUrl } from '../../../lib/package/s3-url.js'

describe('decideStackAction', () => {
  it.each([
    [undefined, 'create'],
    ['DELETE_COMPLETE', 'create'],
    ['REVIEW_IN_PROGRESS', 'create'],
    ['ROLLBACK_COMPLETE', 'recreate'],
    ['CREATE_IN_PROGRESS', 'wait'],
    ['UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'wait'],
    ['DELETE_IN_PROGRESS', 'wait'],
    ['CREATE_COMPLETE', 'update'],
    ['UPDATE_ROLLBACK_COMPLETE', 'update'],
    ['UPDATE_FAILED', 'update'],
    ['ROLLBACK_FAILED', 'blocked'],
    ['UPDATE_ROLLBACK_FAILED', 'blocked'],
    ['DELETE_FAILED', 'blocked'],
  ])('%s -> %s', (status, action) => {
    expect(decideStackAction(status).action).toBe(action)
  })
  it('treats only real operations as in progress', () => {
    expect(isInProgress('REVIEW_IN_PROGRESS')).toBe(false)
    expect(isInProgress('UPDATE_IN_PROGRESS')).toBe(true)
    expect(isInProgress(undefined)).toBe(false)
  })
})

describe('executionOutcome', () => {
  it('waits out cleanup and reads rollbacks as failures', () => {
    expect(executionOutcome('CREATE_COMPLETE')).toBe('success')
    expect(executionOutcome('UPDATE_COMPLETE')).toBe('success')
    expect(executionOutcome('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS')).toBe('in-progress')
    expect(executionOutcome('ROLLBACK_COMPLETE')).toBe('failure')
    expect(executionOutcome('UPDATE_ROLLBACK_COMPLETE')).toBe('failure')
    expect(executionOutcome('CREATE_FAILED')).toBe('failure')
    expect(executionOutcome(undefined)).toBe('failure')
  })
})

describe('isEmptyChangeSet', () => {
  it("recognises CloudFormation's empty change set reasons only on FAILED", () => {
    const reason =
      "The submitted information didn't contain changes. Submit different information to create a change set."
    expect(isEmptyChangeSet('FAILED', reason)).toBe(true)
    expect(isEmptyChangeSet('FAILED', 'No updates are to be performed.')).toBe(true)
    expect(isEmptyChangeSet('CREATE_COMPLETE', reason)).toBe(false)
    expect(isEmptyChangeSet('FAILED', 'Template format error')).toBe(false)
    expect(isEmptyChangeSet('FAILED', undefined)).toBe(false)
  })
})

describe('failureBehaviour', () => {
  it('uses OnStackFailure for creation and DisableRollback for updates, never both', () => {
    expect(failureBehaviour('DELETE', 'CREATE')).toEqual({ onStackFailure: 'DELETE' })
    expect(failureBehaviour('DO_NOTHING', 'CREATE')).toEqual({ onStackFailure: 'DO_NOTHING' })
    expect(failureBehaviour('DO_NOTHING', 'UPDATE')).toEqual({ disableRollback: true })
    expect(failureBehaviour('ROLLBACK', 'UPDATE')).toEqual({ disableRollback: false })
    expect(failureBehaviour('DELETE', 'UPDATE')).toEqual({ disableRollback: false })
  })
})

describe('regionWaves and mayStartMore', () => {
  it('puts canaries first, in the order of regions', () => {
    expect(regionWaves(['a', 'b', 'c', 'd'], ['c', 'a'])).toEqual([
      ['a', 'c'],
      ['b', 'd'],
    ])
    expect(regionWaves(['a', 'b'], [])).toEqual([['a', 'b']])
    expect(regionWaves(['a'], ['a'])).toEqual([['a']])
  })
  it('starts more regions until failures exceed the tolerance', () => {
    expect(mayStartMore(0, 0)).toBe(true)
    expect(mayStartMore(1, 0)).toBe(false)
    expect(mayStartMore(1, 1)).toBe(true)
    expect(mayStartMore(2, 1)).toBe(false)
  })
})

describe('changeRows and describeChange', () => {
  it('keeps resource changes with their replacement', () => {
    const rows = changeRows([
      {
        Type: 'Resource',
        ResourceChange: {
          Action: 'Modify',
          LogicalResourceId: 'Queue',
          ResourceType: 'AWS::SQS::Queue',
          Replacement: 'True',
        },
      },
      {
        Type: 'Resource',
        ResourceChange: { Action: 'Add', LogicalResourceId: 'Topic', ResourceType: 'AWS::SNS::Topic' },
      },
      { Type: 'Other' },
    ])
    expect(rows).toEqual([
      { action: 'Modify', logicalId: 'Queue', type: 'AWS::SQS::Queue', replacement: 'True' },
      { action: 'Add', logicalId: 'Topic', type: 'AWS::SNS::Topic' },
    ])
    expect(describeChange(rows[0]!)).toBe('Modify  Queue [AWS::SQS::Queue] (replacement: True)')
    expect(changeRows(undefined)).toEqual([])
  })
})

describe('names and tokens', () => {
  it('makes change set names that start with a letter and differ per run attempt', () => {
    const a = runToken({ GITHUB_RUN_ID: '123', GITHUB_RUN_ATTEMPT: '2' }, 'ab12')
    expect(a).toBe('deploy-123-2-ab12')
    expect(runToken({}, 'ff00', 0)).toBe('deploy-0-ff00')
    const name = changeSetName(a, 'eu-west-1')
    expect(name).toMatch(/^[A-Za-z][-A-Za-z0-9]*$/)
    expect(name.length).toBeLessThanOrEqual(128)
    expect(changeSetName('x'.repeat(200), 'us-east-1')).toHaveLength(128)
  })
})

describe('templateBucketFor and s3ObjectUrl', () => {
  it('fills {region} in the bucket name', () => {
    expect(templateBucketFor('cfn-{region}', 'eu-west-1')).toBe('cfn-eu-west-1')
    expect(templateBucketFor('shared-templates', 'eu-west-1')).toBe('shared-templates')
  })
  it("uses the regional endpoint of the bucket's own region in every partition", () => {
    expect(s3ObjectUrl('cfn-eu-west-1', 'eu-west-1', 'stack/abc.template')).toBe(
      'https://cfn-eu-west-1.s3.eu-west-1.amazonaws.com/stack/abc.template',
    )
    // A shared bucket is addressed in its region, not on the global endpoint.
    expect(s3ObjectUrl('shared-templates', 'us-west-2', 'k')).toBe(
      'https://shared-templates.s3.us-west-2.amazonaws.com/k',
    )
    expect(s3ObjectUrl('my.bucket', 'us-east-1', 'k')).toBe('https://s3.us-east-1.amazonaws.com/my.bucket/k')
    expect(s3ObjectUrl('b-cn-north-1', 'cn-north-1', 'k')).toBe(
      'https://b-cn-north-1.s3.cn-north-1.amazonaws.com.cn/k',
    )
    expect(s3ObjectUrl('shared', 'cn-northwest-1', 'k')).toBe(
      'https://shared.s3.cn-northwest-1.amazonaws.com.cn/k',
    )
    expect(s3ObjectUrl('gov-templates', 'us-gov-west-1', 'k')).toBe(
      'https://gov-templates.s3.us-gov-west-1.amazonaws.com/k',
    )
    expect(s3ObjectUrl('iso-templates', 'us-iso-east-1', 'k')).toBe(
      'https://iso-templates.s3.us-iso-east-1.c2s.ic.gov/k',
    )
  })
})

describe('events', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s))
  const events = [
    {
      EventId: '4',
      Timestamp: at(4),
      LogicalResourceId: 'app',
      ResourceType: 'AWS::CloudFormation::Stack',
      ResourceStatus: 'ROLLBACK_IN_PROGRESS',
      ResourceStatusReason: 'The following resource(s) failed to create: [Queue].',
    },
    {
      EventId: '3',
      Timestamp: at(3),
      LogicalResourceId: 'Topic',
      ResourceType: 'AWS::SNS::Topic',
      ResourceStatus: 'CREATE_FAILED',
      ResourceStatusReason: 'Resource creation cancelled',
    },
    {
      EventId: '2',
      Timestamp: at(2),
      LogicalResourceId: 'Queue',
      ResourceType: 'AWS::SQS::Queue',
      ResourceStatus: 'CREATE_FAILED',
      ResourceStatusReason: 'Queue name must end in .fifo',
    },
    {
      EventId: '1',
      Timestamp: at(1),
      LogicalResourceId: 'app',
      ResourceType: 'AWS::CloudFormation::Stack',
      ResourceStatus: 'CREATE_IN_PROGRESS',
    },
  ]
  it('finds the root cause, not the knock-on failures', () => {
    expect(rootCause(events)?.LogicalResourceId).toBe('Queue')
    expect(rootCause([events[0]!, events[1]!])?.LogicalResourceId).toBe('Topic')
    expect(rootCause([events[3]!])).toBeUndefined()
  })
  it('hands out each event once, oldest first, and skips primed history', () => {
    const tracker = new EventTracker()
    tracker.prime([events[3]!])
    expect(tracker.add(events.slice(2)).map((e) => e.EventId)).toEqual(['2'])
    expect(tracker.add(events).map((e) => e.EventId)).toEqual(['3', '4'])
    expect(tracker.add(events)).toEqual([])
    expect(tracker.events.map((e) => e.EventId)).toEqual(['2', '3', '4'])
  })
  it('keeps the order CloudFormation lists events with equal timestamps in (newest first, reversed)', () => {
    const same = at(7)
    const page = ['e', 'd', 'c', 'b', 'a'].map((id) => ({ EventId: id, Timestamp: same }))
    expect(new EventTracker().add(page).map((e) => e.EventId)).toEqual(['a', 'b', 'c', 'd', 'e'])
  })
  it('takes the root cause in recorded order among equal timestamps, never re-sorted', () => {
    const same = at(9)
    const oldestFirst = [
      { ...events[2]!, EventId: 'x', Timestamp: same, LogicalResourceId: 'First' },
      { ...events[2]!, EventId: 'y', Timestamp: same, LogicalResourceId: 'Second' },
    ]
    expect(rootCause(oldestFirst)?.LogicalResourceId).toBe('First')
    // Later events with earlier timestamps (clock skew between resources) do not move ahead.
    expect(rootCause([oldestFirst[1]!, { ...oldestFirst[0]!, Timestamp: at(1) }])?.LogicalResourceId).toBe(
      'Second',
    )
  })
  it("ignores failures of another operation's client request token", () => {
    const other = { ...events[2]!, LogicalResourceId: 'Earlier', ClientRequestToken: 'someone-else' }
    const ours = { ...events[2]!, LogicalResourceId: 'Ours', ClientRequestToken: 'run-1-execute' }
    expect(rootCause([other, ours], 'run-1-execute')?.LogicalResourceId).toBe('Ours')
    expect(rootCause([other], 'run-1-execute')).toBeUndefined()
  })
  it('follows a failed nested stack resource to its own events of this run', () => {
    const parent = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1'
    const nestedId = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/app-Network-X/2'
    const failed = {
      LogicalResourceId: 'Network',
      PhysicalResourceId: nestedId,
      ResourceType: 'AWS::CloudFormation::Stack',
      ResourceStatus: 'CREATE_FAILED',
      ResourceStatusReason: 'Embedded stack app-Network-X was not successfully created',
    }
    expect(nestedStackOf(failed, parent)).toBe(nestedId)
    expect(nestedStackOf({ ...failed, PhysicalResourceId: parent }, parent)).toBeUndefined()
    expect(nestedStackOf({ ...failed, ResourceType: 'AWS::SQS::Queue' }, parent)).toBeUndefined()
    const parentEvents = [{ LogicalResourceId: 'Network', Timestamp: at(5) }, failed]
    const nested = [
      {
        LogicalResourceId: 'Old',
        Timestamp: at(1),
        ResourceStatus: 'UPDATE_FAILED',
        ResourceStatusReason: 'x',
      },
      {
        LogicalResourceId: 'Subnet',
        Timestamp: at(6),
        ResourceStatus: 'CREATE_FAILED',
        ResourceStatusReason: 'y',
      },
    ]
    expect(nestedEventsOfRun(nested, parentEvents, 'Network').map((e) => e.LogicalResourceId)).toEqual([
      'Subnet',
    ])
    expect(describeCause(['Network'], { ...nested[1]!, ResourceType: 'AWS::EC2::Subnet' })).toBe(
      'Network > Subnet (AWS::EC2::Subnet): y',
    )
  })
  it('formats an event on one line', () => {
    expect(formatEvent(events[2]!)).toBe(
      '00:00:02 CREATE_FAILED AWS::SQS::Queue Queue Queue name must end in .fifo',
    )
  })
})

describe('planLine', () => {
  it('says what will happen, or what a preview does', () => {
    const plan = { region: 'us-east-1', wave: 0, decision: decideStackAction('ROLLBACK_COMPLETE') }
    expect(planLine(plan, false)).toMatch(/^delete and recreate/)
    expect(planLine(plan, true)).toMatch(/^would delete and recreate/)
    expect(planLine({ ...plan, readError: 'AccessDenied: no' }, false)).toBe(
      'cannot read the stack: AccessDenied: no',
    )
  })
})

describe('verdictOf', () => {
  it('fails on cancellation, a failed canary, or failures beyond the tolerance', () => {
    expect(verdictOf(0, ['created', 'unchanged'], 0, undefined, false)).toEqual({
      fail: false,
      text: 'All 2 target(s) done: 1 created, 1 unchanged.',
    })
    expect(verdictOf(1, ['created', 'failed'], 1, undefined, false)).toMatchObject({
      fail: false,
      text: expect.stringMatching(/within the failure tolerance of 1/),
    })
    expect(verdictOf(0, ['created', 'failed', 'skipped'], 1, undefined, false)).toMatchObject({
      fail: true,
      text: expect.stringMatching(/more than the failure tolerance of 0: 1 created, 1 failed, 1 skipped/),
    })
    expect(verdictOf(5, ['failed', 'skipped'], 1, 'us-east-1', false)).toMatchObject({
      fail: true,
      text: expect.stringMatching(/^Canary us-east-1 did not succeed, so no other target was started/),
    })
    expect(verdictOf(5, ['created', 'skipped'], 0, undefined, true)).toEqual({
      fail: true,
      text: 'Cancelled: 1 created, 1 skipped.',
    })
  })
})
