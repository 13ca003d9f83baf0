/**
 * Why a change set FAILED, resource by resource: CloudFormation's early
 * validations report through DescribeEvents ("Validation errors - Failures from
 * CloudFormation Early Validations", "Hook invocation errors"), read with the
 * change set's ARN. The status reason alone only summarises them, and is kept
 * beside them. A validation or Hook whose failure mode is WARN ("Allows
 * provisioning to continue with a warning message") did not fail the change
 * set: it is a warning, not an error.
 */
import type { OperationEvent } from '@aws-sdk/client-cloudformation'
import type { CloudFormationApi } from './cloudformation-api.js'
import type { ValidationError } from './model.js'

/** A change set's validation findings: the errors that failed it and the warnings that did not. */
export interface ValidationFindings {
  errors: ValidationError[]
  warnings: ValidationError[]
}

function isHookEvent(e: OperationEvent): boolean {
  return e.EventType === 'HOOK_INVOCATION_ERROR' || e.HookType !== undefined
}

function isFinding(e: OperationEvent): boolean {
  if (isHookEvent(e)) return e.HookStatus === 'HOOK_COMPLETE_FAILED' || e.HookStatus === 'HOOK_FAILED'
  return e.EventType === 'VALIDATION_ERROR' || e.ValidationStatus === 'FAILED'
}

function isWarning(e: OperationEvent): boolean {
  return isHookEvent(e) ? e.HookFailureMode === 'WARN' : e.ValidationFailureMode === 'WARN'
}

function findingOf(e: OperationEvent): ValidationError {
  const check = isHookEvent(e) ? e.HookType : e.ValidationName
  return {
    ...(e.LogicalResourceId ? { resource: e.LogicalResourceId } : {}),
    ...(e.ResourceType ? { type: e.ResourceType } : {}),
    ...(e.ValidationPath ? { property: e.ValidationPath } : {}),
    ...(check ? { check } : {}),
    message:
      (isHookEvent(e) ? e.HookStatusReason : e.ValidationStatusReason) ??
      e.ResourceStatusReason ??
      check ??
      'validation failed',
  }
}

/** The validation and Hook findings among a change set's events, errors apart from warnings. */
export function validationFindings(events: readonly OperationEvent[]): ValidationFindings {
  const findings = events.filter(isFinding)
  return {
    errors: findings.filter((e) => !isWarning(e)).map(findingOf),
    warnings: findings.filter(isWarning).map(findingOf),
  }
}

/** The findings that failed the change set (WARN-mode ones left out). */
export function validationErrorsOf(events: readonly OperationEvent[]): ValidationError[] {
  return validationFindings(events).errors
}

export function describeValidationError(v: ValidationError): string {
  const where = [v.resource, v.property].filter(Boolean).join(' ')
  return `${where ? `${where}: ` : ''}${v.message}`
}

/**
 * Why a change set failed, in one sentence: its own status reason, with the
 * validation errors read beside it (neither replaces the other).
 */
export function failureReason(statusReason: string | undefined, errors: readonly ValidationError[]): string {
  const listed = errors.length
    ? `${errors.length} validation error(s): ${errors.map(describeValidationError).join('; ')}`
    : ''
  if (!statusReason) return listed || 'FAILED'
  return listed ? `${statusReason} (${listed})` : statusReason
}

/**
 * The change set's validation findings, or undefined when DescribeEvents is not
 * available (the caller falls back to the status reason).
 */
export async function readValidationFindings(
  api: CloudFormationApi,
  changeSetId: string,
): Promise<ValidationFindings | undefined> {
  const events = await api.failedChangeSetEvents(changeSetId)
  return events === undefined ? undefined : validationFindings(events)
}
