import { createHash, createHmac } from 'node:crypto'
import { jest } from '@jest/globals'
import { DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2'
import { RbinClient, ListRulesCommand } from '@aws-sdk/client-rbin'
import { awsClientConfig } from '../../../lib/aws.js'
import { Sha256 } from '../../../lib/sha256.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const binaryKey = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 200) % 256)

describe('Sha256', () => {
  it('hashes as Node does, bytes or UTF-8 text', async () => {
    const hash = new Sha256()
    hash.update('Grüße, ')
    hash.update(new TextEncoder().encode('AWS'))
    expect(hex(await hash.digest())).toBe(createHash('sha256').update('Grüße, AWS').digest('hex'))
  })
  it('keys an HMAC with a binary secret (a view into a larger buffer too) or a text one', async () => {
    const backing = new Uint8Array(40)
    backing.set(binaryKey, 4)
    const view = backing.subarray(4, 36)
    for (const secret of [binaryKey, view, Buffer.from(binaryKey), binaryKey.buffer, 'AWS4secret']) {
      const hmac = new Sha256(secret)
      hmac.update('20261201')
      const key = typeof secret === 'string' ? secret : Buffer.from(binaryKey)
      expect(hex(await hmac.digest())).toBe(createHmac('sha256', key).update('20261201').digest('hex'))
    }
  })
  it('takes an empty text secret as no secret, as the SDK does, and an empty binary one as a key', async () => {
    const plain = new Sha256('')
    plain.update('x')
    expect(hex(await plain.digest())).toBe(createHash('sha256').update('x').digest('hex'))
    const keyed = new Sha256(new Uint8Array(0))
    keyed.update('x')
    expect(hex(await keyed.digest())).toBe(createHmac('sha256', Buffer.alloc(0)).update('x').digest('hex'))
  })
  it('lets a plain hash go on after a digest, and starts again on reset', async () => {
    const hash = new Sha256()
    hash.update('a')
    const first = hex(await hash.digest())
    hash.update('b')
    expect(first).toBe(createHash('sha256').update('a').digest('hex'))
    expect(hex(await hash.digest())).toBe(createHash('sha256').update('ab').digest('hex'))
    const hmac = new Sha256(binaryKey)
    hmac.update('a')
    await hmac.digest()
    hmac.reset()
    hmac.update('b')
    expect(hex(await hmac.digest())).toBe(
      createHmac('sha256', Buffer.from(binaryKey)).update('b').digest('hex'),
    )
  })
})

interface CapturedRequest {
  headers: Record<string, string>
}
interface StackedClient {
  middlewareStack: {
    addRelativeTo(
      middleware: (
        next: (args: { request: CapturedRequest }) => unknown,
      ) => (args: { request: CapturedRequest }) => unknown,
      options: { relation: 'before'; toMiddleware: string },
    ): void
  }
  send(command: unknown): Promise<unknown>
}

/**
 * The request a client would send, signed, taken from its request handler.
 * The clock is held (in the tests) and the one random header fixed, so that two
 * clients sign the same request at the same instant.
 */
async function signedRequest(make: (requestHandler: object) => StackedClient, command: unknown) {
  let captured: CapturedRequest | undefined
  const requestHandler = {
    handle: (request: CapturedRequest) => {
      captured = request
      return Promise.reject(new Error('captured'))
    },
  }
  const client = make(requestHandler)
  client.middlewareStack.addRelativeTo(
    (next) => (args) => {
      args.request.headers['amz-sdk-invocation-id'] = '00000000-0000-4000-8000-000000000000'
      return next(args)
    },
    { relation: 'before', toMiddleware: 'httpSigningMiddleware' },
  )
  await expect(client.send(command)).rejects.toThrow('captured')
  return captured!
}

describe('clients signing with Sha256', () => {
  const credentials = () =>
    Promise.resolve({
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG',
      sessionToken: 'token',
    })
  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(Date.UTC(2026, 11, 1, 12, 0, 0))
  })
  afterEach(() => {
    jest.restoreAllMocks()
  })

  // A client made as the factory makes it, with our hash or (false) with the SDK's own.
  type MakeClient = (config: object) => StackedClient
  const cases: Array<[string, string, MakeClient, unknown]> = [
    [
      'an EC2 (query protocol)',
      'ec2',
      (config) => new EC2Client(config) as unknown as StackedClient,
      new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: 1000 }),
    ],
    [
      'a Recycle Bin (REST JSON, older SDK core)',
      'rbin',
      (config) => new RbinClient(config) as unknown as StackedClient,
      new ListRulesCommand({ ResourceType: 'EBS_SNAPSHOT' }),
    ],
  ]
  it.each(cases)('sign %s request exactly as with the SDK’s own hash', async (_, service, make, command) => {
    const sign = (withOurs: boolean) =>
      signedRequest((requestHandler) => {
        const { sha256, ...rest } = awsClientConfig('eu-west-1', {})
        return make({ ...rest, ...(withOurs ? { sha256 } : {}), credentials, requestHandler, maxAttempts: 1 })
      }, command)
    const [ours, sdk] = [await sign(true), await sign(false)]
    expect(ours.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261201/eu-west-1/${service}/aws4_request`),
    )
    expect(ours.headers.authorization).toBe(sdk.headers.authorization)
    expect(ours.headers['x-amz-content-sha256'] ?? '').toBe(sdk.headers['x-amz-content-sha256'] ?? '')
  })
})
