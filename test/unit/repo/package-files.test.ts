/**
 * What `npm pack` ships (package.json `files`, and what `npm install github:...` installs):
 * exactly the bundles, the action metadata, the READMEs and the licence, which is what the
 * runner and the command line read at run time. The packed files run the command line on
 * their own, with no node_modules.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, posix, relative } from 'node:path'
import { parse } from 'yaml'
import { ROOT } from './workflow-files.js'

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split('\\').join('/'))
}

const actionNames = readdirSync(join(ROOT, 'actions'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && filesUnder(`actions/${e.name}`).includes(`actions/${e.name}/action.yml`))
  .map((e) => e.name)

function packed(): string[] {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120000,
  })
  if (r.status !== 0) throw new Error(`npm pack --dry-run: ${r.stderr}`)
  const [pack] = JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>
  return pack!.files.map((f) => f.path).sort()
}

const files = packed()

describe('npm pack', () => {
  it('lists exactly the bundles, the action metadata, the READMEs and the licence', () => {
    const expected = [
      'package.json',
      'README.md',
      'LICENSE',
      'action.yml',
      'bin/multi-region-actions.mjs',
      ...actionNames.flatMap((name) => [`actions/${name}/action.yml`, `actions/${name}/README.md`]),
      ...filesUnder('dist'),
    ].sort()
    expect(files).toEqual(expected)
  })

  it('holds every bundle a runner starts from action.yml (main and post)', () => {
    const metadata = ['action.yml', ...actionNames.map((name) => `actions/${name}/action.yml`)]
    for (const file of metadata) {
      const { runs } = parse(readFileSync(join(ROOT, file), 'utf8')) as {
        runs: { main: string; post?: string }
      }
      for (const entry of [runs.main, runs.post].filter((e) => e !== undefined)) {
        expect(files).toContain(posix.normalize(posix.join(dirname(file), entry)))
      }
    }
  })

  it('ships a command line that runs an action from the packed files alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pack-'))
    try {
      const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, '--silent'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120000,
      })
      expect(pack.status).toBe(0)
      const tarball = join(dir, pack.stdout.trim().split('\n').at(-1)!)
      expect(spawnSync('tar', ['xzf', tarball, '-C', dir]).status).toBe(0)
      const cli = (...args: string[]) =>
        spawnSync(process.execPath, [join(dir, 'package', 'bin', 'multi-region-actions.mjs'), ...args], {
          cwd: dir,
          encoding: 'utf8',
          env: { PATH: process.env.PATH, HOME: dir },
          timeout: 60000,
        })
      expect(cli('prune-snapshots', '--help').stdout).toMatch(/^Usage: multi-region-actions prune-snapshots/)
      // The action's own bundle starts and refuses the input before any AWS call.
      const bad = cli(
        'deploy-multi-region',
        '--stack-name',
        's',
        '--template',
        't.yaml',
        '--regions',
        'nowhere-1',
      )
      expect(bad.stdout + bad.stderr).toMatch(/Input 'regions': "nowhere-1" is not valid/)
      expect(bad.status).toBe(2)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
