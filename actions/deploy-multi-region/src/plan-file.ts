/**
 * The plan file: what `mode: plan` made and reviewers approved, and what
 * `mode: apply` executes, exactly. Pure: building, parsing and the staleness
 * rules; the reads happen in the region deployer.
 */
import { createHash } from 'node:crypto'
import { InputError } from '../../../lib/inputs.js'
import { targetLabel, type Target } from '../../../lib/target-list.js'
import {
  PLAN_FORMAT,
  PLAN_VERSION,
  type ChangeRow,
  type PlannedChangeSet,
  type PlanDocument,
  type PlannedRegion,
} from './model.js'

export function templateSha256(body: string): string {
  return createHash('sha256').update(body).digest('hex')
}

const ACCEPTED = `a plan file written by deploy-multi-region with mode: plan (JSON with format '${PLAN_FORMAT}', version ${PLAN_VERSION})`
const ARN = /^arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:(stack|changeSet)\/[-A-Za-z0-9]+\/[-a-f0-9]+$/
const SHA256 = /^[a-f0-9]{64}$/

function isString(v: unknown): v is string {
  return typeof v === 'string'
}

function checkRegion(entry: unknown, index: number, fail: (why: string) => never): PlannedRegion {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
    fail(`regions[${index}] is not an object`)
  const r = entry as Record<string, unknown>
  const at = `regions[${index}]`
  if (!isString(r.region)) fail(`${at}.region is missing`)
  if (r.account !== undefined && !(isString(r.account) && /^\d{12}$/.test(r.account)))
    fail(`${at}.account is no 12-digit account id`)
  const changeSetId = r.changeSetId ?? null
  if (
    changeSetId !== null &&
    !(isString(changeSetId) && ARN.test(changeSetId) && changeSetId.includes(':changeSet/'))
  )
    fail(`${at}.changeSetId is no change set ARN`)
  const type = r.changeSetType ?? null
  if (type !== null && type !== 'CREATE' && type !== 'UPDATE')
    fail(`${at}.changeSetType is neither CREATE nor UPDATE`)
  if ((changeSetId === null) !== (type === null))
    fail(`${at} has a change set without a type, or a type without one`)
  const stackId = r.stackId ?? null
  if (stackId !== null && !(isString(stackId) && ARN.test(stackId) && stackId.includes(':stack/')))
    fail(`${at}.stackId is no stack ARN`)
  if (changeSetId !== null && stackId === null) fail(`${at} has a change set but no stackId`)
  const last = r.lastUpdatedTime ?? null
  if (last !== null && !(isString(last) && !Number.isNaN(Date.parse(last))))
    fail(`${at}.lastUpdatedTime is no time`)
  if (!isString(r.templateSha256) || !SHA256.test(r.templateSha256))
    fail(`${at}.templateSha256 is no SHA-256`)
  const submitted = r.submittedTemplateSha256
  if (submitted !== undefined && !(isString(submitted) && SHA256.test(submitted)))
    fail(`${at}.submittedTemplateSha256 is no SHA-256`)
  if (!Array.isArray(r.changes)) fail(`${at}.changes is not a list`)
  const changes = (r.changes as unknown[]).map((c, n) => {
    const row = c as Partial<ChangeRow> | null
    if (!row || !isString(row.action) || !isString(row.logicalId) || !isString(row.type))
      fail(`${at}.changes[${n}] is not a change`)
    return row as ChangeRow
  })
  return {
    ...(isString(r.account) ? { account: r.account } : {}),
    region: r.region,
    changeSetId: changeSetId as string | null,
    changeSetType: type as PlannedRegion['changeSetType'],
    stackId: stackId as string | null,
    lastUpdatedTime: last as string | null,
    templateSha256: r.templateSha256,
    ...(isString(submitted) ? { submittedTemplateSha256: submitted } : {}),
    changes,
  }
}

/**
 * Reads a plan file for `mode: apply`. Refused before any call, as the `plan`
 * input: text that is not JSON, not a plan, a plan of another stack, or one that
 * does not cover exactly the `regions` input.
 */
