import { EC2Client } from '@aws-sdk/client-ec2'
import type { KMSClient } from '@aws-sdk/client-kms'
import type { RbinClient } from '@aws-sdk/client-rbin'
import type { STSClient } from '@aws-sdk/client-sts'
import {
  clientFactory,
  isTransientError,
  lazyClientFactory,
  type AccountCredentials,
} from '../../../lib/aws.js'
import {
  assumeRoles,
  sessionNameOf,
  type AccountAccess,
  type AssumeRoleCall,
} from '../../../lib/assume-role.js'
import { retryWhile } from '../../../lib/poll.js'
import { partitionOfRegions } from '../../../lib/targets.js'

/**
 * The action's clients, one per region (and account, given that account's
 * credentials). Helpers call them with a region only: `forAccount` binds an
 * account's credentials once, so every call of a target acts in its account.
 */
export interface Clients {
  ec2: (region: string, access?: AccountCredentials) => EC2Client
  /**
   * EC2 clients that never repeat a call: CopySnapshot has no idempotency
   * token, so a repeat after a lost reply would make a second copy. The action
   * checks for the first call's effect before it tries again.
   */
  ec2Once: (region: string, access?: AccountCredentials) => EC2Client
  /** Recycle Bin and STS are loaded on first use (one call each per run), after the inputs are checked. */
  rbin: (region: string, access?: AccountCredentials) => Promise<RbinClient>
  sts: (region: string, access?: AccountCredentials) => Promise<STSClient>
  /** KMS, loaded only to grant a DR account the use of a source snapshot's key. */
  kms?: (region: string, access?: AccountCredentials) => Promise<KMSClient>
}

/** The clients acting in one account: its assumed role's credentials, or the job's own (undefined). */
export function forAccount(clients: Clients, access: AccountCredentials | undefined): Clients {
  if (access === undefined) return clients
  return {
    ec2: (region) => clients.ec2(region, access),
    ec2Once: (region) => clients.ec2Once(region, access),
    rbin: (region) => clients.rbin(region, access),
    sts: (region) => clients.sts(region, access),
    ...(clients.kms ? { kms: (region: string) => clients.kms!(region, access) } : {}),
  }
}

export function makeClients(env: NodeJS.ProcessEnv = process.env): Clients {
  return {
    ec2: clientFactory(EC2Client, env),
    ec2Once: clientFactory(EC2Client, env, { maxAttempts: 1 }),
    rbin: lazyClientFactory(async () => (await import('@aws-sdk/client-rbin')).RbinClient, env),
    sts: lazyClientFactory(async () => (await import('@aws-sdk/client-sts')).STSClient, env),
    kms: lazyClientFactory(async () => (await import('@aws-sdk/client-kms')).KMSClient, env),
  }
}

/**
 * Retrying a read or a DeleteSnapshot after a transient error is safe; after a
 * CopySnapshot it is not without a look first (see apply.ts).
 */
export const isTransient = isTransientError

/**
 * Runs a safe-to-repeat call, retrying transient errors a few more times than
 * the SDK did (it retries too, so this only matters when its attempts run out
 * on a busy account).
 */
export function retryTransient<T>(
  fn: () => Promise<T>,
  options: { signal?: AbortSignal; attempts?: number } = {},
) {
  const attempts = options.attempts ?? 4
  let tries = 0
  return retryWhile(
    () => {
      tries++
      return fn()
    },
    { retryable: (e) => tries < attempts && isTransient(e), timeoutMs: 120_000, initialMs: 250, maxMs: 4000 },
  )
}

/**
 * With dr-account: the clients of one source account whose DR region acts in the
 * DR account (its role's credentials), so that reads, deletions, copies and
 * restore tests there happen in the account that holds the copies.
 */
export function withDrAccount(
  source: Clients,
  base: Clients,
  drRegion: string,
  drAccess: AccountCredentials,
): Clients {
  const dr = forAccount(base, drAccess)
  const pick = (region: string) => (region === drRegion ? dr : source)
  return {
    ec2: (region) => pick(region).ec2(region),
    ec2Once: (region) => pick(region).ec2Once(region),
    rbin: (region) => pick(region).rbin(region),
    sts: (region) => pick(region).sts(region),
    ...(source.kms ? { kms: (region: string) => pick(region).kms!(region) } : {}),
  }
}

/** dr-role-name assumed in dr-account with the job's own credentials (STS in the DR region). */
export async function assumeDrRole(
  account: string,
  roleName: string,
  drRegion: string,
  assume?: AssumeRoleCall,
): Promise<AccountAccess | undefined> {
  const access = await assumeRoles(
    [account],
    {
      roleName,
      partition: partitionOfRegions([drRegion]),
      stsRegion: drRegion,
      sessionName: sessionNameOf(),
    },
    { assume },
  )
  return access.get(account)
}
