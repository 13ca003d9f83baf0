import { fieldValue, isTransient, nanosToMs } from '../../../actions/spectrum-benchmark/src/data-api.js'

const awsError = (name: string, status?: number) =>
  Object.assign(new Error(name), { name, $metadata: status === undefined ? {} : { httpStatusCode: status } })

describe('isTransient', () => {
  it.each([
    [awsError('ThrottlingException', 400), true],
    [awsError('ActiveStatementsExceededException', 400), true],
    [awsError('InternalServerException', 500), true],
    [awsError('UnknownError', 503), true],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true],
    [awsError('ValidationException', 400), false],
    [awsError('ResourceNotFoundException', 400), false],
    [new Error('ERROR: column "x" does not exist'), false],
  ])('%s -> %s', (error, expected) => {
    expect(isTransient(error)).toBe(expected)
  })
})

describe('fields and durations', () => {
  it('reads every Field member and converts nanoseconds', () => {
    expect(
      [
        { isNull: true },
        { longValue: 3 },
        { doubleValue: 1.5 },
        { booleanValue: false },
        { stringValue: 'x' },
      ].map((f) => fieldValue(f)),
    ).toEqual([null, 3, 1.5, false, 'x'])
    expect(nanosToMs(1_500_000)).toBe(1.5)
    expect(nanosToMs(undefined)).toBe(0)
  })
})
