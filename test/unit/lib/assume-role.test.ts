import { jest } from '@jest/globals'
import {
  REFRESH_MARGIN_MS,
  assumeAccountRoles,
  assumeRoles,
  roleCredentialProvider,
  sessionNameOf,
  stsRegionOf,
} from '../../../lib/assume-role.js'

const identity = (key: string, expiresAt: number) => ({
  accessKeyId: `ASIA${key}`,
  secretAccessKey: `secret-${key}`,
  sessionToken: `token-${key}`,
  expiration: new Date(expiresAt),
})

function captureStdout() {
  const lines: string[] = []
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk))
    return true
  })
  return { lines, restore: () => spy.mockRestore() }
}

const settings = {
  roleName: 'target',
  partition: 'aws-us-gov',
  stsRegion: 'us-gov-west-1',
  sessionName: 'multi-region-actions',
}

describe('roleCredentialProvider', () => {
  it('assumes once, shares the answer with callers at the same time, and again only near expiry', async () => {
    let clock = 0
    let calls = 0
    const out = captureStdout()
    try {
      const provider = roleCredentialProvider(
        async () => identity(String(++calls), clock + 3600_000),
        () => clock,
      )
      const [a, b] = await Promise.all([provider(), provider()])
      expect(calls).toBe(1)
      expect(a).toBe(b)
      clock = 3600_000 - REFRESH_MARGIN_MS - 1
      expect(await provider()).toBe(a)
      expect(calls).toBe(1)
      clock = 3600_000 - REFRESH_MARGIN_MS + 1
      const renewed = await provider()
      expect(calls).toBe(2)
      expect(renewed.accessKeyId).toBe('ASIA2')
    } finally {
      out.restore()
    }
  })

  it('masks the secret key and the session token before returning them', async () => {
    const out = captureStdout()
    try {
      await roleCredentialProvider(async () => identity('X', Date.now() + 3600_000))()
    } finally {
      out.restore()
    }
    const masks = out.lines.join('')
    expect(masks).toContain('::add-mask::secret-X')
    expect(masks).toContain('::add-mask::token-X')
  })
})

describe('assumeRoles', () => {
  it('builds each role ARN in the partition, fails only the account AWS refuses, with its reason', async () => {
    const asked: string[] = []
    const refusal = Object.assign(
      new Error(
        'User: arn:aws-us-gov:sts::999999999999:assumed-role/deploy/ci is not authorized to perform: sts:AssumeRole',
      ),
      { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } },
    )
    const out = captureStdout()
    let access
    try {
      access = await assumeRoles(['111111111111', '222222222222'], settings, {
        assume: async (arn) => {
          asked.push(arn)
          if (arn.includes('222222222222')) throw refusal
          return identity('A', Date.now() + 3600_000)
        },
      })
    } finally {
      out.restore()
    }
    expect(asked.sort()).toEqual([
      'arn:aws-us-gov:iam::111111111111:role/target',
      'arn:aws-us-gov:iam::222222222222:role/target',
    ])
    expect(access.get('111111111111')!.ok).toBe(true)
    const refused = access.get('222222222222')!
    expect(refused.ok).toBe(false)
    expect(refused.ok ? '' : refused.reason).toBe(
      'cannot assume arn:aws-us-gov:iam::222222222222:role/target: AccessDenied: User: arn:aws-us-gov:sts::999999999999:assumed-role/deploy/ci is not authorized to perform: sts:AssumeRole',
    )
  })
})

describe('sessionNameOf', () => {
  it('names the session after the run, within 64 characters of the allowed set', () => {
    expect(sessionNameOf({ GITHUB_RUN_ID: '123', GITHUB_RUN_ATTEMPT: '2' })).toBe(
      'multi-region-actions-123-2',
    )
    expect(sessionNameOf({})).toBe('multi-region-actions')
    expect(sessionNameOf({ GITHUB_RUN_ID: '9'.repeat(80) })).toHaveLength(64)
  })
})

describe('stsRegionOf', () => {
  it("uses the job's own region when it is in the run's partition", () => {
    expect(stsRegionOf(['af-south-1', 'eu-west-1'], { AWS_REGION: 'us-east-2' })).toBe('us-east-2')
    expect(stsRegionOf(['af-south-1'], { AWS_DEFAULT_REGION: 'af-south-1' })).toBe('af-south-1')
  })

  it('otherwise takes the first region of the run that is enabled in every account, not an opt-in one', () => {
    expect(stsRegionOf(['af-south-1', 'me-south-1', 'eu-west-1', 'us-east-1'], {})).toBe('eu-west-1')
    expect(stsRegionOf(['us-east-1', 'af-south-1'], { AWS_REGION: 'cn-north-1' })).toBe('us-east-1')
    expect(stsRegionOf(['cn-northwest-1'], { AWS_REGION: 'us-east-1' })).toBe('cn-northwest-1')
  })

  it('falls back to the first region when every region of the run is opt-in', () => {
    expect(stsRegionOf(['ap-east-1', 'me-south-1'], {})).toBe('ap-east-1')
  })
})

describe('assumeAccountRoles', () => {
  it('assumes nothing without accounts, and the named role in the partition of the regions with them', async () => {
    const asked: string[] = []
    const assume = async (arn: string) => {
      asked.push(arn)
      return identity('1', Date.now() + 3600_000)
    }
    const own = await assumeAccountRoles({ accounts: [], regions: ['us-east-1'] }, assume)
    expect(own.size).toBe(0)
    expect(asked).toEqual([])
    const out = captureStdout()
    try {
      const access = await assumeAccountRoles(
        { accounts: ['111111111111', '222222222222'], roleName: 'target', regions: ['cn-north-1'] },
        assume,
      )
      expect([...access.keys()]).toEqual(['111111111111', '222222222222'])
    } finally {
      out.restore()
    }
    expect(asked).toEqual([
      'arn:aws-cn:iam::111111111111:role/target',
      'arn:aws-cn:iam::222222222222:role/target',
    ])
  })
})
