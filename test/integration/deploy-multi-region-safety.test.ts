import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  ListChangeSetsCommand,
} from '@aws-sdk/client-cloudformation'
import {
  CreateBucketCommand,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runPost, CLEANUP_STATE } from '../../actions/deploy-multi-region/src/cleanup.js'
import { run } from '../../actions/deploy-multi-region/src/main.js'
import { runActionInProcess, type ActionRun } from '../support/action-runner.js'
import {
  startTerminationProtectionLayer,
  type TerminationProtectionLayer,
} from '../support/cfn-termination-protection.js'
import { queryErrorReply, type ProxyReply, type ProxyRequest } from '../support/loopback-proxy.js'
import { localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'
import { bucketOwnerCheck } from '../support/s3-bucket-owner.js'

const SAMPLE = readFileSync(resolve(import.meta.dirname, '../../templates/sample-queue.yaml'), 'utf8')

describe('deploy-multi-region: protection, cancellation, cleanup, large templates', () => {
  let moto: MotoServer
  let layer: TerminationProtectionLayer
  let env: Record<string, string>
  let workspace: string
  /** Called for each request that passed through the layer; lets a test act mid-run. */
  let onRequest: (req: ProxyRequest) => void = () => {}
  /** Lets a test answer a request itself (after or instead of moto), like a fault on the wire. */
  let intercept:
    ((req: ProxyRequest, forward: () => Promise<ProxyReply>) => Promise<ProxyReply | 'drop'>) | undefined

  beforeAll(async () => {
    moto = await startMoto()
    layer = await startTerminationProtectionLayer(
      moto.endpoint,
      (req) => onRequest(req),
      (req, forward) => (intercept ? intercept(req, forward) : undefined),
    )
    workspace = mkdtempSync(join(tmpdir(), 'dmr-workspace-'))
    writeFileSync(join(workspace, 'stack.yaml'), SAMPLE)
    // Comments keep the template valid while taking it past the 51,200-byte TemplateBody limit.
    writeFileSync(
      join(workspace, 'large.yaml'),
      `${SAMPLE}\n${'# padding to exceed the inline template size limit\n'.repeat(1200)}`,
    )
    // Invalid YAML (an unclosed flow sequence): CloudFormation would refuse it on every attempt.
    writeFileSync(join(workspace, 'broken.yaml'), 'Resources:\n  Queue:\n    Type: [AWS::SQS::Queue\n')
    env = { ...localAwsEnv(layer.endpoint), GITHUB_WORKSPACE: workspace }
  })
  afterAll(async () => {
    await layer.close()
    await moto.stop()
  })
  afterEach(() => {
    onRequest = () => {}
    intercept = undefined
  })

  const deploy = (inputs: Record<string, string>, extraEnv: Record<string, string> = {}) =>
    runActionInProcess(run, { template: 'stack.yaml', ...inputs }, { ...env, ...extraEnv })
  const results = (r: ActionRun) =>
    JSON.parse(r.outputs.results ?? '[]') as Array<{ region: string; status: string; reason?: string }>
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
  const describe1 = (region: string, stackName: string) =>
    sdk(
      async () => (await cfn(region).send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0],
    ).catch(() => undefined)
  const openChangeSets = (region: string, stackName: string) =>
    sdk(async () => {
      const answer = await cfn(region).send(new ListChangeSetsCommand({ StackName: stackName }))
      return (answer.Summaries ?? []).filter(
        (s) => s.StackName === stackName && s.ExecutionStatus === 'AVAILABLE',
      )
    })

  it('really enables termination protection, which then blocks deletion, and disables it again', async () => {
    // Every parameter given at create: moto decides "no changes" against the parameters a stack
    // was created with, and the rerun sends the ones it leaves out as UsePreviousValue.
    const r = await deploy({
      'stack-name': 'guarded',
      regions: 'us-east-1,eu-west-1',
      'termination-protection': 'true',
      parameters: 'Environment=demo, QueueName=, FifoQueue=false',
    })
    expect(r.failed).toBe(false)
    expect(r.warnings).toEqual([])
    for (const region of ['us-east-1', 'eu-west-1']) {
      expect((await describe1(region, 'guarded'))?.EnableTerminationProtection).toBe(true)
    }
    await expect(
      sdk(() => cfn('eu-west-1').send(new DeleteStackCommand({ StackName: 'guarded' }))),
    ).rejects.toThrow(/cannot be deleted while TerminationProtection is enabled/)
    // A rerun with nothing to change still brings the setting in line, once.
    const again = await deploy({
      'stack-name': 'guarded',
      regions: 'us-east-1,eu-west-1',
      'termination-protection': 'false',
    })
    expect(results(again).map((x) => x.status)).toEqual(['unchanged', 'unchanged'])
    expect((await describe1('eu-west-1', 'guarded'))?.EnableTerminationProtection).toBe(false)
    expect(again.stdout).toContain('[eu-west-1] Termination protection disabled.')
  })

  it('on SIGINT starts no new region, reports the one in progress and leaves no change set behind', async () => {
    let sent = false
    onRequest = (req) => {
      // The second region's change set has just been requested: cancel the job now.
      if (req.operation === 'CreateChangeSet' && req.region === 'eu-west-1' && !sent) {
        sent = true
        setImmediate(() => process.emit('SIGINT', 'SIGINT'))
      }
    }
    layer.resetStats()
    const r = await deploy({
      'stack-name': 'interrupted',
      regions: 'us-east-1,eu-west-1,ap-southeast-2',
      'max-parallel': '1',
    })
    expect(sent).toBe(true)
    expect(r.failed).toBe(true)
    const [first, second, third] = results(r)
    expect(first).toMatchObject({ region: 'us-east-1', status: 'created' })
    expect(second).toMatchObject({ region: 'eu-west-1', status: 'skipped' })
    expect(third).toMatchObject({
      region: 'ap-southeast-2',
      status: 'skipped',
      reason: 'cancelled before it started',
    })
    expect(r.warnings.some((w) => /Received SIGINT/.test(w))).toBe(true)
    expect(
      r.warnings.some((w) => /^\[eu-west-1\] Cancelled while in progress: creating change set/.test(w)),
    ).toBe(true)
    expect(await openChangeSets('eu-west-1', 'interrupted')).toEqual([])
    expect(await describe1('ap-southeast-2', 'interrupted')).toBeUndefined()
    expect(layer.stats.byOperation.get('ExecuteChangeSet')).toBe(1)
    expect(r.errors.some((e) => /^Cancelled/.test(e))).toBe(true)
    // The post step finds the run's state and nothing left to delete.
    expect(r.state[CLEANUP_STATE]).toContain('"stackName":"interrupted"')
  })

  it('survives lost replies to CreateChangeSet and ExecuteChangeSet without doing anything twice', async () => {
    const seen = new Map<string, number>()
    intercept = async (req, forward) => {
      const n = (seen.get(req.operation) ?? 0) + 1
      seen.set(req.operation, n)
      if (req.operation === 'CreateChangeSet') {
        // First attempt: carried out, reply lost. The SDK's retry meets AWS's answer for a name in use.
        if (n === 1) return forward().then(() => 'drop' as const)
        return queryErrorReply(
          400,
          'AlreadyExistsException',
          `ChangeSet ${req.params.get('ChangeSetName')} already exists`,
        )
      }
      if (req.operation === 'ExecuteChangeSet') {
        if (n === 1) return forward().then(() => 'drop' as const)
        return queryErrorReply(
          400,
          'InvalidChangeSetStatus',
          'ChangeSet cannot be executed in its current status of [EXECUTE_COMPLETE]',
        )
      }
      return forward()
    }
    const r = await deploy({ 'stack-name': 'lossy', regions: 'us-west-2' })
    expect(r.failed).toBe(false)
    expect(results(r)[0]).toMatchObject({ status: 'created' })
    expect(seen.get('CreateChangeSet')).toBe(2)
    expect(seen.get('ExecuteChangeSet')).toBe(2)
    expect(r.stdout).toContain('already exists (an earlier attempt of the call went through)')
    expect(r.stdout).toContain('already executing (an earlier attempt of the call went through)')
    const stacks = await sdk(
      async () => (await cfn('us-west-2').send(new DescribeStacksCommand({}))).Stacks ?? [],
    )
    expect(stacks.filter((st) => st.StackName === 'lossy')).toHaveLength(1)
  })

  it('the post step deletes change sets of the run that were never executed', async () => {
    const token = 'deploy-42-1-abcd'
    await sdk(() =>
      cfn('eu-west-1').send(
        new CreateChangeSetCommand({
          StackName: 'killed',
          ChangeSetName: `${token}-eu-west-1`,
          ChangeSetType: 'CREATE',
          TemplateBody: SAMPLE,
        }),
      ),
    )
    expect(await openChangeSets('eu-west-1', 'killed')).toHaveLength(1)
    const state = JSON.stringify({ token, stackName: 'killed', regions: ['eu-west-1', 'us-west-2'] })
    const r = await runActionInProcess(runPost, {}, { ...env, [`STATE_${CLEANUP_STATE}`]: state })
    expect(r.failed).toBe(false)
    expect(r.stdout).toContain(`[eu-west-1] Deleted change set(s) left by the run: ${token}-eu-west-1`)
    expect(await openChangeSets('eu-west-1', 'killed')).toEqual([])
  })

  it('plan-only names its change set gate-…, sends no DeleteStack and says how its review stack goes', async () => {
    const sent: ProxyRequest[] = []
    onRequest = (req) => {
      if (req.service === 'cloudformation') sent.push(req)
    }
    const r = await deploy({ 'stack-name': 'preview-alone', regions: 'eu-west-1', 'plan-only': 'true' })
    expect(r.failed).toBe(false)
    expect(results(r)[0]).toMatchObject({ status: 'planned' })
    // The pull-request gate role may create, describe and delete only change sets named gate-*.
    const named = sent.flatMap((q) => {
      const name = q.params.get('ChangeSetName')
      return name ? [name.replace(/^arn:.*:changeSet\/([^/]+)\/.*$/, '$1')] : []
    })
    expect(named.length).toBeGreaterThan(0)
    for (const name of named) expect(name).toMatch(/^gate-deploy-/)
    expect(sent.map((q) => q.operation)).not.toContain('DeleteStack')
    expect(sent.map((q) => q.operation)).toContain('DeleteChangeSet')
    expect((await describe1('eu-west-1', 'preview-alone'))?.StackStatus).toBe('REVIEW_IN_PROGRESS')
    expect(r.stdout).toContain(
      '[eu-west-1] Left the review stack preview-alone (REVIEW_IN_PROGRESS, no resources) in eu-west-1: the next deploy or plan of the stack removes it',
    )
    expect(r.summary).toContain('### Review stacks left')
    expect(r.summary).toContain(
      '`aws cloudformation delete-stack --stack-name preview-alone --region eu-west-1`',
    )
  })

  describe('a failed create deletes only the REVIEW_IN_PROGRESS stack it made, read again first', () => {
    /** A deploy of a new stack whose change set FAILED, so the run discards what it made. */
    const failedCreate = async (
      stackName: string,
      then?: (req: ProxyRequest, reply: ProxyReply) => ProxyReply,
    ) => {
      const sent: string[] = []
      onRequest = (req) => {
        if (req.service === 'cloudformation') sent.push(req.operation)
      }
      intercept = async (req, forward) => {
        const reply = await forward()
        if (reply.status !== 200) return reply
        if (req.operation === 'DescribeChangeSet') {
          const body = reply
            .body!.toString()
            .replace(/<Status>[^<]*</, '<Status>FAILED<')
            .replace('</Status>', '</Status><StatusReason>Template format error</StatusReason>')
          return { ...reply, body }
        }
        return then ? then(req, reply) : reply
      }
      const r = await deploy({ 'stack-name': stackName, regions: 'eu-west-1' })
      return { r, sent }
    }

    it('deletes its own review stack when nothing else touched it', async () => {
      const { r, sent } = await failedCreate('review-alone')
      expect(r.failed).toBe(true)
      expect(sent.filter((o) => o === 'DeleteStack')).toHaveLength(1)
      // Read again (DescribeStacks, ListChangeSets) between deleting the change set and the stack.
      const tail = sent.slice(sent.indexOf('DeleteChangeSet'))
      expect(tail.slice(0, 4)).toEqual(['DeleteChangeSet', 'DescribeStacks', 'ListChangeSets', 'DeleteStack'])
      const left = await describe1('eu-west-1', 'review-alone')
      expect(left === undefined || left.StackStatus === 'DELETE_COMPLETE').toBe(true)
    })

    it('leaves the stack when another run added a change set to it meanwhile', async () => {
      const { r, sent } = await failedCreate('review-shared', (req, reply) => {
        if (req.operation !== 'ListChangeSets') return reply
        // Another run's CREATE change set on the same REVIEW_IN_PROGRESS stack (AWS adds it to
        // that stack; moto would make a second stack of the same name instead).
        const stackId = req.params.get('StackName')!
        const other = [
          `<StackId>${stackId}</StackId><StackName>review-shared</StackName>`,
          `<ChangeSetId>${stackId.replace(/:stack\/.*/, ':changeSet/pr-41-preview/0000')}</ChangeSetId>`,
          '<ChangeSetName>pr-41-preview</ChangeSetName><ExecutionStatus>AVAILABLE</ExecutionStatus>',
          '<Status>CREATE_COMPLETE</Status><CreationTime>2026-12-01T12:00:00Z</CreationTime>',
        ].join('')
        const body = reply.body!.toString()
        const withOther = body.includes('<Summaries>')
          ? body.replace('<Summaries>', `<Summaries><member>${other}</member>`)
          : body.replace(
              '<ListChangeSetsResult>',
              `<ListChangeSetsResult><Summaries><member>${other}</member></Summaries>`,
            )
        return { ...reply, body: withOther }
      })
      expect(r.failed).toBe(true)
      expect(sent).not.toContain('DeleteStack')
      expect(r.warnings.some((w) => /\[eu-west-1\] Left stack .* pr-41-preview/.test(w))).toBe(true)
      expect((await describe1('eu-west-1', 'review-shared'))?.StackStatus).toBe('REVIEW_IN_PROGRESS')
    })

    it('leaves the stack when another run executed its change set meanwhile', async () => {
      let executedElsewhere = false
      const { r, sent } = await failedCreate('review-raced', (req, reply) => {
        if (req.operation === 'DeleteChangeSet') executedElsewhere = true
        if (!executedElsewhere || req.operation !== 'DescribeStacks') return reply
        const body = reply.body!.toString().replace(/<StackStatus>[^<]*</, '<StackStatus>CREATE_IN_PROGRESS<')
        return { ...reply, body }
      })
      expect(r.failed).toBe(true)
      expect(sent).not.toContain('DeleteStack')
      expect(r.stdout).toMatch(/\[eu-west-1\] Left stack .* CREATE_IN_PROGRESS now/)
    })
  })

  it('reports no stack for a region whose failed create left only a stack it then deleted', async () => {
    intercept = async (req, forward) => {
      const reply = await forward()
      if (req.operation !== 'DescribeChangeSet' || reply.status !== 200) return reply
      const body = reply
        .body!.toString()
        .replace(/<Status>[^<]*</, '<Status>FAILED<')
        .replace(
          '</Status>',
          '</Status><StatusReason>Template format error: Unresolved resource dependencies [Missing] in the Resources block of the template</StatusReason>',
        )
      return { ...reply, body }
    }
    const r = await deploy({ 'stack-name': 'failed-create', regions: 'us-west-2' })
    expect(r.failed).toBe(true)
    const [result] = JSON.parse(r.outputs.results!) as Array<{ status: string; stackId: string | null }>
    expect(result).toMatchObject({ status: 'failed', stackId: null })
    expect(JSON.parse(r.outputs['stack-ids']!)).toEqual({})
    expect(JSON.parse(r.outputs.outputs!)).toEqual({})
    const left = await describe1('us-west-2', 'failed-create')
    expect(left === undefined || left.StackStatus === 'DELETE_COMPLETE').toBe(true)
  })

  it('uploads a template over 51,200 bytes to the region bucket and deploys it from S3', async () => {
    for (const region of ['us-east-1', 'eu-west-1']) {
      await sdk(() =>
        new S3Client({ region, forcePathStyle: true, maxAttempts: 1 }).send(
          new CreateBucketCommand({
            Bucket: `cfn-templates-${region}`,
            ...(region === 'us-east-1'
              ? {}
              : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
          }),
        ),
      )
    }
    const templateUrls: string[] = []
    onRequest = (req) => {
      if (req.operation === 'CreateChangeSet') {
        expect(req.params.get('TemplateBody')).toBeNull()
        templateUrls.push(req.params.get('TemplateURL') ?? '')
      }
    }
    layer.resetStats()
    const r = await deploy({
      'stack-name': 'large',
      template: 'large.yaml',
      regions: 'us-east-1,eu-west-1',
      'template-bucket': 'cfn-templates-{region}',
    })
    expect(r.failed).toBe(false)
    expect(results(r).map((x) => x.status)).toEqual(['created', 'created'])
    expect(templateUrls.sort()).toEqual([
      expect.stringMatching(
        /^https:\/\/cfn-templates-eu-west-1\.s3\.eu-west-1\.amazonaws\.com\/large\/[0-9a-f]{32}\.template$/,
      ),
      expect.stringMatching(/^https:\/\/cfn-templates-us-east-1\.s3\.us-east-1\.amazonaws\.com\/large\//),
    ])
    const puts = [...layer.stats.byOperation.keys()].filter((k) => k.startsWith('PUT /cfn-templates-'))
    expect(puts).toHaveLength(2)
  })

  it('refuses a template that does not parse before any request, leaving no stack behind', async () => {
    layer.resetStats()
    const r = await deploy({
      'stack-name': 'broken',
      template: 'broken.yaml',
      regions: 'us-east-1,eu-west-1',
    })
    expect(r.failed).toBe(true)
    expect(r.errors[0]).toMatch(/^Input 'template': "broken\.yaml" is not valid.*does not parse/)
    expect(layer.stats.total).toBe(0)
    for (const region of ['us-east-1', 'eu-west-1']) expect(await describe1(region, 'broken')).toBeUndefined()
  })

  const createBucket = (bucket: string, region: string) =>
    sdk(() =>
      new S3Client({ region, forcePathStyle: true, maxAttempts: 1 }).send(
        new CreateBucketCommand({
          Bucket: bucket,
          ...(region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      ),
    )

  it("addresses a shared bucket on its own region's endpoint, looked up once, and uploads once", async () => {
    await createBucket('shared-templates', 'eu-west-1')
    const seen: Array<{ op: string; url?: string; owner?: string }> = []
    onRequest = (req) => {
      if (req.operation === 'CreateChangeSet')
        seen.push({ op: 'CreateChangeSet', url: req.params.get('TemplateURL') ?? '' })
      if (req.service === 's3' || req.service === 'sts')
        seen.push({
          op: `${req.service} ${req.method}`,
          owner: String(req.headers['x-amz-expected-bucket-owner']),
        })
    }
    const r = await deploy({
      'stack-name': 'shared-large',
      template: 'large.yaml',
      regions: 'us-east-1,us-west-2',
      'template-bucket': 'shared-templates',
    })
    expect(r.failed).toBe(false)
    const urls = seen.filter((s) => s.op === 'CreateChangeSet').map((s) => s.url)
    expect(urls).toHaveLength(2)
    for (const url of urls)
      expect(url).toMatch(
        /^https:\/\/shared-templates\.s3\.eu-west-1\.amazonaws\.com\/shared-large\/[0-9a-f]{32}\.template$/,
      )
    expect(seen.filter((s) => s.op === 'sts POST')).toHaveLength(1)
    expect(seen.filter((s) => s.op === 's3 HEAD')).toEqual([{ op: 's3 HEAD', owner: '123456789012' }])
    expect(seen.filter((s) => s.op === 's3 PUT')).toEqual([{ op: 's3 PUT', owner: '123456789012' }])
  })

  it.each([
    ['China', 'cn-north-1', 'cn-northwest-1', 'amazonaws\\.com\\.cn'],
    ['GovCloud', 'us-gov-west-1', 'us-gov-east-1', 'amazonaws\\.com'],
  ])(
    'addresses the bucket on its regional endpoint in the %s partition',
    async (_name, stackRegion, bucketRegion, suffix) => {
      const bucket = `templates-${bucketRegion}`
      await createBucket(bucket, bucketRegion)
      const urls: string[] = []
      onRequest = (req) => {
        if (req.operation === 'CreateChangeSet') urls.push(req.params.get('TemplateURL') ?? '')
      }
      const r = await deploy({
        'stack-name': `partition-${stackRegion}`,
        template: 'large.yaml',
        regions: stackRegion,
        'template-bucket': bucket,
      })
      expect(urls).toEqual([
        expect.stringMatching(new RegExp(`^https://${bucket}\\.s3\\.${bucketRegion}\\.${suffix}/`)),
      ])
      expect(r.failed).toBe(false)
    },
  )

  it('executes nothing when the uploaded template object was swapped before the change set read it', async () => {
    await sdk(() =>
      new S3Client({ region: 'us-east-1', forcePathStyle: true, maxAttempts: 1 }).send(
        new CreateBucketCommand({ Bucket: 'swapped-templates' }),
      ),
    )
    const sent: string[] = []
    intercept = async (req, forward) => {
      if (req.service === 'cloudformation') sent.push(req.operation)
      if (req.operation === 'CreateChangeSet') {
        // Someone with write access to the bucket replaces the object the deploy just uploaded.
        const [, bucket, key] = /^https:\/\/([^.]+)\.s3[.-][^/]*\/(.+)$/.exec(req.params.get('TemplateURL')!)!
        await sdk(() =>
          new S3Client({ region: 'us-east-1', forcePathStyle: true, maxAttempts: 1 }).send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              // Any change will do: here a comment, so the stack would deploy as well.
              Body: `${SAMPLE}\n# swapped after upload\n`,
            }),
          ),
        )
      }
      return forward()
    }
    const r = await deploy({
      'stack-name': 'swapped',
      template: 'large.yaml',
      regions: 'us-east-1',
      'template-bucket': 'swapped-templates',
    })
    expect(r.failed).toBe(true)
    expect(sent).toContain('GetTemplate')
    expect(sent).not.toContain('ExecuteChangeSet')
    expect(results(r)[0]!.reason).toMatch(
      /the template behind change set .* is not the one this run uploaded .* was changed after the upload; nothing was executed/,
    )
  })

  it('refuses a template bucket owned by another account and never writes to it', async () => {
    await createBucket('someone-elses-templates', 'us-east-1')
    const check = bucketOwnerCheck(new Map([['someone-elses-templates', '210987654321']]))
    const reached: string[] = []
    intercept = async (req, forward) => {
      const refused = check(req)
      if (refused) return refused
      reached.push(`${req.service} ${req.method} ${req.operation}`)
      return forward()
    }
    const r = await deploy({
      'stack-name': 'sniped',
      template: 'large.yaml',
      regions: 'us-east-1',
      'template-bucket': 'someone-elses-templates',
    })
    expect(r.failed).toBe(true)
    expect(JSON.parse(r.outputs.results!)[0]).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(
        /template-bucket someone-elses-templates is not a bucket of account 123456789012/,
      ),
    })
    expect(reached.filter((x) => x.startsWith('s3 PUT'))).toEqual([])
    expect(reached.filter((x) => x.endsWith('CreateChangeSet'))).toEqual([])
  })
})
