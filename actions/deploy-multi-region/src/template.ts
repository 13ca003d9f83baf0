/** Where each region's change set reads the template from: the body, or S3 for a large one. */
import { createHash } from 'node:crypto'
import * as core from '@actions/core'
import { CloudFormationClient, GetTemplateSummaryCommand } from '@aws-sdk/client-cloudformation'
import type { S3ClientConfig } from '@aws-sdk/client-s3'
import { clientFactory, errorCode, lazyClientFactory, type AwsClientConfig } from '../../../lib/aws.js'
import { workspaceRoot } from '../../../lib/files.js'
import type { RegionLog } from '../../../lib/log.js'
import type { AccountCredentials } from '../../../lib/aws.js'
import type { LocalPackage, UploadCounts, UploadedPackage } from '../../../lib/package/index.js'
import { partitionOf } from '../../../lib/regions.js'
import { MAX_TEMPLATE_BODY_BYTES, type Settings } from './input-helper.js'
import { templateBucketFor, templateUrl } from './plan.js'
import { templateSha256 } from './plan-file.js'

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
  private readonly packaged = new Map<string, Promise<UploadedPackage>>()
  private readonly counts = new Map<string, UploadCounts>()
  private readonly autoBuckets = new Map<string, Promise<string>>()
  private readonly cfn = clientFactory(CloudFormationClient)
  private localPackage?: LocalPackage

  constructor(private readonly settings: Settings) {}

  /**
   * The local phase of packaging, before any AWS call: a template naming local artifacts has them
   * checked and zipped once here (bad paths are an InputError naming resource and property). The
   * packaging code is loaded only for such a template.
   */
  async prepare(): Promise<void> {
    const { template } = this.settings
    if (template.kind !== 'file' || !template.localArtifacts?.length) return
    const { packageTemplate } = await import('../../../lib/package/index.js')
    const started = Date.now()
    this.localPackage = await packageTemplate(template.path, workspaceRoot(), { input: 'template' })
    const { artifacts, nestedTemplates } = this.localPackage
    const bytes = artifacts.reduce((sum, a) => sum + a.bytes, 0)
    core.info(
      `Packaged ${template.input} locally in ${((Date.now() - started) / 1000).toFixed(1)} s: ${artifacts.length} artifact(s), ${bytes} bytes, ${nestedTemplates} nested template(s); uploading to each region's artifact-bucket`,
    )
  }

  /**
   * What a plan records and apply compares: the template's SHA-256, or with local artifacts the
   * digest of everything packaged (templates as read, artifacts' content hashes).
   */
  planDigest(): string {
    const { template } = this.settings
    if (this.localPackage) return this.localPackage.sourceDigest
    return templateSha256(template.kind === 'file' ? template.body : '')
  }

  /** Removes the zips the local phase made. */
  dispose(): void {
    this.localPackage?.dispose()
  }

  /** What packaging uploaded, per region that got that far, for the summary. */
  packagingCounts(): ReadonlyMap<string, UploadCounts> {
    return this.counts
  }

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

  /** `access`: the target account's credentials in a run over several accounts. */
  async forRegion(region: string, log?: RegionLog, access?: AccountCredentials): Promise<TemplateArgs> {
    const { template, templateBucket } = this.settings
    if (template.kind === 'url') return { TemplateURL: template.url }
    if (this.localPackage) return (await this.packageFor(region, log, access)).template
    if (!this.needsUpload()) return { TemplateBody: template.body }
    const bucket =
      templateBucket === 'auto' || templateBucket!.includes('{account}')
        ? `${access?.account ?? ''}/${templateBucketFor(templateBucket!, region)}`
        : templateBucketFor(templateBucket!, region)
    // One lookup and one upload per bucket: a bucket shared by all regions is written once.
    let upload = this.uploads.get(bucket)
    if (!upload) {
      upload = this.ownerOf(region, access)
        .then((owner) => this.bucketFor(region, owner, log, access))
        .then((name) => this.upload(name, region, template.body, access))
      this.uploads.set(bucket, upload)
    }
    return { TemplateURL: await upload }
  }

  /**
   * The upload phase of packaging for one region: the artifacts into that region's bucket of the
   * caller's account (a bucket elsewhere is refused: Lambda reads code only from its own region).
   */
  private packageFor(region: string, log?: RegionLog, access?: AccountCredentials): Promise<UploadedPackage> {
    const label = access ? `${access.account}/${region}` : region
    let packaged = this.packaged.get(label)
    if (!packaged) {
      packaged = (async () => {
        const [{ uploadPackage }, owner, s3] = await Promise.all([
          import('../../../lib/package/index.js'),
          this.ownerOf(region, access),
          this.s3(region, access),
        ])
        const bucket = await this.bucketFor(region, owner, log, access)
        const uploaded = await uploadPackage(this.localPackage!, {
          s3,
          bucket,
          region,
          owner,
          prefix: this.settings.artifactPrefix,
        })
        this.counts.set(label, uploaded.counts)
        const { objects, uploaded: sent, present, bytes } = uploaded.counts
        log?.info(
          `Packaged into s3://${bucket}/${this.settings.artifactPrefix}: ${objects} object(s), ${sent} uploaded (${bytes} bytes), ${present} already there`,
        )
        return uploaded
      })()
      this.packaged.set(label, packaged)
    }
    return packaged
  }

  /**
   * The region's bucket: artifact-bucket with `{region}` and `{account}` replaced, or with `auto`
   * the bucket of the region's multi-region-actions-artifacts stack (made on first use).
   */
  private async bucketFor(
    region: string,
    owner: string,
    log?: RegionLog,
    access?: AccountCredentials,
  ): Promise<string> {
    const pattern = this.settings.templateBucket!
    if (pattern !== 'auto') return templateBucketFor(pattern, region).replaceAll('{account}', owner)
    let bucket = this.autoBuckets.get(`${owner}/${region}`)
    if (!bucket) {
      bucket = import('../../../lib/package/index.js').then(({ ensureAutoBucket, AUTO_BUCKET_STACK }) =>
        ensureAutoBucket(this.cfn(region, access), region, {
          onCreate: () => log?.info(`Creating the stack ${AUTO_BUCKET_STACK} for artifact-bucket: auto`),
        }),
      )
      this.autoBuckets.set(`${owner}/${region}`, bucket)
    }
    return bucket
  }

  /**
   * The parameter keys the template declares: read locally from a file; for a
   * template given by URL, from CloudFormation's GetTemplateSummary (once per region).
   */
  declaredParameters(region: string, cfn: CloudFormationClient): Promise<string[]> {
    const { template } = this.settings
    if (template.kind === 'file') return Promise.resolve(template.parameters)
    let summary = this.summaries.get(region)
    if (!summary) {
      summary = cfn
        .send(new GetTemplateSummaryCommand({ TemplateURL: template.url }))
        .then((answer) => (answer.Parameters ?? []).flatMap((p) => (p.ParameterKey ? [p.ParameterKey] : [])))
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
  private async upload(
    bucket: string,
    region: string,
    body: string,
    access?: AccountCredentials,
  ): Promise<string> {
    const owner = await this.ownerOf(region, access)
    const key = this.key()
    const { HeadBucketCommand, PutObjectCommand } = await import('@aws-sdk/client-s3')
    let bucketRegion: string
    try {
      // HeadBucket answers the bucket's region ("The Region that the bucket is located").
      const head = await (
        await this.s3(region, access)
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
      await this.s3(bucketRegion, access)
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

  /** The account that must own the bucket: the target's, or the one the job's credentials act in. */
  private ownerOf(region: string, access?: AccountCredentials): Promise<string> {
    return access ? Promise.resolve(access.account) : this.callerAccount(region)
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
