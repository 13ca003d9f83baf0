/**
 * AWS regions by partition. One job's credentials reach a single partition, so a
 * region list that mixes partitions is refused early instead of failing half way.
 * A region launched after this list was written can be allowed with the
 * MULTI_REGION_ACTIONS_EXTRA_REGIONS environment variable (commas or spaces).
 */
export const PARTITION_REGIONS: Readonly<Record<string, readonly string[]>> = {
  aws: [
    'af-south-1',
    'ap-east-1',
    'ap-east-2',
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-northeast-3',
    'ap-south-1',
    'ap-south-2',
    'ap-southeast-1',
    'ap-southeast-2',
    'ap-southeast-3',
    'ap-southeast-4',
    'ap-southeast-5',
    'ap-southeast-6',
    'ap-southeast-7',
    'ca-central-1',
    'ca-west-1',
    'eu-central-1',
    'eu-central-2',
    'eu-north-1',
    'eu-south-1',
    'eu-south-2',
    'eu-west-1',
    'eu-west-2',
    'eu-west-3',
    'il-central-1',
    'me-central-1',
    'me-south-1',
    'mx-central-1',
    'sa-east-1',
    'us-east-1',
    'us-east-2',
    'us-west-1',
    'us-west-2',
  ],
  'aws-cn': ['cn-north-1', 'cn-northwest-1'],
  'aws-us-gov': ['us-gov-east-1', 'us-gov-west-1'],
  'aws-iso': ['us-iso-east-1', 'us-iso-west-1'],
  'aws-iso-b': ['us-isob-east-1'],
  'aws-iso-e': ['eu-isoe-west-1'],
  'aws-iso-f': ['us-isof-east-1', 'us-isof-south-1'],
  'aws-eusc': ['eusc-de-east-1'],
}

/**
 * The regions of the aws partition that are disabled in an account until it opts in (those
 * launched after March 20, 2019, per AWS Account Management's "Enable or disable Regions").
 * A call to one the account has not enabled fails, so it is never chosen for a call the run
 * makes on the side (STS), only for the work the user asked for there.
 */
export const OPT_IN_REGIONS: ReadonlySet<string> = new Set([
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-south-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-west-1',
  'eu-central-2',
  'eu-south-1',
  'eu-south-2',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
])

export const EXTRA_REGIONS_ENV = 'MULTI_REGION_ACTIONS_EXTRA_REGIONS'

/** The shape every AWS region name has: `us-east-1`, `us-gov-west-1`, `us-isob-east-1`. */
export const REGION_SHAPE = /^[a-z]{2,4}(-[a-z]{2,5})?-[a-z]+-\d{1,2}$/

export function extraRegions(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env[EXTRA_REGIONS_ENV] ?? '')
    .split(/[\s,]+/)
    .map((r) => r.trim())
    .filter((r) => r !== '')
}

/** The partition a region belongs to, or undefined for an unknown region. */
export function partitionOf(region: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const [partition, regions] of Object.entries(PARTITION_REGIONS)) {
    if (regions.includes(region)) return partition
  }
  if (extraRegions(env).includes(region)) {
    if (region.startsWith('cn-')) return 'aws-cn'
    if (region.startsWith('us-gov-')) return 'aws-us-gov'
    return 'aws'
  }
  return undefined
}

/** Disabled until an account opts in: the listed ones, and any allowed through the environment (all newer). */
export function isOptInRegion(region: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    OPT_IN_REGIONS.has(region) ||
    (extraRegions(env).includes(region) && !PARTITION_REGIONS.aws!.includes(region))
  )
}

export function isKnownRegion(region: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return partitionOf(region, env) !== undefined
}
