import { Inputs, InputError, mapInputReader, parseKeyValuePairs, splitList } from '../../../lib/inputs.js'

const inputs = (values: Record<string, string>) => new Inputs(mapInputReader(values))

describe('splitList', () => {
  it('accepts commas and newlines and drops blanks', () => {
    expect(splitList('a, b\nc,,\n d ')).toEqual(['a', 'b', 'c', 'd'])
  })
})

describe('Inputs.regions', () => {
  it('accepts known regions of one partition', () => {
    expect(inputs({ regions: 'us-east-1,eu-west-1\nap-southeast-2' }).regions('regions')).toEqual([
      'us-east-1',
      'eu-west-1',
      'ap-southeast-2',
    ])
  })
  it('names the input, the value and the accepted form', () => {
    expect(() => inputs({ regions: 'us-east-1,us-esat-1' }).regions('regions')).toThrow(
      /Input 'regions': "us-esat-1" is not valid\. Expected a known AWS region/,
    )
  })
  it('rejects duplicates, mixed partitions and a missing required value', () => {
    expect(() => inputs({ regions: 'us-east-1,us-east-1' }).regions('regions')).toThrow(/listed twice/)
    expect(() => inputs({ regions: 'us-east-1,cn-north-1' }).regions('regions')).toThrow(/aws and aws-cn/)
    expect(() => inputs({ regions: ' ' }).regions('regions', { required: true })).toThrow(InputError)
    expect(() => inputs({ regions: 'US-EAST-1' }).regions('regions')).toThrow(/AWS region names/)
  })
  it('allows a new region named in the environment', () => {
    process.env.MULTI_REGION_ACTIONS_EXTRA_REGIONS = 'xx-newplace-1'
    try {
      expect(inputs({ regions: 'xx-newplace-1' }).regions('regions')).toEqual(['xx-newplace-1'])
    } finally {
      delete process.env.MULTI_REGION_ACTIONS_EXTRA_REGIONS
    }
  })
})

describe('Inputs scalars', () => {
  it('parses booleans and integers with bounds', () => {
    const i = inputs({ a: 'TRUE', b: 'no', n: '5', bad: '5x', big: '99999999999999999999' })
    expect(i.boolean('a', false)).toBe(true)
    expect(i.boolean('b', true)).toBe(false)
    expect(i.boolean('missing', true)).toBe(true)
    expect(i.integer('n', { min: 1, max: 10 })).toBe(5)
    expect(() => i.integer('n', { min: 6 })).toThrow(
      /Input 'n': "5" is not valid\. Expected a whole number from 6/,
    )
    expect(() => i.integer('bad')).toThrow(/whole number/)
    expect(() => i.integer('big')).toThrow(/whole number/)
    expect(() => i.boolean('n', false)).toThrow(/true or false/)
  })
  it('matches choices case-insensitively', () => {
    expect(inputs({ c: 'rollback' }).choice('c', ['ROLLBACK', 'DELETE'] as const)).toBe('ROLLBACK')
    expect(() => inputs({ c: 'x' }).choice('c', ['A', 'B'] as const)).toThrow(/one of: A, B/)
  })
})

describe('parseKeyValuePairs', () => {
  it('splits on commas and newlines and keeps quoted commas', () => {
    expect(parseKeyValuePairs('p', 'A=1, B="x,y"\nC=\nD=a=b')).toEqual([
      ['A', '1'],
      ['B', 'x,y'],
      ['C', ''],
      ['D', 'a=b'],
    ])
  })
  it('rejects a pair without a key, an unclosed quote and a repeated key', () => {
    expect(() => parseKeyValuePairs('p', 'A=1,=2')).toThrow(/Input 'p'/)
    expect(() => parseKeyValuePairs('p', 'A')).toThrow(/Key=Value/)
    expect(() => parseKeyValuePairs('p', 'A="1')).toThrow(/not closed/)
    expect(() => parseKeyValuePairs('p', 'A=1,A=2')).toThrow(/given twice/)
  })
})
