/**
 * Production change management against moto and the change-management layer
 * (test/support/cfn-change-management-layer.ts): the destructive-change guard,
 * plan then apply of the same change sets, drift before deploy.
 */
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListChangeSetsCommand,
} from '@aws-sdk/client-cloudformation'
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../actions/deploy-multi-region/src/main.js'
import { runActionInProcess, type ActionRun } from '../support/action-runner.js'
import {
  startChangeManagementLayer,
  type ChangeManagementLayer,
} from '../support/cfn-change-management-layer.js'
import { startTerminationProtectionLayer } from '../support/cfn-termination-protection.js'
import { localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'

/** A table and a queue; the table's name is what a "v2" changes (a replacement on AWS). */
function template(tableName: string, queueDelay = 0): string {
  return JSON.stringify({
    Resources: {
      Orders: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        },
      },
      Jobs: { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: queueDelay } },
    },
  })
}

interface Result {
  region: string
  status: string
  reason?: string
  changes: Array<{ action: string; logicalId: string; type: string; replacement?: string; guard?: string }>
}

describe('deploy-multi-region change management', () => {
  let moto: MotoServer
  let layer: ChangeManagementLayer
  let env: Record<string, string>
  let workspace: string

  beforeAll(async () => {
    moto = await startMoto()
    layer = await startChangeManagementLayer(moto.endpoint)
    workspace = mkdtempSync(join(tmpdir(), 'dmr-change-mgmt-'))
    env = { ...localAwsEnv(layer.endpoint), GITHUB_WORKSPACE: workspace, RUNNER_TEMP: workspace }
  })
  afterAll(async () => {
    await layer.close()
    await moto.stop()
  })
  beforeEach(() => layer.reset())

  const write = (name: string, text: string) => writeFileSync(join(workspace, name), text)
  const deploy = (inputs: Record<string, string>) => runActionInProcess(run, inputs, env)
  const results = (r: ActionRun) => JSON.parse(r.outputs.results ?? '[]') as Result[]
  const count = (operation: string) => layer.calls.filter((c) => c.endsWith(`:${operation}`)).length
  async function sdk<T>(fn: () => Promise<T>): Promise<T> {
    const saved = { ...process.env }
    Object.assign(process.env, env)
    try {
      return await fn()
    } finally {
      process.env = saved
    }
  }
  const cfn = (region: string) => new CloudFormationClient({ region, maxAttempts: 1 })
  const openChangeSets = (region: string, stackName: string) =>
    sdk(async () => {
      const answer = await cfn(region).send(new ListChangeSetsCommand({ StackName: stackName }))
      return (answer.Summaries ?? []).filter(
        (s) => s.StackName === stackName && s.ExecutionStatus === 'AVAILABLE',
      )
    })

  describe('destructive-change guard', () => {
    it('blocks a table replacement in every region before any execute, and lets it through with allow-replacement', async () => {
      write('v1.json', template('orders-v1'))
      write('v2.json', template('orders-v2', 5))
      const regions = 'us-east-1, eu-west-1'
      const created = await deploy({ 'stack-name': 'guarded', template: 'v1.json', regions })
      expect(created.failed).toBe(false)

      layer.reset()
      layer.replacements.set('Orders', 'True')
      layer.replacements.set('Jobs', 'False')
      const blocked = await deploy({ 'stack-name': 'guarded', template: 'v2.json', regions })
      expect(blocked.failed).toBe(true)
      expect(count('ExecuteChangeSet')).toBe(0)
      for (const r of results(blocked)) {
        expect(r.status).toBe('failed')
        expect(r.reason).toContain('Orders (AWS::DynamoDB::Table, Replacement True)')
        expect(r.reason).toContain('allow-replacement')
        // Destructive changes first, marked.
        expect(r.changes[0]).toMatchObject({ logicalId: 'Orders', replacement: 'True', guard: 'blocked' })
        expect(r.changes[1]).not.toHaveProperty('guard')
      }
      expect(blocked.summary).toContain('### Replaces or removes stateful resources')
      expect(blocked.summary).toContain(
        '| ⛔ blocked | `Orders` | AWS::DynamoDB::Table | Replacement True | every region |',
      )
      expect(blocked.summary.indexOf('Replaces or removes')).toBeLessThan(
        blocked.summary.indexOf('| Region |'),
      )
      // The refused change sets are not left behind.
      expect(await openChangeSets('us-east-1', 'guarded')).toEqual([])

      layer.reset()
      layer.replacements.set('Orders', 'Conditional')
      const allowed = await deploy({
        'stack-name': 'guarded',
        template: 'v2.json',
        regions,
        'allow-replacement': 'Orders',
      })
      expect(allowed.failed).toBe(false)
      expect(count('ExecuteChangeSet')).toBe(2)
      expect(results(allowed).map((r) => r.status)).toEqual(['updated', 'updated'])
      expect(results(allowed)[0]!.changes[0]).toMatchObject({ logicalId: 'Orders', guard: 'allowed' })
      expect(allowed.summary).toContain('| ⚠️ allowed | `Orders` |')
    })

    it('a plan with allow-replacement naming a resource that no region changes fails on that input, executing nothing', async () => {
      const body = (delay: number) =>
        JSON.stringify({
          Resources: {
            Jobs: { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: delay } },
            Alerts: { Type: 'AWS::SNS::Topic' },
          },
        })
      write('unmatched-v1.json', body(0))
      write('unmatched-v2.json', body(4))
      const regions = 'us-east-1'
      expect(
        (await deploy({ 'stack-name': 'unmatched', template: 'unmatched-v1.json', regions })).failed,
      ).toBe(false)
      layer.reset()
      layer.unchanged.add('Alerts')
      const r = await deploy({
        'stack-name': 'unmatched',
        template: 'unmatched-v2.json',
        regions,
        mode: 'plan',
        'allow-replacement': 'Alerts',
      })
      expect(results(r)[0]!.changes.map((c) => c.logicalId)).toEqual(['Jobs'])
      expect(r.failed).toBe(true)
      expect(r.errors.join('\n')).toContain("Input 'allow-replacement'")
      expect(r.errors.join('\n')).toContain('Alerts')
      expect(count('ExecuteChangeSet')).toBe(0)
      // Nothing is left to approve: no plan file, no change set kept.
      expect(r.outputs.plan).toBeUndefined()
      expect(await openChangeSets('us-east-1', 'unmatched')).toEqual([])
    })

    it('allow-replacement naming no change of the plan fails on that input once the plan is known, executing nothing', async () => {
      write('two.json', template('orders-two'))
      const r = await deploy({
        'stack-name': 'allow-unmatched',
        template: 'two.json',
        regions: 'us-east-1',
        'plan-only': 'true',
        'allow-replacement': 'Orders, Gone',
      })
      expect(r.failed).toBe(true)
      expect(r.errors.join('\n')).toContain("Input 'allow-replacement'")
      expect(r.errors.join('\n')).toContain('Gone')
      expect(count('ExecuteChangeSet')).toBe(0)
    })
  })

  describe('plan, approve, apply', () => {
    const regions = 'us-east-1, eu-west-1, ap-southeast-2'
    interface Plan {
      stackName: string
      regions: Array<{
        region: string
        changeSetId: string | null
        changeSetType: string | null
        stackId: string | null
        lastUpdatedTime: string | null
        templateSha256: string
        submittedTemplateSha256?: string
        changes: Result['changes']
      }>
    }
    const readPlan = (name: string) => JSON.parse(readFileSync(join(workspace, name), 'utf8')) as Plan

    /** A stack made by a deploy, then a plan of v2 against it: the state every case starts from. */
    async function planned(stackName: string): Promise<Plan> {
      write(`${stackName}-v1.json`, template(`${stackName}-t1`))
      write(`${stackName}-v2.json`, template(`${stackName}-t1`, 7))
      const first = await deploy({ 'stack-name': stackName, template: `${stackName}-v1.json`, regions })
      expect(first.failed).toBe(false)
      layer.reset()
      const plan = await deploy({
        'stack-name': stackName,
        template: `${stackName}-v2.json`,
        regions,
        mode: 'plan',
        plan: `${stackName}.plan.json`,
      })
      expect(plan.failed).toBe(false)
      expect(count('ExecuteChangeSet')).toBe(0)
      expect(count('DeleteChangeSet')).toBe(0)
      expect(plan.outputs['plan-file']).toBe(join(workspace, `${stackName}.plan.json`))
      expect(JSON.parse(plan.outputs.plan!)).toEqual(readPlan(`${stackName}.plan.json`))
      return readPlan(`${stackName}.plan.json`)
    }
    const apply = (stackName: string, extra: Record<string, string> = {}) =>
      deploy({
        'stack-name': stackName,
        template: `${stackName}-v2.json`,
        regions,
        mode: 'apply',
        plan: `${stackName}.plan.json`,
        ...extra,
      })

    it('apply executes exactly the change sets the plan kept, in every region', async () => {
      const plan = await planned('reviewed')
      expect(plan.stackName).toBe('reviewed')
      expect(plan.regions.map((r) => r.region)).toEqual(['us-east-1', 'eu-west-1', 'ap-southeast-2'])
      for (const r of plan.regions) {
        expect(r.changeSetId).toMatch(/^arn:aws:cloudformation:[a-z0-9-]+:\d{12}:changeSet\//)
        expect(r.changeSetType).toBe('UPDATE')
        expect(r.stackId).toMatch(/:stack\/reviewed\//)
        expect(r.templateSha256).toMatch(/^[a-f0-9]{64}$/)
        expect(r.changes.length).toBeGreaterThan(0)
        // Kept, ready to execute.
        const open = await openChangeSets(r.region, 'reviewed')
        expect(open.map((c) => c.ChangeSetId)).toEqual([r.changeSetId])
      }
      layer.reset()
      const applied = await apply('reviewed')
      expect(applied.failed).toBe(false)
      expect(results(applied).map((r) => r.status)).toEqual(['updated', 'updated', 'updated'])
      expect(count('CreateChangeSet')).toBe(0)
      expect([...layer.executed].sort()).toEqual(plan.regions.map((r) => r.changeSetId!).sort())
    })

    it('refuses a plan whose stack was updated in between, in every region, with 0 executes', async () => {
      await planned('raced')
      // Another pipeline deploys to one region after the plan was made.
      write('raced-other.json', template('raced-t1', 9))
      const other = await deploy({
        'stack-name': 'raced',
        template: 'raced-other.json',
        regions: 'eu-west-1',
      })
      expect(other.failed).toBe(false)
      layer.reset()
      const applied = await apply('raced')
      expect(applied.failed).toBe(true)
      expect(count('ExecuteChangeSet')).toBe(0)
      const [us, eu, ap] = results(applied)
      expect(eu).toMatchObject({ region: 'eu-west-1', status: 'failed' })
      expect(eu!.reason).toMatch(/the plan is stale: the stack was updated since planning \(LastUpdatedTime /)
      expect(us).toMatchObject({
        status: 'skipped',
        reason: 'not executed: the plan is stale in another region',
      })
      expect(ap).toMatchObject({ status: 'skipped' })
      expect(applied.errors.join('\n')).toContain('Nothing was executed')
    })

    it('refuses a plan edited to name another stack’s change set, with 0 executes', async () => {
      const plan = await planned('victim')
      const other = await planned('bystander')
      const us = plan.regions.find((r) => r.region === 'us-east-1')!
      const theirs = other.regions.find((r) => r.region === 'us-east-1')!
      us.changeSetId = theirs.changeSetId
      write('victim.plan.json', JSON.stringify(plan))
      layer.reset()
      const applied = await apply('victim')
      expect(applied.failed).toBe(true)
      // Counted at the HTTP level, by the loopback proxy in front of moto.
      expect(count('ExecuteChangeSet')).toBe(0)
      expect(layer.executed).toEqual([])
      const [first, ...rest] = results(applied)
      expect(first).toMatchObject({ region: 'us-east-1', status: 'failed' })
      expect(first!.reason).toContain(`change set ${theirs.changeSetId} belongs to stack`)
      expect(first!.reason).toContain('nothing was executed')
      for (const r of rest) expect(r.status).toBe('skipped')
      expect(applied.errors.join('\n')).toContain('Nothing was executed')
      // The other stack's reviewed change set is still waiting for its own apply.
      expect((await openChangeSets('us-east-1', 'bystander')).map((c) => c.ChangeSetId)).toEqual([
        theirs.changeSetId,
      ])
    })

    it('refuses a change set of the planned stack that this toolkit did not make for apply', async () => {
      const plan = await planned('gated')
      const us = plan.regions.find((r) => r.region === 'us-east-1')!
      // A pull-request gate's change set of the same stack and template, with the same changes.
      const gate = await sdk(() =>
        cfn('us-east-1').send(
          new CreateChangeSetCommand({
            StackName: 'gated',
            ChangeSetName: 'gate-deploy-1-1-abcd-us-east-1',
            TemplateBody: readFileSync(join(workspace, 'gated-v2.json'), 'utf8'),
          }),
        ),
      )
      us.changeSetId = gate.Id!
      write('gated.plan.json', JSON.stringify(plan))
      layer.reset()
      const applied = await apply('gated')
      expect(applied.failed).toBe(true)
      expect(count('ExecuteChangeSet')).toBe(0)
      expect(results(applied)[0]!.reason).toContain('was not made by deploy-multi-region for this stack')
    })

    it('refuses a plan whose change set’s template is not the planned one, with 0 executes', async () => {
      const plan = await planned('swapped')
      for (const r of plan.regions) r.submittedTemplateSha256 = 'b'.repeat(64)
      write('swapped.plan.json', JSON.stringify(plan))
      layer.reset()
      const applied = await apply('swapped')
      expect(applied.failed).toBe(true)
      expect(count('ExecuteChangeSet')).toBe(0)
      for (const r of results(applied))
        expect(r.reason).toMatch(/the template behind change set .* is not the planned one/)
    })

    it('refuses a plan whose template was edited since, with 0 executes', async () => {
      await planned('edited')
      write('edited-v2.json', template('edited-t1', 8))
      layer.reset()
      const applied = await apply('edited')
      expect(applied.failed).toBe(true)
      expect(count('ExecuteChangeSet')).toBe(0)
      for (const r of results(applied))
        expect(r.reason).toMatch(/the template in the workspace .* is not the planned one/)
    })

    it('refuses a plan whose change set was deleted, with 0 executes', async () => {
      const plan = await planned('deleted')
      const ap = plan.regions.find((r) => r.region === 'ap-southeast-2')!
      await sdk(() =>
        cfn('ap-southeast-2').send(new DeleteChangeSetCommand({ ChangeSetName: ap.changeSetId! })),
      )
      layer.reset()
      const applied = await apply('deleted')
      expect(applied.failed).toBe(true)
      expect(count('ExecuteChangeSet')).toBe(0)
      expect(results(applied)[2]!.reason).toContain(`change set ${ap.changeSetId} no longer exists`)
      // The stacks are as they were.
      const stack = await sdk(
        async () =>
          (await cfn('us-east-1').send(new DescribeStacksCommand({ StackName: 'deleted' }))).Stacks![0]!,
      )
      expect(stack.StackStatus).toBe('CREATE_COMPLETE')
    })

    it('writes no plan when a region cannot be planned, and deletes the change sets kept so far', async () => {
      write('partial-v1.json', template('partial-t1'))
      write('partial-v2.json', template('partial-t2', 3))
      expect((await deploy({ 'stack-name': 'partial', template: 'partial-v1.json', regions })).failed).toBe(
        false,
      )
      layer.reset()
      layer.replacements.set('ap-southeast-2/Orders', 'True')
      const r = await deploy({
        'stack-name': 'partial',
        template: 'partial-v2.json',
        regions,
        mode: 'plan',
        plan: 'partial.plan.json',
      })
      expect(r.failed).toBe(true)
      expect(r.outputs.plan).toBeUndefined()
      expect(() => readPlan('partial.plan.json')).toThrow(/ENOENT/)
      expect(r.errors.join('\n')).toContain('No plan was written: ap-southeast-2 could not be planned')
      for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2'])
        expect(await openChangeSets(region, 'partial')).toEqual([])
      expect(count('ExecuteChangeSet')).toBe(0)
    })

    it('a later plan of the stack deletes the change sets an earlier plan of ours kept', async () => {
      const first = await planned('replanned')
      layer.reset()
      const again = await deploy({
        'stack-name': 'replanned',
        template: 'replanned-v2.json',
        regions,
        mode: 'plan',
        plan: 'replanned.plan.json',
      })
      expect(again.failed).toBe(false)
      const second = readPlan('replanned.plan.json')
      expect(count('DeleteChangeSet')).toBe(3)
      for (const r of second.regions) {
        const open = await openChangeSets(r.region, 'replanned')
        expect(open.map((c) => c.ChangeSetId)).toEqual([r.changeSetId])
        expect(open.map((c) => c.ChangeSetId)).not.toContain(
          first.regions.find((f) => f.region === r.region)!.changeSetId,
        )
      }
      expect(again.stdout).toContain('of an earlier plan, which this run supersedes')
    })

    it('a plan of new stacks keeps the REVIEW_IN_PROGRESS stacks; apply creates them', async () => {
      write('fresh.json', template('fresh-t1'))
      const plan = await deploy({
        'stack-name': 'fresh',
        template: 'fresh.json',
        regions: 'us-east-1',
        mode: 'plan',
      })
      expect(plan.failed).toBe(false)
      const doc = readPlan('fresh.plan.json')
      expect(doc.regions[0]).toMatchObject({ changeSetType: 'CREATE', lastUpdatedTime: null })
      const stack = await sdk(
        async () =>
          (await cfn('us-east-1').send(new DescribeStacksCommand({ StackName: 'fresh' }))).Stacks![0]!,
      )
      expect(stack.StackStatus).toBe('REVIEW_IN_PROGRESS')
      // The summary says how to discard a plan that will not be applied.
      expect(plan.summary).toContain('### To discard this plan')
      expect(plan.summary).toContain(
        '`aws cloudformation delete-stack --stack-name fresh --region us-east-1`',
      )
      layer.reset()
      const applied = await deploy({
        'stack-name': 'fresh',
        template: 'fresh.json',
        regions: 'us-east-1',
        mode: 'apply',
        plan: 'fresh.plan.json',
      })
      expect(applied.failed).toBe(false)
      expect(results(applied)[0]!.status).toBe('created')
      expect(layer.executed).toEqual([doc.regions[0]!.changeSetId])
    })

    describe('bad inputs fail before any call', () => {
      const good = {
        format: 'deploy-multi-region-plan',
        version: 1,
        stackName: 'orders',
        template: 'bad-inputs.json',
        createdAt: '2026-12-01T13:00:00.000Z',
        regions: [
          {
            region: 'us-east-1',
            changeSetId:
              'arn:aws:cloudformation:us-east-1:123456789012:changeSet/c/0f0e0d0c-0000-0000-0000-000000000000',
            changeSetType: 'UPDATE',
            stackId:
              'arn:aws:cloudformation:us-east-1:123456789012:stack/orders/0f0e0d0c-0000-0000-0000-000000000001',
            lastUpdatedTime: null,
            templateSha256: 'a'.repeat(64),
            changes: [
              { action: 'Modify', logicalId: 'Orders', type: 'AWS::DynamoDB::Table', replacement: 'True' },
            ],
          },
        ],
      }
      it.each([
        ['mode apply without a plan', {}, undefined, 'plan', /required with mode: apply/],
        ['malformed JSON', { plan: 'p.json' }, '{"format": ', 'plan', /it is not JSON/],
        [
          'a plan file of another stack',
          { plan: 'p.json' },
          JSON.stringify({ ...good, stackName: 'billing' }),
          'plan',
          /plan for stack 'billing'/,
        ],
        [
          'a plan of other regions',
          { plan: 'p.json', regions: 'eu-west-1' },
          JSON.stringify(good),
          'plan',
          /not the regions input/,
        ],
        [
          'a plan with no change set ARN',
          { plan: 'p.json' },
          JSON.stringify({ ...good, regions: [{ ...good.regions[0], changeSetId: 'c' }] }),
          'plan',
          /no change set ARN/,
        ],
        ['a plan that is no JSON object', { plan: 'p.json' }, '[]', 'plan', /not a JSON object/],
        [
          'allow-replacement naming no resource in the plan',
          { plan: 'p.json', 'allow-replacement': 'Jobs' },
          JSON.stringify(good),
          'allow-replacement',
          /that the plan p.json changes/,
        ],
        [
          'a plan input in mode deploy',
          { mode: 'deploy', plan: 'p.json' },
          JSON.stringify(good),
          'plan',
          /empty unless mode is plan or apply/,
        ],
        [
          'plan-only with mode apply',
          { 'plan-only': 'true', plan: 'p.json' },
          JSON.stringify(good),
          'plan-only',
          /false/,
        ],
      ])('%s', async (_what, inputs: Record<string, string>, planText, input, message) => {
        write('bad-inputs.json', template('orders-bad'))
        if (planText !== undefined) write('p.json', planText)
        layer.reset()
        const r = await deploy({
          'stack-name': 'orders',
          template: 'bad-inputs.json',
          regions: 'us-east-1',
          mode: 'apply',
          ...inputs,
        })
        expect(r.failed).toBe(true)
        expect(r.errors.join('\n')).toContain(`Input '${input}'`)
        expect(r.errors.join('\n')).toMatch(message)
        expect(layer.stats.total).toBe(0)
      })
    })
  })

  describe('drift before deploy', () => {
    const regions = 'us-east-1, eu-west-1'
    async function drifted(stackName: string) {
      write(`${stackName}-v1.json`, template(`${stackName}-t`))
      write(`${stackName}-v2.json`, template(`${stackName}-t`, 4))
      const first = await deploy({ 'stack-name': stackName, template: `${stackName}-v1.json`, regions })
      expect(first.failed).toBe(false)
      layer.reset()
      layer.driftPolls = 2
      layer.drift.set(`eu-west-1/${stackName}`, [
        {
          logicalId: 'Jobs',
          type: 'AWS::SQS::Queue',
          status: 'MODIFIED',
          differences: [{ path: '/VisibilityTimeout', expected: '30', actual: '300' }],
        },
      ])
    }

    it('warn (the default) reports drifted properties and the kind of difference, no values, and deploys', async () => {
      await drifted('drift-warn')
      layer.driftPolls = 4
      const r = await deploy({ 'stack-name': 'drift-warn', template: 'drift-warn-v2.json', regions })
      expect(r.failed).toBe(false)
      expect(results(r).map((x) => x.status)).toEqual(['updated', 'updated'])
      // Detected in every region, polled until complete, resources read only where the stack drifted.
      expect(count('DetectStackDrift')).toBe(2)
      expect(count('DescribeStackDriftDetectionStatus')).toBe(10)
      expect(layer.calls.filter((c) => c.endsWith(':DescribeStackResourceDrifts'))).toEqual([
        'eu-west-1:DescribeStackResourceDrifts',
      ])
      const sent = layer.requests.find((q) => q.operation === 'DescribeStackResourceDrifts')!
      expect(sent.params.get('StackResourceDriftStatusFilters.member.1')).toBe('MODIFIED')
      expect(r.warnings).toContainEqual(
        '[eu-west-1] 1 resource(s) drifted from the template: Jobs [AWS::SQS::Queue] MODIFIED: /VisibilityTimeout (not equal)',
      )
      expect(r.summary).toContain('### Drift before planning')
      expect(r.summary).toContain(
        '| eu-west-1 | `Jobs` | AWS::SQS::Queue | MODIFIED | `/VisibilityTimeout` | not equal |',
      )
      const eu = JSON.parse(r.outputs.results!)[1]
      expect(eu.drift).toMatchObject({ stackDriftStatus: 'DRIFTED', resources: [{ logicalId: 'Jobs' }] })
      expect(eu.drift.resources[0].differences).toEqual([{ path: '/VisibilityTimeout', kind: 'NOT_EQUAL' }])
      // The values are nowhere: not in the log, the summary or the outputs.
      for (const text of [r.stdout, r.summary, JSON.stringify(r.outputs)]) expect(text).not.toMatch(/\b300\b/)
      // Detection runs beside the change set's creation (a deploy costs the slower of the two),
      // and the change set is executed only once the drift is known.
      const euCalls = layer.calls.filter((c) => c.startsWith('eu-west-1:'))
      const lastStatusRead = euCalls.lastIndexOf('eu-west-1:DescribeStackDriftDetectionStatus')
      expect(euCalls.indexOf('eu-west-1:CreateChangeSet')).toBeLessThan(lastStatusRead)
      expect(euCalls.indexOf('eu-west-1:ExecuteChangeSet')).toBeGreaterThan(lastStatusRead)
    })

    it('fail stops the drifted region before its change set is executed; the others deploy', async () => {
      await drifted('drift-fail')
      const r = await deploy({
        'stack-name': 'drift-fail',
        template: 'drift-fail-v2.json',
        regions,
        drift: 'fail',
        'failure-tolerance': '1',
      })
      const [us, eu] = results(r)
      expect(us!.status).toBe('updated')
      expect(eu!.status).toBe('failed')
      expect(eu!.reason).toContain('Jobs [AWS::SQS::Queue] MODIFIED: /VisibilityTimeout (not equal)')
      expect(eu!.reason).toContain('the change set is not executed (drift: fail)')
      expect(layer.calls).not.toContain('eu-west-1:ExecuteChangeSet')
      expect(layer.calls).toContain('eu-west-1:DeleteChangeSet')
      expect(layer.calls).toContain('us-east-1:ExecuteChangeSet')
    })

    it('fail also fails a region whose detection failed for some resources', async () => {
      await drifted('drift-undetected')
      layer.drift.clear()
      layer.driftFailed.set('eu-west-1/drift-undetected', 'Failed to detect drift on resource [Jobs]')
      const r = await deploy({
        'stack-name': 'drift-undetected',
        template: 'drift-undetected-v2.json',
        regions,
        drift: 'fail',
        'failure-tolerance': '1',
      })
      const [us, eu] = results(r)
      expect(us!.status).toBe('updated')
      expect(eu!.status).toBe('failed')
      expect(eu!.reason).toContain(
        'Drift detection failed for some resources: Failed to detect drift on resource [Jobs]; the change set is not executed (drift: fail)',
      )
      expect(layer.calls).not.toContain('eu-west-1:ExecuteChangeSet')
    })

    it('an endpoint without DetectStackDrift is asked once, not retried', async () => {
      await drifted('drift-missing')
      for (const region of ['us-east-1', 'eu-west-1']) layer.driftUnavailable.add(`${region}/drift-missing`)
      const r = await deploy({ 'stack-name': 'drift-missing', template: 'drift-missing-v2.json', regions })
      expect(r.failed).toBe(false)
      expect(count('DetectStackDrift')).toBe(2)
      expect(r.warnings.join('\n')).toContain(
        'drift detection failed: DetectStackDrift is not available here',
      )
      layer.reset()
      for (const region of ['us-east-1', 'eu-west-1']) layer.driftUnavailable.add(`${region}/drift-missing`)
      const failing = await deploy({
        'stack-name': 'drift-missing',
        template: 'drift-missing-v1.json',
        regions,
        drift: 'fail',
      })
      expect(failing.failed).toBe(true)
      expect(results(failing)[1]!.reason).toContain('DetectStackDrift is not available here')
      expect(count('DetectStackDrift')).toBe(2)
      expect(count('ExecuteChangeSet')).toBe(0)
    })

    it('drift-values shows the values, with the template’s NoEcho parameter values masked before any line', async () => {
      const body = (delay: number) =>
        JSON.stringify({
          Parameters: { ApiToken: { Type: 'String', NoEcho: true } },
          Resources: {
            Jobs: { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: delay } },
            Secret: {
              Type: 'AWS::SSM::Parameter',
              Properties: { Type: 'String', Value: { Ref: 'ApiToken' } },
            },
          },
        })
      write('drift-values-v1.json', body(0))
      write('drift-values-v2.json', body(2))
      const inputs = {
        'stack-name': 'drift-values',
        regions: 'eu-west-1',
        parameters: 'ApiToken=tok-9f8e7d6c',
      }
      expect((await deploy({ ...inputs, template: 'drift-values-v1.json' })).failed).toBe(false)
      layer.reset()
      layer.drift.set('eu-west-1/drift-values', [
        {
          logicalId: 'Secret',
          type: 'AWS::SSM::Parameter',
          status: 'MODIFIED',
          differences: [{ path: '/Value', expected: 'tok-9f8e7d6c', actual: 'tok-0000', kind: 'NOT_EQUAL' }],
        },
      ])
      const r = await deploy({ ...inputs, template: 'drift-values-v2.json', 'drift-values': 'true' })
      expect(r.failed).toBe(false)
      expect(r.warnings.join('\n')).toContain('Secret [AWS::SSM::Parameter] MODIFIED: /Value: expected ')
      expect(r.summary).toContain('| Property | Difference | Expected | Actual |')
      expect(r.summary).toContain('| tok-0000 |')
      // The runner masks every later occurrence of a value once ::add-mask:: has been printed.
      const mask = r.stdout.indexOf('::add-mask::tok-9f8e7d6c')
      expect(mask).toBeGreaterThanOrEqual(0)
      expect(r.stdout.indexOf('tok-9f8e7d6c')).toBe(mask + '::add-mask::'.length)
    })

    it('drift-values with plan-only is bad input, before any call', async () => {
      write('drift-values-preview.json', template('drift-values-preview'))
      const r = await deploy({
        'stack-name': 'drift-values-preview',
        template: 'drift-values-preview.json',
        regions: 'us-east-1',
        'plan-only': 'true',
        'drift-values': 'true',
      })
      expect(r.failed).toBe(true)
      expect(r.errors.join('\n')).toContain("Input 'drift-values'")
      expect(r.errors.join('\n')).toContain('plan-only')
      expect(layer.stats.total).toBe(0)
    })

    it('off makes no drift call', async () => {
      await drifted('drift-off')
      const r = await deploy({
        'stack-name': 'drift-off',
        template: 'drift-off-v2.json',
        regions,
        drift: 'off',
      })
      expect(r.failed).toBe(false)
      expect(count('DetectStackDrift')).toBe(0)
    })
  })

  describe('early validation errors', () => {
    const failure = {
      reason: 'The following hook(s)/validation failed: [AWS::EarlyValidation::PropertyValidation]',
      events: [
        {
          logicalId: 'Orders',
          type: 'AWS::DynamoDB::Table',
          path: '/Properties/BillingMode',
          name: 'AWS::EarlyValidation::PropertyValidation',
          message: "Value 'PAY_PER_REQUESTS' is not one of [PROVISIONED, PAY_PER_REQUEST]",
        },
      ],
    }

    it('reports each validation error of a FAILED change set: resource, property, message', async () => {
      write('invalid.json', template('invalid-t'))
      layer.failValidation.set('us-east-1/invalid', failure)
      layer.describeEvents = true
      const r = await deploy({ 'stack-name': 'invalid', template: 'invalid.json', regions: 'us-east-1' })
      expect(r.failed).toBe(true)
      const [us] = results(r)
      expect(us!.reason).toContain(
        "1 validation error(s): Orders /Properties/BillingMode: Value 'PAY_PER_REQUESTS' is not one of [PROVISIONED, PAY_PER_REQUEST]",
      )
      // The change set's own status reason stays beside the errors read for it.
      expect(us!.reason).toContain(`failed: ${failure.reason} (1 validation error(s)`)
      const sent = layer.requests.find((q) => q.operation === 'DescribeEvents')!
      expect(sent.params.get('ChangeSetName')).toMatch(/:changeSet\/deploy-/)
      expect(sent.params.get('Filters.FailedEvents')).toBe('true')
      expect(r.summary).toContain('### Validation errors')
      expect(r.summary).toContain('| us-east-1 | `Orders` | `/Properties/BillingMode` | Value')
      expect(count('ExecuteChangeSet')).toBe(0)
    })

    it('reports WARN-mode validations and Hooks in WARN as warnings, not as errors', async () => {
      write('invalid-warn.json', template('invalid-warn-t'))
      layer.failValidation.set('us-east-1/invalid-warn', {
        reason: failure.reason,
        events: [
          ...failure.events,
          {
            logicalId: 'Jobs',
            type: 'AWS::SQS::Queue',
            name: 'AWS::EarlyValidation::ResourceExistenceCheck',
            message: 'a queue named like this may exist',
            mode: 'WARN',
          },
          {
            logicalId: 'Jobs',
            type: 'AWS::SQS::Queue',
            hook: 'Private::Guard::Encryption',
            message: 'queue is not encrypted with a customer managed key',
            mode: 'WARN',
          },
        ],
      })
      layer.describeEvents = true
      const r = await deploy({
        'stack-name': 'invalid-warn',
        template: 'invalid-warn.json',
        regions: 'us-east-1',
      })
      const [us] = results(r) as Array<Result & { validationErrors?: unknown[] }>
      expect(us!.reason).toContain('(1 validation error(s): Orders /Properties/BillingMode')
      expect(us!.reason).not.toContain('queue')
      expect(us!.validationErrors).toHaveLength(1)
      const warned = r.warnings.join('\n')
      expect(warned).toContain(
        'Validation warning (WARN mode, not a failure): Jobs: a queue named like this may exist',
      )
      expect(warned).toContain('Jobs: queue is not encrypted with a customer managed key')
    })

    it('falls back to the status reason where DescribeEvents is missing, asking once', async () => {
      write('invalid2.json', template('invalid2-t'))
      layer.failValidation.set('us-east-1/invalid2', failure)
      const r = await deploy({ 'stack-name': 'invalid2', template: 'invalid2.json', regions: 'us-east-1' })
      expect(r.failed).toBe(true)
      expect(results(r)[0]!.reason).toContain(`failed: ${failure.reason}`)
      // moto answers HTML 500: one request, not the SDK's retries.
      expect(count('DescribeEvents')).toBe(1)
      expect(r.warnings.join('\n')).not.toContain('DescribeEvents')
    })
  })

  describe('import-existing-resources', () => {
    it('sends ImportExistingResources on CREATE and UPDATE change sets', async () => {
      write('import-v1.json', template('import-t'))
      write('import-v2.json', template('import-t', 2))
      const created = await deploy({
        'stack-name': 'importing',
        template: 'import-v1.json',
        regions: 'us-east-1',
        'import-existing-resources': 'true',
      })
      expect(created.failed).toBe(false)
      const updated = await deploy({
        'stack-name': 'importing',
        template: 'import-v2.json',
        regions: 'us-east-1',
        'import-existing-resources': 'true',
      })
      expect(updated.failed).toBe(false)
      const sent = layer.requests.filter((q) => q.operation === 'CreateChangeSet').map((q) => q.params)
      expect(sent.map((p) => [p.get('ChangeSetType'), p.get('ImportExistingResources')])).toEqual([
        ['CREATE', 'true'],
        ['UPDATE', 'true'],
      ])
    })
  })

  describe('nested stacks', () => {
    /** A parent with a nested stack (its template in moto's S3) and a queue. */
    async function nestedParent(name: string, delay: number): Promise<string> {
      await sdk(async () => {
        const s3 = new S3Client({ region: 'us-east-1', forcePathStyle: true, maxAttempts: 1 })
        await s3.send(new CreateBucketCommand({ Bucket: 'nested-templates' })).catch(() => undefined)
        await s3.send(
          new PutObjectCommand({
            Bucket: 'nested-templates',
            Key: 'data.json',
            Body: JSON.stringify({ Resources: { Table: { Type: 'AWS::SQS::Queue' } } }),
          }),
        )
      })
      write(
        name,
        JSON.stringify({
          Resources: {
            Data: {
              Type: 'AWS::CloudFormation::Stack',
              // A property that changes with the parent, so the nested stack is in the parent's changes.
              Properties: {
                TemplateURL: 'https://nested-templates.s3.amazonaws.com/data.json',
                TimeoutInMinutes: 10 + delay,
              },
            },
            Jobs: { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: delay } },
          },
        }),
      )
      return name
    }

    it('lists and guards the changes of nested change sets (IncludeNestedStacks)', async () => {
      const v1 = await nestedParent('nested-v1.json', 0)
      const created = await deploy({ 'stack-name': 'nested', template: v1, regions: 'us-east-1' })
      expect(created.failed).toBe(false)
      const v2 = await nestedParent('nested-v2.json', 3)
      layer.reset()
      layer.nestedChanges.set('Data', [
        { action: 'Modify', logicalId: 'Table', type: 'AWS::DynamoDB::Table', replacement: 'True' },
        { action: 'Add', logicalId: 'Index', type: 'AWS::SQS::Queue' },
      ])
      const blocked = await deploy({
        'stack-name': 'nested',
        template: v2,
        regions: 'us-east-1',
        'plan-only': 'true',
      })
      const sent = layer.requests.find((q) => q.operation === 'CreateChangeSet')!
      expect(sent.params.get('IncludeNestedStacks')).toBe('true')
      expect(blocked.failed).toBe(true)
      const [r] = results(blocked)
      expect(r!.reason).toContain('Data/Table (AWS::DynamoDB::Table, Replacement True)')
      expect(r!.changes[0]).toMatchObject({ logicalId: 'Table', nestedPath: ['Data'], guard: 'blocked' })
      expect(
        r!.changes.map((c) =>
          [...((c as { nestedPath?: string[] }).nestedPath ?? []), c.logicalId].join('/'),
        ),
      ).toEqual(expect.arrayContaining(['Data', 'Data/Table', 'Data/Index', 'Jobs']))
      expect(blocked.summary).toContain('| ⛔ blocked | `Data/Table` |')
      const allowed = await deploy({
        'stack-name': 'nested',
        template: v2,
        regions: 'us-east-1',
        'plan-only': 'true',
        'allow-replacement': 'Data/Table',
      })
      expect(allowed.failed).toBe(false)
    })

    it("a failed update in a nested stack reports the nested resource's own reason", async () => {
      const v1 = await nestedParent('nested-fail-v1.json', 0)
      expect((await deploy({ 'stack-name': 'nested-fail', template: v1, regions: 'us-east-1' })).failed).toBe(
        false,
      )
      const v2 = await nestedParent('nested-fail-v2.json', 6)
      layer.reset()
      layer.failNested.set('us-east-1/nested-fail', {
        nestedLogicalId: 'Data',
        resource: 'Table',
        type: 'AWS::SQS::Queue',
        reason: 'Resource handler returned message: "Invalid value for the parameter DelaySeconds"',
      })
      const r = await deploy({ 'stack-name': 'nested-fail', template: v2, regions: 'us-east-1' })
      expect(r.failed).toBe(true)
      expect(results(r)[0]!.reason).toBe(
        'stack UPDATE_ROLLBACK_COMPLETE: Data > Table (AWS::SQS::Queue): Resource handler returned message: "Invalid value for the parameter DelaySeconds"',
      )
      const nestedReads = layer.requests.filter(
        (q) =>
          q.operation === 'DescribeStackEvents' && /-Data-NESTED\//.test(q.params.get('StackName') ?? ''),
      )
      expect(nestedReads.length).toBe(1)
    })

    it("reads a failed nested change set's own reason and validation errors", async () => {
      const v1 = await nestedParent('nested-invalid-v1.json', 0)
      const first = await deploy({ 'stack-name': 'nested-invalid', template: v1, regions: 'us-east-1' })
      expect(first.failed).toBe(false)
      const v2 = await nestedParent('nested-invalid-v2.json', 2)
      layer.reset()
      layer.describeEvents = true
      layer.nestedChanges.set('Data', [{ action: 'Modify', logicalId: 'Table', type: 'AWS::SQS::Queue' }])
      layer.failNestedValidation.set('Data', {
        reason: 'The following hook(s)/validation failed: [AWS::EarlyValidation::PropertyValidation]',
        events: [
          {
            logicalId: 'Table',
            type: 'AWS::SQS::Queue',
            path: '/Properties/DelaySeconds',
            name: 'AWS::EarlyValidation::PropertyValidation',
            message: 'DelaySeconds must be at most 900',
          },
        ],
      })
      const r = await deploy({ 'stack-name': 'nested-invalid', template: v2, regions: 'us-east-1' })
      expect(r.failed).toBe(true)
      const reason = results(r)[0]!.reason!
      expect(reason).toContain('was not successfully created: Currently in FAILED.')
      expect(reason).toMatch(
        /nested change set [^:]+-Data: The following hook\(s\)\/validation failed: \[AWS::EarlyValidation::PropertyValidation\] \(1 validation error\(s\): Table \/Properties\/DelaySeconds: DelaySeconds must be at most 900\)/,
      )
      expect(count('ExecuteChangeSet')).toBe(0)
    })
  })

  describe('on-region-failure: rollback-all', () => {
    it('restores the earlier template and parameters where the deploy had succeeded, and deletes stacks it created', async () => {
      const v1 = JSON.stringify({
        Parameters: { Delay: { Type: 'Number', Default: 0 } },
        Resources: { Jobs: { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: { Ref: 'Delay' } } } },
      })
      const v2 = JSON.stringify({
        Parameters: { Delay: { Type: 'Number', Default: 0 } },
        Resources: {
          Jobs: { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: { Ref: 'Delay' } } },
          Dead: { Type: 'AWS::SQS::Queue' },
        },
      })
      write('rb-v1.json', v1)
      write('rb-v2.json', v2)
      const first = await deploy({
        'stack-name': 'rb',
        template: 'rb-v1.json',
        regions: 'us-east-1, eu-west-1',
        parameters: 'Delay=2',
      })
      expect(first.failed).toBe(false)
      layer.reset()
      // eu-west-1's change set fails; us-east-1 is updated and ap-southeast-2 created meanwhile.
      layer.failValidation.set('eu-west-1/rb', { reason: 'Template error: something regional', events: [] })
      const r = await deploy({
        'stack-name': 'rb',
        template: 'rb-v2.json',
        regions: 'us-east-1, eu-west-1, ap-southeast-2',
        parameters: 'Delay=5',
        'on-region-failure': 'rollback-all',
        // The rollback removes the queue v2 adds: its change set passes the same guard.
        'allow-replacement': 'Dead',
      })
      expect(r.failed).toBe(true)
      const [us, eu, ap] = JSON.parse(r.outputs.results!) as Array<Result & { rollback?: object }>
      expect(eu!.status).toBe('failed')
      expect(us).toMatchObject({ status: 'updated', rollback: { action: 'restored', outcome: 'done' } })
      expect(ap).toMatchObject({ status: 'created', rollback: { action: 'deleted', outcome: 'done' } })
      // The earlier template and parameter value are back in us-east-1.
      const template = await sdk(
        async () => (await cfn('us-east-1').send(new GetTemplateCommand({ StackName: 'rb' }))).TemplateBody,
      )
      expect(JSON.parse(template!)).toEqual(JSON.parse(v1))
      const stack = await sdk(
        async () => (await cfn('us-east-1').send(new DescribeStacksCommand({ StackName: 'rb' }))).Stacks![0]!,
      )
      expect(stack.Parameters).toEqual([
        expect.objectContaining({ ParameterKey: 'Delay', ParameterValue: '2' }),
      ])
      // The rollback's change set carried the earlier template as it was.
      const rollbackSet = layer.requests.find(
        (q) =>
          q.operation === 'CreateChangeSet' &&
          q.region === 'us-east-1' &&
          /-rollback$/.test(q.params.get('ChangeSetName') ?? ''),
      )!
      expect(JSON.parse(rollbackSet.params.get('TemplateBody')!)).toEqual(JSON.parse(v1))
      const gone = await sdk(() =>
        cfn('ap-southeast-2').send(new DescribeStacksCommand({ StackName: 'rb' })),
      ).catch((e: Error) => e)
      expect(gone instanceof Error ? gone.message : JSON.stringify(gone)).toMatch(
        /does not exist|DELETE_COMPLETE/,
      )
      expect(r.summary).toContain('### Rolled back (on-region-failure: rollback-all)')
      expect(r.summary).toContain(
        '| us-east-1 | updated | updated back to its earlier template and parameters | ✅ done |',
      )
      expect(r.summary).toContain(
        '| ap-southeast-2 | created | stack deleted (this run created it) | ✅ done |',
      )
    })

    it("guards its own change set, restores the earlier stack's tags, and leaves no change set behind", async () => {
      const v1 = JSON.stringify({ Resources: { Jobs: { Type: 'AWS::SQS::Queue' } } })
      write('rb-guard-v1.json', v1)
      write('rb-guard-v2.json', template('rb-guard-t'))
      const regions = 'us-east-1, eu-west-1'
      const first = await deploy({
        'stack-name': 'rb-guard',
        template: 'rb-guard-v1.json',
        regions,
        tags: 'team=a',
      })
      expect(first.failed).toBe(false)
      layer.reset()
      layer.failValidation.set('eu-west-1/rb-guard', {
        reason: 'Template error: something regional',
        events: [],
      })
      const r = await deploy({
        'stack-name': 'rb-guard',
        template: 'rb-guard-v2.json',
        regions,
        tags: 'team=b',
        'on-region-failure': 'rollback-all',
      })
      const [us] = JSON.parse(r.outputs.results!) as Array<
        Result & { rollback?: { outcome: string; reason?: string } }
      >
      expect(us!.status).toBe('updated')
      // Going back to v1 would delete the table v2 added: the guard stops that change set too.
      expect(us!.rollback).toMatchObject({ outcome: 'failed' })
      expect(us!.rollback!.reason).toContain('the rollback change set was not executed')
      expect(us!.rollback!.reason).toContain('Orders')
      const rollbackSet = layer.requests.find(
        (q) =>
          q.operation === 'CreateChangeSet' &&
          q.region === 'us-east-1' &&
          /-rollback$/.test(q.params.get('ChangeSetName') ?? ''),
      )!
      expect([
        rollbackSet.params.get('Tags.member.1.Key'),
        rollbackSet.params.get('Tags.member.1.Value'),
      ]).toEqual(['team', 'a'])
      const left = await sdk(
        async () =>
          (await cfn('us-east-1').send(new ListChangeSetsCommand({ StackName: 'rb-guard' }))).Summaries,
      )
      // moto keeps executed change sets and lists every stack's: only the rollback's is ours to check.
      expect(
        (left ?? []).filter((c) => c.StackName === 'rb-guard' && /-rollback$/.test(c.ChangeSetName ?? '')),
      ).toEqual([])
    })

    it('deletes a stack it created even with the termination protection this run turned on', async () => {
      const protection = await startTerminationProtectionLayer(layer.endpoint)
      try {
        write('rb-tp.json', JSON.stringify({ Resources: { Jobs: { Type: 'AWS::SQS::Queue' } } }))
        layer.failValidation.set('eu-west-1/rb-tp', {
          reason: 'Template error: something regional',
          events: [],
        })
        const r = await runActionInProcess(
          run,
          {
            'stack-name': 'rb-tp',
            template: 'rb-tp.json',
            regions: 'us-east-1, eu-west-1',
            'termination-protection': 'true',
            'on-region-failure': 'rollback-all',
          },
          { ...env, ...localAwsEnv(protection.endpoint) },
        )
        const [us] = JSON.parse(r.outputs.results!) as Array<Result & { rollback?: object }>
        expect(us).toMatchObject({ status: 'created', rollback: { action: 'deleted', outcome: 'done' } })
        const updates = layer.requests.filter(
          (q) => q.operation === 'DeleteStack' && q.region === 'us-east-1',
        )
        expect(updates).toHaveLength(1)
        expect(protection.protectedStacks.get('us-east-1/rb-tp')).toBe(false)
      } finally {
        await protection.close()
      }
    })
  })
})
