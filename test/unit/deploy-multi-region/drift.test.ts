import { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import { CloudFormationApi } from '../../../actions/deploy-multi-region/src/cloudformation-api.js'
import {
  describeDrift,
  detectDrift,
  driftedResources,
} from '../../../actions/deploy-multi-region/src/drift.js'

describe('driftedResources / describeDrift', () => {
  const drifts = [
    {
      StackResourceDriftStatus: 'IN_SYNC',
      LogicalResourceId: 'Ok',
      ResourceType: 'AWS::SNS::Topic',
    } as never,
    {
      StackResourceDriftStatus: 'MODIFIED',
      LogicalResourceId: 'Jobs',
      ResourceType: 'AWS::SQS::Queue',
      PropertyDifferences: [
        {
          PropertyPath: '/VisibilityTimeout',
          ExpectedValue: '30',
          ActualValue: '300',
          DifferenceType: 'NOT_EQUAL',
        },
        {
          PropertyPath: '/Policy',
          ExpectedValue: 'x'.repeat(500),
          ActualValue: '{}',
          DifferenceType: 'NOT_EQUAL',
        },
      ],
    } as never,
    {
      StackResourceDriftStatus: 'DELETED',
      LogicalResourceId: 'Gone',
      ResourceType: 'AWS::S3::Bucket',
    } as never,
  ]
  it('keeps MODIFIED and DELETED resources with their property paths and kinds, no values', () => {
    const [modified, deleted] = driftedResources(drifts)
    expect(modified!.differences).toEqual([
      { path: '/VisibilityTimeout', kind: 'NOT_EQUAL' },
      { path: '/Policy', kind: 'NOT_EQUAL' },
    ])
    expect(describeDrift(modified!)).toBe(
      'Jobs [AWS::SQS::Queue] MODIFIED: /VisibilityTimeout (not equal); /Policy (not equal)',
    )
    expect(describeDrift(deleted!)).toBe('Gone [AWS::S3::Bucket] DELETED outside CloudFormation')
  })
  it('keeps the values, cut to 200 characters, only when asked (drift-values)', () => {
    const [modified] = driftedResources(drifts, true)
    expect(modified!.differences[0]).toEqual({
      path: '/VisibilityTimeout',
      expected: '30',
      actual: '300',
      kind: 'NOT_EQUAL',
    })
    expect(modified!.differences[1]!.expected).toHaveLength(201)
    expect(describeDrift(modified!)).toMatch(
      /^Jobs \[AWS::SQS::Queue\] MODIFIED: \/VisibilityTimeout: expected 30, actual 300; /,
    )
  })
})

describe('detectDrift', () => {
  it('polls the detection until it is done and reads only drifted resources, page by page', async () => {
    const calls: Array<[string, unknown]> = []
    let reads = 0
    const send = async (command: { input: unknown }) => {
      const name = command.constructor.name.replace(/Command$/, '')
      calls.push([name, command.input])
      if (name === 'DetectStackDrift') return { StackDriftDetectionId: 'd-1' }
      if (name === 'DescribeStackDriftDetectionStatus')
        return ++reads < 3
          ? { DetectionStatus: 'DETECTION_IN_PROGRESS' }
          : { DetectionStatus: 'DETECTION_COMPLETE', StackDriftStatus: 'DRIFTED' }
      const first = (command.input as { NextToken?: string }).NextToken === undefined
      return {
        StackResourceDrifts: [
          { StackResourceDriftStatus: 'MODIFIED', LogicalResourceId: first ? 'A' : 'B', ResourceType: 'T' },
        ],
        NextToken: first ? 'page-2' : undefined,
      }
    }
    const poll = async <T>(_what: string, check: () => Promise<T | undefined>): Promise<T> => {
      for (;;) {
        const v = await check()
        if (v !== undefined) return v
      }
    }
    // A client of the SDK's class, as its paginators require, whose send is the stand-in.
    const client = Object.assign(Object.create(CloudFormationClient.prototype) as CloudFormationClient, {
      send,
    })
    const report = await detectDrift(new CloudFormationApi(client), 'arn:stack', poll)
    expect(report.resources.map((r) => r.logicalId)).toEqual(['A', 'B'])
    expect(calls.map(([n]) => n)).toEqual([
      'DetectStackDrift',
      'DescribeStackDriftDetectionStatus',
      'DescribeStackDriftDetectionStatus',
      'DescribeStackDriftDetectionStatus',
      'DescribeStackResourceDrifts',
      'DescribeStackResourceDrifts',
    ])
    expect(calls[4]![1]).toMatchObject({
      StackName: 'arn:stack',
      StackResourceDriftStatusFilters: ['MODIFIED', 'DELETED'],
    })
  })
})
