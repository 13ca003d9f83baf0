import { logicalIdLine } from '../../../lib/template-location.js'

const YAML_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Queue:
    Type: String
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '\${AWS::StackName}-data'
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Ref Queue
`

describe('logicalIdLine', () => {
  it('finds a resource of a YAML template with short-form tags, not a parameter of the same name', () => {
    expect(logicalIdLine(YAML_TEMPLATE, 'Queue')).toBe(10)
    expect(logicalIdLine(YAML_TEMPLATE, 'Bucket')).toBe(6)
  })
  it('finds a resource of a JSON template', () => {
    const json = JSON.stringify(
      { Resources: { A: { Type: 'AWS::SNS::Topic' }, Queue: { Type: 'AWS::SQS::Queue' } } },
      null,
      2,
    )
    expect(logicalIdLine(json, 'Queue')).toBe(6)
  })
  it('says nothing for a resource the template does not declare', () => {
    expect(logicalIdLine(YAML_TEMPLATE, 'Missing')).toBeUndefined()
    expect(logicalIdLine('{ not yaml: [', 'Queue')).toBeUndefined()
  })
})
