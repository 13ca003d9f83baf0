/**
 * The upload phase of packaging, once per (account, region) target: the artifacts the local
 * phase made go to that target's bucket (skipped where an object with the same SHA-256 is
 * there), then the templates are written bottom-up with that bucket's locations, so each
 * target's stacks read only from its own bucket.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { HeadBucketCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import pLimit from 'p-limit'
import { errorCode } from '../aws.js'
import type { Artifact, LocalPackage, TemplateNode } from './local.js'
import type { ArtifactForm } from './properties.js'
import { s3ObjectUrl } from './s3-url.js'

export interface UploadTarget {
  s3: Pick<S3Client, 'send'>
  bucket: string
  /** The target's region: the bucket must be there (Lambda reads code only from its own region). */
  region: string
  /** The account that must own the bucket (ExpectedBucketOwner). */
  owner: string
  /** Key prefix, without or with a trailing slash; '' for none. */
  prefix: string
  /** The input named in messages about the bucket. */
  input?: string
}

export interface UploadCounts {
  /** Objects the template references: artifacts and nested templates. */
  objects: number
  uploaded: number
  /** Already in the bucket with the same SHA-256. */
  present: number
  /** Bytes uploaded. */
  bytes: number
}

export interface UploadedObject {
  key: string
  sha256: string
  versionId?: string
}

export interface UploadedPackage {
  template: { TemplateBody: string } | { TemplateURL: string }
  /** SHA-256 of the root template as sent. */
  templateSha256: string
  counts: UploadCounts
  objects: UploadedObject[]
}

interface Stored {
  key: string
  versionId?: string
}

/** The largest TemplateBody CloudFormation accepts; larger root templates go by TemplateURL. */
const MAX_TEMPLATE_BODY_BYTES = 51_200

const statusOf = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode

/** A version id names a version only in a versioned bucket ("null" in one where versioning is suspended). */
const versionOf = (versionId: string | undefined) =>
  versionId && versionId !== 'null' ? versionId : undefined

class TargetUpload {
  readonly counts: UploadCounts = { objects: 0, uploaded: 0, present: 0, bytes: 0 }
  readonly objects: UploadedObject[] = []
  private readonly limit = pLimit(4)
  private readonly stored = new Map<string, Promise<Stored>>()
  private readonly prefix: string

  constructor(private readonly target: UploadTarget) {
    const prefix = target.prefix.replace(/^\/+|\/+$/g, '')
    this.prefix = prefix === '' ? '' : `${prefix}/`
  }

  /**
   * The bucket exists, belongs to the expected owner (S3 answers 403 to a request whose
   * ExpectedBucketOwner is not the owner) and is in the target's region.
   */
  async checkBucket(): Promise<void> {
    const { s3, bucket, owner, region } = this.target
    const input = this.target.input ?? 'artifact-bucket'
    let bucketRegion: string | undefined
    try {
      bucketRegion = (await s3.send(new HeadBucketCommand({ Bucket: bucket, ExpectedBucketOwner: owner })))
        .BucketRegion
    } catch (error) {
      const code = errorCode(error)
      const status = statusOf(error)
      if (status === 403 || code === 'Forbidden' || code === 'AccessDenied')
        throw new Error(
          `${input} ${bucket} is not a bucket of account ${owner} (S3 answered 403 to HeadBucket with ExpectedBucketOwner ${owner}); nothing was uploaded`,
        )
      if (status === 404 || code === 'NotFound' || code === 'NoSuchBucket')
        throw new Error(`${input} ${bucket} does not exist; nothing was uploaded`)
      throw error
    }
    if (bucketRegion && bucketRegion !== region)
      throw new Error(
        `${input} ${bucket} is in ${bucketRegion}, not ${region}: each region's stacks read their artifacts from a bucket of their own region; nothing was uploaded`,
      )
  }

  /** Puts an object unless one with the same SHA-256 is there; once per key per target. */
  store(
    key: string,
    sha256: string,
    checksum: string,
    bytes: number,
    body: () => Buffer | NodeJS.ReadableStream,
  ): Promise<Stored> {
    let stored = this.stored.get(key)
    if (!stored) {
      stored = this.limit(() => this.put(key, sha256, checksum, bytes, body))
      this.stored.set(key, stored)
      this.counts.objects++
    }
    return stored
  }

