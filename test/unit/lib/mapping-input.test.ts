import { Inputs, mapInputReader } from '../../../lib/inputs.js'
import { mappingInput } from '../../../lib/mapping-input.js'

const inputs = (values: Record<string, string>) => new Inputs(mapInputReader(values))

describe('mappingInput', () => {
  it('parses JSON and YAML mappings and rejects others', () => {
    expect(mappingInput(inputs({ m: '{"us-east-1": {"A": "1"}}' }), 'm')).toEqual({ 'us-east-1': { A: '1' } })
    expect(mappingInput(inputs({ m: 'us-east-1:\n  A: 1' }), 'm')).toEqual({ 'us-east-1': { A: 1 } })
    expect(() => mappingInput(inputs({ m: '{"a": ' }), 'm')).toThrow(/Input 'm'.*JSON or YAML mapping/)
    expect(() => mappingInput(inputs({ m: '- a\n- b' }), 'm')).toThrow(/mapping/)
  })
  it('is undefined when the input is empty', () => {
    expect(mappingInput(inputs({}), 'm')).toBeUndefined()
  })
  it('reads a .json/.yaml/.yml path with the given loader', () => {
    const load = (path: string) => (path === 'p.yaml' ? 'us-east-1:\n  A: 2' : '')
    expect(mappingInput(inputs({ m: 'p.yaml' }), 'm', load)).toEqual({ 'us-east-1': { A: 2 } })
  })
})
