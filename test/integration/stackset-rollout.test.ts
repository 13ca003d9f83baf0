import { copyFileSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as core from '@actions/core'
import {
  CloudFormationClient,
  DescribeStackInstanceCommand,
  DescribeStackSetCommand,
} from '@aws-sdk/client-cloudformation'
import { run } from '../../actions/stackset-rollout/src/main.js'
import { runActionInProcess, type ActionRun } from '../support/action-runner.js'
import { localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'
import type { ProxyRequest } from '../support/loopback-proxy.js'
import { mutatingCalls, startStackSetLoopback, type StackSetLoopback } from '../support/stackset-loopback.js'

const A = '111111111111'
const B = '222222222222'
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2']

describe('stackset-rollout against moto', () => {
  let moto: MotoServer
  let layer: StackSetLoopback
  let workspace: string
  const seen: ProxyRequest[] = []

  beforeAll(async () => {
    moto = await startMoto()
    layer = await startStackSetLoopback(moto.endpoint, { onRequest: (req) => seen.push(req) })
    workspace = mkdtempSync(join(tmpdir(), 'stackset-ws-'))
    copyFileSync(join(process.cwd(), 'templates', 'stackset-sample.yaml'), join(workspace, 'stackset.yaml'))
  })
  afterAll(async () => {
    await layer.close()
    await moto.stop()
  })

  async function fresh(options: Partial<StackSetLoopback['options']> = {}) {
    await moto.reset()
    layer.options.operationInProgress = options.operationInProgress
    layer.options.runningPolls = options.runningPolls
    layer.options.failInstance = options.failInstance
    layer.options.loseReplies = options.loseReplies
    layer.resetState()
    layer.resetStats()
    seen.length = 0
  }

  const baseInputs = {
    'stack-set-name': 'baseline',
    template: 'stackset.yaml',
    parameters: 'Environment=dev',
    accounts: `${A},${B}`,
    regions: REGIONS.join(','),
    tags: 'team=platform',
    'max-concurrent': '50%',
    'failure-tolerance': '1',
    'region-concurrency': 'parallel',
  }

  function rollout(
    inputs: Record<string, string> = {},
    env: Record<string, string> = {},
  ): Promise<ActionRun> {
    layer.resetStats()
    seen.length = 0
    // @actions/core keeps the first summary file path it saw; each run here has its own file.
    ;(core.summary as unknown as { _filePath?: string })._filePath = undefined
    return runActionInProcess(
      run,
      { ...baseInputs, ...inputs },
      {
        ...localAwsEnv(layer.endpoint),
        GITHUB_WORKSPACE: workspace,
        ...env,
      },
    )
  }

  const calls = (operation: string) => seen.filter((r) => r.operation === operation)
  const members = (req: ProxyRequest, name: string) => {
    const out: string[] = []
    for (let i = 1; req.params.has(`${name}.member.${i}`); i++)
      out.push(req.params.get(`${name}.member.${i}`)!)
    return out
  }
  const instancesOf = (result: ActionRun) =>
    JSON.parse(result.outputs.instances ?? '[]') as Array<{
      account: string
      region: string
      status: string
      detailedStatus: string
      reason: string
    }>
  const cfn = () =>
    new CloudFormationClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' },
    })

  describe('converges step by step', () => {
    beforeAll(() => fresh())

    it('creates the stack set over 2 accounts x 3 regions with one operation', async () => {
      const result = await rollout()
      expect(result.errors).toEqual([])
      expect(result.failed).toBe(false)
      const instances = instancesOf(result)
      expect(instances).toHaveLength(6)
      expect(instances.every((i) => i.status === 'CURRENT')).toBe(true)
      expect(new Set(instances.map((i) => `${i.account}/${i.region}`)).size).toBe(6)
      expect(result.outputs['stack-set-id']).toMatch(/^baseline:/)
      const ids = JSON.parse(result.outputs['operation-ids']!) as string[]
      expect(ids).toHaveLength(1)
      expect(calls('CreateStackSet')).toHaveLength(1)
      const [create] = calls('CreateStackInstances')
      expect(calls('CreateStackInstances')).toHaveLength(1)
      expect(create!.params.get('OperationId')).toBe(ids[0])
      expect(members(create!, 'Accounts')).toEqual([A, B])
      expect(members(create!, 'Regions')).toEqual(REGIONS)
      // failure-tolerance / max-concurrent / region-concurrency reach the API as operation preferences.
      expect(create!.params.get('OperationPreferences.MaxConcurrentPercentage')).toBe('50')
      expect(create!.params.get('OperationPreferences.FailureToleranceCount')).toBe('1')
      expect(create!.params.get('OperationPreferences.RegionConcurrencyType')).toBe('PARALLEL')
      // Per-instance results were read after the operation.
      expect(calls('ListStackSetOperationResults')).toHaveLength(1)
      expect(result.summary).toContain(`| Account | ${REGIONS.join(' | ')} |`)
      expect(result.summary).toContain(`| ${A} | ✅ CURRENT | ✅ CURRENT | ✅ CURRENT |`)
      expect(result.summary).toContain('| CreateStackInstances |')
    })

    it('makes no operation on a rerun with nothing to change', async () => {
      const result = await rollout()
      expect(result.failed).toBe(false)
      expect(mutatingCalls(layer.stats)).toBe(0)
      expect(result.outputs['operation-ids']).toBe('[]')
      expect(instancesOf(result)).toHaveLength(6)
      expect(result.summary).toContain('Already converged')
      // Read once each: no API call twice.
      expect(layer.stats.byOperation.get('DescribeStackSet')).toBe(1)
      expect(layer.stats.byOperation.get('ListStackInstances')).toBe(1)
    })

    it('updates the stack set when a parameter changes, and only then', async () => {
      const result = await rollout({ parameters: 'Environment=prod' })
      expect(result.failed).toBe(false)
      expect(calls('UpdateStackSet')).toHaveLength(1)
      expect(mutatingCalls(layer.stats)).toBe(1)
      expect(result.stdout).toContain('update the stack set and all its instances: parameters (Environment)')
      const { StackSet } = await cfn().send(new DescribeStackSetCommand({ StackSetName: 'baseline' }))
      expect(StackSet?.Parameters).toEqual([{ ParameterKey: 'Environment', ParameterValue: 'prod' }])
      const again = await rollout({ parameters: 'Environment=prod' })
      expect(mutatingCalls(layer.stats)).toBe(0)
      expect(again.outputs['operation-ids']).toBe('[]')
    })

    it('updates the stack set when the template or tags change', async () => {
      const path = join(workspace, 'stackset.yaml')
      const original = readFileSync(path, 'utf8')
      writeFileSync(path, original.replace('Default: platform', 'Default: sre'))
      try {
        const result = await rollout({ parameters: 'Environment=prod', tags: 'team=platform,cost-centre=42' })
        expect(result.failed).toBe(false)
        expect(calls('UpdateStackSet')).toHaveLength(1)
        expect(result.stdout).toContain('template, tags')
        expect(
          (await rollout({ parameters: 'Environment=prod', tags: 'team=platform,cost-centre=42' })).failed,
        ).toBe(false)
        expect(mutatingCalls(layer.stats)).toBe(0)
      } finally {
        writeFileSync(path, original)
      }
      await rollout({ parameters: 'Environment=prod' })
    })

    it('leaves the stack set tags as they are when tags is empty, never sending Tags=', async () => {
      const rerun = await rollout({ tags: '', parameters: 'Environment=prod' })
      expect(rerun.errors).toEqual([])
      expect(calls('UpdateStackSet')).toHaveLength(0)
      const changed = await rollout({ tags: '', parameters: 'Environment=qa' })
      expect(changed.errors).toEqual([])
      const [update] = calls('UpdateStackSet')
      expect([...update!.params.keys()].filter((k) => k.startsWith('Tags'))).toEqual([])
      const { StackSet } = await cfn().send(new DescribeStackSetCommand({ StackSetName: 'baseline' }))
      expect(StackSet?.Tags).toEqual(expect.arrayContaining([{ Key: 'team', Value: 'platform' }]))
      await rollout({ parameters: 'Environment=prod' })
    })

    it('writes every instance to the file named by instances-file, under RUNNER_TEMP', async () => {
      const temp = mkdtempSync(join(tmpdir(), 'stackset-temp-'))
      const result = await rollout({ parameters: 'Environment=prod' }, { RUNNER_TEMP: temp })
      const file = result.outputs['instances-file'] ?? ''
      expect(file.startsWith(temp)).toBe(true)
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(instancesOf(result))
      expect(instancesOf(result)).toHaveLength(6)
    })

    it('adds only the missing pairs when a region is added', async () => {
      const regions = [...REGIONS, 'us-west-2'].join(',')
      const result = await rollout({ parameters: 'Environment=prod', regions })
      expect(result.failed).toBe(false)
      expect(mutatingCalls(layer.stats)).toBe(1)
      const [create] = calls('CreateStackInstances')
      expect(members(create!, 'Regions')).toEqual(['us-west-2'])
      expect(members(create!, 'Accounts')).toEqual([A, B])
      expect(instancesOf(result)).toHaveLength(8)
    })

    it('leaves an undeclared region alone without prune-instances, and removes it with it', async () => {
      const regions = ['us-east-1', 'ap-southeast-2', 'us-west-2'].join(',')
      const kept = await rollout({ parameters: 'Environment=prod', regions })
      expect(mutatingCalls(layer.stats)).toBe(0)
      expect(instancesOf(kept)).toHaveLength(8)
      expect(kept.summary).toContain('| eu-west-1 |')

      const pruned = await rollout({
        parameters: 'Environment=prod',
        regions,
        'prune-instances': 'true',
        'retain-stacks': 'true',
      })
      expect(pruned.failed).toBe(false)
      expect(mutatingCalls(layer.stats)).toBe(1)
      const [remove] = calls('DeleteStackInstances')
      expect(members(remove!, 'Regions')).toEqual(['eu-west-1'])
      expect(members(remove!, 'Accounts')).toEqual([A, B])
      expect(remove!.params.get('RetainStacks')).toBe('true')
      const instances = instancesOf(pruned)
      expect(instances).toHaveLength(6)
      expect(instances.some((i) => i.region === 'eu-west-1')).toBe(false)

      const again = await rollout({ parameters: 'Environment=prod', regions, 'prune-instances': 'true' })
      expect(again.outputs['operation-ids']).toBe('[]')
      expect(mutatingCalls(layer.stats)).toBe(0)
    })

    it('applies instance-parameters as overrides of one region, once', async () => {
      const regions = ['us-east-1', 'ap-southeast-2', 'us-west-2'].join(',')
      const inputs = {
        parameters: 'Environment=prod',
        regions,
        'instance-parameters': 'us-west-2:\n  Environment: dr\n',
      }
      const result = await rollout(inputs)
      expect(result.failed).toBe(false)
      expect(mutatingCalls(layer.stats)).toBe(1)
      const [update] = calls('UpdateStackInstances')
      expect(members(update!, 'Regions')).toEqual(['us-west-2'])
      expect(update!.params.get('ParameterOverrides.member.1.ParameterValue')).toBe('dr')
      const { StackInstance } = await cfn().send(
        new DescribeStackInstanceCommand({
          StackSetName: 'baseline',
          StackInstanceAccount: B,
          StackInstanceRegion: 'us-west-2',
        }),
      )
      expect(StackInstance?.ParameterOverrides).toEqual([
        { ParameterKey: 'Environment', ParameterValue: 'dr' },
      ])
      await rollout(inputs)
      expect(mutatingCalls(layer.stats)).toBe(0)
    })
  })

  it('waits out OperationInProgressException, reusing one operation id', async () => {
    await fresh({ operationInProgress: 2 })
    const result = await rollout()
    expect(result.failed).toBe(false)
    expect(layer.answered.operationInProgress).toBe(2)
    const attempts = calls('CreateStackInstances')
    expect(attempts).toHaveLength(3)
    expect(new Set(attempts.map((r) => r.params.get('OperationId'))).size).toBe(1)
    expect(result.stdout).toMatch(
      /Another operation is in progress on stack set baseline \(OperationInProgressException: .*\); retrying CreateStackInstances/,
    )
    expect(instancesOf(result)).toHaveLength(6)
    expect(result.summary).toContain('waited 2x for another operation')
  })

  it('survives lost replies without creating anything twice', async () => {
    await fresh({ loseReplies: ['CreateStackSet', 'CreateStackInstances'] })
    const result = await rollout()
    expect(result.errors).toEqual([])
    expect(result.failed).toBe(false)
    expect(layer.answered.lostReplies).toBe(2)
    expect(layer.answered.tokenReplays).toBe(1)
    expect(layer.answered.operationIdRepeats).toBe(1)
    expect(instancesOf(result)).toHaveLength(6)
    expect(JSON.parse(result.outputs['operation-ids']!)).toHaveLength(1)
  })

  it('polls a running operation with growing delays and prints progress', async () => {
    await fresh({ runningPolls: 3 })
    const result = await rollout()
    expect(result.failed).toBe(false)
    expect(calls('DescribeStackSetOperation')).toHaveLength(4)
    expect(result.stdout).toMatch(/CreateStackInstances [0-9a-f-]+: RUNNING after \d+ s/)
    expect(result.stdout).toMatch(/CreateStackInstances [0-9a-f-]+: SUCCEEDED after \d+ s/)
  })

  it('fails the step on a failed operation, naming the account, region and cause', async () => {
    await fresh({
      failInstance: {
        account: B,
        region: 'eu-west-1',
        reason: 'Resource handler returned message: "Access denied"',
      },
    })
    const result = await rollout()
    expect(result.failed).toBe(true)
    expect(
      result.errors.some((e) =>
        e.includes(`${B}/eu-west-1: FAILED (Resource handler returned message: "Access denied")`),
      ),
    ).toBe(true)
    expect(result.errors.at(-1)).toMatch(/CreateStackInstances operation [0-9a-f-]+ ended FAILED/)
    const failed = instancesOf(result).find((i) => i.account === B && i.region === 'eu-west-1')
    expect(failed).toMatchObject({ status: 'OUTDATED', detailedStatus: 'FAILED' })
    expect(result.summary).toContain('Instances that did not succeed')
    expect(result.summary).toContain('⚠️ OUTDATED (FAILED)')

    // The rerun redrives the OUTDATED instance only.
    layer.options.failInstance = undefined
    const rerun = await rollout()
    expect(rerun.failed).toBe(false)
    const [update] = calls('UpdateStackInstances')
    expect(members(update!, 'Accounts')).toEqual([B])
    expect(members(update!, 'Regions')).toEqual(['eu-west-1'])
  })

  it('stops waiting on cancellation, names the running operation and starts nothing new', async () => {
    await fresh()
    await rollout({ regions: 'us-east-1' })
    layer.options.runningPolls = 1000
    let signalled = false
    layer.options.onRequest = (req) => {
      seen.push(req)
      if (req.operation === 'DescribeStackSetOperation' && !signalled) {
        signalled = true
        setTimeout(() => process.emit('SIGTERM', 'SIGTERM'), 50)
      }
    }
    try {
      // Two operations are planned (update the stack set, then add a region); only the first starts.
      const result = await rollout({ regions: 'us-east-1,eu-west-1', parameters: 'Environment=test' })
      expect(result.failed).toBe(true)
      const [update] = calls('UpdateStackSet')
      const id = update!.params.get('OperationId')!
      expect(result.stdout).toContain(
        `Cancelled while UpdateStackSet operation ${id} is still running on stack set baseline`,
      )
      expect(result.stdout).toContain('Not started: CreateStackInstances')
      // The operation left running is reported in the outputs too.
      expect(JSON.parse(result.outputs['operation-ids']!)).toEqual([id])
      expect(calls('CreateStackInstances')).toHaveLength(0)
    } finally {
      layer.options.runningPolls = undefined
      layer.options.onRequest = (req) => seen.push(req)
    }
  })

  it('masks the values of NoEcho parameters and prints no parameter value', async () => {
    await fresh()
    writeFileSync(
      join(workspace, 'secret.yaml'),
      [
        'Parameters:',
        '  ApiKey:',
        '    Type: String',
        '    NoEcho: true',
        'Resources:',
        '  Key:',
        '    Type: AWS::SSM::Parameter',
        '    Properties:',
        '      Name: /stackset-sample/api-key',
        '      Type: String',
        '      Value: !Ref ApiKey',
        '',
      ].join('\n'),
    )
    const result = await rollout({
      template: 'secret.yaml',
      parameters: 'ApiKey=k-0f9e8d7c6b5a',
      regions: 'us-east-1,eu-west-1',
      'instance-parameters': 'eu-west-1:\n  ApiKey: k-eu-112233\n',
    })
    expect(result.failed).toBe(false)
    expect(result.stdout).toContain('::add-mask::k-0f9e8d7c6b5a')
    expect(result.stdout).toContain('::add-mask::k-eu-112233')
    const withoutMasks = result.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n')
    expect(withoutMasks).not.toMatch(/k-0f9e8d7c6b5a|k-eu-112233/)
    expect(result.summary).not.toMatch(/k-0f9e8d7c6b5a|k-eu-112233/)
    expect(JSON.stringify(result.outputs)).not.toMatch(/k-0f9e8d7c6b5a|k-eu-112233/)
  })

  it('creates a service-managed stack set targeting organizational units', async () => {
    await fresh()
    const result = await rollout({
      accounts: '',
      'permission-model': 'service-managed',
      'organizational-units': 'ou-ab12-cd34ef56',
      'auto-deployment': 'true',
      'call-as': 'delegated-admin',
    })
    expect(result.errors).toEqual([])
    const [createSet] = calls('CreateStackSet')
    expect(createSet!.params.get('PermissionModel')).toBe('SERVICE_MANAGED')
    expect(createSet!.params.get('AutoDeployment.Enabled')).toBe('true')
    expect(createSet!.params.get('CallAs')).toBe('DELEGATED_ADMIN')
    const [create] = calls('CreateStackInstances')
    expect(members(create!, 'DeploymentTargets.OrganizationalUnitIds')).toEqual(['ou-ab12-cd34ef56'])
    expect(members(create!, 'Regions')).toEqual(REGIONS)
  })

  it('sends RetainStacksOnAccountRemoval only with auto-deployment on, which accounts filters leave off', async () => {
    await fresh()
    const result = await rollout({
      accounts: A,
      'permission-model': 'service-managed',
      'organizational-units': 'ou-ab12-cd34ef56',
      'account-filter-type': 'intersection',
      'call-as': 'delegated-admin',
    })
    expect(result.errors).toEqual([])
    const [createSet] = calls('CreateStackSet')
    // AWS applies no account filter to automatic deployments: on, it would deploy to the left-out accounts.
    expect(createSet!.params.get('AutoDeployment.Enabled')).toBe('false')
    expect(createSet!.params.has('AutoDeployment.RetainStacksOnAccountRemoval')).toBe(false)
    const [create] = calls('CreateStackInstances')
    expect(create!.params.get('DeploymentTargets.AccountFilterType')).toBe('INTERSECTION')
  })

  it('refuses account-filter-type union before any call: CreateStackInstances does not support it', async () => {
    await fresh()
    const result = await rollout({
      accounts: '333333333333',
      'permission-model': 'service-managed',
      'organizational-units': 'ou-ab12-cd34ef56',
      'account-filter-type': 'union',
    })
    expect(result.failed).toBe(true)
    expect(result.errors.join('\n')).toMatch(/Input 'account-filter-type': "union"/)
    expect(layer.stats.total).toBe(0)
  })

  describe('rejects bad input before any call', () => {
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['an 11-digit account', { accounts: `${A},12345678901` }, /Input 'accounts': "12345678901".*12 digits/],
      ['a 13-digit account', { accounts: '1111111111112' }, /Input 'accounts'/],
      ['an account with letters', { accounts: '11111111111a' }, /Input 'accounts'/],
      ['a duplicated account', { accounts: `${A},${A}` }, /Input 'accounts'.*listed twice/],
      [
        'a percentage over 100',
        { 'failure-tolerance': '120%' },
        /Input 'failure-tolerance': "120%".*percentage from 0% to 100%/,
      ],
      ['a negative count', { 'failure-tolerance': '-1' }, /Input 'failure-tolerance'/],
      ['zero max-concurrent', { 'max-concurrent': '0' }, /Input 'max-concurrent': "0"/],
      ['0% max-concurrent', { 'max-concurrent': '0%' }, /Input 'max-concurrent'/],
      ['a fraction', { 'max-concurrent': '2.5' }, /Input 'max-concurrent'/],
      ['an unknown region', { regions: 'us-east-1,us-esat-1' }, /Input 'regions': "us-esat-1"/],
      ['no regions', { regions: ' ' }, /Input 'regions'/],
      ['mixed partitions', { regions: 'us-east-1,cn-north-1' }, /Input 'regions'/],
      [
        'region-order outside regions',
        { 'region-order': 'eu-central-1' },
        /Input 'region-order': "eu-central-1"/,
      ],
      ['a bad concurrency mode', { 'concurrency-mode': 'loose' }, /Input 'concurrency-mode'/],
      [
        'overrides for an undeclared region',
        { 'instance-parameters': '{"eu-central-1": {"Environment": "x"}}' },
        /Input 'instance-parameters'/,
      ],
      [
        'malformed instance-parameters',
        { 'instance-parameters': '{"us-east-1": ' },
        /Input 'instance-parameters'/,
      ],
      ['a template outside the workspace', { template: '../../etc/passwd' }, /Input 'template'/],
      ['a plain http template URL', { template: 'http://example.com/t.yaml' }, /Input 'template'/],
      ['a bad stack set name', { 'stack-set-name': '1-baseline' }, /Input 'stack-set-name'/],
      ['delegated-admin with self-managed', { 'call-as': 'delegated-admin' }, /Input 'call-as'/],
      [
        'OUs with self-managed',
        { 'organizational-units': 'ou-ab12-cd34ef56' },
        /Input 'organizational-units'/,
      ],
      ['an unknown capability', { capabilities: 'CAPABILITY_ROOT' }, /Input 'capabilities'/],
      ['timeout-minutes 0', { 'timeout-minutes': '0' }, /Input 'timeout-minutes'/],
      ['a bad parameters list', { parameters: 'Environment' }, /Input 'parameters'/],
    ]
    beforeAll(() => fresh())
    it.each(cases)('%s', async (_label, inputs, message) => {
      const result = await rollout(inputs)
      expect(result.failed).toBe(true)
      expect(result.errors.join('\n')).toMatch(message)
      expect(layer.stats.total).toBe(0)
    })
  })
})
