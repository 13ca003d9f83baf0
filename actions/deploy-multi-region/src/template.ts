/** Where each region's change set reads the template from: the body, or S3 for a large one. */
import { createHash } from 'node:crypto'
import type { S3ClientConfig } from '@aws-sdk/client-s3'
import { lazyClientFactory, type AwsClientConfig } from '../../../lib/aws.js'
import { MAX_TEMPLATE_BODY_BYTES, type Settings } from './input-helper.js'
import { templateLocation } from './plan.js'

export type TemplateArgs = { TemplateBody: string } | { TemplateURL: string }

/**
 * S3 client for template uploads. A local endpoint (AWS_ENDPOINT_URL) has no
 * bucket host names, so it is addressed path-style; a bucket in another region
 * is found by following S3's redirect. Only a large template needs S3, so the
 * package is loaded on the first upload.
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
  private readonly s3 = lazyClientFactory(loadTemplateS3Client)

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

  async forRegion(region: string): Promise<TemplateArgs> {
    const { template, templateBucket } = this.settings
    if (template.kind === 'url') return { TemplateURL: template.url }
    if (!this.needsUpload()) return { TemplateBody: template.body }
    const key = this.key()
    const { bucket, url } = templateLocation(templateBucket!, region, key)
    // One upload per bucket: a bucket shared by all regions is written once.
    let upload = this.uploads.get(bucket)
    if (!upload) {
      upload = Promise.all([import('@aws-sdk/client-s3'), this.s3(region)])
        .then(([{ PutObjectCommand }, s3]) =>
          s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: template.body,
              ContentType: 'text/plain',
            }),
          ),
        )
        .then(() => url)
      this.uploads.set(bucket, upload)
    }
    return { TemplateURL: await upload }
  }
}
