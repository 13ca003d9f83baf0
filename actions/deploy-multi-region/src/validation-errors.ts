/**
 * Why a change set FAILED, resource by resource: CloudFormation's early
 * validations report through DescribeEvents ("Validation errors - Failures from
 * CloudFormation Early Validations"), read with the change set's ARN. The status
 * reason alone only summarises them.
 */
import type { OperationEvent } from '@aws-sdk/client-cloudformation'
import type { CloudFormationApi } from './cloudformation-api.js'
import type { ValidationError } from './model.js'

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

/**
 * The change set's validation errors, or undefined when DescribeEvents is not
 * available (the caller falls back to the status reason).
 */
export async function readValidationErrors(
  api: CloudFormationApi,
  changeSetId: string,
): Promise<ValidationError[] | undefined> {
  const events = await api.failedChangeSetEvents(changeSetId)
  return events === undefined ? undefined : validationErrorsOf(events)
}
