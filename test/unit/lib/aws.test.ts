import { EC2Client } from '@aws-sdk/client-ec2'
import {
  awsClientConfig,
  clientFactory,
  describeError,
  errorCode,
  isTransientError,
  lazyClientFactory,
} from '../../../lib/aws.js'

describe('awsClientConfig', () => {
  it('defaults to adaptive retries with more than 3 attempts', () => {
    const config = awsClientConfig('eu-west-1', {})
    expect(config).toMatchObject({ region: 'eu-west-1', retryMode: 'adaptive' })
    expect(config.maxAttempts).toBeGreaterThan(3)
  })
  it('leaves attempts and mode to the SDK when the environment sets them', () => {
    const config = awsClientConfig('eu-west-1', { AWS_MAX_ATTEMPTS: '2', AWS_RETRY_MODE: 'standard' })
    expect(config.maxAttempts).toBeUndefined()
    expect(config.retryMode).toBeUndefined()
  })
})

describe('clientFactory', () => {
  it('makes one client per region', () => {
    class FakeClient {
      constructor(readonly config: { region: string }) {}
    }
    const get = clientFactory(FakeClient, {})
    expect(get('us-east-1')).toBe(get('us-east-1'))
    expect(get('us-east-1')).not.toBe(get('us-west-2'))
    expect(get('us-west-2').config.region).toBe('us-west-2')
  })
  it('makes one client per account and region with that account’s credentials', () => {
    class FakeClient {
      constructor(readonly config: { region: string; credentials?: unknown }) {}
    }
    const get = clientFactory(FakeClient, {})
    const provider = (key: string) => () => Promise.resolve({ accessKeyId: key, secretAccessKey: 's' })
    const a = { account: '111111111111', credentials: provider('A') }
    const b = { account: '222222222222', credentials: provider('B') }
    expect(get('us-east-1', a)).toBe(get('us-east-1', a))
    expect(get('us-east-1', a)).not.toBe(get('us-east-1', b))
    expect(get('us-east-1', a)).not.toBe(get('us-east-1'))
    expect(get('us-east-1', b).config.credentials).toBe(b.credentials)
    // Without an account the SDK's own chain applies, as before.
    expect(get('us-east-1').config.credentials).toBeUndefined()
  })
  it('gives the other accounts’ clients of a region the first one’s settings read from the environment', () => {
    class FakeClient {
      readonly config: Record<string, unknown>
      constructor(input: object) {
        // As the SDK does: a setting not given becomes a provider of its own.
        this.config = { useFipsEndpoint: () => Promise.resolve(false), ...input }
      }
    }
    const get = clientFactory(FakeClient, {})
    const provider = () => Promise.resolve({ accessKeyId: 'A', secretAccessKey: 's' })
    const a = get('us-east-1', { account: '111111111111', credentials: provider })
    const b = get('us-east-1', { account: '222222222222', credentials: provider })
    const c = get('eu-west-1', { account: '222222222222', credentials: provider })
    expect(b.config.useFipsEndpoint).toBe(a.config.useFipsEndpoint)
    expect(c.config.useFipsEndpoint).not.toBe(a.config.useFipsEndpoint)
    expect(b.config.region).toBe('us-east-1')
  })
  it('with real SDK clients, every account’s client reads the environment’s settings and signs as its account', async () => {
    const saved = process.env.AWS_USE_FIPS_ENDPOINT
    process.env.AWS_USE_FIPS_ENDPOINT = 'true'
    try {
      const get = clientFactory(EC2Client, {})
      const key = (id: string) => () => Promise.resolve({ accessKeyId: id, secretAccessKey: 's' })
      const a = get('us-east-1', { account: '111111111111', credentials: key('A') })
      const b = get('us-east-1', { account: '222222222222', credentials: key('B') })
      expect(await a.config.useFipsEndpoint()).toBe(true)
      expect(await b.config.useFipsEndpoint()).toBe(true)
      expect((await b.config.credentials()).accessKeyId).toBe('B')
      expect((await a.config.credentials()).accessKeyId).toBe('A')
    } finally {
      if (saved === undefined) delete process.env.AWS_USE_FIPS_ENDPOINT
      else process.env.AWS_USE_FIPS_ENDPOINT = saved
    }
  })
})

describe('lazyClientFactory', () => {
  it('loads the client class once, on the first client asked for, then one client per region', async () => {
    class FakeClient {
      constructor(readonly config: { region: string }) {}
    }
    let loads = 0
    const get = lazyClientFactory(async () => {
      loads++
      return FakeClient
    }, {})
    expect(loads).toBe(0)
    const [a, b] = await Promise.all([get('us-east-1'), get('us-east-1')])
    expect(a).toBe(b)
    expect((await get('eu-west-1')).config.region).toBe('eu-west-1')
    expect(loads).toBe(1)
  })
})

describe('errors', () => {
  it('shows the AWS code before the message', () => {
    const error = Object.assign(new Error('Stack does not exist'), {
      name: 'ValidationError',
      $metadata: { httpStatusCode: 400 },
    })
    expect(errorCode(error)).toBe('ValidationError')
    expect(describeError(error)).toBe('ValidationError: Stack does not exist')
    expect(describeError(new Error('plain'))).toBe('plain')
    class RegionFailure extends Error {
      override name = 'RegionFailure'
    }
    expect(describeError(new RegionFailure('timed out after 1 minute(s)'))).toBe(
      'timed out after 1 minute(s)',
    )
  })
})

describe('isTransientError', () => {
  const awsError = (name: string, status?: number) =>
    Object.assign(new Error(name), {
      name,
      $metadata: status === undefined ? {} : { httpStatusCode: status },
    })
  it('accepts throttling of every service, 5xx answers and broken connections', () => {
    for (const code of [
      'Throttling',
      'ThrottlingException',
      'RequestLimitExceeded',
      'PriorRequestNotComplete',
    ]) {
      expect(isTransientError(awsError(code, 400))).toBe(true)
    }
    expect(isTransientError(awsError('InternalError', 500))).toBe(true)
    expect(isTransientError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true)
    expect(isTransientError(new Error('socket hang up'))).toBe(true)
  })
  it('refuses errors about the request itself', () => {
    expect(isTransientError(awsError('ValidationError', 400))).toBe(false)
    expect(isTransientError(awsError('HealthCheckVersionMismatch', 409))).toBe(false)
    expect(isTransientError(awsError('ResourceLimitExceeded', 400))).toBe(false)
    expect(isTransientError('Throttling')).toBe(false)
  })
})
