import { InputError, Inputs, parseKeyValuePairs, validateRegions } from '../../../lib/inputs.js'
import { ACCOUNT_ID } from '../../../lib/target-list.js'
import { readAccountSettings, ROLE_NAME, type AccountSettings } from '../../../lib/targets.js'
import { parseDuration, type PlanSettings, type RetentionPolicy, type TagFilter } from './plan.js'

export interface Settings extends PlanSettings, AccountSettings {
  /** The user said every volume's snapshots in the regions are meant (no filters, no volume ids). */
  allVolumes: boolean
  kmsKeyId?: string
  /** Over the whole run: every account and region together (a safety cap, not a per-target quota). */
  maxDelete: number
  dryRun: boolean
  /** Deletions per second per region, when capped. */
  maxRate?: number
  /** verify-restore: how long a test volume may take to become available. */
  restoreTimeoutMs?: number
  /** dr-account: the DR copies go to this account, through dr-role-name assumed there. */
  drAccount?: string
  drRoleName?: string
}

const VOLUME_ID = /^vol-[0-9a-f]{8}([0-9a-f]{9})?$/
/**
 * A KMS key id, a Multi-Region key id (`mrk-` and 32 hex digits, as KMS
 * documents: "Key ID: mrk-1234abcd12ab34cd56ef1234567890ab"), either as a key
 * ARN (`arn:aws:kms:us-east-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab`),
 * an alias name or an alias ARN.
 */
const KEY_ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}'
const ALIAS = 'alias\\/[A-Za-z0-9/_-]+'
const KMS_KEY = new RegExp(
  `^(arn:aws[a-z-]*:kms:([a-z0-9-]+):\\d{12}:(key\\/(${KEY_ID})|${ALIAS})|${KEY_ID}|${ALIAS})$`,
)
const COUNT_LIMIT = 100_000
/** The longest keep-within that means something: 100 years (EBS itself is not 20 years old). */
const MAX_DURATION_YEARS = 100

/** A duration's length in (average Gregorian) years. */
function durationYears(parts: Record<'y' | 'm' | 'w' | 'd' | 'h', number>): number {
  return parts.y + parts.m / 12 + (parts.w * 7 + parts.d + parts.h / 24) / 365.2425
}

function duration(inputs: Inputs, name: string): string | undefined {
  const value = inputs.optional(name)
  if (value === undefined) return undefined
  const accepted = 'a duration such as 14d, 36h, 2w or 1y6m (y, m, w, d, h) of at most 100 years'
  const parts = parseDuration(value)
  if (parts === undefined) throw new InputError(name, value, accepted)
  // Past this the UTC calendar arithmetic leaves the Date range (NaN) and the rule would keep nothing.
  if (!(durationYears(parts) <= MAX_DURATION_YEARS)) throw new InputError(name, value, accepted)
  // 0d, 0h0d, 0y0m: a window of no length keeps nothing and archives at once; no spelling of zero means a rule.
  if (durationYears(parts) === 0) throw new InputError(name, value, `${accepted}, longer than zero`)
  return value
}

/** Whether a policy keeps anything beyond the newest snapshot of each group. */
function keepsSomething(p: RetentionPolicy): boolean {
  return (
    (p.keepLast ?? 0) > 0 ||
    p.keepWithin !== undefined ||
    (p.keepDaily ?? 0) > 0 ||
    (p.keepWeekly ?? 0) > 0 ||
    (p.keepMonthly ?? 0) > 0
  )
}

/** keep-last 0 and no other rule: every snapshot but the newest of each volume would go. */
function refuseEmptyPolicy(inputs: Inputs, prefix: string, p: RetentionPolicy): void {
  if (keepsSomething(p)) return
  const name = `${prefix}keep-last`
  throw new InputError(
    name,
    inputs.raw(name) || String(p.keepLast ?? ''),
    `a keep-last of 1 or more, or another keep rule (${prefix}keep-within, ${prefix}keep-daily, ${prefix}keep-weekly or ${prefix}keep-monthly); with none, every snapshot but the newest of each volume would be deleted`,
  )
}

