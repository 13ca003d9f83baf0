/**
 * The CloudFormation inputs both stack actions read through lib/cloudformation-inputs.ts:
 * the same value gets the same verdict from each, and no parameter value is quoted.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getSettings as deploySettings } from '../../../actions/deploy-multi-region/src/input-helper.js'
import { getSettings as stacksetSettings } from '../../../actions/stackset-rollout/src/input-helper.js'
import { Inputs, mapInputReader } from '../../../lib/inputs.js'

const workspace = mkdtempSync(join(tmpdir(), 'cfn-inputs-'))
writeFileSync(join(workspace, 'tpl.yaml'), 'Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n')
const env = { GITHUB_WORKSPACE: workspace, AWS_REGION: 'us-east-1' }

const ACTIONS = {
  'deploy-multi-region': (values: Record<string, string>) =>
    deploySettings(
      new Inputs(
        mapInputReader({ 'stack-name': 'orders', template: 'tpl.yaml', regions: 'us-east-1', ...values }),
      ),
      env,
    ),
  'stackset-rollout': (values: Record<string, string>) =>
    stacksetSettings(
      new Inputs(
        mapInputReader({
          'stack-set-name': 'baseline',
          template: 'tpl.yaml',
          regions: 'us-east-1',
          accounts: '111111111111',
          ...values,
        }),
      ),
      env,
    ),
}

/** What an action makes of the inputs: its capabilities, or the message of its input error. */
function verdict(read: (values: Record<string, string>) => { capabilities: string[] }, value: string) {
  try {
    return read({ capabilities: value }).capabilities
  } catch (error) {
    return (error as Error).message
  }
}

describe('capabilities', () => {
  it.each([
    'CAPABILITY_IAM',
    'capability_named_iam',
    'iam',
    'named_iam, auto_expand',
    'Auto_Expand,CAPABILITY_AUTO_EXPAND',
    'CAPABILITY_ROOT',
    'admin',
  ])('%s gets the same verdict from both actions', (value) => {
    const [deploy, stackset] = Object.values(ACTIONS).map((read) => verdict(read, value))
    expect(deploy).toEqual(stackset)
  })

  it('accepts the names in any case, with or without the CAPABILITY_ prefix, each once', () => {
    expect(verdict(ACTIONS['deploy-multi-region'], 'iam, CAPABILITY_IAM, auto_expand')).toEqual([
      'CAPABILITY_IAM',
      'CAPABILITY_AUTO_EXPAND',
    ])
    expect(verdict(ACTIONS['stackset-rollout'], 'CAPABILITY_ROOT')).toMatch(
      /^Input 'capabilities': "CAPABILITY_ROOT"/,
    )
  })
})

describe('parameter values in errors', () => {
  it.each(Object.keys(ACTIONS))('%s never quotes one', (name) => {
    const read = ACTIONS[name as keyof typeof ACTIONS]
    const overrides = name === 'deploy-multi-region' ? 'region-parameters' : 'instance-parameters'
    const cases: Array<Record<string, string>> = [
      { parameters: 'Password=hunter2-secret,Broken' },
      { parameters: 'Password="hunter2-secret' },
      { [overrides]: '{"us-east-1": {"Password": "hunter2-secret", "Bad": [1]}}' },
      { [overrides]: '{"us-east-1": {"Password": "hunter2-secret"' },
      { [overrides]: '{"eu-west-9": {"Password": "hunter2-secret"}}' },
    ]
    for (const values of cases) {
      expect(() => read(values)).toThrow(/\(value hidden\)/)
      expect(() => read(values)).not.toThrow(/hunter2/)
    }
  })
})
