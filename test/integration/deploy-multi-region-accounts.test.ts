/**
 * deploy-multi-region over several accounts, against moto through the real SDK:
 * 3 accounts x 2 regions. moto keys its state by the account of the access key
 * and its AssumeRole keys act in the role's account, so each account's stacks are
 * really apart; test/support/sts-role-layer.ts refuses the AssumeRole of a role
 * that does not exist, as AWS does (moto grants any ARN).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListChangeSetsCommand,
} from '@aws-sdk/client-cloudformation'
import { CLEANUP_STATE, runPost, type CleanupState } from '../../actions/deploy-multi-region/src/cleanup.js'
import { run } from '../../actions/deploy-multi-region/src/main.js'
import { runActionInProcess, type ActionRun } from '../support/action-runner.js'
import { directClientConfig, localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'
import { motoAccounts } from '../support/moto-accounts.js'
import { packageWorkspace, writeFiles } from '../support/package-fixtures.js'
import { startStsRoleLayer, type StsRoleLayer } from '../support/sts-role-layer.js'

const WORKSPACE = resolve(import.meta.dirname, '../..')
const TEMPLATE = 'templates/sample-queue.yaml'
const ACCOUNTS = ['111111111111', '222222222222', '333333333333']
const REGIONS = ['eu-west-1', 'eu-central-1']
const ROLE = 'multi-region-actions-target'

interface Result {
  account?: string
  region: string
  status: string
  stackId: string | null
  reason?: string
}

let moto: MotoServer
let layer: StsRoleLayer
let env: Record<string, string>
const accounts = motoAccounts(() => moto.endpoint)
const keysFor = accounts.keysFor

/** The target role in `account`, trusting the deploy role. */
function createRole(account: string): Promise<void> {
  return accounts.createRole(account, ROLE, 'arn:aws:iam::123456789012:role/multi-region-actions-deploy')
}

/** CloudFormation in one account and region, straight to moto. */
async function cfnIn<T>(account: string, region: string, use: (cfn: CloudFormationClient) => Promise<T>) {
  const cfn = new CloudFormationClient({
    ...directClientConfig(moto.endpoint, region),
    credentials: await keysFor(account),
  })
  try {
    return await use(cfn)
  } finally {
    cfn.destroy()
  }
}

/** The stack's status in one account and region, or undefined when it does not exist there. */
function stackIn(account: string, region: string, stackName: string) {
  return cfnIn(account, region, async (cfn) => {
    const page = await cfn.send(new DescribeStacksCommand({ StackName: stackName }))
    return page.Stacks?.[0]
  }).catch(() => undefined)
}

/** The stack's change sets not executed, in one account and region. */
function openChangeSetsIn(account: string, region: string, stackName: string) {
  return cfnIn(account, region, async (cfn) => {
    const page = await cfn.send(new ListChangeSetsCommand({ StackName: stackName }))
    return (page.Summaries ?? [])
      .filter((c) => c.StackName === stackName && c.ExecutionStatus === 'AVAILABLE')
      .map((c) => c.ChangeSetName)
  }).catch(() => [])
}

const results = (r: ActionRun) => JSON.parse(r.outputs.results ?? '[]') as Result[]
const deploy = (inputs: Record<string, string>) =>
  runActionInProcess(
    run,
    { template: TEMPLATE, regions: REGIONS.join(','), 'role-name': ROLE, ...inputs },
    env,
  )

beforeAll(async () => {
  moto = await startMoto()
  layer = await startStsRoleLayer(moto.endpoint)
  env = { ...localAwsEnv(layer.endpoint), GITHUB_WORKSPACE: WORKSPACE }
  for (const account of ACCOUNTS) await createRole(account)
})
afterAll(async () => {
  await layer.close()
  await moto.stop()
})

