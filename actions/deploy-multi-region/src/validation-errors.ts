/**
 * Why a change set FAILED, resource by resource: CloudFormation's early
 * validations report through DescribeEvents ("Validation errors - Failures from
 * CloudFormation Early Validations"), read with the change set's ARN. The status
 * reason alone only summarises them.
 */
import {
  DescribeEventsCommand,
  type CloudFormationClient,
  type OperationEvent,
} from '@aws-sdk/client-cloudformation'
import { isNonAwsAnswer } from '../../../lib/call-errors.js'
import { errorCode } from '../../../lib/aws.js'

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

/** Pages read at most: a change set with more validation errors than this is summarised. */
const MAX_PAGES = 5

export function validationErrorsOf(events: readonly OperationEvent[]): ValidationError[] {
  return events
    .filter((e) => e.EventType === 'VALIDATION_ERROR' || e.ValidationStatus === 'FAILED')
    .map((e) => ({
      ...(e.LogicalResourceId ? { resource: e.LogicalResourceId } : {}),
      ...(e.ResourceType ? { type: e.ResourceType } : {}),
      ...(e.ValidationPath ? { property: e.ValidationPath } : {}),
      ...(e.ValidationName ? { check: e.ValidationName } : {}),
      message: e.ValidationStatusReason ?? e.ResourceStatusReason ?? e.ValidationName ?? 'validation failed',
    }))
}

export function describeValidationError(v: ValidationError): string {
  const where = [v.resource, v.property].filter(Boolean).join(' ')
  return `${where ? `${where}: ` : ''}${v.message}`
}

/** An endpoint without the operation (an older partition, a local emulator) answers like this. */
export class EventsUnavailable extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EventsUnavailable'
  }
}

/**
 * A non-AWS answer (an HTML 500 page, a 404) to DescribeEvents means the
 * endpoint lacks the operation: said at once, as an error without an HTTP status,
 * so the SDK does not spend its retries on an answer that will not change.
 */
const answerOnce = {
  applyToStack(stack: { add(m: unknown, o: object): void }) {
    stack.add(
      (next: (a: unknown) => Promise<unknown>) => async (args: unknown) => {
        try {
          return await next(args)
        } catch (error) {
          if (
            isNonAwsAnswer(error) ||
            errorCode(error) === 'InvalidAction' ||
            errorCode(error) === 'UnknownOperationException'
          )
            throw new EventsUnavailable(
              `DescribeEvents is not available here (${(error as Error).message.split('\n')[0]})`,
            )
          throw error
        }
      },
      { step: 'deserialize', priority: 'high', name: 'describeEventsAnswerOnce' },
    )
  },
}

/**
 * The change set's validation errors, or undefined when DescribeEvents is not
 * available (the caller falls back to the status reason).
 */
export async function readValidationErrors(
  cfn: CloudFormationClient,
  changeSetId: string,
): Promise<ValidationError[] | undefined> {
  const events: OperationEvent[] = []
  let token: string | undefined
  try {
    for (let page = 0; page < MAX_PAGES; page++) {
      const command = new DescribeEventsCommand({
        ChangeSetName: changeSetId,
        Filters: { FailedEvents: true },
        NextToken: token,
      })
      command.middlewareStack.use(answerOnce as never)
      const answer = await cfn.send(command)
      events.push(...(answer.OperationEvents ?? []))
      token = answer.NextToken
      if (!token) break
    }
  } catch (error) {
    if (error instanceof EventsUnavailable) return undefined
    throw error
  }
  return validationErrorsOf(events)
}
