import {
  describeValidationError,
  validationErrorsOf,
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
