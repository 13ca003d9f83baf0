/** Where each target's change set reads the template from: the body, or S3 for a large one. */
import { createHash } from 'node:crypto'
import type { S3ClientConfig } from '@aws-sdk/client-s3'
import { errorCode, lazyClientFactory, type AwsClientConfig } from '../../../lib/aws.js'
import { partitionOf } from '../../../lib/regions.js'
import type { Target } from '../../../lib/targets.js'
import type { CloudFormationApi } from './cloudformation-api.js'
import { MAX_TEMPLATE_BODY_BYTES } from '../../../lib/cloudformation-inputs.js'
import type { Settings } from './model.js'
import { templateBucketFor, templateUrl } from './plan.js'

export type TemplateArgs = { TemplateBody: string } | { TemplateURL: string }

/**
 * S3 client for template uploads. A local endpoint (AWS_ENDPOINT_URL) has no
 * bucket host names, so it is addressed path-style; a bucket in another region
 * is found by following S3's redirect. Only a large template needs S3 (and STS,
 * for the bucket owner), so their packages are loaded on the first upload.
 */
async function loadTemplateS3Client() {
  const { S3Client } = await import('@aws-sdk/client-s3')
  return class TemplateS3Client extends S3Client {
    constructor(config: AwsClientConfig) {
      const local = Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL)
      super({ ...config, forcePathStyle: local, followRegionRedirects: true } as S3ClientConfig)
    }
  }
}

export class TemplateProvider {
  private readonly uploads = new Map<string, Promise<string>>()
  private readonly accounts = new Map<string, Promise<string>>()
  private readonly summaries = new Map<string, Promise<string[]>>()
  private readonly s3 = lazyClientFactory(loadTemplateS3Client)
  private readonly sts = lazyClientFactory(async () => (await import('@aws-sdk/client-sts')).STSClient)

  constructor(private readonly settings: Settings) {}

  /** The upload key depends only on the content, so a retried upload writes the same object. */
  key(): string {
    const { template, stackName } = this.settings
    const body = template.kind === 'file' ? template.body : ''
    return `${stackName}/${createHash('sha256').update(body).digest('hex').slice(0, 32)}.template`
  }

  needsUpload(): boolean {
    const { template } = this.settings
    return template.kind === 'file' && template.bytes > MAX_TEMPLATE_BODY_BYTES
  }

  /**
   * Where one target's change set reads its template from: the body, the URL
   * given, or the uploaded copy of a large one. Every change set's template
   * comes from here.
   */
  async forTarget({ region }: Target): Promise<TemplateArgs> {
    const { template, templateBucket } = this.settings
    if (template.kind === 'url') return { TemplateURL: template.url }
    // input-helper refuses a template over the body's limit without a bucket.
    if (!this.needsUpload() || templateBucket === undefined) return { TemplateBody: template.body }
    const bucket = templateBucketFor(templateBucket, region)
    // One lookup and one upload per bucket: a bucket shared by all regions is written once.
    let upload = this.uploads.get(bucket)
    if (!upload) {
      upload = this.upload(bucket, region, template.body)
      this.uploads.set(bucket, upload)
    }
    return { TemplateURL: await upload }
  }

  /**
   * The parameter keys the template declares: read locally from a file; for a
   * template given by URL, from CloudFormation's GetTemplateSummary (once per region).
   */
  declaredParameters({ region }: Target, api: CloudFormationApi): Promise<string[]> {
    const { template } = this.settings
    if (template.kind === 'file') return Promise.resolve(template.parameters)
    let summary = this.summaries.get(region)
    if (!summary) {
      summary = api.templateParameterKeys(template.url)
      this.summaries.set(region, summary)
    }
    return summary
  }

  /**
   * Uploads the template to a bucket of the caller's own account and returns the
   * URL of the object on the bucket's regional endpoint. ExpectedBucketOwner makes
   * S3 refuse a bucket of the same name owned by another account ("If the account
   * ID that you provide does not match the actual owner of the bucket, the request
   * fails with the HTTP status code 403 Forbidden"), so nothing is written there.
   */
  private async upload(bucket: string, region: string, body: string): Promise<string> {
    const owner = await this.callerAccount(region)
    const key = this.key()
    const { HeadBucketCommand, PutObjectCommand } = await import('@aws-sdk/client-s3')
    let bucketRegion: string
    try {
      // HeadBucket answers the bucket's region ("The Region that the bucket is located").
      const head = await (
        await this.s3(region)
      ).send(new HeadBucketCommand({ Bucket: bucket, ExpectedBucketOwner: owner }))
      bucketRegion = head.BucketRegion ?? region
    } catch (error) {
      const code = errorCode(error)
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
      if (status === 403 || code === 'Forbidden' || code === 'AccessDenied')
        throw new Error(
          `template-bucket ${bucket} is not a bucket of account ${owner} (S3 answered 403 to HeadBucket with ExpectedBucketOwner ${owner}); the template was not uploaded`,
        )
      if (status === 404 || code === 'NotFound' || code === 'NoSuchBucket')
        throw new Error(`template-bucket ${bucket} does not exist; the template was not uploaded`)
      throw error
    }
    await (
      await this.s3(bucketRegion)
    ).send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'text/plain',
        ExpectedBucketOwner: owner,
      }),
    )
    return templateUrl(bucket, bucketRegion, key)
  }

  /** The account the credentials act in, looked up once per partition. */
  private callerAccount(region: string): Promise<string> {
    const partition = partitionOf(region) ?? 'aws'
    let account = this.accounts.get(partition)
    if (!account) {
      account = Promise.all([import('@aws-sdk/client-sts'), this.sts(region)])
        .then(([{ GetCallerIdentityCommand }, sts]) => sts.send(new GetCallerIdentityCommand({})))
        .then((answer) => {
          if (!answer.Account) throw new Error('STS GetCallerIdentity answered no account')
          return answer.Account
        })
      this.accounts.set(partition, account)
    }
    return account
  }
}