export function parsePlanFile(
  shown: string,
  text: string,
  expected: {
    stackName: string
    regions: readonly string[]
    /** The (account, region) targets: a plan over several accounts names each target's account. */
    targets?: readonly Target[]
  },
): PlanDocument {
  const fail = (why: string): never => {
    throw new InputError('plan', shown, `${ACCEPTED}; ${why}`)
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (error) {
    fail(`it is not JSON (${error instanceof Error ? error.message : String(error)})`)
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) fail('it is not a JSON object')
  const d = doc as Record<string, unknown>
  if (d.format !== PLAN_FORMAT) fail(`its format is ${JSON.stringify(d.format ?? null)}`)
  if (d.version !== PLAN_VERSION) fail(`its version is ${JSON.stringify(d.version ?? null)}`)
  if (!isString(d.stackName)) fail('it names no stack')
  if (d.stackName !== expected.stackName)
    fail(`it is a plan for stack '${String(d.stackName)}', not for stack-name '${expected.stackName}'`)
  if (!isString(d.template)) fail('it names no template')
  if (!isString(d.createdAt)) fail('it has no createdAt')
  if (!Array.isArray(d.regions)) fail('it has no regions list')
  const regions = (d.regions as unknown[]).map((entry, i) => checkRegion(entry, i, fail))
  const planned = regions.map(targetLabel)
  if (new Set(planned).size !== planned.length) fail('it lists a target twice')
  const wanted = (expected.targets ?? expected.regions.map((region) => ({ region }))).map(targetLabel)
  const missing = wanted.filter((r) => !planned.includes(r))
  const extra = planned.filter((r) => !wanted.includes(r))
  const inputs = expected.targets?.some((t) => t.account !== undefined) ? 'accounts and regions' : 'regions'
  if (missing.length || extra.length)
    fail(
      `its ${inputs === 'regions' ? 'regions' : 'targets'} (${planned.join(', ') || 'none'}) are not the ${inputs} input (${wanted.join(', ')})`,
    )
  return {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    stackName: d.stackName as string,
    template: d.template as string,
    createdAt: d.createdAt as string,
    regions,
  }
}

/** What apply finds before executing: the stack and the change set as they are now. */
export interface LiveState {
  stackId?: string
  stackStatus?: string
  lastUpdatedTime?: string
  /** undefined: the change set no longer exists. */
  changeSet?: { status?: string; executionStatus?: string }
}

/**
 * Why a planned region must not be executed, or undefined when it is exactly as
 * planned. ExecuteChangeSet needs "execution status AVAILABLE"; a stack updated by
 * other means makes the change set OBSOLETE (or deletes it), and a template that
 * changed since planning is not what was reviewed.
 */
export function staleReason(
  planned: PlannedRegion,
  live: LiveState,
  workspaceSha256: string,
): string | undefined {
  if (workspaceSha256 !== planned.templateSha256)
    return `the template in the workspace (SHA-256 ${workspaceSha256.slice(0, 12)}…) is not the planned one (${planned.templateSha256.slice(0, 12)}…)`
  if (planned.stackId !== null && live.stackId !== planned.stackId)
    return live.stackId
      ? `the stack was replaced since planning (its id is ${live.stackId}, the plan has ${planned.stackId})`
      : 'the stack was deleted since planning'
  if (planned.stackId === null && live.stackId !== undefined && live.stackStatus !== 'DELETE_COMPLETE')
    return 'a stack was created since planning'
  if ((live.lastUpdatedTime ?? null) !== planned.lastUpdatedTime)
    return `the stack was updated since planning (LastUpdatedTime ${live.lastUpdatedTime ?? 'none'}, planned at ${planned.lastUpdatedTime ?? 'none'})`
  if (planned.changeSetId === null) return undefined
  if (planned.changeSetType === 'CREATE' && live.stackStatus !== 'REVIEW_IN_PROGRESS')
    return `the stack is ${live.stackStatus ?? 'gone'}, no longer REVIEW_IN_PROGRESS as planned`
  if (!live.changeSet) return `change set ${planned.changeSetId} no longer exists`
  if (live.changeSet.status !== 'CREATE_COMPLETE' || live.changeSet.executionStatus !== 'AVAILABLE')
    return `change set ${planned.changeSetId} is ${live.changeSet.status ?? '?'} / ${live.changeSet.executionStatus ?? '?'}, not CREATE_COMPLETE / AVAILABLE`
  return undefined
}

/** What apply finds behind a planned change set, to hold against the plan. */
export interface FoundChangeSet {
  /** The region and account the change set's ARN names. */
  arn?: { region: string; account: string }
  /** The target's region, and its account (the stack's, for the job's own account). */
  target: { region: string; account?: string }
  /** The StackId DescribeChangeSet answers. */
  stackId?: string
  /** Whether the change set's name is one this toolkit gives for the target (and not a gate's). */
  ownName: boolean
  changes: readonly ChangeRow[]
  /** SHA-256 of GetTemplate's answer for the change set. */
  templateSha256: string
}

/** A change as reviewed: what it does, to which resource, and whether it replaces it. */
function changeKey(c: ChangeRow): string {
  return JSON.stringify([c.action, c.logicalId, c.type, c.replacement ?? '', c.nestedPath ?? []])
}

export function sameChanges(a: readonly ChangeRow[], b: readonly ChangeRow[]): boolean {
  const keys = (rows: readonly ChangeRow[]) => rows.map(changeKey).sort().join('\n')
  return a.length === b.length && keys(a) === keys(b)
}

/** The template hash a planned region's change set (or stack) must have. */
export function plannedSubmittedSha256(planned: PlannedRegion): string {
  return planned.submittedTemplateSha256 ?? planned.templateSha256
}

/**
 * Why a planned change set is not the one the plan was made with (so nothing may
 * be executed), or undefined when it is: its ARN names the target's region and
 * account, it belongs to the planned stack, its name is one this toolkit gave,
 * its changes are the reviewed ones and its template the planned one.
 */
export function changeSetMismatch(planned: PlannedRegion, found: FoundChangeSet): string | undefined {
  const id = planned.changeSetId ?? '?'
  if (!found.arn) return `change set ${id} is no change set ARN`
  if (found.arn.region !== found.target.region)
    return `change set ${id} is in region ${found.arn.region}, not in the target's ${found.target.region}`
  if (found.target.account !== undefined && found.arn.account !== found.target.account)
    return `change set ${id} is in account ${found.arn.account}, not in the target's ${found.target.account}`
  if (!found.ownName) return `change set ${id} was not made by deploy-multi-region for this stack`
  if (found.stackId !== planned.stackId)
    return `change set ${id} belongs to stack ${found.stackId ?? '?'}, not to the planned ${planned.stackId ?? '?'}`
  if (!sameChanges(found.changes, planned.changes))
    return `change set ${id} has changes other than the plan's reviewed ones`
  if (found.templateSha256 !== plannedSubmittedSha256(planned))
    return `the template behind change set ${id} (SHA-256 ${found.templateSha256.slice(0, 12)}…) is not the planned one (${plannedSubmittedSha256(planned).slice(0, 12)}…)`
  return undefined
}

/** The plan file of a run in which every region was planned. */
export function buildPlan(
  settings: { stackName: string; template: { kind: 'file'; input: string } | { kind: 'url'; url: string } },
  results: ReadonlyArray<{
    account?: string
    region: string
    changes: ChangeRow[]
    planned: PlannedChangeSet
  }>,
  sha256: string,
  now: Date,
): PlanDocument {
  return {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    stackName: settings.stackName,
    template: settings.template.kind === 'file' ? settings.template.input : settings.template.url,
    createdAt: now.toISOString(),
    regions: results.map((r) => ({
      ...(r.account !== undefined ? { account: r.account } : {}),
      region: r.region,
      ...r.planned,
      templateSha256: sha256,
      changes: r.changes,
    })),
  }
}
