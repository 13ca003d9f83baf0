/**
 * deploy-multi-region packaging a template's local artifacts into a bucket of each region: one
 * template with a local code folder and a local nested template (with its own local code) to
 * two regions, through a loopback proxy that records every request and keeps S3's checksums
 * (which moto ignores).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation'
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketVersioningCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3'
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../actions/deploy-multi-region/src/main.js'
import { readCfnYaml } from '../../lib/cfn-yaml.js'
import { runActionInProcess, type ActionRun } from '../support/action-runner.js'
import { startLoopbackProxy, type LoopbackProxy, type ProxyRequest } from '../support/loopback-proxy.js'
import { directClientConfig, localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'
import { packageWorkspace, writeFiles } from '../support/package-fixtures.js'
import { s3ChecksumLayer } from '../support/s3-checksum-layer.js'

const REGIONS = ['us-east-1', 'eu-west-1']
/** The packaged template as the tests read it. */
interface Packaged {
  Resources: {
    Hello: { Properties: { Code: unknown } }
    Worker: { Properties: { TemplateURL: string } }
  }
}
const APP = `AWSTemplateFormatVersion: '2010-09-09'
Resources:
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
  Worker:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: nested/worker.yaml
      Parameters:
        RoleArn: !GetAtt Role.Arn
`
const WORKER = `Parameters:
  RoleArn:
    Type: String
Resources:
  WorkerFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: !Ref RoleArn
      Code: ../functions/worker
`

