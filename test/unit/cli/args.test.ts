import { OWN_FLAGS, parseActionArguments, UsageError } from '../../../cli/src/args.js'
import { ACTION_NAMES, readActionMetadata } from '../../../cli/src/metadata.js'

const prune = readActionMetadata('prune-snapshots')

describe('parseActionArguments', () => {
  it('takes --<input> <value> and --<input>=<value>, and fills in the action.yml defaults', () => {
    const request = parseActionArguments(['--regions', 'eu-west-1,us-east-1', '--keep-daily=7'], prune)
    expect(request.inputs).toMatchObject({
      regions: 'eu-west-1,us-east-1',
      'keep-daily': '7',
      'keep-last': '7',
      'protect-tag': 'DoNotDelete',
      'dry-run': 'false',
    })
    // An input with no default and no flag is not passed at all, as on the runner.
    expect(request.inputs).not.toHaveProperty('dr-region')
    expect(request).toMatchObject({ json: false, help: false })
  })

  it('reads a bare flag of a true/false input as true', () => {
    expect(parseActionArguments(['--dry-run', '--regions', 'eu-west-1'], prune).inputs['dry-run']).toBe(
      'true',
    )
    expect(parseActionArguments(['--regions', 'eu-west-1', '--dry-run'], prune).inputs['dry-run']).toBe(
      'true',
    )
  })

  it('takes its own --json, --summary FILE and --help', () => {
    expect(parseActionArguments(['--json', '--summary', 'out.md', '--help'], prune)).toMatchObject({
      json: true,
      summaryFile: 'out.md',
      help: true,
    })
  })

  it('names an unknown flag and suggests the input meant', () => {
    expect(() => parseActionArguments(['--regoins', 'eu-west-1'], prune)).toThrow(UsageError)
    expect(() => parseActionArguments(['--regoins', 'eu-west-1'], prune)).toThrow(
      "Unknown flag '--regoins': prune-snapshots has no input 'regoins'. Did you mean '--regions'?",
    )
  })

  it('names a flag without a value, a flag given twice and a stray argument', () => {
    expect(() => parseActionArguments(['--keep-last'], prune)).toThrow("Flag '--keep-last' needs a value")
    expect(() => parseActionArguments(['--keep-last', '--regions', 'x'], prune)).toThrow(
      "Flag '--keep-last' needs a value",
    )
    expect(() => parseActionArguments(['--regions', 'a', '--regions', 'b'], prune)).toThrow(
      "Flag '--regions' is given twice",
    )
    expect(() => parseActionArguments(['eu-west-1'], prune)).toThrow("Unexpected argument 'eu-west-1'")
  })

  it("no action has an input named like the command line's own flags", () => {
    for (const name of ACTION_NAMES) {
      const inputs = Object.keys(readActionMetadata(name).inputs)
      for (const flag of OWN_FLAGS) expect(inputs).not.toContain(flag)
    }
  })
})
