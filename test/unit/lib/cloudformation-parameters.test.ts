import { InputError } from '../../../lib/inputs.js'
import {
  isParameterFile,
  parseParameterFileText,
  parseParameters,
  parseRegionParameters,
} from '../../../lib/cloudformation-inputs.js'

const noFile = () => {
  throw new Error('no file expected')
}

describe('parseParameters', () => {
  it('reads Key=Value pairs with commas, newlines and quoted commas', () => {
    expect(parseParameters('parameters', 'Environment=prod, Subnets="a,b"\nEmpty=', noFile)).toEqual({
      Environment: 'prod',
      Subnets: 'a,b',
      Empty: '',
    })
  })
  it('is empty for an empty input', () => {
    expect(parseParameters('parameters', '  ', noFile)).toEqual({})
  })
  it.each([
    ['a value without a key', 'Environment=prod,=x', /Input 'parameters'/],
    ['a pair without =', 'Environment', /Key=Value/],
    ['an unclosed quote', 'A="x,y', /not closed/],
    ['a repeated key', 'A=1\nA=2', /given twice/],
    [
      'a key with other characters',
      'My-Key=1',
      /Input 'parameters': "My-Key" is not valid\. Expected parameter keys made of letters and digits/,
    ],
    ['text after a closing quote', 'A="x"y', /text follows a closing quote/],
  ])('rejects %s', (_what, raw, message) => {
    expect(() => parseParameters('parameters', raw, noFile)).toThrow(InputError)
    expect(() => parseParameters('parameters', raw, noFile)).toThrow(message)
  })
  it('reads a JSON or YAML file when the input is a file path', () => {
    const files: Record<string, string> = {
      'params/prod.json': '{"Environment": "prod", "Retention": 4, "Fifo": false}',
      'params/prod.yaml': 'Environment: prod\nSubnets: [a, b]',
      'params/cli.json': '[{"ParameterKey": "Environment", "ParameterValue": "prod"}]',
    }
    const load = (path: string) => files[path]!
    expect(parseParameters('parameters', 'params/prod.json', load)).toEqual({
      Environment: 'prod',
      Retention: '4',
      Fifo: 'false',
    })
    expect(parseParameters('parameters', 'params/prod.yaml', load)).toEqual({
      Environment: 'prod',
      Subnets: 'a,b',
    })
    expect(parseParameters('parameters', 'params/cli.json', load)).toEqual({ Environment: 'prod' })
  })
  it('tells a file path from pairs', () => {
    expect(isParameterFile('params.json')).toBe(true)
    expect(isParameterFile('dir/p.YML')).toBe(true)
    expect(isParameterFile('File=params.json')).toBe(false)
    expect(isParameterFile('a.json,b.json')).toBe(false)
  })
})

describe('parseParameterFileText', () => {
  it.each([
    ['malformed JSON', '{"A": ', /does not parse/],
    ['a scalar', '"just text"', /Key=Value pairs/],
    ['a nested mapping value', 'A:\n  B: 1', /value of 'A' must be a string/],
    ['a list entry without ParameterKey', '[{"Key": "A"}]', /ParameterKey, ParameterValue/],
    ['duplicate keys', '{"A": 1, "A": 2}', /does not parse/],
  ])('rejects %s', (_what, text, message) => {
    expect(() => parseParameterFileText('parameters', 'p.json', text)).toThrow(message)
  })
})

describe('parseRegionParameters', () => {
  const regions = ['us-east-1', 'eu-west-1']
  it('keeps one mapping per listed region', () => {
    expect(
      parseRegionParameters('region-parameters', 'x', { 'eu-west-1': { QueueName: 'q', Size: 2 } }, regions),
    ).toEqual({
      'eu-west-1': { QueueName: 'q', Size: '2' },
    })
    expect(parseRegionParameters('region-parameters', '', undefined, regions)).toEqual({})
  })
  it('rejects a region that is not deployed and an entry that is not a mapping', () => {
    expect(() =>
      parseRegionParameters('region-parameters', 'x', { 'ap-south-1': { A: '1' } }, regions),
    ).toThrow(/Input 'region-parameters'.*'ap-south-1' is not one/)
    expect(() => parseRegionParameters('region-parameters', 'x', { 'us-east-1': 'A=1' }, regions)).toThrow(
      /not a mapping/,
    )
  })
})

describe("CloudFormation's 4,096-byte parameter value limit", () => {
  const big = 'x'.repeat(4095) + 'é' // 4,097 bytes in 4,096 characters
  const atLimit = 'x'.repeat(4096)
  const refused = (fn: () => unknown) => {
    let error: unknown
    try {
      fn()
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    const message = (error as Error).message
    expect(message).toContain("'Blob' has 4097")
    expect(message).not.toContain('xxxxxxxxxx')
  }

  it('takes a value of exactly 4,096 bytes', () => {
    expect(parseParameters('parameters', `Blob=${atLimit}`, noFile).Blob).toHaveLength(4096)
  })
  it('refuses a longer value, counted in bytes, inline, in a file and per region, never quoting it', () => {
    refused(() => parseParameters('parameters', `Blob=${big}`, noFile))
    refused(() => parseParameterFileText('parameters', 'p.json', JSON.stringify({ Blob: big })))
    refused(() =>
      parseParameterFileText(
        'parameters',
        'p.json',
        JSON.stringify([{ ParameterKey: 'Blob', ParameterValue: big }]),
      ),
    )
    refused(() =>
      parseRegionParameters('region-parameters', 'x', { 'us-east-1': { Blob: big } }, ['us-east-1']),
    )
  })
})
