import { actionHelp, overviewHelp } from '../../../cli/src/help.js'
import { ACTION_NAMES, readActionMetadata } from '../../../cli/src/metadata.js'

describe('help', () => {
  it.each(ACTION_NAMES)(
    '%s --help lists every input of its action.yml with its default, and its outputs',
    (name) => {
      const metadata = readActionMetadata(name)
      const help = actionHelp(metadata)
      expect(help).toContain(`Usage: multi-region-actions ${name} `)
      for (const [input, spec] of Object.entries(metadata.inputs)) {
        expect(help).toContain(`--${input} <value>`)
        if (spec.default !== '') expect(help).toContain(`(default: ${spec.default})`)
      }
      for (const output of Object.keys(metadata.outputs))
        expect(help).toMatch(new RegExp(`^  ${output}\\b`, 'm'))
      expect(help).toContain('Exit codes: 0 success, 1 the run failed, 2 bad input')
      for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(100)
    },
  )

  it('the overview names every action', () => {
    const help = overviewHelp(ACTION_NAMES.map((n) => readActionMetadata(n)))
    for (const name of ACTION_NAMES) expect(help).toMatch(new RegExp(`^  ${name} `, 'm'))
  })
})
