/**
 * scripts/release.mjs, the steps of .github/workflows/release.yml, against a scratch clone:
 * a bare repository stands in for GitHub's, and a stand-in `gh` on the PATH records what
 * would be published, so nothing leaves the machine. Also the shape of release.yml itself:
 * which job may write, and what it runs.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { grantProblems } from './workflow-audits.js'
import { ROOT, loadWorkflow, type Job, type Workflow } from './workflow-files.js'

const SCRIPT = join(ROOT, 'scripts', 'release.mjs')

const CHANGELOG_1_0_0 = `## [1.0.0] - 2026-11-30

### Added

- The first release.
`

const CHANGELOG_1_1_0 = `## [1.1.0] - 2026-12-07

### Added

- \`accounts\` on prune-snapshots.

### Deprecated

- \`old-input\`: use \`new-input\`.
`

function changelog(...sections: string[]): string {
  return [
    '# Changelog',
    '',
    '## [Unreleased]',
    '',
    ...sections,
    '[unreleased]: https://github.com/your-org/multi-region-actions/compare/v1.0.0...HEAD',
    '',
  ].join('\n')
}

let dir: string
let origin: string
let clone: string
let ghLog: string
let env: NodeJS.ProcessEnv

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 60000 })
}

function git(cwd: string, ...args: string[]): string {
  const r = run('git', args, cwd)
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`)
  return r.stdout.trim()
}

function release(...args: string[]): SpawnSyncReturns<string> {
  return run(process.execPath, [SCRIPT, ...args], clone)
}

/** The commit a tag of the stand-in for GitHub's repository points at. */
function originTag(tag: string): string | undefined {
  const r = run('git', ['rev-parse', '-q', '--verify', `refs/tags/${tag}^{commit}`], origin)
  return r.status === 0 ? r.stdout.trim() : undefined
}

function commitVersion(cwd: string, version: string, log: string): string {
  writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'scratch', version }, null, 2) + '\n')
  writeFileSync(join(cwd, 'CHANGELOG.md'), log)
  git(cwd, 'add', '.')
  git(cwd, 'commit', '-q', '-m', `Version ${version}`)
  return git(cwd, 'rev-parse', 'HEAD')
}

function ghCalls(): string[][] {
  const text = readFileSync(ghLog, 'utf8')
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as string[])
}

