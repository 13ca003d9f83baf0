/** A stack as DescribeStacks answers it, in the shape every step of a target's deploy reads. */
import type { Stack } from '@aws-sdk/client-cloudformation'
import type { StackSnapshot } from './model.js'

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
