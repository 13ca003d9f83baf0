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
