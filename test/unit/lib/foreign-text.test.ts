import fc from 'fast-check'
import { logSafe, startsWorkflowCommand } from '../../../lib/foreign-text.js'

describe('logSafe', () => {
  it('puts foreign text on one line that starts no workflow command', () => {
    expect(logSafe('Resource failed\n::stop-commands::x\n::warning::y')).toBe(
      'Resource failed\\n::stop-commands::x\\n::warning::y',
    )
    expect(logSafe('a\r\n::error::b\rc')).toBe('a\\r\\n::error::b\\rc')
    expect(logSafe('::add-mask::x')).toBe('\\::add-mask::x')
    expect(logSafe('  \t::set-output name=a::b')).toBe('  \t\\::set-output name=a::b')
    expect(logSafe('x ##[warning]y')).toBe('x #\\#[warning]y')
    // Separators .NET or a terminal may break a line at, and escape sequences.
    expect(logSafe('a\u2028::b\u0085::c\v::d\f::e\x1b[2Kf')).toBe(
      'a\\u2028::b\\x85::c\\x0b::d\\x0c::e\\x1b[2Kf',
    )
  })
  it('leaves ordinary text as it is', () => {
    const plain = 'CREATE_FAILED AWS::SQS::Queue Queue: Resource handler returned message: "Invalid" (100%)'
    expect(logSafe(plain)).toBe(plain)
  })
  it('holds for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const safe = logSafe(text)
        expect(safe.split(/\r\n|[\r\n]/)).toHaveLength(1)
        expect(startsWorkflowCommand(safe)).toBe(false)
        // What is already safe stays as it is.
        expect(logSafe(safe)).toBe(safe)
      }),
    )
  })
})
