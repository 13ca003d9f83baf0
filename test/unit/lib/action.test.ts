import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BAD_INPUT_EXIT_CODE, runAction, writeJobSummary } from '../../../lib/action.js'
import { InputError } from '../../../lib/inputs.js'

describe('writeJobSummary', () => {
  it('appends to the file named by GITHUB_STEP_SUMMARY at the time of the call', () => {
    const first = join(mkdtempSync(join(tmpdir(), 'summary-')), 'summary.md')
    const second = join(mkdtempSync(join(tmpdir(), 'summary-')), 'summary.md')
    writeJobSummary('a\n', { GITHUB_STEP_SUMMARY: first })
    writeJobSummary('b\n', { GITHUB_STEP_SUMMARY: first })
    writeJobSummary('c\n', { GITHUB_STEP_SUMMARY: second })
    expect(readFileSync(first, 'utf8')).toBe('a\nb\n')
    expect(readFileSync(second, 'utf8')).toBe('c\n')
    expect(() => writeJobSummary('d', {})).not.toThrow()
  })
})

describe('runAction exit codes', () => {
  const run = async (error: Error) => {
    const write = process.stdout.write
    process.stdout.write = (() => true) as typeof process.stdout.write
    const saved = process.exitCode
    try {
      await runAction(async () => {
        throw error
      })
      return process.exitCode
    } finally {
      process.stdout.write = write
      process.exitCode = saved
    }
  }

  it('exits 2 on bad input and 1 on any other failure', async () => {
    expect(await run(new InputError('regions', 'x', 'AWS region names'))).toBe(BAD_INPUT_EXIT_CODE)
    expect(BAD_INPUT_EXIT_CODE).toBe(2)
    expect(await run(new Error('Throttling'))).toBe(1)
  })
})
