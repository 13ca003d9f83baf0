import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeJobSummary } from '../../../lib/action.js'

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
