import { readCfnYaml } from '../../../lib/cfn-yaml.js'

describe('readCfnYaml', () => {
  it('reads the short-form tags as CloudFormation does, in their long form', () => {
    const template = readCfnYaml(
      [
        'Resources:',
        '  Queue:',
        '    Type: AWS::SQS::Queue',
        '    Properties:',
        '      QueueName: !Sub "${AWS::StackName}-jobs"',
        '      Tags: [{ Key: arn, Value: !GetAtt Key.Arn }, { Key: id, Value: !Ref Key }]',
        '      RedrivePolicy: !If [HasDlq, !GetAtt Dlq.Outputs.Arn, !Ref AWS::NoValue]',
      ].join('\n'),
    ) as { Resources: { Queue: { Properties: Record<string, unknown> } } }
    expect(template.Resources.Queue.Properties).toEqual({
      QueueName: { 'Fn::Sub': '${AWS::StackName}-jobs' },
      Tags: [
        { Key: 'arn', Value: { 'Fn::GetAtt': ['Key', 'Arn'] } },
        { Key: 'id', Value: { Ref: 'Key' } },
      ],
      // The resource is named before the first dot; the rest is the attribute.
      RedrivePolicy: {
        'Fn::If': ['HasDlq', { 'Fn::GetAtt': ['Dlq', 'Outputs.Arn'] }, { Ref: 'AWS::NoValue' }],
      },
    })
  })

  it('reads JSON templates as they are', () => {
    expect(readCfnYaml('{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}')).toEqual({
      Resources: { T: { Type: 'AWS::SNS::Topic' } },
    })
  })
})
