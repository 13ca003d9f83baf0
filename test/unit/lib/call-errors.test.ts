import { Readable } from 'node:stream'
import { CloudFormationClient, DescribeStackSetCommand } from '@aws-sdk/client-cloudformation'
import { describeError } from '../../../lib/aws.js'
import { clearMessage, isUnclearError, nameFailedCalls } from '../../../lib/call-errors.js'

const named = (name: string, message: string) => Object.assign(new Error(message), { name })

describe('isUnclearError', () => {
  it('is true for a bare code or an empty message', () => {
    expect(isUnclearError(named('Unknown', 'Unknown'))).toBe(true)
    expect(isUnclearError(named('UnknownError', 'whatever'))).toBe(true)
    expect(isUnclearError(named('InternalFailure', ''))).toBe(true)
    expect(isUnclearError(named('InternalFailure', 'InternalFailure'))).toBe(true)
  })

  it('is true for a connection closed without an answer', () => {
    expect(isUnclearError(named('TimeoutError', 'socket hang up'))).toBe(true)
  })

  it('is false for an AWS error with its own message, a cancellation, or a non-error', () => {
    const throttled = Object.assign(named('Throttling', 'Rate exceeded'), {
      $metadata: { httpStatusCode: 400 },
    })
    expect(isUnclearError(throttled)).toBe(false)
    expect(isUnclearError(named('AbortError', 'Request aborted'))).toBe(false)
    expect(isUnclearError('Unknown')).toBe(false)
  })
})

describe('clearMessage', () => {
  it('names the call, the status and the attempts', () => {
    expect(
      clearMessage('DescribeStackSetOperationCommand', { $metadata: { httpStatusCode: 503, attempts: 8 } }),
    ).toBe('DescribeStackSetOperation failed: HTTP 503 without an AWS error code after 8 attempt(s)')
    expect(clearMessage('ListStackInstancesCommand', {})).toBe('ListStackInstances failed: no answer')
    expect(
      clearMessage('CreateStackSetCommand', {
        name: 'TimeoutError',
        message: 'socket hang up',
        $metadata: { attempts: 8 },
      }),
    ).toBe('CreateStackSet failed: no answer (socket hang up) after 8 attempt(s)')
  })
})

describe('nameFailedCalls', () => {
  it('rewrites the error of a 5xx answer without an AWS error body', async () => {
    const client = new CloudFormationClient({
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestHandler: {
        handle: async () => ({
          response: {
            statusCode: 500,
            reason: 'Internal Server Error',
            headers: { 'content-type': 'text/html' },
            body: Readable.from([Buffer.from('<html><body>500</body></html>')]),
          },
        }),
      } as never,
    })
    nameFailedCalls(client)
    const error = await client
      .send(new DescribeStackSetCommand({ StackSetName: 'x' }))
      .catch((e: unknown) => e)
    expect(describeError(error)).toMatch(
      /DescribeStackSet failed: HTTP 500 without an AWS error code after 1 attempt\(s\)$/,
    )
  })
})