function policy(inputs: Inputs, prefix: string, fallback?: RetentionPolicy): RetentionPolicy {
  const count = (name: string) => inputs.optionalInteger(`${prefix}${name}`, { min: 0, max: COUNT_LIMIT })
  return {
    keepLast: count('keep-last') ?? fallback?.keepLast,
    keepWithin: duration(inputs, `${prefix}keep-within`) ?? fallback?.keepWithin,
    keepDaily: count('keep-daily') ?? fallback?.keepDaily,
    keepWeekly: count('keep-weekly') ?? fallback?.keepWeekly,
    keepMonthly: count('keep-monthly') ?? fallback?.keepMonthly,
  }
}

function tagFilters(inputs: Inputs): TagFilter[] {
  const raw = inputs.raw('filters')
  if (raw === '') return []
  return parseKeyValuePairs('filters', raw).map(([key, value]) => {
    if (key.length > 128)
      throw new InputError('filters', raw, `tag keys of at most 128 characters ('${key.slice(0, 20)}...')`)
    if (value === '') {
      throw new InputError(
        'filters',
        raw,
        `Key=Value tag filters; '${key}=' has no value (write ${key}=* for any value)`,
      )
    }
    if (value.length > 256) throw new InputError('filters', raw, 'tag values of at most 256 characters')
    return value === '*' ? { key } : { key, value }
  })
}

/** archive-after archives what keep-weekly and keep-monthly keep: without them it could archive nothing. */
function archiveAfterInput(
  inputs: Inputs,
  main: RetentionPolicy,
  dr: RetentionPolicy | undefined,
): string | undefined {
  const value = duration(inputs, 'archive-after')
  if (value === undefined) return undefined
  const longTerm = (p: RetentionPolicy | undefined) => (p?.keepWeekly ?? 0) > 0 || (p?.keepMonthly ?? 0) > 0
  if (!longTerm(main) && !longTerm(dr))
    throw new InputError(
      'archive-after',
      value,
      'a duration together with keep-weekly or keep-monthly (the rules whose snapshots it moves to the archive tier); neither is set',
    )
  return value
}

/** dr-account and dr-role-name: the account the DR copies go to, and the role assumed there. */
function drAccountInputs(
  inputs: Inputs,
  drRegion: string | undefined,
  accounts: readonly string[],
): Pick<Settings, 'drAccount' | 'drRoleName'> {
  const drAccount = inputs.optional('dr-account')
  const drRoleName = inputs.optional('dr-role-name')
  if (drAccount === undefined) {
    if (drRoleName !== undefined)
      throw new InputError('dr-role-name', drRoleName, 'no value unless dr-account is set')
    return {}
  }
  if (!ACCOUNT_ID.test(drAccount))
    throw new InputError('dr-account', drAccount, 'an AWS account id of 12 digits')
  if (drRegion === undefined)
    throw new InputError(
      'dr-account',
      drAccount,
      'no value unless dr-region is set (the region the copies go to)',
    )
  if (accounts.includes(drAccount))
    throw new InputError(
      'dr-account',
      drAccount,
      `an account that is not one of accounts, whose snapshots are pruned`,
    )
  if (drRoleName === undefined)
    throw new InputError(
      'dr-role-name',
      '',
      'the name of the role to assume in dr-account (required with dr-account)',
    )
  if (!ROLE_NAME.test(drRoleName))
    throw new InputError(
      'dr-role-name',
      drRoleName,
      'a role name: 1 to 64 letters, digits and any of _+=,.@-',
    )
  return { drAccount, drRoleName }
}

/** verify-restore and the inputs that only shape its tests. */
function restoreInputs(inputs: Inputs): Pick<Settings, 'restoreTests' | 'restoreTimeoutMs'> {
  const verify = inputs.boolean('verify-restore', false)
  if (!verify) {
    for (const name of ['restore-tests-per-run', 'restore-timeout-minutes']) {
      const value = inputs.raw(name)
      if (value !== '') throw new InputError(name, value, 'no value unless verify-restore is true')
    }
    return {}
  }
  const perRun = inputs.integer('restore-tests-per-run', { default: 5, min: 1, max: 1000 })
  const minutes = inputs.optionalNumber('restore-timeout-minutes', { min: 0.05, max: 720 }) ?? 30
  return { restoreTests: { perRun }, restoreTimeoutMs: Math.round(minutes * 60_000) }
}

