import {
  describeValidationError,
  failureReason,
  validationErrorsOf,
  validationFindings,
} from '../../../actions/deploy-multi-region/src/validation-errors.js'

describe('validationErrorsOf', () => {
  it('keeps the validation errors with resource, property and message; leaves other events out', () => {
    const errors = validationErrorsOf([
      { EventType: 'PROGRESS_EVENT', ResourceStatus: 'CREATE_IN_PROGRESS' },
      {
        EventType: 'VALIDATION_ERROR',
        LogicalResourceId: 'Bucket',
        ResourceType: 'AWS::S3::Bucket',
        ValidationName: 'AWS::EarlyValidation::ResourceExistenceCheck',
        ValidationStatus: 'FAILED',
        ValidationStatusReason: 'Resource of type AWS::S3::Bucket with identifier logs already exists',
        ValidationPath: '/Properties/BucketName',
      },
    ] as never)
    expect(errors).toEqual([
      {
        resource: 'Bucket',
        type: 'AWS::S3::Bucket',
        property: '/Properties/BucketName',
        check: 'AWS::EarlyValidation::ResourceExistenceCheck',
        message: 'Resource of type AWS::S3::Bucket with identifier logs already exists',
      },
    ])
    expect(describeValidationError(errors[0]!)).toBe(
      'Bucket /Properties/BucketName: Resource of type AWS::S3::Bucket with identifier logs already exists',
    )
    expect(describeValidationError({ message: 'Template format error' })).toBe('Template format error')
  })
})

describe('validationFindings', () => {
  it('tells WARN-mode validations and Hooks in WARN (warnings) from the failures', () => {
    const found = validationFindings([
      {
        EventType: 'VALIDATION_ERROR',
        LogicalResourceId: 'Bucket',
        ValidationName: 'AWS::EarlyValidation::PropertyValidation',
        ValidationStatus: 'FAILED',
        ValidationFailureMode: 'FAIL',
        ValidationStatusReason: 'bad property',
      },
      {
        EventType: 'VALIDATION_ERROR',
        LogicalResourceId: 'Queue',
        ValidationStatus: 'FAILED',
        ValidationFailureMode: 'WARN',
        ValidationStatusReason: 'only a warning',
      },
      {
        EventType: 'HOOK_INVOCATION_ERROR',
        LogicalResourceId: 'Queue',
        HookType: 'Private::Guard::Encryption',
        HookStatus: 'HOOK_COMPLETE_FAILED',
        HookFailureMode: 'WARN',
        HookStatusReason: 'not encrypted',
      },
      {
        EventType: 'HOOK_INVOCATION_ERROR',
        LogicalResourceId: 'Table',
        HookType: 'Private::Guard::Backup',
        HookStatus: 'HOOK_COMPLETE_FAILED',
        HookFailureMode: 'FAIL',
        HookStatusReason: 'no backup plan',
      },
    ] as never)
    expect(found.errors.map(describeValidationError)).toEqual([
      'Bucket: bad property',
      'Table: no backup plan',
    ])
    expect(found.warnings.map(describeValidationError)).toEqual([
      'Queue: only a warning',
      'Queue: not encrypted',
    ])
  })

  it('keeps the status reason beside the errors', () => {
    expect(failureReason('The following hook(s)/validation failed', [{ message: 'bad' }])).toBe(
      'The following hook(s)/validation failed (1 validation error(s): bad)',
    )
    expect(failureReason('Template error', [])).toBe('Template error')
    expect(failureReason(undefined, [])).toBe('FAILED')
  })
})
