/**
 * The upload phase against moto through a loopback proxy that sees every request: the
 * ExpectedBucketOwner and SHA-256 checksum on each PutObject, HeadObject before it, the skip of
 * objects already there, and a bucket of another owner or region never written to.
 * `s3-checksum-layer.ts` checks and keeps the checksums, which moto ignores.
 */
import { createHash } from 'node:crypto'
import {
  CreateBucketCommand,
  PutBucketVersioningCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3'
import { packageTemplate, uploadPackage, type LocalPackage } from '../../lib/package/index.js'
import {
  startLoopbackProxy,
  type LoopbackProxy,
  type ProxyReply,
  type ProxyRequest,
} from '../support/loopback-proxy.js'
import { directClientConfig, startMoto, type MotoServer } from '../support/moto.js'
import { packageWorkspace } from '../support/package-fixtures.js'
import { bucketOwnerCheck, MOTO_ACCOUNT } from '../support/s3-bucket-owner.js'
import { s3ChecksumLayer } from '../support/s3-checksum-layer.js'

describe('uploadPackage', () => {
  let moto: MotoServer
  let proxy: LoopbackProxy
  let s3: S3Client
  let workspace: string
  let seen: ProxyRequest[] = []
  let intercept: ((req: ProxyRequest, forward: () => Promise<ProxyReply>) => Promise<ProxyReply>) | undefined
  const packages: LocalPackage[] = []

  beforeAll(async () => {
    moto = await startMoto()
    const checksums = s3ChecksumLayer()
    proxy = await startLoopbackProxy(moto.endpoint, async (req, forward) => {
      seen.push(req)
      const next = () => checksums.handle(req, forward)
      return intercept ? intercept(req, next) : next()
    })
    s3 = new S3Client({ ...directClientConfig(proxy.endpoint), forcePathStyle: true })
    for (const [Bucket, region] of [
      ['artifacts-us-east-1', 'us-east-1'],
      ['artifacts-eu-west-1', 'eu-west-1'],
      ['someone-elses', 'us-east-1'],
    ] as const) {
      const client = new S3Client({ ...directClientConfig(moto.endpoint, region), forcePathStyle: true })
      await client.send(
        new CreateBucketCommand({
          Bucket,
          ...(region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      )
      client.destroy()
    }
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: 'artifacts-us-east-1',
        VersioningConfiguration: { Status: 'Enabled' },
      }),
    )
    workspace = packageWorkspace()
  }, 60_000)
  afterAll(async () => {
    packages.forEach((p) => p.dispose())
    s3?.destroy()
    await proxy?.close()
    await moto?.stop()
  })
  beforeEach(() => {
    seen = []
    intercept = undefined
  })

  const pack = async (template: string) => {
    const pkg = await packageTemplate(template, workspace)
    packages.push(pkg)
    return pkg
  }
  const target = (bucket: string, region = 'us-east-1') => ({
    s3,
    bucket,
    region,
    owner: MOTO_ACCOUNT,
    prefix: 'app/',
  })
  const puts = () => seen.filter((r) => r.method === 'PUT')

  it('puts each object once with ExpectedBucketOwner and a SHA-256 checksum of its bytes, then finds them all on a rerun', async () => {
    const pkg = await pack('nested.yaml')
    const first = await uploadPackage(pkg, target('artifacts-us-east-1'))
    // Two zips and two nested templates.
    expect(first.counts).toEqual({ objects: 4, uploaded: 4, present: 0, bytes: expect.any(Number) })
    expect(puts()).toHaveLength(4)
    for (const put of puts()) {
      expect(put.headers['x-amz-expected-bucket-owner']).toBe(MOTO_ACCOUNT)
      expect(put.path).toMatch(/^\/artifacts-us-east-1\/app\/[0-9a-f]{64}(\.template)?/)
      expect(put.headers['x-amz-checksum-sha256']).toBe(
        createHash('sha256').update(put.body).digest('base64'),
      )
    }
    expect(first.counts.bytes).toBe(puts().reduce((sum, put) => sum + put.body.length, 0))
    expect(first.objects.every((o) => o.versionId !== undefined)).toBe(true)

    seen = []
    const again = await uploadPackage(pkg, target('artifacts-us-east-1'))
    expect(again.counts).toEqual({ objects: 4, uploaded: 0, present: 4, bytes: 0 })
    expect(puts()).toEqual([])
    expect(again.templateSha256).toBe(first.templateSha256)
    expect(seen.filter((r) => r.method === 'HEAD' && r.path.includes('/app/'))).toHaveLength(4)
  })

  it('S3 refuses bytes that do not match the checksum', async () => {
    const pkg = await pack('glue-include.yaml')
    intercept = async (req, forward) => {
      if (req.method === 'PUT' && req.path.includes('/app/'))
        req.body = Buffer.from(req.body.toString().toUpperCase())
      return forward()
    }
    await expect(uploadPackage(pkg, target('artifacts-eu-west-1', 'eu-west-1'))).rejects.toThrow(
      /checksum|digest/i,
    )
  })

  it('writes nothing to a bucket of another account, and names artifact-bucket', async () => {
    const pkg = await pack('lambda.yaml')
    const refuse = bucketOwnerCheck(new Map([['someone-elses', '210987654321']]))
    intercept = async (req, forward) => refuse(req) ?? forward()
    await expect(uploadPackage(pkg, target('someone-elses'))).rejects.toThrow(
      'artifact-bucket someone-elses is not a bucket of account 123456789012',
    )
    expect(puts()).toEqual([])
  })

  it('writes nothing to a bucket of another region: Lambda reads code only from its own region', async () => {
    const pkg = await pack('lambda.yaml')
    await expect(uploadPackage(pkg, target('artifacts-eu-west-1', 'us-east-1'))).rejects.toThrow(
      'artifact-bucket artifacts-eu-west-1 is in eu-west-1, not us-east-1',
    )
    expect(puts()).toEqual([])
  })
})
