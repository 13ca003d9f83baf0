/**
 * Where each target's change set reads the template from: the body, S3 for a large one, or the
 * template packaged into the target's own bucket when it names local artifacts.
 */
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import type { S3ClientConfig } from '@aws-sdk/client-s3'
import {
  errorCode,
  lazyClientFactory,
  type AccountCredentials,
  type AwsClientConfig,
} from '../../../lib/aws.js'
import { workspaceRoot } from '../../../lib/files.js'
import type { RegionLog } from '../../../lib/log.js'
import type { LocalPackage, UploadedPackage } from '../../../lib/package/index.js'
import { s3ObjectUrl } from '../../../lib/package/s3-url.js'
import { partitionOf } from '../../../lib/regions.js'
import { targetLabel, type Target } from '../../../lib/targets.js'
import type { CloudFormationApi } from './cloudformation-api.js'
import { MAX_TEMPLATE_BODY_BYTES } from '../../../lib/cloudformation-inputs.js'
import type { PackagingCounts, Settings } from './model.js'
import { templateBucketFor } from './plan.js'
import { templateSha256 } from './plan-file.js'

export type TemplateArgs = { TemplateBody: string } | { TemplateURL: string }

/** The target a template is for, its log, and its account's credentials (undefined: the job's own). */
interface Where {
  target: Target
  log?: RegionLog
  access?: AccountCredentials
}

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
  private readonly cfn = lazyClientFactory(
    async () => (await import('@aws-sdk/client-cloudformation')).CloudFormationClient,
  )
  private readonly packaged = new Map<string, Promise<UploadedPackage>>()
  private readonly counts = new Map<string, UploadedPackage['counts']>()
  private readonly autoBuckets = new Map<string, Promise<string>>()
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

  /** What packaging uploaded, per target that got that far, for the summary. */
  packagingCounts(): PackagingCounts {
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

  /**
   * Where one target's change set reads its template from: the body, the URL
   * given, the uploaded copy of a large one, or the template packaged into the
   * target's bucket. Every change set's template comes from here. `access`: the
   * target account's credentials in a run over several accounts.
   */
  async forTarget(target: Target, log?: RegionLog, access?: AccountCredentials): Promise<TemplateArgs> {
    const { template, templateBucket } = this.settings
    if (template.kind === 'url') return { TemplateURL: template.url }
    const where: Where = { target, log, access }
    if (this.localPackage) return (await this.packageFor(where, this.localPackage)).template
    // input-helper refuses a template over the body's limit without a bucket.
    if (!this.needsUpload() || templateBucket === undefined) return { TemplateBody: template.body }
    // One lookup and one upload per bucket: a bucket shared by all regions is written once.
    const account = access?.account ?? ''
    const bucket =
      templateBucket === 'auto'
        ? `${account}/auto/${target.region}`
        : templateBucketFor(templateBucket, target.region).replaceAll('{account}', account)
    let upload = this.uploads.get(bucket)
    if (!upload) {
      upload = this.ownerOf(target.region, access)
        .then((owner) => this.bucketFor(where, owner))
        .then((name) => this.upload(name, target.region, template.body, access))
      this.uploads.set(bucket, upload)
    }
    return { TemplateURL: await upload }
  }

  /**
   * The template this run uploaded for one target and its SHA-256 (the packaged one, or a large
   * template's copy); undefined where the template went inline (TemplateBody, part of the signed
   * request) or by the user's own `template-url`. Execute checks the change set against it.
   */
  async uploadedFor(
    target: Target,
    log?: RegionLog,
    access?: AccountCredentials,
  ): Promise<{ url: string; sha256: string } | undefined> {
    const { template } = this.settings
    if (template.kind === 'url') return undefined
    if (this.localPackage) {
      const packaged = await this.packageFor({ target, log, access }, this.localPackage)
      return 'TemplateURL' in packaged.template
        ? { url: packaged.template.TemplateURL, sha256: packaged.templateSha256 }
        : undefined
    }
    const sent = await this.forTarget(target, log, access)
    return 'TemplateURL' in sent
      ? { url: sent.TemplateURL, sha256: templateSha256(template.body) }
      : undefined
  }

  /**
   * The upload phase of packaging for one target: the artifacts into that target's bucket of its
   * account (a bucket elsewhere is refused: Lambda reads code only from its own region).
   */
  private packageFor(where: Where, local: LocalPackage): Promise<UploadedPackage> {
    const label = targetLabel(where.target)
    let packaged = this.packaged.get(label)
    if (!packaged) {
      packaged = this.uploadPackage(where, local)
      this.packaged.set(label, packaged)
    }
    return packaged
  }

  private async uploadPackage(where: Where, local: LocalPackage): Promise<UploadedPackage> {
    const { target, log, access } = where
    const { region } = target
    log?.activity('packaging', 'finding the artifact bucket')
    const [{ uploadPackage }, owner, s3] = await Promise.all([
      import('../../../lib/package/index.js'),
      this.ownerOf(region, access),
      this.s3(region, access),
    ])
    const bucket = await this.bucketFor(where, owner)
    const prefix = this.settings.artifactPrefix
    log?.activity('packaging', `uploading ${local.artifacts.length} artifact(s) to s3://${bucket}/${prefix}`)
    const uploaded = await uploadPackage(local, { s3, bucket, region, owner, prefix })
    this.counts.set(targetLabel(target), uploaded.counts)
    const { objects, uploaded: sent, present, bytes } = uploaded.counts
    log?.info(
      `Packaged into s3://${bucket}/${prefix}: ${objects} object(s), ${sent} uploaded (${bytes} bytes), ${present} already there`,
    )
    return uploaded
  }

  /**
   * The target's bucket: artifact-bucket with `{region}` and `{account}` replaced, or with `auto`
   * the bucket of the region's multi-region-actions-artifacts stack (made on first use).
   */
  private async bucketFor(where: Where, owner: string): Promise<string> {
    const { target } = where
    const pattern = this.settings.templateBucket
    // input-helper refuses local artifacts and a large template without artifact-bucket.
    if (pattern === undefined) throw new Error('artifact-bucket is not set')
    if (pattern !== 'auto') return templateBucketFor(pattern, target.region).replaceAll('{account}', owner)
    const key = `${owner}/${target.region}`
    let bucket = this.autoBuckets.get(key)
    if (!bucket) {
      bucket = this.autoBucket(where)
      this.autoBuckets.set(key, bucket)
    }
    return bucket
  }

  private async autoBucket({ target, log, access }: Where): Promise<string> {
    const [{ ensureAutoBucket, AUTO_BUCKET_STACK }, cfn] = await Promise.all([
      import('../../../lib/package/index.js'),
      this.cfn(target.region, access),
    ])
    return ensureAutoBucket(cfn, target.region, {
      onCreate: () => log?.info(`Creating the stack ${AUTO_BUCKET_STACK} for artifact-bucket: auto`),
    })
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
    return s3ObjectUrl(bucket, bucketRegion, key)
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