  private async put(
    key: string,
    sha256: string,
    checksum: string,
    bytes: number,
    body: () => Buffer | NodeJS.ReadableStream,
  ): Promise<Stored> {
    const { s3, bucket, owner } = this.target
    const fullKey = `${this.prefix}${key}`
    try {
      const head = await s3.send(
        new HeadObjectCommand({
          Bucket: bucket,
          Key: fullKey,
          ExpectedBucketOwner: owner,
          ChecksumMode: 'ENABLED',
        }),
      )
      if (head.ChecksumSHA256 === checksum) {
        this.counts.present++
        this.objects.push({ key: fullKey, sha256, versionId: versionOf(head.VersionId) })
        return { key: fullKey, versionId: versionOf(head.VersionId) }
      }
    } catch (error) {
      // HeadObject of a missing key answers 404 with s3:ListBucket and 403 without it ("If you don't
      // have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403"): both mean
      // "put it"; a bucket that is not ours was refused by HeadBucket already.
      const status = statusOf(error)
      if (status !== 404 && status !== 403 && errorCode(error) !== 'NotFound') throw error
    }
    // S3 checks the bytes it receives against ChecksumSHA256 and refuses the upload when they differ.
    const answer = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: fullKey,
        Body: body() as Buffer,
        ContentLength: bytes,
        ChecksumSHA256: checksum,
        ExpectedBucketOwner: owner,
      }),
    )
    this.counts.uploaded++
    this.counts.bytes += bytes
    this.objects.push({ key: fullKey, sha256, versionId: versionOf(answer.VersionId) })
    return { key: fullKey, versionId: versionOf(answer.VersionId) }
  }

  storeArtifact(artifact: Artifact): Promise<Stored> {
    return this.store(artifact.sha256, artifact.sha256, artifact.checksum, artifact.bytes, () =>
      createReadStream(artifact.path),
    )
  }

  storeTemplate(body: string): Promise<Stored> {
    const buffer = Buffer.from(body)
    const digest = createHash('sha256').update(buffer).digest()
    const sha256 = digest.toString('hex')
    return this.store(`${sha256}.template`, sha256, digest.toString('base64'), buffer.length, () => buffer)
  }

  /** A property's packaged value for an object of this bucket. */
  value(form: ArtifactForm, stored: Stored): unknown {
    const { bucket, region } = this.target
    switch (form.kind) {
      case 'url': {
        const version =
          form.versionInUrl && stored.versionId ? `?versionId=${encodeURIComponent(stored.versionId)}` : ''
        return `s3://${bucket}/${stored.key}${version}`
      }
      case 'location':
        return {
          [form.bucket]: bucket,
          [form.key]: stored.key,
          ...(form.version && stored.versionId ? { [form.version]: stored.versionId } : {}),
        }
      case 'template':
        return s3ObjectUrl(bucket, region, stored.key, stored.versionId)
    }
  }

  /** The template's text with every local reference replaced by this bucket's objects. */
  async render(node: TemplateNode): Promise<string> {
    // Settled, not raced: a failure returns only once no other upload of this target is running.
    const settled = await Promise.allSettled(
      node.rewrites.map(async (rewrite) => {
        const stored = rewrite.artifact
          ? await this.storeArtifact(rewrite.artifact)
          : await this.storeTemplate(await this.render(rewrite.template!))
        return this.value(rewrite.reference.entry.form, stored)
      }),
    )
    const failed = settled.find((outcome) => outcome.status === 'rejected')
    if (failed) throw failed.reason
    const values = settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value)
    // Set and serialised in one synchronous step: targets share the document and run concurrently.
    node.rewrites.forEach(
      (rewrite, index) => (rewrite.reference.holder[rewrite.reference.name] = values[index]),
    )
    return JSON.stringify(node.document, null, 2)
  }
}

/**
 * Uploads a package to one target's bucket and returns the root template for that target: its
 * body, or (over 51,200 bytes) the URL of its object in the same bucket.
 */
export async function uploadPackage(pkg: LocalPackage, target: UploadTarget): Promise<UploadedPackage> {
  const upload = new TargetUpload(target)
  await upload.checkBucket()
  const body = await upload.render(pkg.root)
  const templateSha256 = createHash('sha256').update(body).digest('hex')
  let template: UploadedPackage['template'] = { TemplateBody: body }
  if (Buffer.byteLength(body) > MAX_TEMPLATE_BODY_BYTES) {
    const stored = await upload.storeTemplate(body)
    template = { TemplateURL: s3ObjectUrl(target.bucket, target.region, stored.key, stored.versionId) }
  }
  return { template, templateSha256, counts: upload.counts, objects: upload.objects }
}
