import { randomUUID } from 'node:crypto'
import {
  forwardTo,
  queryErrorReply,
  queryReply,
  startLoopbackProxy,
  type LoopbackProxy,
  type ProxyReply,
  type ProxyRequest,
} from './loopback-proxy.js'
import { changeSetTemplates } from './cfn-change-set-templates.js'

/**
 * CloudFormation behaviours that change management relies on and moto lacks,
 * served the way the CloudFormation API reference documents them. Every other
 * request goes to moto unchanged.
 *
 * - Replacement (ResourceChange): "For the Modify action, indicates whether
 *   CloudFormation will replace the resource by creating a new one and deleting
 *   the old one ... True, False, Conditional". moto never sets it. The test says
 *   which logical ids a change set replaces (`replacements`); the layer adds the
 *   field to every Modify of that id in DescribeChangeSet. Simpler than AWS: AWS
 *   derives it from the properties that change (RequiresRecreation); here it is
 *   given, per logical id, for every change set.
 * - LastUpdatedTime (Stack): "The time the stack was last updated. This field
 *   will only be returned if the stack has been updated at least once." moto never
 *   returns it. The layer stamps the time of each ExecuteChangeSet of an UPDATE
 *   change set (and of UpdateStack) and adds it to DescribeStacks.
 * - ExecuteChangeSet: "When you execute a change set, CloudFormation deletes all
 *   other change sets associated with the stack because they aren't valid for the
 *   updated stack." moto keeps them AVAILABLE. The layer answers
 *   DescribeChangeSet / ExecuteChangeSet of such a change set with AWS's
 *   `ChangeSetNotFound` error ("The specified change set name or ID doesn't
 *   exit", HTTP 404), and so for a change set deleted with DeleteChangeSet (moto
 *   answers those with an HTML 500).
 * - Drift detection (moto answers an HTML 500): DetectStackDrift "returns a
 *   StackDriftDetectionId you can use to monitor the progress of the operation
 *   using DescribeStackDriftDetectionStatus"; its DetectionStatus is
 *   DETECTION_IN_PROGRESS, then DETECTION_COMPLETE, with StackDriftStatus DRIFTED
 *   or IN_SYNC and DriftedStackResourceCount ("NULL until the drift detection
 *   operation reaches a status of DETECTION_COMPLETE"). DescribeStackResourceDrifts
 *   lists StackResourceDrift members (LogicalResourceId, ResourceType,
 *   StackResourceDriftStatus, PropertyDifferences of PropertyPath, ExpectedValue,
 *   ActualValue, DifferenceType: "present only for resources whose
 *   StackResourceDriftStatus is MODIFIED"), filtered by
 *   StackResourceDriftStatusFilters. The test says what drifted (`drift`) and for
 *   how many status reads a detection stays in progress (`driftPolls`). A
 *   detection the test fails (`driftFailed`) ends DETECTION_FAILED with its
 *   DetectionStatusReason: "The stack drift detection operation has failed for at
 *   least one resource in the stack. Results will be available for resources on
 *   which CloudFormation successfully completed drift detection." For a stack in
 *   `driftUnavailable`, DetectStackDrift goes to moto (its HTML 500), as an
 *   endpoint without the operation answers. Simpler
 *   than AWS: nothing is compared, there are no ExpectedProperties /
 *   ActualProperties documents and no pagination; an unknown detection id is a
 *   ValidationError.
 * - Early validation (moto accepts every change set and does not implement
 *   DescribeEvents: HTML 500). For a stack the test names (`failValidation`), the
 *   change set is FAILED with ExecutionStatus UNAVAILABLE and the given
 *   StatusReason, and, when `describeEvents` is on, DescribeEvents with
 *   ChangeSetName answers OperationEvents of EventType VALIDATION_ERROR
 *   (LogicalResourceId, ResourceType, ValidationName, ValidationStatus FAILED,
 *   ValidationStatusReason, ValidationPath), as the API reference's OperationEvent
 *   lists them ("Validation errors - Failures from CloudFormation Early
 *   Validations"). Simpler than AWS: the failure is given, not found; no
 *   OperationId, no pagination; Filters.FailedEvents is accepted and all given
 *   events are failed ones. An event the test marks `mode: 'WARN'` carries
 *   ValidationFailureMode WARN; one with a `hook` is a HOOK_INVOCATION_ERROR
 *   (HookType, HookStatus HOOK_COMPLETE_FAILED, HookFailureMode, HookStatusReason).
 *   OperationEvent documents both modes: "FAIL Stops provisioning resources. WARN
 *   Allows provisioning to continue with a warning message."
 * - A nested change set that fails (`failNestedValidation`, by the nested stack's
 *   logical id, which `nestedChanges` must also name): the parent change set is
 *   FAILED with StatusReason "Nested change set <arn> was not successfully
 *   created: Currently in FAILED.", and only the nested change set's own
 *   DescribeChangeSet (its StatusReason) and DescribeEvents say why. Simpler than
 *   AWS: the parent's Changes are left out.
 * - Nested change sets (IncludeNestedStacks; moto makes none): a nested stack's
 *   ResourceChange carries ChangeSetId, "The change set ID of the nested change
 *   set", which DescribeChangeSet answers with its own Changes (and
 *   ParentChangeSetId). The test gives each nested stack's changes by its logical
 *   id (`nestedChanges`); a nested stack among them that has changes of its own
 *   carries the ChangeSetId of its own nested change set, at any depth. A change
 *   may carry PolicyAction, "The action that will be taken on the physical
 *   resource when the change set is executed" (Delete, Retain, Snapshot,
 *   ReplaceAndDelete, ReplaceAndRetain, ReplaceAndSnapshot), and Action Dynamic
 *   ("exact action for the resource can't be determined"). Simpler than AWS: no
 *   nested stack is made for the change set, and a nested change set cannot be
 *   executed or deleted on its own.
 * - A failed update inside a nested stack (moto finishes every update): for a
 *   stack the test names (`failNested`), after ExecuteChangeSet DescribeStacks
 *   reports UPDATE_ROLLBACK_COMPLETE and DescribeStackEvents lists, newest first
 *   and with the execution's ClientRequestToken ("All events triggered by a given
 *   stack operation are assigned the same client request token"), the nested
 *   stack resource's UPDATE_FAILED "Embedded stack <arn> was not successfully
 *   updated" with the nested stack's ARN as PhysicalResourceId; DescribeStackEvents
 *   of that ARN lists the nested resource's own failure. Simpler than AWS: the
 *   resources moto updated stay updated, and no rollback events are listed.
 * - GetTemplate with ChangeSetName (moto ignores it and answers the stack's
 *   template): "ChangeSetName: The name or Amazon Resource Name (ARN) of a change
 *   set for which CloudFormation returns the associated template. If you specify a
 *   name, you must also specify the StackName." Answered by
 *   test/support/cfn-change-set-templates.ts (the template submitted with the
 *   change set); a deleted change set is ChangeSetNotFound.
 * Simpler than AWS throughout: stacks are keyed by region and name.
 */
