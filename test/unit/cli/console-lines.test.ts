import { Masker, parseConsoleLine, plainText } from '../../../cli/src/console-lines.js'

describe('parseConsoleLine', () => {
  it('reads the region prefix of RegionLog lines', () => {
    expect(parseConsoleLine('[eu-west-1] Creating change set')).toEqual({
      kind: 'info',
      text: 'Creating change set',
      region: 'eu-west-1',
    })
    expect(parseConsoleLine('Plan: 2 regions')).toEqual({ kind: 'info', text: 'Plan: 2 regions' })
  })

  it('turns workflow commands back into text', () => {
    expect(parseConsoleLine('::error title=eu-west-1::[eu-west-1] Stack failed%0Aline two')).toEqual({
      kind: 'error',
      text: 'Stack failed\nline two',
      region: 'eu-west-1',
    })
    expect(plainText(parseConsoleLine('::error::Input \'regions\': "x" is not valid.'))).toBe(
      'error: Input \'regions\': "x" is not valid.',
    )
    expect(parseConsoleLine('::add-mask::s3cr3t')).toEqual({ kind: 'mask', text: 's3cr3t' })
    expect(parseConsoleLine('::group::Plan')).toEqual({ kind: 'group', text: 'Plan' })
    expect(parseConsoleLine('::set-output name=a::b').kind).toBe('command')
  })
})

describe('Masker', () => {
  it('replaces every registered secret, the longer first', () => {
    const masker = new Masker()
    masker.add('abc')
    masker.add('abcdef')
    masker.add('  ')
    expect(masker.mask('key abcdef and abc')).toBe('key *** and ***')
    expect(masker.contains('xabcx')).toBe(true)
    expect(masker.contains('  ')).toBe(false)
  })
})
