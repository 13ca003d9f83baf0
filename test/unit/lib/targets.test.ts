import { InputError, Inputs, mapInputReader } from '../../../lib/inputs.js'
import {
  parseCanaryTargets,
  partitionOfRegions,
  readAccountSettings,
  roleArn,
  spansAccounts,
  targetKey,
  targetsOf,
} from '../../../lib/targets.js'

const read = (values: Record<string, string>) => readAccountSettings(new Inputs(mapInputReader(values)))

function inputError(fn: () => unknown): InputError {
  try {
    fn()
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('no InputError was thrown')
}

describe('readAccountSettings', () => {
  it('leaves accounts empty (the job’s own account) when the input is empty', () => {
    expect(read({})).toEqual({
      accounts: [],
      roleName: undefined,
      roleExternalId: undefined,
      roleSessionDurationSeconds: undefined,
      maxParallelPerAccount: undefined,
    })
  })

  it('reads accounts separated by commas or newlines with the role to assume', () => {
    const settings = read({
      accounts: '111111111111, 222222222222\n333333333333',
      'role-name': 'multi-region-actions-target',
      'role-external-id': 'ci-external-1',
      'role-session-duration': '900',
      'max-parallel-per-account': '4',
    })
    expect(settings).toEqual({
      accounts: ['111111111111', '222222222222', '333333333333'],
      roleName: 'multi-region-actions-target',
      roleExternalId: 'ci-external-1',
      roleSessionDurationSeconds: 900,
      maxParallelPerAccount: 4,
    })
  })

  it('refuses an account id of 11 digits, naming the input and the value', () => {
    const error = inputError(() => read({ accounts: '11111111111', 'role-name': 'r' }))
    expect(error.input).toBe('accounts')
    expect(error.message).toContain('"11111111111"')
    expect(error.message).toContain('12 digits')
  })

  it('refuses an account listed twice', () => {
    const error = inputError(() => read({ accounts: '111111111111,111111111111', 'role-name': 'r' }))
    expect(error.input).toBe('accounts')
    expect(error.message).toContain("'111111111111' is listed twice")
  })

  it('refuses accounts without role-name', () => {
    const error = inputError(() => read({ accounts: '111111111111' }))
    expect(error.input).toBe('role-name')
    expect(error.message).toContain("listed in 'accounts'")
  })

  it('refuses role-name without accounts (it could not mean anything)', () => {
    expect(inputError(() => read({ 'role-name': 'deploy' })).input).toBe('role-name')
  })

  it.each([
    ['an ARN', 'arn:aws:iam::111111111111:role/deploy', 'not an ARN'],
    ['a path', 'team/deploy', 'without a path'],
    ['a leading path', '/team/deploy', 'without a path'],
    ['a space', 'my role', '1 to 64'],
    ['65 characters', 'r'.repeat(65), '1 to 64'],
  ])('refuses a role-name with %s', (_what, value, accepted) => {
    const error = inputError(() => read({ accounts: '111111111111', 'role-name': value }))
    expect(error.input).toBe('role-name')
    expect(error.message).toContain(accepted)
  })

  it('refuses role-session-duration over one hour when the job holds a role session (role chaining)', () => {
    const values = { accounts: '111111111111', 'role-name': 'r', 'role-session-duration': '7200' }
    for (const env of [
      { AWS_SESSION_TOKEN: 'token' },
      { AWS_WEB_IDENTITY_TOKEN_FILE: '/tmp/token', AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/ci' },
      { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/x' },
    ]) {
      const error = inputError(() => readAccountSettings(new Inputs(mapInputReader(values)), env))
      expect(error.input).toBe('role-session-duration')
      expect(error.message).toContain('"7200"')
      expect(error.message).toContain('900 to 3600 seconds')
      expect(error.message).toContain('role chaining')
    }
    // Long-term keys are not a role session: AssumeRole may last up to the role's maximum.
    const keys = { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 'secret' }
    expect(readAccountSettings(new Inputs(mapInputReader(values)), keys).roleSessionDurationSeconds).toBe(
      7200,
    )
    expect(
      readAccountSettings(new Inputs(mapInputReader({ ...values, 'role-session-duration': '3600' })), {
        AWS_SESSION_TOKEN: 'token',
      }).roleSessionDurationSeconds,
    ).toBe(3600)
  })

  it.each(['899', '43201', '1h'])('refuses role-session-duration %s (AssumeRole takes 900 to 43200)', (v) => {
    const error = inputError(() =>
      read({ accounts: '111111111111', 'role-name': 'r', 'role-session-duration': v }),
    )
    expect(error.input).toBe('role-session-duration')
    expect(error.message).toContain('900 to 43200')
  })

  it('refuses a role-external-id with a space or of one character, without showing it', () => {
    for (const value of ['has space', 'q']) {
      const error = inputError(() =>
        read({ accounts: '111111111111', 'role-name': 'r', 'role-external-id': value }),
      )
      expect(error.input).toBe('role-external-id')
      expect(error.message).toContain('(value hidden)')
    }
  })

  it('refuses role options without role-name', () => {
    expect(inputError(() => read({ 'role-external-id': 'abc' })).input).toBe('role-external-id')
    expect(inputError(() => read({ 'role-session-duration': '900' })).input).toBe('role-session-duration')
  })
})

describe('role ARN and partition', () => {
  it('builds arn:<partition>:iam::<account>:role/<name> with the partition of the regions', () => {
    expect(roleArn(partitionOfRegions(['eu-west-1']), '111111111111', 'target')).toBe(
      'arn:aws:iam::111111111111:role/target',
    )
    expect(roleArn(partitionOfRegions(['cn-north-1', 'cn-northwest-1']), '111111111111', 'target')).toBe(
      'arn:aws-cn:iam::111111111111:role/target',
    )
    expect(roleArn(partitionOfRegions(['us-gov-west-1']), '111111111111', 'target')).toBe(
      'arn:aws-us-gov:iam::111111111111:role/target',
    )
  })
})

describe('targets and their keys', () => {
  it('pairs every account with every region, account by account', () => {
    expect(targetsOf(['111111111111', '222222222222'], ['us-east-1', 'eu-west-1'])).toEqual([
      { account: '111111111111', region: 'us-east-1' },
      { account: '111111111111', region: 'eu-west-1' },
      { account: '222222222222', region: 'us-east-1' },
      { account: '222222222222', region: 'eu-west-1' },
    ])
    expect(targetsOf([], ['us-east-1'])).toEqual([{ region: 'us-east-1' }])
  })

  it('keys outputs "<account>/<region>" across accounts, by region in a one-account run', () => {
    const many = targetsOf(['111111111111', '222222222222'], ['us-east-1'])
    expect(spansAccounts(many)).toBe(true)
    expect(many.map((t) => targetKey(t, spansAccounts(many)))).toEqual([
      '111111111111/us-east-1',
      '222222222222/us-east-1',
    ])
    const one = targetsOf(['111111111111'], ['us-east-1', 'eu-west-1'])
    expect(spansAccounts(one)).toBe(false)
    expect(one.map((t) => targetKey(t, spansAccounts(one)))).toEqual(['us-east-1', 'eu-west-1'])
    const own = targetsOf([], ['us-east-1'])
    expect(own.map((t) => targetKey(t, spansAccounts(own)))).toEqual(['us-east-1'])
  })
})

describe('parseCanaryTargets', () => {
  const accounts = ['111111111111', '222222222222']
  const regions = ['us-east-1', 'eu-west-1']

  it('reads a region as that region in every account and account/region as one target', () => {
    expect(parseCanaryTargets('canary-regions', 'eu-west-1', accounts, regions)).toEqual([
      { account: '111111111111', region: 'eu-west-1' },
      { account: '222222222222', region: 'eu-west-1' },
    ])
    expect(parseCanaryTargets('canary-regions', '222222222222/us-east-1', accounts, regions)).toEqual([
      { account: '222222222222', region: 'us-east-1' },
    ])
  })

  it('keeps today’s meaning in a run without accounts', () => {
    expect(parseCanaryTargets('canary-regions', 'us-east-1', [], regions)).toEqual([{ region: 'us-east-1' }])
  })

  it.each([
    ['a region not in regions', 'ap-south-1', accounts, "listed in 'regions'"],
    ['an account not in accounts', '333333333333/us-east-1', accounts, "listed in 'accounts'"],
    [
      'an account/region pair without accounts',
      '111111111111/us-east-1',
      [],
      "needs the account in 'accounts'",
    ],
    ['a target twice', 'us-east-1, 111111111111/us-east-1', accounts, 'named twice'],
  ])('refuses %s', (_what, raw, accs, accepted) => {
    const error = inputError(() => parseCanaryTargets('canary-regions', raw, accs, regions))
    expect(error.input).toBe('canary-regions')
    expect(error.message).toContain(accepted)
  })
})
