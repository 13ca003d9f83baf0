import { forwardTo, startLoopbackProxy, type LoopbackProxy, type ProxyRequest } from './loopback-proxy.js'

/**
 * STS AssumeRole as AWS refuses it, in front of moto. moto's AssumeRole hands
 * out credentials for any role ARN, existing or not ("the role does not need to
 * exist"); AWS refuses a role that does not exist, or whose trust policy does not
 * name the caller, with one answer that does not tell the two apart:
 *
 *   HTTP 403, Code AccessDenied, "User: <caller ARN> is not authorized to
 *   perform: sts:AssumeRole on resource: <role ARN>"
 *
 * (IAM User Guide, "Troubleshoot IAM roles" / AWS re:Post "iam-assume-role-error").
 * This layer forwards AssumeRole to moto, then asks moto's IAM, with the
 * credentials moto answered (they act in the role's account), for the role; when
 * it is not there the layer answers AWS's refusal instead. Simpler than AWS: the
 * trust policy and its sts:ExternalId condition are not evaluated (tests assert
 * the ExternalId sent, from `requests`).
 *
 * `expireNextIn(ms)` makes the next answer's Expiration that close, as if the
 * credentials had been issued long ago, so a test sees the refresh without a
 * faked clock (moto's Expiration is now + DurationSeconds).
 */
export interface StsRoleLayer extends LoopbackProxy {
  /** Every AssumeRole request seen, in order. */
  requests: Array<{ roleArn: string; externalId?: string; durationSeconds?: string; sessionName?: string }>
  expireNextIn(ms: number): void
}

export async function startStsRoleLayer(target: string): Promise<StsRoleLayer> {
  const requests: StsRoleLayer['requests'] = []
  let expireInMs: number | undefined
  const proxy = await startLoopbackProxy(target, async (req, forward) => {
    if (req.service !== 'sts' || req.operation !== 'AssumeRole') return forward()
    const roleArn = req.params.get('RoleArn') ?? ''
    requests.push({
      roleArn,
      externalId: req.params.get('ExternalId') ?? undefined,
      durationSeconds: req.params.get('DurationSeconds') ?? undefined,
      sessionName: req.params.get('RoleSessionName') ?? undefined,
    })
    const reply = await forward()
    if (reply.status !== 200) return reply
    const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(String(reply.body))?.[1]
    const roleName = roleArn.split('/').pop() ?? ''
    if (accessKeyId && (await roleExists(target, req, accessKeyId, roleName))) {
      if (expireInMs === undefined) return reply
      const expiration = new Date(Date.now() + expireInMs).toISOString()
      expireInMs = undefined
      const body = String(reply.body).replace(
        /<Expiration>[^<]+<\/Expiration>/,
        `<Expiration>${expiration}</Expiration>`,
      )
      return { ...reply, body }
    }
    return stsErrorReply(
      403,
      'AccessDenied',
      `User: arn:aws:sts::123456789012:assumed-role/multi-region-actions-deploy/ci is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    )
  })
  return Object.assign(proxy, {
    requests,
    expireNextIn: (ms: number) => {
      expireInMs = ms
    },
  })
}

async function roleExists(
  target: string,
  req: ProxyRequest,
  accessKeyId: string,
  roleName: string,
): Promise<boolean> {
  const body = new URLSearchParams({ Action: 'GetRole', Version: '2010-05-08', RoleName: roleName })
  const reply = await forwardTo(target, {
    ...req,
    path: '/',
    method: 'POST',
    body: Buffer.from(body.toString()),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // moto takes the account from the access key and does not check the signature.
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
  })
  return reply.status === 200
}

/** An STS (query protocol) error body. */
function stsErrorReply(status: number, code: string, message: string) {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`,
  }
}
