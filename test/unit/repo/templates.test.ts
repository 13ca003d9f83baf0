/**
 * Every CloudFormation template in templates/ passes cfn-lint with no errors, describes
 * itself, its parameters and outputs, and is listed in templates/README.md.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { readCfnYaml } from '../../../lib/cfn-yaml.js'
import { ROOT } from './workflow-files.js'

const DIR = join(ROOT, 'templates')
const templates = existsSync(DIR)
  ? readdirSync(DIR)
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .sort()
  : []

/** Reads a CloudFormation template, short-form tags in their long form. */
function readTemplate(
  file: string,
): Record<string, Record<string, { Description?: string }> | string | undefined> {
  return readCfnYaml(readFileSync(join(DIR, file), 'utf8')) as ReturnType<typeof readTemplate>
}

const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' })
const haveCfnLint = !cfnLint.error && cfnLint.status === 0

describe('templates', () => {
  it('are there', () => {
    expect(templates).toEqual(
      expect.arrayContaining([
        'multi-region-api.yaml',
        'route53-failover.yaml',
        'account-baseline.yaml',
        'github-oidc-role.yaml',
      ]),
    )
  })

  const lint = haveCfnLint ? it : it.skip
  lint(
    `pass cfn-lint with no errors${haveCfnLint ? '' : ' (cfn-lint is not installed: pip install cfn-lint)'}`,
    () => {
      const result = spawnSync(
        'cfn-lint',
        ['--format', 'parseable', '--', ...templates.map((t) => join(DIR, t))],
        {
          encoding: 'utf8',
          timeout: 120000,
        },
      )
      const errors = result.stdout
        .split('\n')
        .filter((line) => /:E\d{4}:/.test(line) || /:\d+:\d+:\d+:\d+:E/.test(line))
      expect(errors).toEqual([])
      // Exit code 2 (or any code with bit 2 set) means errors; warnings alone (4) and infos (8) pass.
      expect((result.status ?? 1) & 2).toBe(0)
    },
    120000,
  )

  it.each(templates.filter((t) => !t.endsWith('.json')))(
    '%s describes itself, its parameters and its outputs',
    (file) => {
      const template = readTemplate(file)
      expect(typeof template.Description).toBe('string')
      for (const section of ['Parameters', 'Outputs'] as const) {
        const entries = Object.entries((template[section] ?? {}) as Record<string, { Description?: string }>)
        expect(
          entries.filter(([, spec]) => typeof spec?.Description !== 'string').map(([name]) => name),
        ).toEqual([])
      }
    },
  )

  it('are each documented in templates/README.md', () => {
    const readme = readFileSync(join(DIR, 'README.md'), 'utf8')
    expect(templates.filter((t) => !readme.includes(t))).toEqual([])
  })
})
