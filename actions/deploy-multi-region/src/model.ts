/**
 * The types and constants of deploy-multi-region, and nothing else: a leaf that
 * every other module of the action may import (it imports only types from lib/).
 */
import type { AccountSettings, Target } from '../../../lib/targets.js'
import type { Capability, ParameterMap, Tag, TemplateSource } from '../../../lib/cloudformation-inputs.js'
import type { UploadCounts } from '../../../lib/package/upload.js'

export const ON_FAILURE = ['ROLLBACK', 'DELETE', 'DO_NOTHING'] as const
export type OnFailure = (typeof ON_FAILURE)[number]

export const MODES = ['deploy', 'plan-only', 'plan', 'apply'] as const
export type Mode = (typeof MODES)[number]

export const ON_REGION_FAILURE = ['continue', 'rollback-all'] as const
export type OnRegionFailure = (typeof ON_REGION_FAILURE)[number]

export const DRIFT_MODES = ['off', 'warn', 'fail'] as const
export type DriftMode = (typeof DRIFT_MODES)[number]

/** A template read from a workspace file (plan and apply need one: apply checks its SHA-256). */
export type FileTemplate = Extract<TemplateSource, { kind: 'file' }>

/** What every mode reads from the inputs. */
export interface CommonSettings extends AccountSettings {
  stackName: string
  template: TemplateSource
  regions: string[]
  parameters: ParameterMap
  regionParameters: Record<string, ParameterMap>
  capabilities: Capability[]
  tags: Tag[]
  roleArn?: string
  notificationArns: string[]
  /** undefined: leave each stack's setting as it is. */
  terminationProtection?: boolean
  onFailure: OnFailure
  timeoutMinutes?: number
  /** artifact-bucket (or its older name template-bucket), `{region}` and `{account}` not yet replaced; or `auto`. */
  templateBucket?: string
  /** artifact-prefix: the key prefix of packaged artifacts. */
  artifactPrefix: string
  maxParallel: number
  canaryRegions: string[]
  /** Every (account, region) pair, account by account; the regions alone without `accounts`. */
  targets: Target[]
  /** The targets `canary-regions` names: a region in every account, or one `account/region`. */
  canaryTargets: Target[]
  failureTolerance: number
  /**
   * continue: a failed target leaves the others as they are (failure-tolerance applies);
   * rollback-all: the first failure starts no further target and rolls back the targets this run
   * changed (earlier template and parameters; stacks it created are deleted).
   */
  onRegionFailure: OnRegionFailure
  /** CREATE and UPDATE change sets import existing named resources (ImportExistingResources). */
  importExistingResources: boolean
  /** Drift detection before planning: off, warn (report it) or fail (stop that target). */
  drift: DriftMode
  /** `drift-values`: print drifted properties' expected and actual values (never with plan-only). */
  driftValues: boolean
  /** Resource types whose replacement or removal the guard refuses. */
  statefulTypes: string[]
  /** Logical ids (`Parent/Child` in a nested stack) whose replacement or removal is intended; `*` for all. */
  allowReplacement: string[]
}

/** deploy: plan and execute. */
export interface DeploySettings extends CommonSettings {
  mode: 'deploy'
}

/** plan-only: a preview; the change sets are described and deleted. */
export interface PlanOnlySettings extends CommonSettings {
  mode: 'plan-only'
}

/** plan: the change sets are kept and a plan file is written for apply. */
export interface PlanSettings extends CommonSettings {
  mode: 'plan'
  template: FileTemplate
  /** Where the plan file is written. */
  planFile: string
}

/** apply: executes exactly the change sets of a plan file, read and checked before any call. */
export interface ApplySettings extends CommonSettings {
  mode: 'apply'
  template: FileTemplate
  /** The plan file read. */
  planFile: string
  plan: PlanDocument
}

export type Settings = DeploySettings | PlanOnlySettings | PlanSettings | ApplySettings

/** What became of a target's stack in this run. */
export type TargetStatus = 'created' | 'updated' | 'unchanged' | 'planned' | 'failed' | 'skipped'

export type StackAction =
  /** No stack (or only a REVIEW_IN_PROGRESS one left by an earlier change set): CREATE change set. */
  | 'create'
  /** An existing, stable stack: UPDATE change set. */
  | 'update'
  /** ROLLBACK_COMPLETE: the first create failed; the stack can only be deleted and created again. */
  | 'recreate'
  /** Another operation is running on the stack: wait for it, never clobber it. */
  | 'wait'
  /** A state that needs a person (a failed rollback or delete). */
  | 'blocked'

export interface StackDecision {
  action: StackAction
  /** Why, for the printed plan. */
  why: string
}

/** A target's stack as read before anything is done, and what will be done with it. */
export interface TargetPlan {
  /** undefined: the job's own account. */
  account?: string
  region: string
  wave: number
  status?: string
  stackId?: string
  decision: StackDecision
  /** Reading the stack failed: the target fails without a deploy. */
  readError?: string
}

/** The guard's verdict on a change that replaces or removes a stateful resource. */
export type GuardMark = 'blocked' | 'allowed'

export interface ChangeRow {
  action: string
  logicalId: string
  type: string
  /** True, False or Conditional (CloudFormation's words), for a Modify. */
  replacement?: string
  /**
   * PolicyAction: what becomes of the physical resource (Delete, Retain, Snapshot,
   * ReplaceAndDelete, ReplaceAndRetain, ReplaceAndSnapshot), when CloudFormation says.
   */
  policyAction?: string
  /** The logical ids of the nested stacks the resource is in, outermost first (IncludeNestedStacks). */
  nestedPath?: string[]
  /** Set on a change that replaces or removes a stateful resource: the guard's verdict. */
  guard?: GuardMark
}