/** Reads and validates every input; throws InputError before any AWS call. */
export function getSettings(inputs: Inputs = new Inputs()): Settings {
  const regions = inputs.regions('regions', { required: true })
  const accountSettings = readAccountSettings(inputs)
  const filters = tagFilters(inputs)
  const volumeIds = inputs.list('volume-ids')
  for (const id of volumeIds) {
    if (!VOLUME_ID.test(id))
      throw new InputError('volume-ids', id, 'EBS volume ids such as vol-0123456789abcdef0')
  }
  const main = policy(inputs, '')
  main.keepLast ??= 7
  refuseEmptyPolicy(inputs, '', main)
  const drRegion = inputs.region('dr-region')
  if (drRegion !== undefined) {
    validateRegions('dr-region', drRegion, [...regions, drRegion])
    // A region pruned as a source and as the DR region would copy its snapshots onto itself.
    if (regions.includes(drRegion))
      throw new InputError(
        'dr-region',
        drRegion,
        `a region that is not one of regions (${regions.join(', ')})`,
      )
  }
  const drOnly = [
    'dr-keep-last',
    'dr-keep-within',
    'dr-keep-daily',
    'dr-keep-weekly',
    'dr-keep-monthly',
    'kms-key-id',
  ]
  if (drRegion === undefined) {
    for (const name of drOnly) {
      const value = inputs.raw(name)
      if (value !== '') throw new InputError(name, value, `no value unless dr-region is set`)
    }
  }
  const drPolicy = policy(inputs, 'dr-', main)
  if (drRegion !== undefined) refuseEmptyPolicy(inputs, 'dr-', drPolicy)
  const kmsAccepted =
    'a KMS key id (or Multi-Region key id mrk-...), key ARN, alias (alias/name) or alias ARN in the DR region'
  const kmsKeyId = inputs.matching('kms-key-id', KMS_KEY, kmsAccepted)
  const kmsRegion = kmsKeyId === undefined ? undefined : KMS_KEY.exec(kmsKeyId)?.[2]
  if (kmsRegion !== undefined && kmsRegion !== drRegion) {
    // CopySnapshot encrypts with a key in the destination region; a Multi-Region key's replica there has its own ARN.
    throw new InputError('kms-key-id', kmsKeyId!, `${kmsAccepted} (${drRegion}, not ${kmsRegion})`)
  }
  const protectTag = inputs.string('protect-tag', { default: 'DoNotDelete' })
  if (protectTag.length > 128)
    throw new InputError('protect-tag', protectTag, 'a tag key of at most 128 characters')
  const allVolumes = inputs.boolean('all-volumes', false)
  if (allVolumes && (filters.length > 0 || volumeIds.length > 0)) {
    throw new InputError(
      'all-volumes',
      inputs.raw('all-volumes'),
      'false (or empty) when filters or volume-ids narrow the scope',
    )
  }
  if (!allVolumes && filters.length === 0 && volumeIds.length === 0) {
    // Regions alone would prune every volume's snapshots in them: the scope must be said.
    throw new InputError(
      'filters',
      '',
      "a scope: tag filters in 'filters', volume ids in 'volume-ids', or 'all-volumes: true' to prune the snapshots of every volume in the regions (neither filters nor volume-ids is set)",
    )
  }
  const drAccess = drAccountInputs(inputs, drRegion, accountSettings.accounts)
  const archiveAfter = archiveAfterInput(inputs, main, drRegion === undefined ? undefined : drPolicy)
  const restore = restoreInputs(inputs)
  return {
    regions,
    ...accountSettings,
    ...(archiveAfter !== undefined ? { archiveAfter } : {}),
    ...restore,
    ...drAccess,
    filters,
    volumeIds,
    allVolumes,
    policy: main,
    drRegion,
    drPolicy,
    kmsKeyId,
    protectTag,
    includeArchived: inputs.boolean('include-archived', false),
    maxDelete: inputs.integer('max-delete', { default: 100, min: 0, max: 1_000_000 }),
    dryRun: inputs.boolean('dry-run', false),
    maxRate: inputs.optionalNumber('max-rate', { min: 0.01, max: 1000 }),
  }
}
