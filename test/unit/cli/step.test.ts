import { inputVariable, stepEnvironment } from '../../../cli/src/step.js'

const files = {
  GITHUB_OUTPUT: '/tmp/o',
  GITHUB_STATE: '/tmp/s',
  GITHUB_STEP_SUMMARY: '/tmp/m',
  GITHUB_ENV: '/tmp/e',
  GITHUB_PATH: '/tmp/p',
}

describe('stepEnvironment', () => {
  it('passes inputs as @actions/core reads them and drops the caller’s own INPUT_ and STATE_ variables', () => {
    const env = stepEnvironment(
      { PATH: '/bin', INPUT_REGIONS: 'from-the-outer-job', STATE_x: '1', AWS_REGION: 'eu-west-1' },
      { 'keep-last': '3', 'stack name': 'a' },
      files,
      '/work',
    )
    expect(env).toEqual({
      PATH: '/bin',
      AWS_REGION: 'eu-west-1',
      'INPUT_KEEP-LAST': '3',
      INPUT_STACK_NAME: 'a',
      ...files,
      GITHUB_WORKSPACE: '/work',
    })
    expect(inputVariable('dry-run')).toBe('INPUT_DRY-RUN')
  })

  it('keeps a workspace that is already set', () => {
    expect(stepEnvironment({ GITHUB_WORKSPACE: '/ws' }, {}, files, '/work').GITHUB_WORKSPACE).toBe('/ws')
  })
})