describe('deploy-multi-region: local artifacts packaged into every region', () => {
  let moto: MotoServer
  let proxy: LoopbackProxy
  let workspace: string
  let env: Record<string, string>
  let seen: ProxyRequest[] = []

  beforeAll(async () => {
    moto = await startMoto()
    const checksums = s3ChecksumLayer()
    proxy = await startLoopbackProxy(moto.endpoint, async (req, forward) => {
      seen.push(req)
      return checksums.handle(req, forward)
    })
    for (const region of REGIONS) {
      const s3 = new S3Client({ ...directClientConfig(moto.endpoint, region), forcePathStyle: true })
      const Bucket = `artifacts-123456789012-${region}`
      await s3.send(
        new CreateBucketCommand({
          Bucket,
          ...(region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      )
      await s3.send(
        new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }),
      )
      s3.destroy()
    }
    workspace = packageWorkspace('dmr-package-')
    writeFiles(workspace, {
      'app.yaml': APP,
      'nested/worker.yaml': WORKER,
      'escapes.yaml': APP.replace('Code: functions/hello', 'Code: ../../etc'),
      'missing.yaml': APP.replace('Code: functions/hello', 'Code: functions/nothing-here'),
      'linked-out.yaml': APP.replace('Code: functions/hello', 'Code: linked-out'),
      'too-big.yaml': APP.replace('Code: functions/hello', 'Code: too-big'),
    })
    symlinkSync(tmpdir(), join(workspace, 'linked-out'))
    mkdirSync(join(workspace, 'too-big'))
    // A sparse file over Lambda's 250 MB unzipped quota: its size counts, no disk is used.
    writeFileSync(join(workspace, 'too-big/blob.bin'), '')
    truncateSync(join(workspace, 'too-big/blob.bin'), 262_144_001)
    env = { ...localAwsEnv(proxy.endpoint), GITHUB_WORKSPACE: workspace }
  }, 60_000)
  afterAll(async () => {
    await proxy?.close()
    await moto?.stop()
  })
  beforeEach(() => {
    seen = []
  })

  const deploy = (inputs: Record<string, string>) =>
    runActionInProcess(
      run,
      {
        'stack-name': 'app',
        template: 'app.yaml',
        regions: REGIONS.join(','),
        'artifact-bucket': 'artifacts-{account}-{region}',
        'artifact-prefix': 'app',
        drift: 'off',
        ...inputs,
      },
      env,
    )
  const results = (r: ActionRun) =>
    JSON.parse(r.outputs.results ?? '[]') as Array<{ region: string; status: string; reason?: string }>
  const s3Puts = () => seen.filter((r) => r.service === 's3' && r.method === 'PUT')
  const templateBodies = () =>
    new Map(
      seen
        .filter((r) => r.operation === 'CreateChangeSet')
        .map((r) => [r.region, JSON.parse(r.params.get('TemplateBody')!) as Packaged]),
    )

  async function nestedTemplate(url: string, region: string): Promise<string> {
    const match = /^https:\/\/([^.]+)\.s3\.[a-z0-9-]+\.amazonaws\.com\/([^?]+)\?versionId=(.+)$/.exec(url)!
    const s3 = new S3Client({ ...directClientConfig(moto.endpoint, region), forcePathStyle: true })
    try {
      const answer = await s3.send(
        new GetObjectCommand({ Bucket: match[1], Key: decodeURIComponent(match[2]!), VersionId: match[3] }),
      )
      return await answer.Body!.transformToString()
    } finally {
      s3.destroy()
    }
  }

  it('deploys two regions, each reading only its own bucket, the nested template and its code packaged too', async () => {
    const r = await deploy({})
    expect(r.errors).toEqual([])
    expect(results(r).map((x) => x.status)).toEqual(['created', 'created'])
    const bodies = templateBodies()
    for (const region of REGIONS) {
      const own = `artifacts-123456789012-${region}`
      const other = `artifacts-123456789012-${REGIONS.find((x) => x !== region)}`
      const body = bodies.get(region)!
      expect(body.Resources.Hello.Properties.Code).toEqual({
        S3Bucket: own,
        S3Key: expect.stringMatching(/^app\/[0-9a-f]{64}$/),
        S3ObjectVersion: expect.any(String),
      })
      const url = body.Resources.Worker.Properties.TemplateURL
      expect(url).toMatch(
        new RegExp(
          `^https://${own}\\.s3\\.${region}\\.amazonaws\\.com/app/[0-9a-f]{64}\\.template\\?versionId=`,
        ),
      )
      const nested = await nestedTemplate(url, region)
      expect(
        (JSON.parse(nested) as { Resources: { WorkerFunction: { Properties: { Code: unknown } } } }).Resources
          .WorkerFunction.Properties.Code,
      ).toMatchObject({ S3Bucket: own })
      expect(JSON.stringify(body) + nested).not.toContain(other)
      expect(r.stdout).toContain(`Packaged into s3://${own}/app: 3 object(s), 3 uploaded`)
    }
    expect(r.stdout).toContain('Packaged app.yaml locally in')
    expect(r.stdout).toMatch(/2 artifact\(s\), \d+ bytes, 1 nested template\(s\)/)
    expect(r.summary).toContain('### Packaged artifacts')
    expect(r.summary).toMatch(/\| us-east-1 \| 3 \| 3 \| \d+ \| 0 \|/)
    // Two zips and the nested template, in each region; every put to the caller's own bucket.
    expect(s3Puts()).toHaveLength(6)
    expect(s3Puts().every((p) => p.headers['x-amz-expected-bucket-owner'] === '123456789012')).toBe(true)
  })

  it('a rerun with nothing changed uploads nothing and every region is unchanged', async () => {
    const r = await deploy({})
    expect(results(r).map((x) => x.status)).toEqual(['unchanged', 'unchanged'])
    expect(s3Puts()).toEqual([])
    for (const region of REGIONS)
      expect(r.stdout).toContain(
        `Packaged into s3://artifacts-123456789012-${region}/app: 3 object(s), 0 uploaded (0 bytes), 3 already there`,
      )
  })

  it('a code change uploads one object per region and changes only that function', async () => {
    const before = await deploy({}).then(() => templateBodies())
    seen = []
    writeFileSync(
      join(workspace, 'functions/hello/app.py'),
      'def handler(event, context):\n    return "changed"\n',
    )
    const r = await deploy({})
    expect(r.errors).toEqual([])
    expect(s3Puts()).toHaveLength(2)
    expect(new Set(s3Puts().map((p) => p.path.split('/')[1]))).toEqual(
      new Set(REGIONS.map((region) => `artifacts-123456789012-${region}`)),
    )
    const after = templateBodies()
    for (const region of REGIONS) {
      const [was, now] = [before.get(region)!, after.get(region)!]
      expect(now.Resources.Hello.Properties.Code).not.toEqual(was.Resources.Hello.Properties.Code)
      now.Resources.Hello.Properties.Code = was.Resources.Hello.Properties.Code
      expect(now).toEqual(was)
    }
  })

  it('apply refuses a plan whose sources no longer package to the same bytes, and executes one that does', async () => {
    const code = join(workspace, 'functions/worker/app.py')
    writeFileSync(code, 'def handler(event, context):\n    return "planned"\n')
    const plan = await deploy({ mode: 'plan', plan: 'app.plan.json' })
    expect(plan.errors).toEqual([])
    writeFileSync(code, 'def handler(event, context):\n    return "edited after review"\n')
    seen = []
    const refused = await deploy({ mode: 'apply', plan: 'app.plan.json' })
    expect(refused.failed).toBe(true)
    for (const r of results(refused))
      expect(r.reason).toMatch(/the template in the workspace .* is not the planned one/)
    expect(seen.filter((q) => q.operation === 'ExecuteChangeSet')).toEqual([])
    expect(s3Puts()).toEqual([])
    writeFileSync(code, 'def handler(event, context):\n    return "planned"\n')
    seen = []
    const applied = await deploy({ mode: 'apply', plan: 'app.plan.json' })
    expect(applied.errors).toEqual([])
    expect(seen.filter((q) => q.operation === 'ExecuteChangeSet')).toHaveLength(2)
  })

  it('artifact-bucket: auto makes one encrypted, versioned, private, TLS-only bucket stack per region and reuses it', async () => {
    const r = await deploy({ 'stack-name': 'auto-app', 'artifact-bucket': 'auto' })
    expect(r.errors).toEqual([])
    expect(results(r).map((x) => x.status)).toEqual(['created', 'created'])
    const creates = seen.filter((q) => q.operation === 'CreateStack')
    expect(creates.map((q) => [q.region, q.params.get('StackName')]).sort()).toEqual([
      ['eu-west-1', 'multi-region-actions-artifacts'],
      ['us-east-1', 'multi-region-actions-artifacts'],
    ])
    // moto makes the bucket but applies none of its settings: what the stack asks for is checked
    // in the request, as CloudFormation would apply it.
    const template = readCfnYaml(creates[0]!.params.get('TemplateBody')!) as {
      Resources: {
        Bucket: { Properties: Record<string, unknown>; DeletionPolicy: string }
        BucketPolicy: unknown
      }
    }
    expect(template.Resources.Bucket.DeletionPolicy).toBe('Retain')
    expect(template.Resources.Bucket.Properties).toEqual({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'ExpireOldVersions',
            Status: 'Enabled',
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
        ],
      },
    })
    expect(JSON.stringify(template.Resources.BucketPolicy)).toContain('"aws:SecureTransport":"false"')
    const bodies = templateBodies()
    for (const region of REGIONS) {
      const cfn = new CloudFormationClient(directClientConfig(moto.endpoint, region))
      try {
        const stack = (
          await cfn.send(new DescribeStacksCommand({ StackName: 'multi-region-actions-artifacts' }))
        ).Stacks![0]!
        const Bucket = stack.Outputs!.find((o) => o.OutputKey === 'BucketName')!.OutputValue!
        expect(bodies.get(region)!.Resources.Hello.Properties.Code).toMatchObject({ S3Bucket: Bucket })
      } finally {
        cfn.destroy()
      }
    }
    seen = []
    const again = await deploy({ 'stack-name': 'auto-app', 'artifact-bucket': 'auto' })
    expect(results(again).map((x) => x.status)).toEqual(['unchanged', 'unchanged'])
    expect(seen.filter((q) => q.operation === 'CreateStack')).toEqual([])
    expect(s3Puts()).toEqual([])
  })

  it.each([
    [
      'a path out of the workspace',
      { template: 'escapes.yaml' },
      /Input 'template'.*Resources\.Hello\.Properties\.Code \(Hello\): "\.\.\/\.\.\/etc" leaves the workspace/,
    ],
    [
      'a missing path',
      { template: 'missing.yaml' },
      /Resources\.Hello\.Properties\.Code \(Hello\): "functions\/nothing-here" does not exist/,
    ],
    [
      'a symbolic link out of the workspace',
      { template: 'linked-out.yaml' },
      /Resources\.Hello\.Properties\.Code \(Hello\): "linked-out" is a symbolic link that leads out of the workspace/,
    ],
    [
      'an artifact over the service limit',
      { template: 'too-big.yaml' },
      /Resources\.Hello\.Properties\.Code \(Hello\): "too-big" has 262144001 bytes unzipped, over Lambda's 250 MB/,
    ],
    [
      'local artifacts without artifact-bucket',
      { 'artifact-bucket': '' },
      /Input 'artifact-bucket'.*local artifacts app\.yaml names \(Resources\.Hello\.Properties\.Code, Resources\.Worker\.Properties\.TemplateURL\)/,
    ],
    [
      'template-bucket naming another bucket',
      { 'template-bucket': 'elsewhere' },
      /Input 'template-bucket'.*older name/,
    ],
  ])('%s fails as bad input before any request', async (_name, inputs, message) => {
    const r = await deploy(inputs)
    expect(r.failed).toBe(true)
    expect(r.errors.join('\n')).toMatch(message)
    expect(seen).toEqual([])
  })
})
