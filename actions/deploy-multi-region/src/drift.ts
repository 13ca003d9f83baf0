/**
 * Drift before deploy: whether the stack's resources still match its template,
 * read before a change set is planned against it. DetectStackDrift starts the
 * detection, DescribeStackDriftDetectionStatus says when it is done ("can take
 * up to several minutes"), DescribeStackResourceDrifts lists what drifted.
 */
import type {
  DescribeStackDriftDetectionStatusCommandOutput,
  StackResourceDrift,
} from '@aws-sdk/client-cloudformation'
import type { CloudFormationApi } from './cloudformation-api.js'
import type { DriftedResource, DriftReport } from './model.js'

/** Values longer than this are cut in logs and summaries (a policy document can be kilobytes). */
const MAX_VALUE = 200

function cut(value: string | undefined): string {
  const text = value ?? ''
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text
}

/**
 * The drifted resources. Property values are kept only with `values` (the
 * `drift-values` input): without it, each difference is its property path and
 * kind, as expected and actual values can be configuration nobody else should
 * read (drift runs in previews of production stacks too).
 */
export function driftedResources(drifts: readonly StackResourceDrift[], values = false): DriftedResource[] {
  return drifts.flatMap((d) => {
    const status = d.StackResourceDriftStatus
    if (status !== 'MODIFIED' && status !== 'DELETED') return []
    const differences = (d.PropertyDifferences ?? []).map((p) => ({
      path: p.PropertyPath ?? '',
      ...(values ? { expected: cut(p.ExpectedValue), actual: cut(p.ActualValue) } : {}),
      kind: p.DifferenceType ?? '',
    }))
    return [{ logicalId: d.LogicalResourceId ?? '', type: d.ResourceType ?? '', status, differences }]
  })
}

/** A DifferenceType in words: "ADD", "REMOVE" or "NOT_EQUAL". */
export function differenceKind(kind: string): string {
  return (
    { ADD: 'added', REMOVE: 'removed', NOT_EQUAL: 'not equal' }[kind] ?? (kind.toLowerCase() || 'differs')
  )
}

/** One line per drifted resource: which properties differ and how (with `drift-values`, the values). */
export function describeDrift(resource: DriftedResource): string {
  if (resource.status === 'DELETED')
    return `${resource.logicalId} [${resource.type}] DELETED outside CloudFormation`
  const diffs = resource.differences.map((d) =>
    d.expected === undefined && d.actual === undefined
      ? `${d.path} (${differenceKind(d.kind)})`
      : `${d.path}: expected ${d.expected ?? ''}, actual ${d.actual ?? ''}`,
  )
  return `${resource.logicalId} [${resource.type}] MODIFIED${diffs.length ? `: ${diffs.join('; ')}` : ''}`
}

export type Poll = <T>(what: string, check: () => Promise<T | undefined>) => Promise<T>

/** Detects the stack's drift and waits for the result; the drifted resources with their differences. */
export async function detectDrift(
  api: CloudFormationApi,
  stackId: string,
  poll: Poll,
  values = false,
): Promise<DriftReport> {
  const id = await api.detectStackDrift(stackId)
  const status: DescribeStackDriftDetectionStatusCommandOutput = await poll(
    `drift detection ${id}`,
    async () => {
      const answer = await api.driftDetectionStatus(id)
      return answer.DetectionStatus === 'DETECTION_IN_PROGRESS' ? undefined : answer
    },
  )
  const report: DriftReport = {
    stackDriftStatus: status.StackDriftStatus ?? 'UNKNOWN',
    detectionStatus: status.DetectionStatus ?? 'UNKNOWN',
    ...(status.DetectionStatusReason ? { detectionStatusReason: status.DetectionStatusReason } : {}),
    resources: [],
  }
  if (report.stackDriftStatus !== 'DRIFTED') return report
  report.resources = driftedResources(await api.driftedResourceDrifts(stackId), values)
  return report
}
