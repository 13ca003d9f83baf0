/**
 * Production change management against moto and the change-management layer
 * (test/support/cfn-change-management-layer.ts): the destructive-change guard,
 * plan then apply of the same change sets, drift before deploy.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListChangeSetsCommand,
} from '@aws-sdk/client-cloudformation'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../actions/deploy-multi-region/src/main.js'
import { runActionInProcess, type ActionRun } from '../support/action-runner.js'
import {
  startChangeManagementLayer,
  type ChangeManagementLayer,
} from '../support/cfn-change-management-layer.js'
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

    it('allow-replacement naming no resource of the template fails on that input before any call', async () => {
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
      expect(r.errors.join('\n')).toContain("no resource 'Gone'")
      expect(layer.stats.total).toBe(0)
    })
  })
})
