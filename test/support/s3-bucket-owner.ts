import { type ProxyReply, type ProxyRequest } from './loopback-proxy.js'

/** The account moto creates every bucket in (its default account). */
export const MOTO_ACCOUNT = '123456789012'

/**
 * S3's ExpectedBucketOwner check, which moto ignores. The S3 API reference, on
 * every bucket and object operation's `x-amz-expected-bucket-owner` header:
 * "The account ID of the expected bucket owner. If the account ID that you
 * provide does not match the actual owner of the bucket, the request fails with
 * the HTTP status code 403 Forbidden (access denied)." A request without the
 * header is served whoever owns the bucket (as AWS does when the owner's bucket
 * policy lets the caller in), which is how a template would end up in a bucket
 * of the same name in someone else's account.
 *
 * Simpler than AWS: ownership is a table given by the test (every other bucket
 * belongs to moto's account), only path-style requests are recognised, and the
 * error body is S3's AccessDenied document without a host id.
 */
export function bucketOwnerCheck(
  owners: ReadonlyMap<string, string>,
): (req: ProxyRequest) => ProxyReply | undefined {
  return (req) => {
    if (req.service !== 's3') return undefined
    const expected = req.headers['x-amz-expected-bucket-owner']
    if (typeof expected !== 'string') return undefined
    const bucket = decodeURIComponent(req.path.split('?')[0]!.split('/')[1] ?? '')
    if (!bucket) return undefined
    const owner = owners.get(bucket) ?? MOTO_ACCOUNT
    if (owner === expected) return undefined
    return {
      status: 403,
      headers: { 'content-type': 'application/xml' },
      body:
        req.method === 'HEAD'
          ? ''
          : '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>0000000000000000</RequestId></Error>',
    }
  }
}
