/** Reading stacks and their events: the calls every step of a region's deploy shares. */
import {
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type CloudFormationClient,
  type Stack,
} from '@aws-sdk/client-cloudformation'
import { errorCode, errorMessage } from '../../../lib/aws.js'
import type { EventTracker, StackEventLike } from './plan.js'

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

export function isMissingStack(error: unknown): boolean {
  return errorCode(error) === 'ValidationError' && /does not exist/i.test(errorMessage(error))
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

/** The stack by name or id; a stack that does not exist gives an empty snapshot. */
export async function readStack(cfn: CloudFormationClient, stack: string): Promise<StackSnapshot> {
  try {
    const answer = await cfn.send(new DescribeStacksCommand({ StackName: stack }))
    return snapshotOf(answer.Stacks?.[0])
  } catch (error) {
    if (isMissingStack(error)) return snapshotOf(undefined)
    throw error
  }
}

/** Pages read at most per poll; a page holds 100 events, newest first. */
const MAX_EVENT_PAGES = 5

/**
 * The stack's events not seen before, oldest first. Pages stop at the first
 * event already seen, so a poll usually costs one call.
 */
export async function readNewEvents(
  cfn: CloudFormationClient,
  stack: string,
  tracker: EventTracker,
): Promise<StackEventLike[]> {
  const collected: StackEventLike[] = []
  let token: string | undefined
  for (let page = 0; page < MAX_EVENT_PAGES; page++) {
    const answer = await cfn.send(new DescribeStackEventsCommand({ StackName: stack, NextToken: token }))
    const events = answer.StackEvents ?? []
    collected.push(...events)
    token = answer.NextToken
    if (!token || events.some((e) => e.EventId && tracker.has(e.EventId))) break
  }
  return tracker.add(collected)
}

/** A stack's events, oldest first (at most MAX_EVENT_PAGES pages, the newest ones). */
export async function readEvents(cfn: CloudFormationClient, stack: string): Promise<StackEventLike[]> {
  const collected: StackEventLike[] = []
  let token: string | undefined
  for (let page = 0; page < MAX_EVENT_PAGES; page++) {
    const answer = await cfn.send(new DescribeStackEventsCommand({ StackName: stack, NextToken: token }))
    collected.push(...(answer.StackEvents ?? []))
    token = answer.NextToken
    if (!token) break
  }
  return collected.reverse()
}

/** Every event id currently listed, to mark the history before this run as seen. */
export async function primeEvents(
  cfn: CloudFormationClient,
  stack: string,
  tracker: EventTracker,
): Promise<void> {
  try {
    const answer = await cfn.send(new DescribeStackEventsCommand({ StackName: stack }))
    tracker.prime(answer.StackEvents ?? [])
  } catch (error) {
    if (!isMissingStack(error)) throw error
  }
}
