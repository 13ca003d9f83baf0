/**
 * Targets are (account, region) pairs. The inputs that name the accounts and the
 * role assumed in each are shared by the actions that work across accounts, with
 * the same names and meaning in each: `accounts`, `role-name`, `role-external-id`,
 * `role-session-duration` and `max-parallel-per-account`.
 */
import { Inputs, InputError } from './inputs.js'
import { ACCOUNT_ID, splitList, targetLabel, type Target } from './target-list.js'

export { spansAccounts, targetKey, targetLabel, targetsOf, type Target } from './target-list.js'
import { partitionOf } from './regions.js'

export interface AccountSettings {
  /** Empty: the job's own account, as before accounts existed. */
  accounts: string[]
  /** Set exactly when `accounts` is. */
  roleName?: string
  roleExternalId?: string
  /** DurationSeconds of AssumeRole; undefined leaves AWS's default (3600). */
  roleSessionDurationSeconds?: number
  /** How many targets of one account run at once; undefined: no cap beyond max-parallel. */
  maxParallelPerAccount?: number
}

/** IAM: role names are 1-64 of upper and lower case letters, digits and _+=,.@- */
export const ROLE_NAME = /^[\w+=,.@-]{1,64}$/
/** IAM: an external ID has 2-1224 letters, digits and +=,.@:/- , no spaces. */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/
/** AssumeRole DurationSeconds: from 900 s up to the role's maximum session duration, at most 43200 s. */
export const MIN_SESSION_SECONDS = 900
export const MAX_SESSION_SECONDS = 43_200
/** AWS STS: a role assumed with a role session's credentials (role chaining) lasts at most one hour. */
export const MAX_CHAINED_SESSION_SECONDS = 3600

/**
 * Whether the job's own credentials, as the environment shows them, are a role session or
 * other temporary credentials, so that assuming `role-name` with them is role chaining. Long-term
 * keys in the environment (no session token) are not; credentials the SDK finds elsewhere (a
 * profile, the instance's role) cannot be told apart here, and AWS's own refusal names the limit.
 */
export function credentialsAreTemporary(env: NodeJS.ProcessEnv): boolean {
  return [
    'AWS_SESSION_TOKEN',
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_ROLE_ARN',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  ].some((name) => (env[name] ?? '') !== '')
}

export function readAccountSettings(inputs: Inputs, env: NodeJS.ProcessEnv = process.env): AccountSettings {
  const accounts = inputs.list('accounts')
  for (const account of accounts) {
    if (!ACCOUNT_ID.test(account)) {
      throw new InputError(
        'accounts',
        account,
        'AWS account ids of 12 digits, separated by commas or newlines',
      )
    }
  }
  const roleName = readRoleName(inputs)
  if (accounts.length > 0 && roleName === undefined) {
    throw new InputError(
      'role-name',
      '',
      `the name of the role to assume in each of the ${accounts.length} account(s) listed in 'accounts'`,
    )
  }
  if (accounts.length === 0 && roleName !== undefined) {
    throw new InputError(
      'role-name',
      roleName,
      "no value unless 'accounts' lists the accounts to assume it in (the job's own credentials are used as they are)",
    )
  }
  const roleExternalId = inputs.optional('role-external-id')
  if (roleExternalId !== undefined) {
    if (roleName === undefined) {
      throw new InputError('role-external-id', roleExternalId, "no value unless 'role-name' is set", {
        secret: true,
      })
    }
    if (!EXTERNAL_ID.test(roleExternalId)) {
      throw new InputError(
        'role-external-id',
        roleExternalId,
        '2 to 1224 letters, digits and any of +=,.@:/-_ (no spaces)',
        { secret: true },
      )
    }
  }
  const roleSessionDurationSeconds = inputs.optionalInteger('role-session-duration', {
    min: MIN_SESSION_SECONDS,
    max: MAX_SESSION_SECONDS,
  })
  if (roleSessionDurationSeconds !== undefined && roleName === undefined) {
    throw new InputError(
      'role-session-duration',
      String(roleSessionDurationSeconds),
      "no value unless 'role-name' is set",
    )
  }
  if (
    roleSessionDurationSeconds !== undefined &&
    roleSessionDurationSeconds > MAX_CHAINED_SESSION_SECONDS &&
    credentialsAreTemporary(env)
  ) {
    throw new InputError(
      'role-session-duration',
      String(roleSessionDurationSeconds),
      `${MIN_SESSION_SECONDS} to ${MAX_CHAINED_SESSION_SECONDS} seconds: the job's credentials are a role session, and AWS limits a role assumed with them (role chaining) to one hour`,
    )
  }
  const maxParallelPerAccount = inputs.optionalInteger('max-parallel-per-account', { min: 1, max: 1000 })
  return { accounts, roleName, roleExternalId, roleSessionDurationSeconds, maxParallelPerAccount }
}

function readRoleName(inputs: Inputs): string | undefined {
  const value = inputs.optional('role-name')
  if (value === undefined) return undefined
  if (value.startsWith('arn:')) {
    throw new InputError(
      'role-name',
      value,
      "a role name such as multi-region-actions-target, not an ARN (the ARN is built for each account in 'accounts')",
    )
  }
  if (value.includes('/')) {
    throw new InputError(
      'role-name',
      value,
      'a role name without a path, such as multi-region-actions-target (the role must have the path /)',
    )
  }
  if (!ROLE_NAME.test(value)) {
    throw new InputError('role-name', value, 'a role name: 1 to 64 letters, digits and any of _+=,.@-')
  }
  return value
}

/** The partition of a list of regions (validated to be one partition by `Inputs.regions`). */
export function partitionOfRegions(regions: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const partition = regions.length > 0 ? partitionOf(regions[0]!, env) : undefined
  if (partition === undefined) throw new Error(`No AWS partition is known for region '${regions[0]}'.`)
  return partition
}

/** `arn:<partition>:iam::<account>:role/<role-name>`: IAM is global within a partition. */
export function roleArn(partition: string, account: string, roleName: string): string {
  return `arn:${partition}:iam::${account}:role/${roleName}`
}

export function sameTarget(a: Target, b: Target): boolean {
  return a.account === b.account && a.region === b.region
}

/**
 * `canary-regions`: each entry is a region (that region in every account) or
 * `account/region` (that one target). Every entry names targets of the run.
 */
export function parseCanaryTargets(
  name: string,
  raw: string,
  accounts: readonly string[],
  regions: readonly string[],
): Target[] {
  const canaries: Target[] = []
  const add = (target: Target, entry: string) => {
    if (canaries.some((c) => sameTarget(c, target))) {
      throw new InputError(name, entry, `each canary target once; ${targetLabel(target)} is named twice`)
    }
    canaries.push(target)
  }
  for (const entry of splitList(raw)) {
    const slash = entry.indexOf('/')
    const region = slash === -1 ? entry : entry.slice(slash + 1)
    if (!regions.includes(region)) {
      throw new InputError(
        name,
        entry,
        "regions (or account/region pairs) whose region is listed in 'regions'",
      )
    }
    if (slash === -1) {
      if (accounts.length === 0) add({ region }, entry)
      for (const account of accounts) add({ account, region }, entry)
      continue
    }
    const account = entry.slice(0, slash)
    if (accounts.length === 0) {
      throw new InputError(
        name,
        entry,
        "region names; an account/region pair needs the account in 'accounts'",
      )
    }
    if (!accounts.includes(account)) {
      throw new InputError(name, entry, "account/region pairs whose account is listed in 'accounts'")
    }
    add({ account, region }, entry)
  }
  return canaries
}
