/**
 * .github/dependabot.yml: npm and every folder of workflows are updated, grouped, after a
 * cooldown.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ROOT, WORKFLOW_DIRS } from './workflow-files.js'

interface Update {
  'package-ecosystem': string
  directory?: string
  directories?: string[]
  cooldown?: { 'default-days'?: number }
  groups?: Record<string, unknown>
}

const config = parse(readFileSync(join(ROOT, '.github/dependabot.yml'), 'utf8')) as {
  version: number
  updates: Update[]
}
const update = (ecosystem: string) => config.updates.find((u) => u['package-ecosystem'] === ecosystem)

describe('.github/dependabot.yml', () => {
  it.each(['npm', 'github-actions'])(
    'updates %s in groups, after a cooldown of a week or more',
    (ecosystem) => {
      const u = update(ecosystem)!
      expect(config.version).toBe(2)
      expect(Object.keys(u.groups ?? {}).length).toBeGreaterThan(0)
      expect(u.cooldown?.['default-days']).toBeGreaterThanOrEqual(7)
    },
  )

  it('gives github-actions only the cooldown keys it takes (per-semver days are refused there)', () => {
    expect(Object.keys(update('github-actions')!.cooldown ?? {})).toEqual(['default-days'])
  })

  it('covers every folder of workflows (the root entry covers .github/workflows)', () => {
    const dirs = update('github-actions')!.directories ?? []
    for (const folder of WORKFLOW_DIRS) {
      expect(dirs).toContain(folder === '.github/workflows' ? '/' : `/${folder}`)
    }
  })
})
