import { existsSync, readFileSync } from 'node:fs'

/**
 * CONTRIBUTING's "AWS behaviours we rely on" table names, for each behaviour, the test that
 * holds it. A row whose test was renamed or removed would promise a guard that no longer exists.
 */
const contributing = readFileSync('CONTRIBUTING.md', 'utf8')
const section = contributing.split('## AWS behaviours we rely on')[1]?.split(/\n## /)[0] ?? ''
const rows = section
  .split('\n')
  .filter((line) => line.startsWith('| ') && !line.startsWith('| Behaviour') && !line.startsWith('| ---'))
  .map((line) => {
    const cells = line.split(' | ')
    return { behaviour: cells[0]!.slice(2), test: cells[cells.length - 1]!.replace(/ \|$/, '') }
  })

describe("CONTRIBUTING's AWS behaviours table", () => {
  it('has rows', () => {
    expect(rows.length).toBeGreaterThan(40)
  })

  it.each(rows.map((r) => [r.behaviour.slice(0, 60), r.test]))('%s: the named test exists', (_, test) => {
    const [fileCell, nameCell] = test.split(' › ')
    const file = /`([^`]+\.test\.ts)`/.exec(fileCell ?? '')?.[1]
    expect(file).toBeDefined()
    expect(existsSync(file!)).toBe(true)
    // The first words of the test's name (before any placeholder) stand in the file.
    const words = (nameCell ?? '')
      .split(/%|\(|…/)[0]!
      .trim()
      .split(/\s+/)
      .slice(0, 5)
      .join(' ')
    expect(words.length).toBeGreaterThan(0)
    expect(readFileSync(file!, 'utf8')).toContain(words)
  })
})
