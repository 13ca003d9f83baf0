import { parseCommandFile, stateEnvironment } from '../../../cli/src/command-files.js'

describe('parseCommandFile', () => {
  it('reads the heredoc form @actions/core writes, and name=value lines', () => {
    const text = [
      'deleted<<ghadelimiter_1',
      '{"eu-west-1":["snap-1"]}',
      'ghadelimiter_1',
      'plan<<ghadelimiter_2',
      'line one',
      'line two',
      'ghadelimiter_2',
      'kept=3',
      '',
    ].join('\n')
    expect(parseCommandFile(text)).toEqual({
      deleted: '{"eu-west-1":["snap-1"]}',
      plan: 'line one\nline two',
      kept: '3',
    })
  })

  it('gives a post step STATE_<name> for each saved value', () => {
    expect(stateEnvironment({ 'drill-state': '{}' })).toEqual({ 'STATE_drill-state': '{}' })
  })
})