let v100: string
let v110: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'release-'))
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  ghLog = join(dir, 'gh-calls.jsonl')
  writeFileSync(ghLog, '')
  // gh as the release job would call it: every call recorded, no release found by `view`.
  writeFileSync(
    join(bin, 'gh'),
    [
      `#!${process.execPath}`,
      "const { appendFileSync } = require('node:fs')",
      'const args = process.argv.slice(2)',
      `appendFileSync(${JSON.stringify(ghLog)}, JSON.stringify(args) + '\\n')`,
      "if (args[0] === 'release' && args[1] === 'view') { console.error('release not found'); process.exit(1) }",
    ].join('\n'),
  )
  chmodSync(join(bin, 'gh'), 0o755)
  env = {
    PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
    HOME: dir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Release Test',
    GIT_AUTHOR_EMAIL: 'release@example.com',
    GIT_COMMITTER_NAME: 'Release Test',
    GIT_COMMITTER_EMAIL: 'release@example.com',
  }

  // GitHub's repository: 1.0.0 released (v1.0.0, v1, v1.0), then a bump to 1.1.0 merged.
  origin = join(dir, 'origin.git')
  const seed = join(dir, 'seed')
  git(dir, 'init', '-q', '--bare', '-b', 'main', origin)
  git(dir, 'init', '-q', '-b', 'main', seed)
  v100 = commitVersion(seed, '1.0.0', changelog(CHANGELOG_1_0_0))
  git(seed, 'tag', '-a', '-m', 'v1.0.0', 'v1.0.0')
  git(seed, 'tag', 'v1')
  git(seed, 'tag', 'v1.0')
  v110 = commitVersion(seed, '1.1.0', changelog(CHANGELOG_1_1_0, CHANGELOG_1_0_0))
  git(seed, 'remote', 'add', 'origin', origin)
  git(seed, 'push', '-q', '--tags', 'origin', 'main')

  // The release job's checkout: a clone with every tag.
  clone = join(dir, 'clone')
  git(dir, 'clone', '-q', origin, clone)
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('scripts/release.mjs on a scratch clone', () => {
  it('plans 1.1.0: a release that moves v1 and v1.1 and is the latest', () => {
    const outputs = join(dir, 'plan-outputs')
    writeFileSync(outputs, '')
    env.GITHUB_OUTPUT = outputs
    const r = release('plan')
    delete env.GITHUB_OUTPUT
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(readFileSync(outputs, 'utf8')).toBe(
      'release=true\nversion=1.1.0\ntag=v1.1.0\nprerelease=false\nmoves=v1 v1.1\nlatest=true\n',
    )
  })

  it('takes the notes from the version’s CHANGELOG.md section, and only from it', () => {
    const out = join(dir, 'notes.md')
    expect(release('notes', '1.1.0', '--out', out).status).toBe(0)
    expect(readFileSync(out, 'utf8')).toBe(CHANGELOG_1_1_0.split('\n').slice(2).join('\n'))
    expect(release('notes', '1.0.0').stdout).toBe('### Added\n\n- The first release.\n')
  })

  it('creates v1.1.0 at the bump commit and pushes it; a second run changes nothing', () => {
    expect(originTag('v1.1.0')).toBeUndefined()
    const r = release('tag', '1.1.0')
    expect(r.status).toBe(0)
    expect(originTag('v1.1.0')).toBe(v110)
    expect(git(origin, 'cat-file', '-t', 'v1.1.0')).toBe('tag') // annotated
    expect(release('tag', '1.1.0').stdout).toMatch(/v1\.1\.0 is at .* already/)
  })

  it('publishes through gh: a draft with notes and assets, then published as the latest', () => {
    writeFileSync(join(dir, 'sbom.cdx.json'), '{}')
    const r = release(
      'publish',
      '1.1.0',
      '--notes',
      join(dir, 'notes.md'),
      '--asset',
      join(dir, 'sbom.cdx.json'),
    )
    expect(r.status).toBe(0)
    expect(ghCalls()).toEqual([
      ['release', 'view', 'v1.1.0', '--json', 'isDraft', '--jq', '.isDraft'],
      [
        'release',
        'create',
        'v1.1.0',
        '--verify-tag',
        '--draft',
        '--title',
        'v1.1.0',
        '--notes-file',
        join(dir, 'notes.md'),
        join(dir, 'sbom.cdx.json'),
      ],
      ['release', 'edit', 'v1.1.0', '--draft=false', '--latest=true'],
    ])
  })

  it('moves v1 and v1.1 to the release and leaves v1.0 where it was', () => {
    expect(originTag('v1')).toBe(v100)
    const r = release('move', '1.1.0')
    expect(r.status).toBe(0)
    expect(originTag('v1')).toBe(v110)
    expect(originTag('v1.1')).toBe(v110)
    expect(originTag('v1.0')).toBe(v100)
  })

  it('names the way out when GitHub refuses a tag push for want of the workflows permission', () => {
    git(clone, 'push', '-q', '--force', 'origin', `${v100}:refs/tags/v1`)
    const hook = join(origin, 'hooks', 'pre-receive')
    writeFileSync(
      hook,
      '#!/bin/sh\necho "refusing to allow a GitHub App to create or update workflow \\`.github/workflows/ci.yml\\` without \\`workflows\\` permission" >&2\nexit 1\n',
    )
    chmodSync(hook, 0o755)
    try {
      const r = release('move', '1.1.0')
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(
        /release: GitHub refused refs\/tags\/v1 refs\/tags\/v1\.1 for want of the workflows permission/,
      )
      expect(r.stderr).toMatch(/RELEASE_TOKEN/)
      expect(originTag('v1')).toBe(v100) // the refused push changed nothing
    } finally {
      rmSync(hook)
    }
    expect(release('move', '1.1.0').status).toBe(0) // re-run once GitHub takes the push
    expect(originTag('v1')).toBe(v110)
  })

  it('plans no release once the version is tagged (any later push to main)', () => {
    const r = release('plan')
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ release: false, version: '1.1.0', tag: 'v1.1.0' })
  })

  it('a fix to the older line moves v1.0 only and is not the latest', () => {
    git(clone, 'checkout', '-q', '-b', 'release-1.0', 'v1.0.0')
    const fix = `## [1.0.1] - 2026-12-08\n\n### Fixed\n\n- A fix.\n\n`
    commitVersion(clone, '1.0.1', changelog(fix, CHANGELOG_1_0_0))
    const r = release('plan')
    expect(r.status).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ release: true, moves: ['v1.0'], latest: false })
  })

  it('a prerelease is planned as one and moves no tag', () => {
    git(clone, 'checkout', '-q', 'main')
    const rc = `## [1.2.0-rc.1] - 2026-12-09\n\n### Added\n\n- A preview.\n\n`
    commitVersion(clone, '1.2.0-rc.1', changelog(rc, CHANGELOG_1_1_0, CHANGELOG_1_0_0))
    expect(JSON.parse(release('plan').stdout)).toMatchObject({ release: true, prerelease: true, moves: [] })
  })

  it.each([
    [
      'a version without a CHANGELOG.md section',
      '1.3.0',
      changelog(CHANGELOG_1_1_0),
      /no "## \[1\.3\.0\] - YYYY-MM-DD" section/,
    ],
    ['a section without its date', '1.3.0', changelog('## [1.3.0]\n\n- x\n\n'), /needs its release date/],
    ['an empty section', '1.3.0', changelog('## [1.3.0] - 2026-12-09\n\n'), /section of 1\.3\.0 is empty/],
    [
      'a version older than a release of its line',
      '1.1.0-rc.1',
      changelog('## [1.1.0-rc.1] - 2026-12-09\n\n- x\n\n'),
      /older than v1\.1\.0/,
    ],
    ['a version that is not X.Y.Z', '1.3', changelog(), /"1\.3" is not a semantic version/],
  ])('refuses %s before tagging anything', (_what, version, log, message) => {
    git(clone, 'checkout', '-q', 'main')
    commitVersion(clone, version, log)
    const r = release('plan')
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(message)
    git(clone, 'reset', '-q', '--hard', 'HEAD~1')
  })
})

