import { cannotRestore } from '../../../actions/deploy-multi-region/src/rollback.js'

describe('cannotRestore', () => {
  it('names what rollback-all cannot bring back as it was: nested templates and resolved SSM values', () => {
    const template = JSON.stringify({
      Resources: { Data: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: 'https://b/x' } } },
    })
    const notes = cannotRestore(template, [
      { ParameterKey: 'Ami', ParameterValue: '/images/latest', ResolvedValue: 'ami-123' },
      { ParameterKey: 'Size', ParameterValue: '2' },
    ])
    expect(notes).toHaveLength(2)
    expect(notes[0]).toContain('nested stacks come back from the template URLs')
    expect(notes[1]).toContain('SSM parameter(s) Ami are resolved again when the rollback runs')
  })

  it('says nothing of a plain template with plain parameters', () => {
    expect(cannotRestore('{"Resources":{"Q":{"Type":"AWS::SQS::Queue"}}}', [{ ParameterKey: 'A' }])).toEqual(
      [],
    )
  })
})
