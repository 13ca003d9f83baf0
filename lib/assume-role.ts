/**
 * The role named by `role-name`, assumed once in each account of a run with the
 * job's own credentials. STS answers with credentials that expire (after
 * DurationSeconds, AWS's default 3600 s); the SDK asks a provider that reports
 * an expiration again shortly before it, and the provider here then assumes the
 * role again, once for all the clients of that account. Every secret part is
 * masked before anything can print it.
 */
import * as core from '@actions/core'
import type { STSClient } from '@aws-sdk/client-sts'
import {
  clientFactory,
  describeError,
  type AccountCredentials,
  type CredentialIdentity,
  type CredentialProvider,
} from './aws.js'
import { fanOut } from './fanout.js'
import { isOptInRegion, partitionOf } from './regions.js'
import { partitionOfRegions, roleArn, type AccountSettings } from './targets.js'

/**
 * Assume again when less than this is left. The SDK asks its provider again
 * when less than 5 minutes are left (@smithy/core EXPIRATION_MS); a larger margin
 * here means the SDK's ask always gets fresh credentials, never the old ones.
 */
export const REFRESH_MARGIN_MS = 10 * 60_000

export interface RoleSettings {
  roleName: string
  externalId?: string
  durationSeconds?: number
  /** From the regions of the run: `aws`, `aws-cn`, `aws-us-gov`, ... */
  partition: string
  /** STS is called in a region of the run's partition (regional endpoints). */
  stsRegion: string
  /** RoleSessionName: shows in each account's CloudTrail. */
  sessionName: string
}

/** One account's access: its credentials, or AWS's reason the role could not be assumed. */
export type AccountAccess =
  | { account: string; ok: true; access: AccountCredentials; roleArn: string }
  | { account: string; ok: false; reason: string; roleArn: string }

/** Calls AssumeRole for one role ARN; the live one uses STS, tests may pass their own. */
export type AssumeRoleCall = (arn: string) => Promise<CredentialIdentity>

/**
 * A RoleSessionName from the run: `multi-region-actions-<run id>-<attempt>`,
 * within AWS's 2-64 characters of letters, digits and _+=,.@-
 */
export function sessionNameOf(env: NodeJS.ProcessEnv = process.env): string {
  const run = [env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT].filter(Boolean).join('-')
  const name = `multi-region-actions${run ? `-${run}` : ''}`.replace(/[^\w+=,.@-]/g, '-')
  return name.slice(0, 64)
}

/** The live AssumeRole: STS imported only when a run names accounts, so other runs never load it. */
export function stsAssumeRole(settings: RoleSettings, env: NodeJS.ProcessEnv = process.env): AssumeRoleCall {
  let client: Promise<{ sts: STSClient; command: typeof import('@aws-sdk/client-sts').AssumeRoleCommand }>
  return async (arn) => {
    client ??= import('@aws-sdk/client-sts').then(({ STSClient, AssumeRoleCommand }) => ({
      sts: clientFactory(STSClient, env)(settings.stsRegion),
      command: AssumeRoleCommand,
    }))
    const { sts, command } = await client
    const answer = await sts.send(
      new command({
        RoleArn: arn,
        RoleSessionName: settings.sessionName,
        ...(settings.externalId !== undefined ? { ExternalId: settings.externalId } : {}),
        ...(settings.durationSeconds !== undefined ? { DurationSeconds: settings.durationSeconds } : {}),
      }),
    )
    const c = answer.Credentials
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new Error(`AssumeRole of ${arn} answered without complete credentials`)
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    }
  }
}

/**
 * A provider that assumes the role on first use and again once the credentials
 * are within REFRESH_MARGIN_MS of expiring; callers at the same time share one
 * AssumeRole. The secret key and session token are masked as soon as they arrive.
 */
export function roleCredentialProvider(
  assume: () => Promise<CredentialIdentity>,
  now: () => number = () => Date.now(),
): CredentialProvider {
  let held: CredentialIdentity | undefined
  let pending: Promise<CredentialIdentity> | undefined
  return () => {
    const expiration = held?.expiration?.getTime()
    if (held && (expiration === undefined || expiration - now() > REFRESH_MARGIN_MS)) {
      return Promise.resolve(held)
    }
    pending ??= assume()
      .then((identity) => {
        maskCredentials(identity)
        held = identity
        return identity
      })
      .finally(() => {
        pending = undefined
      })
    return pending
  }
}

export function maskCredentials(identity: CredentialIdentity): void {
  core.setSecret(identity.secretAccessKey)
  if (identity.sessionToken) core.setSecret(identity.sessionToken)
  // Not a secret on its own, but it names the session; configure-aws-credentials masks it too.
  core.setSecret(identity.accessKeyId)
}

/**
 * Assumes the role in every account at once (one AssumeRole each) before any
 * other call is made. An account whose role cannot be assumed comes back with
 * AWS's reason, so only that account's targets fail.
 */
export async function assumeRoles(
  accounts: readonly string[],
  settings: RoleSettings,
  options: { assume?: AssumeRoleCall; now?: () => number; env?: NodeJS.ProcessEnv } = {},
): Promise<Map<string, AccountAccess>> {
  const assume = options.assume ?? stsAssumeRole(settings, options.env)
  const outcomes = await fanOut(accounts, async (account): Promise<AccountAccess> => {
    const arn = roleArn(settings.partition, account, settings.roleName)
    const credentials = roleCredentialProvider(() => assume(arn), options.now)
    await credentials()
    return { account, ok: true, access: { account, credentials }, roleArn: arn }
  })
  return new Map(
    outcomes.map((o) => {
      const arn = roleArn(settings.partition, o.item, settings.roleName)
      if (o.state === 'fulfilled') return [o.item, o.value]
      const reason = o.state === 'rejected' ? describeError(o.error) : 'not started'
      return [o.item, { account: o.item, ok: false, reason: `cannot assume ${arn}: ${reason}`, roleArn: arn }]
    }),
  )
}

/**
 * The region whose STS endpoint assumes the roles: the job's own region (AWS_REGION, then
 * AWS_DEFAULT_REGION) when it is in the run's partition, since the job's credentials already work
 * there; otherwise the first region of the run that every account has enabled. An opt-in region
 * listed first is not used: in an account that has not enabled it STS refuses every call (the
 * regional endpoints follow the account's enabled regions), and the work there fails on its own.
 */
export function stsRegionOf(regions: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const partition = partitionOfRegions(regions, env)
  const own = env.AWS_REGION || env.AWS_DEFAULT_REGION
  if (own && partitionOf(own, env) === partition) return own
  return regions.find((region) => !isOptInRegion(region, env)) ?? regions[0]!
}

/**
 * The shared account inputs' role assumed in every listed account, once each; no accounts
 * (the job's own account) assumes nothing.
 */
export function assumeAccountRoles(
  settings: AccountSettings & { regions: readonly string[] },
  assume?: AssumeRoleCall,
): Promise<Map<string, AccountAccess>> {
  if (settings.accounts.length === 0) return Promise.resolve(new Map())
  return assumeRoles(
    settings.accounts,
    {
      roleName: settings.roleName!,
      externalId: settings.roleExternalId,
      durationSeconds: settings.roleSessionDurationSeconds,
      partition: partitionOfRegions(settings.regions),
      stsRegion: stsRegionOf(settings.regions),
      sessionName: sessionNameOf(),
    },
    { assume },
  )
}
