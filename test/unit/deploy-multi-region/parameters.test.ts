import { looksSecret, parametersFor } from '../../../actions/deploy-multi-region/src/parameters.js'

describe('parametersFor', () => {
  it('lays the region overlay over the common parameters, sorted by key', () => {
    expect(parametersFor('eu-west-1', { B: '1', A: 'x' }, { 'eu-west-1': { B: '2' } })).toEqual([
      { ParameterKey: 'A', ParameterValue: 'x' },
      { ParameterKey: 'B', ParameterValue: '2' },
    ])
    expect(parametersFor('us-east-1', { B: '1' }, { 'eu-west-1': { B: '2' } })).toEqual([
      { ParameterKey: 'B', ParameterValue: '1' },
    ])
  })

  it('on an update keeps what the stack has, the template declares and the inputs leave out', () => {
    const previous = {
      // DbPassword is NoEcho (DescribeStacks shows ****): it is never re-sent as a value.
      stackKeys: ['Environment', 'DbPassword', 'Retired', 'Size'],
      declared: ['Environment', 'DbPassword', 'Size', 'NewFlag'],
    }
    expect(
      parametersFor('eu-west-1', { Environment: 'prod' }, { 'eu-west-1': { Size: '3' } }, previous),
    ).toEqual([
      { ParameterKey: 'DbPassword', UsePreviousValue: true },
      { ParameterKey: 'Environment', ParameterValue: 'prod' },
      // NewFlag (new to the template) takes its default; Retired (no longer declared) is not sent.
      { ParameterKey: 'Size', ParameterValue: '3' },
    ])
    expect(parametersFor('us-east-1', {}, {}, previous)).toEqual([
      { ParameterKey: 'DbPassword', UsePreviousValue: true },
      { ParameterKey: 'Environment', UsePreviousValue: true },
      { ParameterKey: 'Size', UsePreviousValue: true },
    ])
  })
})

describe('looksSecret', () => {
  it('flags keys that usually hold secrets', () => {
    expect(looksSecret('DbPassword')).toBe(true)
    expect(looksSecret('ApiToken')).toBe(true)
    expect(looksSecret('Environment')).toBe(false)
  })
})
