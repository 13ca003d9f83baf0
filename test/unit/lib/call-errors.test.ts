import { createServer } from 'node:http'
import { Readable } from 'node:stream'
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DescribeStackSetCommand,
} from '@aws-sdk/client-cloudformation'
import { DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2'
import { ListDatabasesCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { clientFactory, describeError, isTransientError, type AwsClientConfig } from '../../../lib/aws.js'
import { listenOnLoopback } from '../../support/loopback-server.js'
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
      clearMessage(
        'DescribeStackSetOperationCommand',
        { $metadata: { httpStatusCode: 503, attempts: 8 } },
        'CloudFormationClient',
      ),
    ).toBe(
      'HTTP 503 from CloudFormation DescribeStackSetOperation (not an AWS error answer) after 8 attempt(s)',
    )
    expect(clearMessage('ListStackInstancesCommand', {}, 'CloudFormationClient')).toBe(
      'CloudFormation ListStackInstances failed: no answer',
    )
    expect(
      clearMessage(
        'CreateStackSetCommand',
        { name: 'TimeoutError', message: 'socket hang up', $metadata: { attempts: 8 } },
        'CloudFormationClient',
      ),
    ).toBe('CloudFormation CreateStackSet failed: no answer (socket hang up) after 8 attempt(s)')
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
    expect(describeError(error)).toBe(
      'HTTP 500 from CloudFormation DescribeStackSet (not an AWS error answer) after 1 attempt(s)',
    )
  })
})

/**
 * A real HTTP endpoint that answers every request with HTTP 500 and a body that
 * is not an AWS error document: a proxy's or load balancer's HTML page, or nothing.
 */
async function nonAwsEndpoint(body: string, contentType: string) {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(500, { 'content-type': contentType })
      res.end(body)
    })
  })
  const listening = await listenOnLoopback(server)
  return { endpoint: `http://127.0.0.1:${listening.port}`, close: listening.close }
}

describe('an answer that is not an AWS error, through clientFactory', () => {
  const HTML = '<html><head><title>500</title></head><body><hr><center>nginx</body></html>'
  it.each([
    ['an HTML page', HTML, 'text/html'],
    ['an empty body', '', 'text/plain'],
    ['plain text', 'Internal Server Error', 'text/plain'],
  ])('names the service and the call for %s, not the parser error', async (_what, body, type) => {
    const fake = await nonAwsEndpoint(body, type)
    const env = { AWS_MAX_ATTEMPTS: '2', AWS_RETRY_MODE: 'standard' }
    const overrides = {
      endpoint: fake.endpoint,
      maxAttempts: 2,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    } as unknown as Partial<AwsClientConfig>
    try {
      const cfn = clientFactory(CloudFormationClient, env, overrides)('us-east-1')
      const cfnError = await cfn
        .send(new CreateChangeSetCommand({ StackName: 's', ChangeSetName: 'c' }))
        .catch((e: unknown) => e)
      expect(describeError(cfnError)).toMatch(
        /^HTTP 500 from CloudFormation CreateChangeSet \(not an AWS error answer\) after 2 attempt\(s\)$/,
      )
      expect(isTransientError(cfnError)).toBe(true)
      const s3 = clientFactory(S3Client, env, {
        ...overrides,
        forcePathStyle: true,
      } as Partial<AwsClientConfig>)('us-east-1')
      const s3Error = await s3
        .send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' }))
        .catch((e: unknown) => e)
      expect(describeError(s3Error)).toMatch(/^HTTP 500 from S3 PutObject \(not an AWS error answer\)/)
      const ec2 = clientFactory(EC2Client, env, overrides)('us-east-1')
      const ec2Error = await ec2.send(new DescribeSnapshotsCommand({})).catch((e: unknown) => e)
      expect(describeError(ec2Error)).toMatch(
        /^HTTP 500 from EC2 DescribeSnapshots \(not an AWS error answer\)/,
      )
      const data = clientFactory(RedshiftDataClient, env, overrides)('us-east-1')
      const dataError = await data
        .send(new ListDatabasesCommand({ Database: 'dev' }))
        .catch((e: unknown) => e)
      expect(describeError(dataError)).toMatch(
        /^HTTP 500 from RedshiftData ListDatabases \(not an AWS error answer\)/,
      )
    } finally {
      await fake.close()
    }
  })

  it('leaves an AWS error answer as AWS wrote it', async () => {
    const server = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(400, { 'content-type': 'text/xml' })
        res.end(
          '<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack [s] does not exist</Message></Error><RequestId>1</RequestId></ErrorResponse>',
        )
      })
    })
    const listening = await listenOnLoopback(server)
    try {
      const overrides = {
        endpoint: `http://127.0.0.1:${listening.port}`,
        maxAttempts: 1,
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      } as unknown as Partial<AwsClientConfig>
      const cfn = clientFactory(CloudFormationClient, {}, overrides)('us-east-1')
      const error = await cfn
        .send(new CreateChangeSetCommand({ StackName: 's', ChangeSetName: 'c' }))
        .catch((e: unknown) => e)
      expect(describeError(error)).toBe('ValidationError: Stack [s] does not exist')
    } finally {
      await listening.close()
    }
  })
})