describe('this repository', () => {
  it('has the CHANGELOG.md section of the version in package.json, dated', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
    const r = spawnSync(process.execPath, [SCRIPT, 'notes', version], { cwd: ROOT, encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^### /m)
  })
})

describe('.github/workflows/release.yml', () => {
  const workflow = loadWorkflow('.github/workflows/release.yml')
  const jobs = workflow.doc.jobs as Record<string, Job & { needs?: string[]; if?: string }>
  const runs = (job: Job) => (job.steps ?? []).map((s) => s.run ?? '').filter(Boolean)
  const actions = (job: Job) =>
    (job.steps ?? []).map((s) => (s.uses ?? '').replace(/@.*/, '')).filter(Boolean)

  it('releases from a version bump pushed to main, one release at a time, never cancelled', () => {
    expect(workflow.doc.on).toEqual({ push: { branches: ['main'], paths: ['package.json'] } })
    expect(workflow.doc.permissions).toEqual({})
    expect(workflow.doc.concurrency).toEqual({ group: 'release', 'cancel-in-progress': false })
  })

  it('gives each job only what it needs; only publish writes to the repository', () => {
    expect(Object.fromEntries(Object.entries(jobs).map(([id, job]) => [id, job.permissions]))).toEqual({
      plan: { contents: 'read' },
      checks: { contents: 'read' },
      sbom: { contents: 'read' },
      attest: { contents: 'read', 'id-token': 'write', attestations: 'write' },
      publish: { contents: 'write' },
    })
  })

  it('publishes only after the checks, the SBOM and the attestations', () => {
    expect(jobs.publish!.needs).toEqual(['plan', 'checks', 'sbom', 'attest'])
    for (const id of ['checks', 'sbom', 'attest', 'publish'])
      expect(jobs[id]!.if).toBe("needs.plan.outputs.release == 'true'")
    expect(runs(jobs.checks!)).toContain('bash .ci/run') // check-dist included
  })

  it('attests every dist/ file and the SBOM', () => {
    const attest = (jobs.attest!.steps ?? []).filter((s) =>
      (s.uses ?? '').startsWith('actions/attest-build-provenance@'),
    )
    expect(attest.map((s) => s.with?.['subject-path'])).toEqual(['dist/**', 'sbom.cdx.json'])
  })

  it('runs no installed package in the job that may write: only git, gh and scripts/release.mjs', () => {
    expect(actions(jobs.publish!)).toEqual(['actions/checkout', 'actions/download-artifact'])
    for (const script of runs(jobs.publish!)) {
      for (const line of script.split('\n').filter((l) => l.trim() !== '')) {
        expect(line.trim()).toMatch(/^node scripts\/release\.mjs (notes|tag|publish|move) /)
      }
    }
  })
})

describe('the grant rules for releases (workflow-audits.ts)', () => {
  const workflow = (file: string, jobs: Record<string, Job>): Workflow => ({ file, text: '', doc: { jobs } })
  const attest = { uses: 'actions/attest-build-provenance@a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32' }
  const checkout = { uses: 'actions/checkout@08eba0b27e820071cde6df949e0beb9ba4906955' }

  it('allow id-token and attestations writes to a job that attests, and to no other', () => {
    const grants = { 'id-token': 'write', attestations: 'write', contents: 'read' }
    expect(
      grantProblems(
        workflow('x.yml', {
          attest: { permissions: grants, steps: [checkout, attest] },
          other: { permissions: grants, steps: [checkout] },
        }),
      ),
    ).toEqual(['other: id-token: write', 'other: attestations: write'])
  })

  it("allow contents: write to release.yml's publish job only", () => {
    const publish = { permissions: { contents: 'write' }, steps: [checkout] }
    expect(grantProblems(workflow('.github/workflows/release.yml', { publish, tag: publish }))).toEqual([
      'tag: contents: write',
    ])
    expect(grantProblems(workflow('.github/workflows/ci.yml', { publish }))).toEqual([
      'publish: contents: write',
    ])
  })
})
