/**
 * Set-up in several accounts of one moto_server: moto keys its state by the account
 * of the access key, and the keys of its AssumeRole act in the role's account.
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts'
import { directClientConfig } from './moto.js'

export interface AccountKeys {
  accessKeyId: string
  secretAccessKey: string
  sessionToken: string
}

export interface MotoAccounts {
  /** Set-up credentials acting in `account` (moto's AssumeRole, straight, not through a layer). */
  keysFor(account: string): Promise<AccountKeys>
  /** Creates `roleName` in `account`, trusting `trustedArn` (a raw IAM query call). */
  createRole(account: string, roleName: string, trustedArn: string): Promise<void>
  /** Forgets the keys, after a reset of moto's state. */
  reset(): void
}

/** `endpoint` is read at each call: the server may start after this is made. */
export function motoAccounts(endpoint: () => string): MotoAccounts {
  const keys = new Map<string, AccountKeys>()
  const keysFor = async (account: string): Promise<AccountKeys> => {
    let found = keys.get(account)
    if (!found) {
      const sts = new STSClient(directClientConfig(endpoint()))
      const answer = await sts.send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/setup`, RoleSessionName: 'setup' }),
      )
      sts.destroy()
      const c = answer.Credentials!
      found = {
        accessKeyId: c.AccessKeyId!,
        secretAccessKey: c.SecretAccessKey!,
        sessionToken: c.SessionToken!,
      }
      keys.set(account, found)
    }
    return found
  }
  const createRole = async (account: string, roleName: string, trustedArn: string): Promise<void> => {
    const { accessKeyId } = await keysFor(account)
    const res = await fetch(endpoint(), {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: new URLSearchParams({
        Action: 'CreateRole',
        Version: '2010-05-08',
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: trustedArn }, Action: 'sts:AssumeRole' }],
        }),
      }),
    })
    if (!res.ok) throw new Error(`CreateRole in ${account}: ${res.status} ${await res.text()}`)
  }
  return { keysFor, createRole, reset: () => keys.clear() }
}