export interface LayerNestedFailure {
  nestedLogicalId: string
  resource: string
  type: string
  reason: string
}
export interface LayerValidation {
  /** The change set's StatusReason. */
  reason: string
  events: Array<{
    logicalId?: string
    type?: string
    path?: string
    name?: string
    message: string
    /** ValidationFailureMode (HookFailureMode for a hook); FAIL when not given. */
    mode?: 'FAIL' | 'WARN'
    /** A Hook's type name: the event is a HOOK_INVOCATION_ERROR. */
    hook?: string
  }>
}
export interface LayerDrift {
  logicalId: string
  type: string
  status: 'MODIFIED' | 'DELETED' | 'IN_SYNC'
  differences?: Array<{ path: string; expected: string; actual: string; kind?: string }>
}
export interface LayerChange {
  action: string
  logicalId: string
  type: string
  replacement?: string
  /** PolicyAction: Delete, Retain, Snapshot, ReplaceAndDelete, ReplaceAndRetain or ReplaceAndSnapshot. */
  policyAction?: string
}
export interface ChangeManagementLayer extends LoopbackProxy {
  /** logical id (or region/logical id, for one region) -> the Replacement every Modify of it reports. */
  replacements: Map<string, 'True' | 'False' | 'Conditional'>
  /**
   * Logical ids whose changes DescribeChangeSet leaves out: AWS "compares the stack's
   * information with the information that you submit in the change set and lists the
   * differences", while moto lists some unchanged resources as Modify.
   */
  unchanged: Set<string>
  /** Operations seen, in order, as `region:Operation`. */
  calls: string[]
  /** Requests seen, for assertions on what was sent. */
  requests: ProxyRequest[]
  /** Change set ARNs passed to ExecuteChangeSet that the layer let through, in order. */
  executed: string[]
  /** region/stack name -> the drift its next detections report (none: IN_SYNC). */
  drift: Map<string, LayerDrift[]>
  /** region/stack name -> the DetectionStatusReason of its detections, which end DETECTION_FAILED. */
  driftFailed: Map<string, string>
  /** region/stack names whose DetectStackDrift moto answers (an HTML 500: no such operation). */
  driftUnavailable: Set<string>
  /** How many status reads a detection answers DETECTION_IN_PROGRESS before it completes. */
  driftPolls: number
  /** region/stack name -> the early-validation failure of its change sets. */
  failValidation: Map<string, LayerValidation>
  /** Nested stack logical id -> the failure of its nested change sets (the parent then FAILED). */
  failNestedValidation: Map<string, LayerValidation>
  /** Serve DescribeEvents (off: moto's HTML 500, as where the API is missing). */
  describeEvents: boolean
  /** Nested stack logical id -> the changes of its nested change set (a nested stack among them has its own). */
  nestedChanges: Map<string, LayerChange[]>
  /** region/stack name -> the nested failure its next execution ends in. */
  failNested: Map<string, LayerNestedFailure>
  reset(): void
}

