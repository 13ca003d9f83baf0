/**
 * S3's SHA-256 checksums, which moto ignores (it neither checks `x-amz-checksum-sha256` on
 * PutObject nor returns it from HeadObject). From the Amazon S3 API Reference:
 * - PutObject, x-amz-checksum-sha256: "This header specifies the Base64 encoded, 256-bit SHA256
 *   digest of the object"; S3 compares it with the bytes it received and answers `BadDigest`
 *   ("The Content-MD5 or checksum value that you specified did not match what the server
 *   received.", HTTP 400) when they differ, storing nothing;
 * - HeadObject, x-amz-checksum-mode: "To retrieve the checksum, this mode must be enabled", and
 *   the answer's x-amz-checksum-sha256 is present "only if the checksum was uploaded with the
 *   object".
 * Simpler than AWS: single-part uploads only, path-style requests only, the checksum of a key's
 * latest PutObject kept in memory (not per version).
 */
import { createHash } from 'node:crypto'
import type { ProxyReply, ProxyRequest } from './loopback-proxy.js'

export interface S3ChecksumLayer {
  handle(req: ProxyRequest, forward: () => Promise<ProxyReply>): Promise<ProxyReply>
}

export function s3ChecksumLayer(): S3ChecksumLayer {
  const stored = new Map<string, string>()
  return {
    async handle(req, forward) {
      if (req.service !== 's3') return forward()
      const path = req.path.split('?')[0]!
      const isObject = path.split('/').filter(Boolean).length >= 2 && !req.path.includes('?versioning')
      if (!isObject) return forward()
      const claimed = req.headers['x-amz-checksum-sha256']
      if (req.method === 'PUT') {
        if (typeof claimed === 'string' && createHash('sha256').update(req.body).digest('base64') !== claimed)
          return {
            status: 400,
            headers: { 'content-type': 'application/xml' },
            body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>BadDigest</Code><Message>The Content-MD5 or checksum value that you specified did not match what the server received.</Message><RequestId>0000000000000000</RequestId></Error>',
          }
        const reply = await forward()
        if (reply.status === 200) {
          if (typeof claimed === 'string') stored.set(path, claimed)
          else stored.delete(path)
        }
        return typeof claimed === 'string' && reply.status === 200
          ? { ...reply, headers: { ...reply.headers, 'x-amz-checksum-sha256': claimed } }
          : reply
      }
      if (
        (req.method === 'HEAD' || req.method === 'GET') &&
        req.headers['x-amz-checksum-mode'] === 'ENABLED'
      ) {
        const reply = await forward()
        const checksum = stored.get(path)
        return reply.status === 200 && checksum
          ? { ...reply, headers: { ...reply.headers, 'x-amz-checksum-sha256': checksum } }
          : reply
      }
      return forward()
    },
  }
}
