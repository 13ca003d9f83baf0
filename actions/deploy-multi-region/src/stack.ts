/** A stack as DescribeStacks answers it, in the shape every step of a target's deploy reads. */
import type { Stack } from '@aws-sdk/client-cloudformation'

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

export function snapshotOf(stack: Stack | undefined): StackSnapshot {
  if (!stack) return { outputs: {}, parameterKeys: [], readAt: Date.now() }
  const outputs: Record<string, string> = {}
  for (const o of stack.Outputs ?? []) if (o.OutputKey) outputs[o.OutputKey] = o.OutputValue ?? ''
  return {
    status: stack.StackStatus,
    stackId: stack.StackId,
    statusReason: stack.StackStatusReason,
    outputs,
    parameterKeys: (stack.Parameters ?? []).flatMap((p) => (p.ParameterKey ? [p.ParameterKey] : [])),
    parameterValues: Object.fromEntries(
      (stack.Parameters ?? []).flatMap((p) =>
        p.ParameterKey ? [[p.ParameterKey, p.ParameterValue ?? '']] : [],
      ),
    ),
    terminationProtection: stack.EnableTerminationProtection,
    ...(stack.LastUpdatedTime ? { lastUpdatedTime: stack.LastUpdatedTime.toISOString() } : {}),
    readAt: Date.now(),
  }
}