interface ChangeSetRecord {
  region: string
  stackName: string
  type: string
}

function stackNameOf(nameOrId: string): string {
  return /^arn:[^:]+:cloudformation:[^:]+:\d+:stack\/([^/]+)\//.exec(nameOrId)?.[1] ?? nameOrId
}

function tag(body: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1]
}

export async function startChangeManagementLayer(
  target: string,
  /** May answer a request itself before the layer does; undefined lets the layer handle it. */
  intercept?: (
    req: ProxyRequest,
    forward: () => Promise<ProxyReply>,
  ) => Promise<ProxyReply | 'drop'> | undefined,
): Promise<ChangeManagementLayer> {
  const replacements = new Map<string, 'True' | 'False' | 'Conditional'>()
  const unchanged = new Set<string>()
  const calls: string[] = []
  const requests: ProxyRequest[] = []
  const executed: string[] = []
  const changeSets = new Map<string, ChangeSetRecord>()
  const templates = changeSetTemplates(target)
  const gone = new Set<string>()
  const lastUpdated = new Map<string, string>()
  const key = (region: string, stack: string) => `${region}/${stackNameOf(stack)}`
  const drift = new Map<string, LayerDrift[]>()
  const driftFailed = new Map<string, string>()
  const driftUnavailable = new Set<string>()
  const detections = new Map<string, { region: string; stack: string; stackId: string; reads: number }>()
  const settings = { driftPolls: 1, describeEvents: false }
  const failValidation = new Map<string, LayerValidation>()
  const failNestedValidation = new Map<string, LayerValidation>()
  const nestedChanges: ChangeManagementLayer['nestedChanges'] = new Map()
  const nestedSets = new Map<string, { parent: string; logicalId: string }>()
  const failNested = new Map<string, LayerNestedFailure>()
  /** region/stack -> the failed execution's events (newest first) and the nested stack's. */
  const failed = new Map<string, { events: string[]; nestedArn: string; nestedEvents: string[] }>()
  const eventXml = (e: Record<string, string | undefined>) =>
    `<member>${Object.entries(e)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${escape(v!)}</${k}>`)
      .join('')}</member>`
  const xml = (operation: string, result: string): ProxyReply =>
    queryReply(operation, 'http://cloudformation.amazonaws.com/doc/2010-05-15/', result)
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

  /** The change set's id from its ARN, or from its name and stack. */
  const resolve = (req: ProxyRequest): string | undefined => {
    const name = req.params.get('ChangeSetName') ?? ''
    if (name.startsWith('arn:')) return name
    const stack = req.params.get('StackName') ?? ''
    for (const [id, record] of changeSets)
      if (
        record.region === req.region &&
        record.stackName === stackNameOf(stack) &&
        id.includes(`:changeSet/${name}/`)
      )
        return id
    return undefined
  }
  const notFound = (req: ProxyRequest) =>
    queryErrorReply(
      404,
      'ChangeSetNotFound',
      `ChangeSet [${req.params.get('ChangeSetName') ?? ''}] does not exist`,
    )

  const proxy = await startLoopbackProxy(target, async (req, forward) => {
    calls.push(`${req.region}:${req.operation}`)
    requests.push(req)
    const intercepted = intercept?.(req, forward)
    if (intercepted) return intercepted
    if (req.service !== 'cloudformation') return forward()
    const id = ['DescribeChangeSet', 'ExecuteChangeSet', 'DeleteChangeSet', 'DescribeEvents'].includes(
      req.operation,
    )
      ? resolve(req)
      : undefined
    if (id && gone.has(id)) return notFound(req)

    switch (req.operation) {
      case 'DetectStackDrift': {
        const stack = req.params.get('StackName') ?? ''
        if (driftUnavailable.has(key(req.region, stack))) return forward()
        const stackId = await fetchStackId(target, req, stack)
        if (!stackId) return queryErrorReply(400, 'ValidationError', `Stack with id ${stack} does not exist`)
        const id = randomUUID()
        detections.set(id, { region: req.region, stack: stackNameOf(stackId), stackId, reads: 0 })
        return xml('DetectStackDrift', `<StackDriftDetectionId>${id}</StackDriftDetectionId>`)
      }
      case 'DescribeStackDriftDetectionStatus': {
        const id = req.params.get('StackDriftDetectionId') ?? ''
        const detection = detections.get(id)
        if (!detection) return queryErrorReply(400, 'ValidationError', `Drift detection ${id} does not exist`)
        const now = new Date().toISOString()
        const common = `<StackId>${detection.stackId}</StackId><StackDriftDetectionId>${id}</StackDriftDetectionId><Timestamp>${now}</Timestamp>`
        if (++detection.reads <= settings.driftPolls)
          return xml(
            'DescribeStackDriftDetectionStatus',
            `${common}<DetectionStatus>DETECTION_IN_PROGRESS</DetectionStatus>`,
          )
        const drifted = (drift.get(key(detection.region, detection.stack)) ?? []).filter(
          (d) => d.status !== 'IN_SYNC',
        )
        const failedWhy = driftFailed.get(key(detection.region, detection.stack))
        const outcome =
          failedWhy === undefined
            ? 'DETECTION_COMPLETE</DetectionStatus>'
            : `DETECTION_FAILED</DetectionStatus><DetectionStatusReason>${escape(failedWhy)}</DetectionStatusReason>`
        return xml(
          'DescribeStackDriftDetectionStatus',
          `${common}<DetectionStatus>${outcome}<StackDriftStatus>${drifted.length ? 'DRIFTED' : 'IN_SYNC'}</StackDriftStatus><DriftedStackResourceCount>${drifted.length}</DriftedStackResourceCount>`,
        )
      }
      case 'DescribeStackResourceDrifts': {
        const stack = req.params.get('StackName') ?? ''
        const stackId = await fetchStackId(target, req, stack)
        if (!stackId) return queryErrorReply(400, 'ValidationError', `Stack with id ${stack} does not exist`)
        const filters: string[] = []
        for (let n = 1; req.params.has(`StackResourceDriftStatusFilters.member.${n}`); n++)
          filters.push(req.params.get(`StackResourceDriftStatusFilters.member.${n}`)!)
        const members = (drift.get(key(req.region, stackId)) ?? [])
          .filter((d) => filters.length === 0 || filters.includes(d.status))
          .map((d) => {
            const diffs =
              d.status === 'MODIFIED'
                ? `<PropertyDifferences>${(d.differences ?? [])
                    .map(
                      (p) =>
                        `<member><PropertyPath>${escape(p.path)}</PropertyPath><ExpectedValue>${escape(p.expected)}</ExpectedValue><ActualValue>${escape(p.actual)}</ActualValue><DifferenceType>${p.kind ?? 'NOT_EQUAL'}</DifferenceType></member>`,
                    )
                    .join('')}</PropertyDifferences>`
                : ''
            return `<member><StackId>${stackId}</StackId><LogicalResourceId>${d.logicalId}</LogicalResourceId><PhysicalResourceId>${d.logicalId}-physical</PhysicalResourceId><ResourceType>${d.type}</ResourceType><StackResourceDriftStatus>${d.status}</StackResourceDriftStatus>${diffs}<Timestamp>${new Date().toISOString()}</Timestamp></member>`
          })
        return xml(
          'DescribeStackResourceDrifts',
          `<StackResourceDrifts>${members.join('')}</StackResourceDrifts>`,
        )
      }
      case 'CreateChangeSet': {
        const reply = await forward()
        const created = tag(reply.body?.toString() ?? '', 'Id')
        await templates.record(req, reply)
        if (reply.status === 200 && created)
          changeSets.set(created, {
            region: req.region,
            stackName: req.params.get('StackName') ?? '',
            type: req.params.get('ChangeSetType') ?? 'UPDATE',
          })
        return reply
      }
      case 'GetTemplate': {
        if (!req.params.get('ChangeSetName')) return forward()
        const changeSetId = resolve(req)
        if (changeSetId && gone.has(changeSetId)) return notFound(req)
        return templates.answer(req) ?? forward()
      }
      case 'DeleteChangeSet': {
        if (!id) return notFound(req)
        const reply = await forward()
        if (reply.status === 200) gone.add(id)
        return reply
      }
      case 'ExecuteChangeSet': {
        const reply = await forward()
        const record = id ? changeSets.get(id) : undefined
        const failure = record ? failNested.get(key(record.region, record.stackName)) : undefined
        if (reply.status === 200 && record && failure) {
          const stackId = (await fetchStackId(target, req, record.stackName)) ?? record.stackName
          const token = req.params.get('ClientRequestToken') ?? undefined
          const nestedArn = stackId.replace(
            /:stack\/([^/]+)\/.*$/,
            `:stack/$1-${failure.nestedLogicalId}-NESTED/${randomUUID()}`,
          )
          const at = (ms: number) => new Date(Date.now() + ms).toISOString()
          const base = { StackId: stackId, StackName: record.stackName, ClientRequestToken: token }
          failed.set(key(record.region, record.stackName), {
            nestedArn,
            events: [
              eventXml({
                ...base,
                EventId: randomUUID(),
                LogicalResourceId: record.stackName,
                PhysicalResourceId: stackId,
                ResourceType: 'AWS::CloudFormation::Stack',
                Timestamp: at(3),
                ResourceStatus: 'UPDATE_ROLLBACK_COMPLETE',
              }),
              eventXml({
                ...base,
                EventId: randomUUID(),
                LogicalResourceId: failure.nestedLogicalId,
                PhysicalResourceId: nestedArn,
                ResourceType: 'AWS::CloudFormation::Stack',
                Timestamp: at(2),
                ResourceStatus: 'UPDATE_FAILED',
                ResourceStatusReason: `Embedded stack ${nestedArn} was not successfully updated. Currently, it is in UPDATE_ROLLBACK_IN_PROGRESS state.`,
              }),
              eventXml({
                ...base,
                EventId: randomUUID(),
                LogicalResourceId: failure.nestedLogicalId,
                PhysicalResourceId: nestedArn,
                ResourceType: 'AWS::CloudFormation::Stack',
                Timestamp: at(0),
                ResourceStatus: 'UPDATE_IN_PROGRESS',
              }),
            ],
            nestedEvents: [
              eventXml({
                StackId: nestedArn,
                EventId: randomUUID(),
                LogicalResourceId: failure.resource,
                ResourceType: failure.type,
                Timestamp: at(1),
                ResourceStatus: 'UPDATE_FAILED',
                ResourceStatusReason: failure.reason,
                ClientRequestToken: token,
              }),
            ],
          })
        }
        if (reply.status === 200 && id && record) {
          executed.push(id)
          for (const [other, r] of changeSets)
            if (other !== id && r.region === record.region && r.stackName === record.stackName)
              gone.add(other)
          if (record.type === 'UPDATE')
            lastUpdated.set(key(record.region, record.stackName), new Date().toISOString())
        }
        return reply
      }
      case 'UpdateStack': {
        const reply = await forward()
        if (reply.status === 200)
          lastUpdated.set(key(req.region, req.params.get('StackName') ?? ''), new Date().toISOString())
        return reply
      }
      case 'DescribeEvents': {
        const record = id ?? req.params.get('ChangeSetName') ?? ''
        const stack = changeSets.get(record)
        const nestedOf = nestedSets.get(record)
        const failure = stack
          ? failValidation.get(key(stack.region, stack.stackName))
          : nestedOf
            ? failNestedValidation.get(nestedOf.logicalId)
            : undefined
        if (!settings.describeEvents || !failure) return forward()
        const members = failure.events.map((e, n) => {
          const resource = `${e.logicalId ? `<LogicalResourceId>${e.logicalId}</LogicalResourceId>` : ''}${e.type ? `<ResourceType>${e.type}</ResourceType>` : ''}<Timestamp>${new Date().toISOString()}</Timestamp>`
          if (e.hook)
            return `<member><EventId>${record}-h${n}</EventId><EventType>HOOK_INVOCATION_ERROR</EventType>${resource}<HookType>${e.hook}</HookType><HookStatus>HOOK_COMPLETE_FAILED</HookStatus><HookFailureMode>${e.mode ?? 'FAIL'}</HookFailureMode><HookStatusReason>${escape(e.message)}</HookStatusReason></member>`
          return `<member><EventId>${record}-v${n}</EventId><EventType>VALIDATION_ERROR</EventType>${resource}<ValidationFailureMode>${e.mode ?? 'FAIL'}</ValidationFailureMode>${e.name ? `<ValidationName>${e.name}</ValidationName>` : ''}<ValidationStatus>FAILED</ValidationStatus><ValidationStatusReason>${escape(e.message)}</ValidationStatusReason>${e.path ? `<ValidationPath>${escape(e.path)}</ValidationPath>` : ''}</member>`
        })
        return xml('DescribeEvents', `<OperationEvents>${members.join('')}</OperationEvents>`)
      }
      case 'DescribeChangeSet': {
        const nestedName = req.params.get('ChangeSetName') ?? ''
        const nestedSet = nestedSets.get(nestedName)
        const nestedFailure = nestedSet ? failNestedValidation.get(nestedSet.logicalId) : undefined
        if (nestedSet && nestedFailure)
          return xml(
            'DescribeChangeSet',
            `<ChangeSetId>${nestedName}</ChangeSetId><ParentChangeSetId>${nestedSet.parent}</ParentChangeSetId><Status>FAILED</Status><StatusReason>${escape(nestedFailure.reason)}</StatusReason><ExecutionStatus>UNAVAILABLE</ExecutionStatus><Changes/>`,
          )
        if (nestedSet) {
          const rows = nestedChanges.get(nestedSet.logicalId) ?? []
          const members = rows
            .map((c) => {
              // A nested stack inside a nested stack has a change set of its own, at any depth.
              let child = ''
              if (c.type === 'AWS::CloudFormation::Stack' && nestedChanges.has(c.logicalId)) {
                const childId = nestedName.replace(/\/[^/]+$/, `-${c.logicalId}/${randomUUID()}`)
                nestedSets.set(childId, { parent: nestedName, logicalId: c.logicalId })
                child = `<ChangeSetId>${childId}</ChangeSetId>`
              }
              return `<member><Type>Resource</Type><ResourceChange><Action>${c.action}</Action><LogicalResourceId>${c.logicalId}</LogicalResourceId><ResourceType>${c.type}</ResourceType>${c.replacement ? `<Replacement>${c.replacement}</Replacement>` : ''}${c.policyAction ? `<PolicyAction>${c.policyAction}</PolicyAction>` : ''}${child}</ResourceChange></member>`
            })
            .join('')
          return xml(
            'DescribeChangeSet',
            `<ChangeSetId>${req.params.get('ChangeSetName')}</ChangeSetId><ParentChangeSetId>${nestedSet.parent}</ParentChangeSetId><Status>CREATE_COMPLETE</Status><ExecutionStatus>AVAILABLE</ExecutionStatus><Changes>${members}</Changes>`,
          )
        }
        let reply = await forward()
        if (reply.status === 200 && id && nestedChanges.size > 0) {
          const body = reply
            .body!.toString()
            .replace(/<ResourceChange>([\s\S]*?)<\/ResourceChange>/g, (whole, inner: string) => {
              const logical = tag(inner, 'LogicalResourceId')
              if (
                !logical ||
                tag(inner, 'ResourceType') !== 'AWS::CloudFormation::Stack' ||
                !nestedChanges.has(logical)
              )
                return whole
              const nestedId = id.replace(
                /:changeSet\/([^/]+)\/.*$/,
                `:changeSet/$1-${logical}/${randomUUID()}`,
              )
              nestedSets.set(nestedId, { parent: id, logicalId: logical })
              return `<ResourceChange>${inner}<ChangeSetId>${nestedId}</ChangeSetId></ResourceChange>`
            })
          reply = { ...reply, body }
        }
        const failedNested = [...nestedSets].find(
          ([, n]) => n.parent === id && failNestedValidation.has(n.logicalId),
        )?.[0]
        const record = id ? changeSets.get(id) : undefined
        const failure = failedNested
          ? { reason: `Nested change set ${failedNested} was not successfully created: Currently in FAILED.` }
          : record
            ? failValidation.get(key(record.region, record.stackName))
            : undefined
        if (reply.status === 200 && failure) {
          const failed = reply
            .body!.toString()
            .replace(
              /<Status>[^<]*<\/Status>/,
              `<Status>FAILED</Status><StatusReason>${escape(failure.reason)}</StatusReason>`,
            )
            .replace(
              /<ExecutionStatus>[^<]*<\/ExecutionStatus>/,
              '<ExecutionStatus>UNAVAILABLE</ExecutionStatus>',
            )
            .replace(/<Changes>[\s\S]*<\/Changes>/, '<Changes/>')
          reply = { ...reply, body: failed }
        }
        if (reply.status === 200 && unchanged.size > 0) {
          const kept = reply
            .body!.toString()
            .replace(
              /<member><Type>Resource<\/Type><ResourceChange>([\s\S]*?)<\/ResourceChange><\/member>/g,
              (whole, inner: string) => (unchanged.has(tag(inner, 'LogicalResourceId') ?? '') ? '' : whole),
            )
          reply = { ...reply, body: kept }
        }
        if (reply.status !== 200 || replacements.size === 0) return reply
        const body = reply
          .body!.toString()
          .replace(/<ResourceChange>([\s\S]*?)<\/ResourceChange>/g, (whole, inner: string) => {
            const logical = tag(inner, 'LogicalResourceId')
            const value = logical
              ? (replacements.get(`${req.region}/${logical}`) ?? replacements.get(logical))
              : undefined
            if (tag(inner, 'Action') !== 'Modify' || !value || inner.includes('<Replacement>')) return whole
            return `<ResourceChange>${inner}<Replacement>${value}</Replacement></ResourceChange>`
          })
        return { ...reply, body }
      }
      case 'DescribeStackEvents': {
        const stack = req.params.get('StackName') ?? ''
        const nested = [...failed.values()].find((f) => f.nestedArn === stack)
        if (nested)
          return xml('DescribeStackEvents', `<StackEvents>${nested.nestedEvents.join('')}</StackEvents>`)
        const reply = await forward()
        const failure = failed.get(key(req.region, stack))
        if (reply.status !== 200 || !failure) return reply
        const body = reply
          .body!.toString()
          .replace(/<StackEvents>/, `<StackEvents>${failure.events.join('')}`)
          .replace(/<StackEvents\/>/, `<StackEvents>${failure.events.join('')}</StackEvents>`)
        return { ...reply, body }
      }
      case 'DescribeStacks': {
        let reply = await forward()
        if (reply.status !== 200) return reply
        if (failed.has(key(req.region, req.params.get('StackName') ?? '')))
          reply = {
            ...reply,
            body: reply
              .body!.toString()
              .replace(
                /<StackStatus>[^<]*<\/StackStatus>/,
                '<StackStatus>UPDATE_ROLLBACK_COMPLETE</StackStatus>',
              ),
          }
        // A stack member's StackName comes before its CreationTime (its Parameters may sit between).
        const body = reply
          .body!.toString()
          .replace(
            /(<StackName>([^<]*)<\/StackName>[\s\S]*?<CreationTime>[^<]*<\/CreationTime>)(?!<LastUpdatedTime>)/g,
            (whole, _all: string, name: string) => {
              const when = lastUpdated.get(key(req.region, name))
              return when ? `${whole}<LastUpdatedTime>${when}</LastUpdatedTime>` : whole
            },
          )
        return { ...reply, body }
      }
      default:
        return forward()
    }
  })
  const layer = Object.assign(proxy, {
    replacements,
    unchanged,
    calls,
    requests,
    executed,
    drift,
    driftFailed,
    driftUnavailable,
    failValidation,
    failNestedValidation,
    nestedChanges,
    failNested,
    reset() {
      unchanged.clear()
      nestedChanges.clear()
      nestedSets.clear()
      failNested.clear()
      failed.clear()
      failValidation.clear()
      failNestedValidation.clear()
      settings.describeEvents = false
      drift.clear()
      driftFailed.clear()
      driftUnavailable.clear()
      settings.driftPolls = 1
      replacements.clear()
      calls.length = 0
      requests.length = 0
      executed.length = 0
      proxy.resetStats()
    },
  })
  // An accessor, so a test's assignment reaches the handler.
  Object.defineProperty(layer, 'describeEvents', {
    get: () => settings.describeEvents,
    set: (on: boolean) => {
      settings.describeEvents = on
    },
  })
  return Object.defineProperty(layer, 'driftPolls', {
    get: () => settings.driftPolls,
    set: (n: number) => {
      settings.driftPolls = n
    },
  }) as ChangeManagementLayer
}

/** The stack's id from moto (DescribeStacks sent with the caller's headers; moto does not check signatures). */
async function fetchStackId(target: string, req: ProxyRequest, stack: string): Promise<string | undefined> {
  const body = Buffer.from(
    new URLSearchParams({ Action: 'DescribeStacks', Version: '2010-05-15', StackName: stack }).toString(),
  )
  const reply = await forwardTo(target, { ...req, body })
  if (reply.status !== 200) return undefined
  return /<StackId>([^<]+)<\/StackId>/.exec(reply.body?.toString() ?? '')?.[1]
}