export interface StackEventLike {
  EventId?: string
  Timestamp?: Date
  LogicalResourceId?: string
  PhysicalResourceId?: string
  ResourceType?: string
  ResourceStatus?: string
  ResourceStatusReason?: string
  /** The token of the operation that caused the event ("All events triggered by a given stack operation are assigned the same client request token"). */
  ClientRequestToken?: string
}

export interface StackSnapshot {
  status?: string
  stackId?: string
  statusReason?: string
  outputs: Record<string, string>
  /** The keys of the parameters the stack has now (their values may be masked, as NoEcho ones are). */
  parameterKeys: string[]
  /** The parameters' values as DescribeStacks answers them ("*****" for a NoEcho one). */
  parameterValues?: Record<string, string>
  terminationProtection?: boolean
  /** "The time the stack was last updated ... only returned if the stack has been updated at least once." */
  lastUpdatedTime?: string
  readAt: number
}

export interface DriftDifference {
  path: string
  /** The values only with `drift-values: true`: they may be configuration nobody else should read. */
  expected?: string
  actual?: string
  /** ADD, REMOVE or NOT_EQUAL. */
  kind: string
}

export interface DriftedResource {
  logicalId: string
  type: string
  /** MODIFIED or DELETED. */
  status: string
  differences: DriftDifference[]
}

export interface DriftReport {
  /** DRIFTED, IN_SYNC, UNKNOWN or NOT_CHECKED, as DescribeStackDriftDetectionStatus answers. */
  stackDriftStatus: string
  /** DETECTION_COMPLETE or DETECTION_FAILED ("has failed for at least one resource"). */
  detectionStatus: string
  detectionStatusReason?: string
  resources: DriftedResource[]
}

export interface ValidationError {
  /** The logical id of the resource, when the error is about one. */
  resource?: string
  type?: string
  /** ValidationPath: where in the resource the problem is, e.g. /Properties/BucketName. */
  property?: string
  /** ValidationName: the check that failed. */
  check?: string
  message: string
}

export const PLAN_FORMAT = 'deploy-multi-region-plan'
export const PLAN_VERSION = 1

/** One region of a plan file (the file's format names them regions: a plan covers one account). */
export interface PlannedRegion {
  /** The target's account in a plan over several accounts; absent: the job's own. */
  account?: string
  region: string
  /** The kept change set's ARN; null when the region had nothing to change. */
  changeSetId: string | null
  changeSetType: 'CREATE' | 'UPDATE' | null
  /** The stack's id at planning (for a CREATE, the REVIEW_IN_PROGRESS stack the change set made). */
  stackId: string | null
  /** The stack's LastUpdatedTime at planning (ISO 8601); null when it was never updated. */
  lastUpdatedTime: string | null
  /** SHA-256 (hex) of the template the change set was made from. */
  templateSha256: string
  /**
   * SHA-256 (hex) of the template CloudFormation holds behind the change set
   * (GetTemplate with ChangeSetName, TemplateStage Original), or, with no change
   * set, the stack's own; apply finds the same before executing. Absent in plans
   * written before it was recorded: then `templateSha256` is what it must be.
   */
  submittedTemplateSha256?: string
  changes: ChangeRow[]
}

export interface PlanDocument {
  format: typeof PLAN_FORMAT
  version: typeof PLAN_VERSION
  stackName: string
  /** The template input as given (a workspace path). */
  template: string
  createdAt: string
  regions: PlannedRegion[]
}

/** What a planned target keeps for the plan file: its change set and the stack it was planned against. */
export type PlannedChangeSet = Omit<PlannedRegion, 'account' | 'region' | 'templateSha256' | 'changes'>

/** on-region-failure rollback-all: what was undone in a target after another one failed. */
export interface RollbackOutcome {
  action: 'restored' | 'deleted'
  outcome: 'done' | 'failed'
  reason?: string
}

/** What one target's deploy (or plan, or apply) came to. */
export interface TargetResult {
  /** The target's account in a run over several accounts; undefined: the job's own. */
  account?: string
  region: string
  status: TargetStatus
  stackId?: string
  outputs: Record<string, string>
  changes: ChangeRow[]
  durationMs: number
  reason?: string
  startedAt?: number
  endedAt?: number
  /** The logical id of the resource whose failure failed the target, when known. */
  failedResource?: string
  /** mode plan: the kept change set and the stack it was planned against, for the plan file. */
  planned?: PlannedChangeSet
  /** The stack's drift, detected before planning (`drift` warn or fail). */
  drift?: DriftReport
  /** Why the change set FAILED, per resource and property (DescribeEvents). */
  validationErrors?: ValidationError[]
  /** on-region-failure rollback-all: what was undone in this target after another one failed. */
  rollback?: RollbackOutcome
  /** The REVIEW_IN_PROGRESS stack a preview (plan-only) made and left: the gate may not delete stacks. */
  reviewStackLeft?: string
}

/** The step's outcome: whether it fails, and the sentence that says so. */
export interface Verdict {
  fail: boolean
  text: string
}

/** What packaging uploaded, by target label (`region` or `account/region`), for the summary. */
export type PackagingCounts = ReadonlyMap<string, UploadCounts>
