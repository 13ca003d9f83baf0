/**
 * What the destructive-change guard stops, against moto and the change-management
 * layer (test/support/cfn-change-management-layer.ts): nested stacks removed or
 * changed at any depth, Dynamic changes and PolicyAction, names that collide
 * across regions, parameter values over CloudFormation's limit.
 */
import { CloudFormationClient, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation'
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
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

interface Result {
  region: string
  status: string
  reason?: string
  changes: Array<{
    action: string
    logicalId: string
    type: string
    nestedPath?: string[]
    policyAction?: string
    guard?: string
  }>
}

describe('deploy-multi-region: what the guard stops', () => {
  let moto: MotoServer
  let layer: ChangeManagementLayer
  let env: Record<string, string>
  let workspace: string

  beforeAll(async () => {
    moto = await startMoto()
    layer = await startChangeManagementLayer(moto.endpoint)
    workspace = mkdtempSync(join(tmpdir(), 'dmr-guard-'))
    env = { ...localAwsEnv(layer.endpoint), GITHUB_WORKSPACE: workspace, RUNNER_TEMP: workspace }
    const saved = { ...process.env }
    Object.assign(process.env, env)
    try {
      const s3 = new S3Client({ region: 'us-east-1', forcePathStyle: true, maxAttempts: 1 })
      await s3.send(new CreateBucketCommand({ Bucket: 'guard-nested' }))
      await s3.send(
        new PutObjectCommand({
          Bucket: 'guard-nested',
          Key: 'data.json',
          // The nested stack holds a table: removing the stack deletes it.
          Body: JSON.stringify({
            Resources: {
              Table: {
                Type: 'AWS::DynamoDB::Table',
                Properties: {
                  BillingMode: 'PAY_PER_REQUEST',
                  AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
                  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
                },
              },
            },
          }),
        }),
      )
    } finally {
      process.env = saved
    }
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
  /** A stack's resources (by name or id) as ListStackResources answers them. */
  async function resourcesOf(stack: string): Promise<Map<string, { type: string; physicalId: string }>> {
    const saved = { ...process.env }
    Object.assign(process.env, env)
    try {
      const cfn = new CloudFormationClient({ region: 'us-east-1', maxAttempts: 1 })
      const answer = await cfn.send(new ListStackResourcesCommand({ StackName: stack }))
      return new Map(
        (answer.StackResourceSummaries ?? []).map((r) => [
          r.LogicalResourceId ?? '',
          { type: r.ResourceType ?? '', physicalId: r.PhysicalResourceId ?? '' },
        ]),
      )
    } finally {
      process.env = saved
    }
  }
  const path = (c: Result['changes'][number]) => [...(c.nestedPath ?? []), c.logicalId].join('/')

  /** A parent with a nested stack `Data` (when `nested`) and a queue whose delay changes. */
  function parent(name: string, options: { nested: boolean; delay: number }): string {
    const data = {
      Type: 'AWS::CloudFormation::Stack',
      Properties: {
        TemplateURL: 'https://guard-nested.s3.amazonaws.com/data.json',
        TimeoutInMinutes: 10 + options.delay,
      },
    }
    write(
      name,
      JSON.stringify({
        Resources: {
          ...(options.nested ? { Data: data } : {}),
          Jobs: { Type: 'AWS::SQS::Queue', Properties: { DelaySeconds: options.delay } },
        },
      }),
    )
    return name
  }

  describe('nested stacks', () => {
    it('blocks the removal of a nested stack, and lets it through when allow-replacement names it', async () => {
      const v1 = parent('removal-v1.json', { nested: true, delay: 0 })
      expect((await deploy({ 'stack-name': 'removal', template: v1, regions: 'us-east-1' })).failed).toBe(
        false,
      )
      const nested = (await resourcesOf('removal')).get('Data')!
      expect(nested.type).toBe('AWS::CloudFormation::Stack')
      const inside = [...(await resourcesOf(nested.physicalId)).values()].map((r) => r.type)
      expect(inside).toEqual(['AWS::DynamoDB::Table'])
      const v2 = parent('removal-v2.json', { nested: false, delay: 2 })
      layer.reset()
      const blocked = await deploy({ 'stack-name': 'removal', template: v2, regions: 'us-east-1' })
      expect(blocked.failed).toBe(true)
      const [r] = results(blocked)
      expect(r!.changes[0]).toMatchObject({
        action: 'Remove',
        logicalId: 'Data',
        type: 'AWS::CloudFormation::Stack',
        guard: 'blocked',
      })
      expect(r!.reason).toContain('Data (AWS::CloudFormation::Stack, Remove), losing every resource in it')
      expect(count('ExecuteChangeSet')).toBe(0)

      layer.reset()
      // The removed resource is named by its old logical id, which the new template no longer has.
      const allowed = await deploy({
        'stack-name': 'removal',
        template: v2,
        regions: 'us-east-1',
        'allow-replacement': 'Data',
      })
      expect(allowed.errors).toEqual([])
      expect(allowed.failed).toBe(false)
      expect(results(allowed)[0]!.changes[0]).toMatchObject({ logicalId: 'Data', guard: 'allowed' })
      expect(count('ExecuteChangeSet')).toBe(1)
      expect((await resourcesOf('removal')).has('Data')).toBe(false)
    })

    it('looks inside nested change sets at any depth: a table four stacks down is blocked', async () => {
      const v1 = parent('deep-v1.json', { nested: true, delay: 0 })
      expect((await deploy({ 'stack-name': 'deep', template: v1, regions: 'us-east-1' })).failed).toBe(false)
      const v2 = parent('deep-v2.json', { nested: true, delay: 3 })
      layer.reset()
      const stack = 'AWS::CloudFormation::Stack'
      layer.nestedChanges.set('Data', [{ action: 'Modify', logicalId: 'Level2', type: stack }])
      layer.nestedChanges.set('Level2', [{ action: 'Modify', logicalId: 'Level3', type: stack }])
      layer.nestedChanges.set('Level3', [{ action: 'Modify', logicalId: 'Level4', type: stack }])
      layer.nestedChanges.set('Level4', [
        { action: 'Modify', logicalId: 'Orders', type: 'AWS::DynamoDB::Table', replacement: 'True' },
      ])
      const r = await deploy({
        'stack-name': 'deep',
        template: v2,
        regions: 'us-east-1',
        'plan-only': 'true',
      })
      expect(r.failed).toBe(true)
      const [result] = results(r)
      expect(result!.changes[0]).toMatchObject({ logicalId: 'Orders', guard: 'blocked' })
      expect(path(result!.changes[0]!)).toBe('Data/Level2/Level3/Level4/Orders')
      expect(result!.reason).toContain('Data/Level2/Level3/Level4/Orders')
    })

    it('treats a Dynamic change as a possible replacement and reads PolicyAction', async () => {
      const v1 = parent('policy-v1.json', { nested: true, delay: 0 })
      expect((await deploy({ 'stack-name': 'policy', template: v1, regions: 'us-east-1' })).failed).toBe(
        false,
      )
      const v2 = parent('policy-v2.json', { nested: true, delay: 4 })
      layer.reset()
      layer.nestedChanges.set('Data', [
        { action: 'Dynamic', logicalId: 'Orders', type: 'AWS::DynamoDB::Table' },
        { action: 'Remove', logicalId: 'Archive', type: 'AWS::S3::Bucket', policyAction: 'Retain' },
        { action: 'Remove', logicalId: 'Disk', type: 'AWS::EC2::Volume', policyAction: 'Snapshot' },
      ])
      const r = await deploy({
        'stack-name': 'policy',
        template: v2,
        regions: 'us-east-1',
        'plan-only': 'true',
      })
      expect(r.failed).toBe(true)
      const byPath = new Map(results(r)[0]!.changes.map((c) => [path(c), c]))
      expect(byPath.get('Data/Orders')).toMatchObject({ action: 'Dynamic', guard: 'blocked' })
      // A removal that retains the resource loses nothing: reported, not blocked.
      expect(byPath.get('Data/Archive')).toMatchObject({ policyAction: 'Retain' })
      expect(byPath.get('Data/Archive')!.guard).toBeUndefined()
      expect(byPath.get('Data/Disk')).toMatchObject({ policyAction: 'Snapshot', guard: 'blocked' })
      const reason = results(r)[0]!.reason!
      expect(reason).toContain('Data/Orders (AWS::DynamoDB::Table, Dynamic (may be replaced)')
      expect(reason).toContain('Data/Disk (AWS::EC2::Volume, Remove, deleted after a snapshot')
      expect(reason).not.toContain('Archive')
      expect(r.stdout).toContain('Data/Archive [AWS::S3::Bucket] (resource: Retain)')
    })
  })

  describe('names that collide across regions', () => {
    const roleTemplate = (roleName: string) =>
      [
        'Resources:',
        '  Queue:',
        '    Type: AWS::SQS::Queue',
        '  LambdaRole:',
        '    Type: AWS::IAM::Role',
        '    Properties:',
        `      RoleName: ${roleName}`,
        '      AssumeRolePolicyDocument:',
        "        Version: '2012-10-17'",
        '        Statement: []',
        '',
      ].join('\n')

    it('refuses a three-region deploy of a fixed IAM role name before any change set, on its template line', async () => {
      write('fixed-role.yaml', roleTemplate('lambda-role'))
      const r = await deploy({
        'stack-name': 'roles',
        template: 'fixed-role.yaml',
        regions: 'us-east-1, eu-west-1, ap-southeast-2',
      })
      expect(r.failed).toBe(true)
      expect(count('CreateChangeSet')).toBe(0)
      expect(layer.calls).toEqual([])
      expect(r.stdout).toMatch(/^::error file=fixed-role\.yaml,line=4::LambdaRole \(AWS::IAM::Role\)/m)
      expect(r.stdout).toContain("!Sub 'lambda-role-${AWS::Region}'")
      expect(r.errors.join('\n')).toContain("Input 'template'")
    })

    it('lets a name built with ${AWS::Region}, and a single-region deploy, through', async () => {
      write('region-role.yaml', roleTemplate("!Sub 'lambda-role-${AWS::Region}'"))
      write('fixed-role-one.yaml', roleTemplate('lambda-role-one'))
      const regional = await deploy({
        'stack-name': 'roles-regional',
        template: 'region-role.yaml',
        regions: 'us-east-1, eu-west-1',
        'plan-only': 'true',
      })
      expect(regional.errors.join('\n')).not.toContain("Input 'template'")
      expect(count('CreateChangeSet')).toBe(2)
      const single = await deploy({
        'stack-name': 'roles-single',
        template: 'fixed-role-one.yaml',
        regions: 'us-east-1',
        'plan-only': 'true',
      })
      expect(single.errors.join('\n')).not.toContain("Input 'template'")
    })
  })

  it('refuses a parameter value over 4,096 bytes before any request, never quoting it', async () => {
    write(
      'param.yaml',
      'Parameters:\n  Blob:\n    Type: String\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\n',
    )
    const value = 'v'.repeat(4097)
    const r = await deploy({
      'stack-name': 'big-param',
      template: 'param.yaml',
      regions: 'us-east-1',
      parameters: `Blob=${value}`,
    })
    expect(r.failed).toBe(true)
    expect(r.errors.join('\n')).toContain("Input 'parameters'")
    expect(r.errors.join('\n')).toContain('4096 bytes')
    expect(r.stdout).not.toContain(value.slice(0, 100))
    expect(layer.calls).toEqual([])
  })
})
