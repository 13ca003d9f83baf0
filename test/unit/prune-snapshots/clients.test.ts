import { isTransient } from '../../../actions/prune-snapshots/src/clients.js'

const awsError = (name: string, status?: number) =>
  Object.assign(new Error(name), { name, $metadata: status === undefined ? {} : { httpStatusCode: status } })

describe('isTransient', () => {
  it('accepts throttling, 5xx answers and broken connections', () => {
    expect(isTransient(awsError('RequestLimitExceeded', 503))).toBe(true)
    expect(isTransient(awsError('InternalError', 500))).toBe(true)
    expect(isTransient(awsError('ServiceUnavailable', 503))).toBe(true)
    expect(isTransient(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true)
    expect(isTransient(new Error('socket hang up'))).toBe(true)
  })
  it('refuses client errors', () => {
    expect(isTransient(awsError('InvalidSnapshot.NotFound', 400))).toBe(false)
    expect(isTransient(awsError('ResourceLimitExceeded', 400))).toBe(false)
    expect(isTransient(awsError('UnauthorizedOperation', 403))).toBe(false)
    expect(isTransient(awsError('InvalidParameterValue', 400))).toBe(false)
  })
})