describe('deploy-multi-region across accounts', () => {
  it('creates one stack per (account, region) in the right account, then a rerun changes nothing', async () => {
    const stackName = 'accounts-queue'
    layer.requests.length = 0
    const first = await deploy({ 'stack-name': stackName, accounts: ACCOUNTS.join('\n') })
    expect(first.failed).toBe(false)
    // One AssumeRole per account, the role ARN built for each.
    expect(layer.requests.map((r) => r.roleArn).sort()).toEqual(
      ACCOUNTS.map((a) => `arn:aws:iam::${a}:role/${ROLE}`),
    )
    const created = results(first)
    expect(created).toHaveLength(6)
    expect(created.map((r) => [r.account, r.region, r.status])).toEqual(
      ACCOUNTS.flatMap((a) => REGIONS.map((region) => [a, region, 'created'])),
    )
    for (const r of created) expect(r.stackId).toContain(`:${r.account}:stack/${stackName}/`)
    const stackIds = JSON.parse(first.outputs['stack-ids']!) as Record<string, string>
    expect(Object.keys(stackIds).sort()).toEqual(
      ACCOUNTS.flatMap((a) => REGIONS.map((region) => `${a}/${region}`)).sort(),
    )
    for (const account of ACCOUNTS) {
      for (const region of REGIONS) {
        expect((await stackIn(account, region, stackName))?.StackStatus).toBe('CREATE_COMPLETE')
      }
    }
    // The job's own account got nothing.
    expect(await stackIn('123456789012', REGIONS[0]!, stackName)).toBeUndefined()
    expect(first.summary).toContain('### Account 111111111111')
    expect(first.summary).toContain('### Account 333333333333')

    const again = await deploy({ 'stack-name': stackName, accounts: ACCOUNTS.join('\n') })
    expect(again.failed).toBe(false)
    expect(results(again).map((r) => r.status)).toEqual(Array(6).fill('unchanged'))
  })

  it('plans across accounts, naming each target’s account, and applies each change set in its own account', async () => {
    const stackName = 'accounts-plan'
    const targets = ACCOUNTS.slice(0, 2)
    // A workspace of its own: the plan file is written there.
    const workspace = mkdtempSync(join(tmpdir(), 'dmr-accounts-plan-'))
    mkdirSync(join(workspace, 'templates'))
    writeFileSync(join(workspace, TEMPLATE), readFileSync(join(WORKSPACE, TEMPLATE)))
    const inputs = { 'stack-name': stackName, accounts: targets.join(','), plan: 'accounts.plan.json' }
    const step = (mode: string) =>
      runActionInProcess(
        run,
        { template: TEMPLATE, regions: REGIONS.join(','), 'role-name': ROLE, ...inputs, mode },
        { ...env, GITHUB_WORKSPACE: workspace },
      )
    const planned = await step('plan')
    expect(planned.failed).toBe(false)
    const plan = JSON.parse(readFileSync(join(workspace, 'accounts.plan.json'), 'utf8')) as {
      regions: Array<{ account?: string; region: string; changeSetId: string }>
    }
    expect(plan.regions.map((r) => [r.account, r.region])).toEqual(
      targets.flatMap((a) => REGIONS.map((region) => [a, region])),
    )
    for (const r of plan.regions) {
      expect(r.changeSetId).toContain(`:${r.region}:${r.account}:changeSet/`)
      expect((await stackIn(r.account!, r.region, stackName))?.StackStatus).toBe('REVIEW_IN_PROGRESS')
    }
    const applied = await step('apply')
    expect(applied.failed).toBe(false)
    expect(results(applied).map((r) => [r.account, r.region, r.status])).toEqual(
      targets.flatMap((a) => REGIONS.map((region) => [a, region, 'created'])),
    )
    for (const account of targets)
      for (const region of REGIONS)
        expect((await stackIn(account, region, stackName))?.StackStatus).toBe('CREATE_COMPLETE')
  })

  it('fails only the targets of an account whose role cannot be assumed, with AWS reason', async () => {
    const stackName = 'accounts-missing-role'
    const missing = '444444444444'
    const r = await deploy({
      'stack-name': stackName,
      accounts: [ACCOUNTS[0]!, missing, ACCOUNTS[1]!].join(','),
      'failure-tolerance': '2',
    })
    const byTarget = Object.fromEntries(results(r).map((x) => [`${x.account}/${x.region}`, x]))
    for (const region of REGIONS) {
      expect(byTarget[`${missing}/${region}`]?.status).toBe('failed')
      expect(byTarget[`${missing}/${region}`]?.reason).toContain(
        'is not authorized to perform: sts:AssumeRole',
      )
      expect(byTarget[`${ACCOUNTS[0]}/${region}`]?.status).toBe('created')
      expect(byTarget[`${ACCOUNTS[1]}/${region}`]?.status).toBe('created')
    }
    // Within failure-tolerance: the step passes with a warning.
    expect(r.failed).toBe(false)
  })

  it('fails the step when the refused account passes the failure tolerance', async () => {
    const r = await deploy({
      'stack-name': 'accounts-over-tolerance',
      accounts: [ACCOUNTS[2]!, '555555555555'].join(','),
    })
    expect(r.failed).toBe(true)
    const statuses = Object.fromEntries(results(r).map((x) => [`${x.account}/${x.region}`, x.status]))
    expect(statuses['555555555555/eu-west-1']).toBe('failed')
    // Tolerance 0: once a target failed, no further target starts (those already started go on).
    expect(Object.values(statuses).filter((s) => s === 'skipped').length).toBeGreaterThan(0)
  })

  it('a cancelled run leaves its accounts for the post step, which cleans up in each, assuming the role again', async () => {
    const stackName = 'accounts-killed'
    const missing = '444444444444'
    const accountsInput = [ACCOUNTS[0]!, ACCOUNTS[2]!, missing].join(',')
    const inputs = { accounts: accountsInput, 'role-name': ROLE, 'failure-tolerance': '6' }
    // Cancelled as soon as every account's role was asked for, before anything was deployed.
    layer.requests.length = 0
    let ended = false
    const cancelled = deploy({ 'stack-name': stackName, ...inputs }).finally(() => (ended = true))
    while (layer.requests.length < 3 && !ended) await new Promise((r) => setTimeout(r, 1))
    expect(ended).toBe(false)
    process.emit('SIGINT', 'SIGINT')
    const main = await cancelled
    expect(main.failed).toBe(true)
    const state = JSON.parse(main.state[CLEANUP_STATE]!) as CleanupState
    expect(state).toMatchObject({
      stackName,
      regions: REGIONS,
      accounts: [ACCOUNTS[0], ACCOUNTS[2], missing],
    })

    // What a job killed while creating change sets leaves: this run's change sets, never executed.
    const template = readFileSync(resolve(WORKSPACE, TEMPLATE), 'utf8')
    for (const account of [ACCOUNTS[0]!, ACCOUNTS[2]!]) {
      await cfnIn(account, 'eu-west-1', (cfn) =>
        cfn.send(
          new CreateChangeSetCommand({
            StackName: stackName,
            ChangeSetName: `${state.token}-eu-west-1`,
            ChangeSetType: 'CREATE',
            TemplateBody: template,
          }),
        ),
      )
      expect(await openChangeSetsIn(account, 'eu-west-1', stackName)).toHaveLength(1)
    }

    layer.requests.length = 0
    const post = await runActionInProcess(runPost, inputs, {
      ...env,
      [`STATE_${CLEANUP_STATE}`]: main.state[CLEANUP_STATE]!,
    })
    expect(post.failed).toBe(false)
    // One AssumeRole per account, as in the main step.
    expect(layer.requests.map((r) => r.roleArn).sort()).toEqual(
      [ACCOUNTS[0], ACCOUNTS[2], missing].map((a) => `arn:aws:iam::${a}:role/${ROLE}`),
    )
    for (const account of [ACCOUNTS[0]!, ACCOUNTS[2]!]) {
      expect(post.stdout).toContain(
        `[${account}/eu-west-1] Deleted change set(s) left by the run: ${state.token}-eu-west-1`,
      )
      expect(await openChangeSetsIn(account, 'eu-west-1', stackName)).toEqual([])
    }
    // The account whose role cannot be assumed is named with AWS's reason, per target.
    for (const region of REGIONS)
      expect(post.warnings).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^\\[${missing}/${region}\\] Could not clean up change sets: cannot assume .*sts:AssumeRole`,
          ),
        ),
      )
    // The job's own account was not touched.
    expect(await openChangeSetsIn('123456789012', 'eu-west-1', stackName)).toEqual([])
  })
})

describe('deploy-multi-region across accounts, on-region-failure: rollback-all', () => {
  it('rolls back every other target in its own account when one target fails, having said what it cannot restore', async () => {
    const stackName = 'accounts-rollback'
    const [a, b] = [ACCOUNTS[0]!, ACCOUNTS[1]!]
    // Delay has no default: a stack that has it keeps its value (UsePreviousValue); a new one has none.
    const v1 = {
      Parameters: { Delay: { Type: 'Number' } },
      Resources: { Jobs: { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: { Ref: 'Delay' } } } },
    }
    const v2 = { ...v1, Resources: { ...v1.Resources, Dead: { Type: 'AWS::SQS::Queue' } } }
    const workspace = mkdtempSync(join(tmpdir(), 'dmr-accounts-rollback-'))
    writeFileSync(join(workspace, 'v2.json'), JSON.stringify(v2))
    // The earlier stacks, each in its own account, with its own Delay; b/eu-central-1 has none.
    const earlier: Array<[string, string, string]> = [
      [a, 'eu-west-1', '1'],
      [a, 'eu-central-1', '2'],
      [b, 'eu-west-1', '3'],
    ]
    for (const [account, region, delay] of earlier)
      await cfnIn(account, region, (cfn) =>
        cfn.send(
          new CreateStackCommand({
            StackName: stackName,
            TemplateBody: JSON.stringify(v1),
            Parameters: [{ ParameterKey: 'Delay', ParameterValue: delay }],
          }),
        ),
      )
    for (const [account, region] of earlier)
      expect((await stackIn(account, region, stackName))?.StackStatus).toBe('CREATE_COMPLETE')

    const r = await runActionInProcess(
      run,
      {
        'stack-name': stackName,
        template: 'v2.json',
        regions: REGIONS.join(','),
        'role-name': ROLE,
        accounts: [a, b].join(','),
        'on-region-failure': 'rollback-all',
        drift: 'off',
        // Going back to v1 removes the queue v2 adds: the rollback's change set passes the guard.
        'allow-replacement': 'Dead',
      },
      { ...env, GITHUB_WORKSPACE: workspace },
    )
    expect(r.failed).toBe(true)
    const byTarget = Object.fromEntries(
      (JSON.parse(r.outputs.results!) as Array<Result & { rollback?: object }>).map((x) => [
        `${x.account}/${x.region}`,
        x,
      ]),
    )
    // A new stack has no value for Delay (moto refuses it at execution).
    expect(byTarget[`${b}/eu-central-1`]).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('Missing parameter Delay'),
    })
    for (const [account, region, delay] of earlier) {
      expect(byTarget[`${account}/${region}`]).toMatchObject({
        status: 'updated',
        rollback: { action: 'restored', outcome: 'done' },
      })
      // Restored in its own account: the earlier template and that account's own parameter value.
      const body = await cfnIn(account, region, async (cfn) => {
        const answer = await cfn.send(new GetTemplateCommand({ StackName: stackName }))
        return answer.TemplateBody!
      })
      expect(JSON.parse(body)).toEqual(v1)
      const stack = await stackIn(account, region, stackName)
      expect(stack?.Parameters).toEqual([
        expect.objectContaining({ ParameterKey: 'Delay', ParameterValue: delay }),
      ])
    }
    // Nothing was made in the failed target's account and region, nor in the job's own account.
    expect(await stackIn(b, 'eu-central-1', stackName)).toBeUndefined()
    expect(await stackIn('123456789012', 'eu-west-1', stackName)).toBeUndefined()
    expect(r.summary).toContain('### Rolled back (on-region-failure: rollback-all)')

    // What rollback-all cannot restore is said in the plan, before any target starts.
    const limits = r.warnings.find((w) => w.startsWith('on-region-failure rollback-all cannot fully restore'))
    expect(limits).toContain(`${a}/eu-west-1, ${a}/eu-central-1, ${b}/eu-west-1`)
    expect(limits).toContain('nested stacks come back from the template URLs')
    expect(limits).toContain('are resolved again when the rollback runs')
    const said = r.stdout.indexOf('on-region-failure rollback-all cannot fully restore')
    expect(said).toBeGreaterThan(r.stdout.indexOf("Deploy: stack 'accounts-rollback'"))
    expect(said).toBeLessThan(r.stdout.indexOf(`[${a}/eu-west-1]`))
    expect(said).toBeLessThan(r.stdout.indexOf('A target failed: rolling back'))
  })
})

describe('deploy-multi-region across accounts, packaging local artifacts', () => {
  it('packages into a bucket of each account and region (artifact-bucket: auto) that only its stacks read', async () => {
    const workspace = packageWorkspace('accounts-package-')
    writeFiles(workspace, {
      'app.yaml': `Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
  Hello:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !GetAtt Role.Arn
      Code: functions/hello
`,
    })
    const two = ACCOUNTS.slice(0, 2)
    const r = await runActionInProcess(
      run,
      {
        'stack-name': 'accounts-packaged',
        template: 'app.yaml',
        regions: REGIONS.join(','),
        'role-name': ROLE,
        accounts: two.join(','),
        'artifact-bucket': 'auto',
        drift: 'off',
      },
      { ...env, GITHUB_WORKSPACE: workspace },
    )
    expect(r.errors).toEqual([])
    expect(results(r).map((x) => [x.account, x.region, x.status])).toEqual(
      two.flatMap((a) => REGIONS.map((region) => [a, region, 'created'])),
    )
    const buckets = new Set<string>()
    for (const account of two) {
      for (const region of REGIONS) {
        const auto = await stackIn(account, region, 'multi-region-actions-artifacts')
        const bucket = auto!.Outputs!.find((o) => o.OutputKey === 'BucketName')!.OutputValue!
        buckets.add(bucket)
        const body = await cfnIn(account, region, async (cfn) => {
          const answer = await cfn.send(new GetTemplateCommand({ StackName: 'accounts-packaged' }))
          return answer.TemplateBody!
        })
        const code = (JSON.parse(body) as { Resources: { Hello: { Properties: { Code: unknown } } } })
          .Resources.Hello.Properties.Code
        expect(code).toMatchObject({ S3Bucket: bucket, S3Key: expect.stringMatching(/^[0-9a-f]{64}$/) })
        expect(r.stdout).toContain(`Packaged into s3://${bucket}/: 1 object(s), 1 uploaded`)
      }
    }
    // A bucket per account and region; the job's own account has none.
    expect(buckets.size).toBe(4)
    expect(await stackIn('123456789012', REGIONS[0]!, 'multi-region-actions-artifacts')).toBeUndefined()
  })
})
