import { jest } from '@jest/globals'
import { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import {
  CloudFormationApi,
  requestTokens,
} from '../../../actions/deploy-multi-region/src/cloudformation-api.js'
import { EventFollower } from '../../../actions/deploy-multi-region/src/events.js'
import { STATEFUL_TYPES } from '../../../actions/deploy-multi-region/src/guard.js'
import type { Settings, TargetResult } from '../../../actions/deploy-multi-region/src/model.js'
import { cannotRestore, rollBackAll } from '../../../actions/deploy-multi-region/src/rollback.js'
import type { TargetContext } from '../../../actions/deploy-multi-region/src/target-context.js'
import { RegionLog } from '../../../lib/log.js'

describe('cannotRestore', () => {
  it('names what rollback-all cannot bring back as it was: nested templates and resolved SSM values', () => {
    const template = JSON.stringify({
      Resources: { Data: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: 'https://b/x' } } },
    })
    const notes = cannotRestore(template, [
      { ParameterKey: 'Ami', ParameterValue: '/images/latest', ResolvedValue: 'ami-123' },
      { ParameterKey: 'Size', ParameterValue: '2' },
    ])
    expect(notes).toHaveLength(2)
    expect(notes[0]).toContain('nested stacks come back from the template URLs')
    expect(notes[1]).toContain('SSM parameter(s) Ami are resolved again when the rollback runs')
  })

  it('says nothing of a plain template with plain parameters', () => {
    expect(cannotRestore('{"Resources":{"Q":{"Type":"AWS::SQS::Queue"}}}', [{ ParameterKey: 'A' }])).toEqual(
      [],
    )
  })
})

describe('rollBackAll: its own deadline', () => {
  let stdout: jest.SpiedFunction<typeof process.stdout.write>
  beforeEach(() => {
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
  })
  afterEach(() => jest.restoreAllMocks())

  it('waits for its change set on a clock of its own, not the deploy clock already spent', async () => {
    const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/orders/1111'
    const CHANGE_SET_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:changeSet/cs-rollback/2222'
    const calls: string[] = []
    let reads = 0
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
                StackStatus: 'UPDATE_COMPLETE',
                CreationTime: new Date(),
              },
            ],
          }
        case 'CreateChangeSet':
          return { Id: CHANGE_SET_ID, StackId: STACK_ID }
        case 'DescribeChangeSet':
          // Still being made at the first read: a wait on a spent deadline would give up here.
          return ++reads < 2
            ? { Status: 'CREATE_IN_PROGRESS', Changes: [] }
            : {
                Status: 'CREATE_COMPLETE',
                ExecutionStatus: executed ? 'EXECUTE_COMPLETE' : 'AVAILABLE',
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
        case 'DeleteChangeSet':
          return {}
        default:
          throw new Error(`unexpected call ${name}`)
      }
    }
    const cfn = Object.assign(Object.create(CloudFormationClient.prototype) as CloudFormationClient, { send })
    const api = new CloudFormationApi(cfn)
    const log = new RegionLog('eu-west-1')
    const ctx: TargetContext = {
      target: { region: 'eu-west-1' },
      settings: {
        stackName: 'orders',
        capabilities: [],
        tags: [],
        timeoutMinutes: 5,
        statefulTypes: STATEFUL_TYPES,
        allowReplacement: [],
      } as unknown as Settings,
      api,
      templates: {} as never,
      log,
      signal: new AbortController().signal,
      runToken: 'deploy-1-1-abcd',
      tokens: requestTokens('deploy-1-1-abcd', 'eu-west-1'),
      events: new EventFollower(api, log),
      // The deploy used up its timeout-minutes before another target failed.
      deadline: Date.now() - 1000,
      phase: () => {},
    }
    const result = { region: 'eu-west-1', status: 'updated' } as TargetResult
    await rollBackAll([
      {
        result,
        ctx,
        undo: {
          kind: 'restore',
          stackId: STACK_ID,
          templateBody: '{}',
          parameters: [],
          tags: [],
          capabilities: [],
        },
      },
    ])
    expect(result.rollback).toEqual({ action: 'restored', outcome: 'done' })
    expect(calls).toContain('ExecuteChangeSet')
    expect(stdout).toHaveBeenCalled()
  })
})
