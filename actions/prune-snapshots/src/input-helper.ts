import { InputError, Inputs, parseKeyValuePairs, validateRegions } from '../../../lib/inputs.js'
import { DURATION_SHAPE, type PlanSettings, type RetentionPolicy, type TagFilter } from './plan.js'

export interface Settings extends PlanSettings {
  kmsKeyId?: string
  maxDelete: number
  dryRun: boolean
  /** Deletions per second per region, when capped. */
  maxRate?: number
}

const VOLUME_ID = /^vol-[0-9a-f]{8}([0-9a-f]{9})?$/
const KMS_KEY =
  /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[0-9a-f-]{36}|alias\/[A-Za-z0-9/_-]+)|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[A-Za-z0-9/_-]+)$/
const COUNT_LIMIT = 100_000

function duration(inputs: Inputs, name: string): string | undefined {
  const value = inputs.optional(name)
  if (value !== undefined && !DURATION_SHAPE.test(value)) {
    throw new InputError(name, value, 'a duration such as 14d, 36h, 2w or 1y6m (y, m, w, d, h)')
  }
  return value
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

/** Reads and validates every input; throws InputError before any AWS call. */
export function getSettings(inputs: Inputs = new Inputs()): Settings {
  const regions = inputs.regions('regions', { required: true })
  const filters = tagFilters(inputs)
  const volumeIds = inputs.list('volume-ids')
  for (const id of volumeIds) {
    if (!VOLUME_ID.test(id))
      throw new InputError('volume-ids', id, 'EBS volume ids such as vol-0123456789abcdef0')
  }
  const main = policy(inputs, '')
  main.keepLast ??= 7
  const drRegion = inputs.region('dr-region')
  if (drRegion !== undefined) validateRegions('dr-region', drRegion, [...regions, drRegion])
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
  const kmsKeyId = inputs.matching(
    'kms-key-id',
    KMS_KEY,
    'a KMS key id, key ARN, alias (alias/name) or alias ARN in the DR region',
  )
  const protectTag = inputs.string('protect-tag', { default: 'DoNotDelete' })
  if (protectTag.length > 128)
    throw new InputError('protect-tag', protectTag, 'a tag key of at most 128 characters')
  return {
    regions,
    filters,
    volumeIds,
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
