/**
 * A stand-in for S3 for bench/package.ts, answered by the delay proxy's own process after its
 * delay (test/support/delay-proxy.ts, `answerModule`): HeadBucket (the region is the bucket
 * name's last part: `bench-artifacts-<region>`), HeadObject, PutObject and the multipart upload
 * the AWS CLI uses for large files (CreateMultipartUpload, UploadPart,
 * CompleteMultipartUpload), path-style. Objects are remembered by key and their bytes counted,
 * then dropped: 16 regions of a 50 MB application would not fit in moto's memory on a small
 * machine. `GET /__bench/stats` answers the bytes and objects received; `POST /__bench/reset`
 * forgets them.
 *
 * Simpler than AWS: no signature or checksum check, no versioning, no bucket policies.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { ProxyReply, ProxyRequest } from '../test/support/loopback-proxy.js'

const objects = new Map<string, { bytes: number; checksum?: string }>()
const uploads = new Map<string, number>()
let receivedBytes = 0
let puts = 0

const xml = (body: string): ProxyReply => ({
  status: 200,
  headers: { 'content-type': 'application/xml' },
  body: `<?xml version="1.0" encoding="UTF-8"?>${body}`,
})

export function answer(req: ProxyRequest): ProxyReply {
  const url = new URL(req.path, 'http://stand-in')
  if (url.pathname === '/__bench/stats')
    return { status: 200, body: JSON.stringify({ receivedBytes, puts, objects: objects.size }) }
  if (url.pathname === '/__bench/reset') {
    receivedBytes = 0
    puts = 0
    return { status: 200, body: '{}' }
  }
  const [bucket = '', ...rest] = url.pathname.slice(1).split('/')
  const key = decodeURIComponent(rest.join('/'))
  const id = `${bucket}/${key}`
  const region = /-([a-z]{2}(-gov)?-[a-z]+-\d)$/.exec(bucket)?.[1] ?? 'us-east-1'
  if (req.method === 'HEAD' && key === '') return { status: 200, headers: { 'x-amz-bucket-region': region } }
  if (req.method === 'HEAD') {
    const object = objects.get(id)
    if (!object) return { status: 404 }
    return {
      status: 200,
      headers: {
        'content-length': String(object.bytes),
        etag: '"0"',
        ...(object.checksum ? { 'x-amz-checksum-sha256': object.checksum } : {}),
      },
    }
  }
  if (req.method === 'POST' && url.searchParams.has('uploads')) {
    const uploadId = randomUUID()
    uploads.set(uploadId, 0)
    return xml(
      `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
    )
  }
  if (req.method === 'PUT' && url.searchParams.has('uploadId')) {
    const uploadId = url.searchParams.get('uploadId')!
    uploads.set(uploadId, (uploads.get(uploadId) ?? 0) + req.body.length)
    receivedBytes += req.body.length
    return { status: 200, headers: { etag: `"${createHash('md5').update(req.body).digest('hex')}"` } }
  }
  if (req.method === 'POST' && url.searchParams.has('uploadId')) {
    const uploadId = url.searchParams.get('uploadId')!
    objects.set(id, { bytes: uploads.get(uploadId) ?? 0 })
    uploads.delete(uploadId)
    puts++
    return xml(
      `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>"0-1"</ETag></CompleteMultipartUploadResult>`,
    )
  }
  if (req.method === 'PUT') {
    const checksum = req.headers['x-amz-checksum-sha256']
    objects.set(id, { bytes: req.body.length, checksum: typeof checksum === 'string' ? checksum : undefined })
    receivedBytes += req.body.length
    puts++
    return {
      status: 200,
      headers: {
        etag: '"0"',
        ...(typeof checksum === 'string' ? { 'x-amz-checksum-sha256': checksum } : {}),
      },
    }
  }
  return {
    status: 501,
    headers: { 'content-type': 'application/xml' },
    body: '<Error><Code>NotImplemented</Code><Message>not in the stand-in</Message></Error>',
  }
}
