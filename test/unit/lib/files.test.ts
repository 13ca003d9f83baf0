import { mkdirSync, mkdtempSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import {
  readRunnerTempFile,
  readWorkspaceFile,
  workspaceFile,
  workspaceOutputFile,
  writeRunFile,
} from '../../../lib/files.js'

describe('workspaceFile', () => {
  const root = mkdtempSync(join(tmpdir(), 'ws-'))
  const outside = mkdtempSync(join(tmpdir(), 'out-'))
  mkdirSync(join(root, 'templates'))
  writeFileSync(join(root, 'templates', 'a.yaml'), 'x: 1')
  writeFileSync(join(outside, 'secret.txt'), 'secret')
  symlinkSync(join(outside, 'secret.txt'), join(root, 'link.txt'))
  const env = { GITHUB_WORKSPACE: root }

  it('resolves a file inside the workspace', () => {
    expect(readWorkspaceFile('template', 'templates/a.yaml', env)).toBe('x: 1')
    expect(workspaceFile('template', './templates/../templates/a.yaml', env)).toBe(
      join(root, 'templates', 'a.yaml'),
    )
  })
  it('refuses paths that leave the workspace, by .., absolute path or symlink', () => {
    expect(() => workspaceFile('template', '../out/secret.txt', env)).toThrow(
      /Input 'template'.*inside the workspace/,
    )
    expect(() => workspaceFile('template', join(outside, 'secret.txt'), env)).toThrow(/inside the workspace/)
    expect(() => workspaceFile('template', 'link.txt', env)).toThrow(/inside the workspace/)
    expect(() => workspaceFile('template', 'templates/missing.yaml', env)).toThrow(/no such file/)
  })
  it('refuses a directory, naming the input, before anything reads it', () => {
    expect(() => workspaceFile('template', 'templates', env)).toThrow(
      /Input 'template'.*"templates".*it is a directory, not a file/,
    )
    expect(() => readWorkspaceFile('template', '.', env)).toThrow(/Input 'template'.*directory/)
  })
})

describe('workspaceOutputFile', () => {
  const root = mkdtempSync(join(tmpdir(), 'ws-out-'))
  const outside = mkdtempSync(join(tmpdir(), 'out-'))
  mkdirSync(join(root, 'results'))
  writeFileSync(join(root, 'results', 'old.json'), '{}')
  symlinkSync(outside, join(root, 'elsewhere'))
  symlinkSync(join(outside, 'target.json'), join(root, 'dangling.json'))
  symlinkSync(join(root, 'results', 'old.json'), join(root, 'inside-link.json'))
  const env = { GITHUB_WORKSPACE: root }

  it('accepts new and existing files inside the workspace, links that stay inside included', () => {
    expect(workspaceOutputFile('out', 'results/new/deep.json', env)).toBe(
      join(root, 'results', 'new', 'deep.json'),
    )
    expect(workspaceOutputFile('out', 'results/old.json', env)).toBe(join(root, 'results', 'old.json'))
    expect(workspaceOutputFile('out', 'inside-link.json', env)).toBe(join(root, 'inside-link.json'))
  })
  it.each([
    [
      '../escape.json',
      /Input 'out': "\.\.\/escape\.json" is not valid\. Expected a file path inside the workspace/,
    ],
    ['elsewhere/r.json', /a symbolic link leads outside it/],
    ['elsewhere/new/r.json', /a symbolic link leads outside it/],
    ['dangling.json', /a symbolic link to nothing/],
    ['results', /it is a directory, not a file/],
    ['results/old.json/x.json', /results\/old\.json is a file, not a folder/],
    ['', /Input 'out'/],
  ])('refuses %j', (value, message) => {
    expect(() => workspaceOutputFile('out', value, env)).toThrow(message)
  })
})

describe('readRunnerTempFile', () => {
  const temp = mkdtempSync(join(tmpdir(), 'runner-temp-'))
  writeFileSync(join(temp, 'body.md'), 'hello')
  mkdirSync(join(temp, 'folder.md'))
  it('reads a file inside the runner temp directory and refuses a directory, naming the input', () => {
    expect(readRunnerTempFile('body-file', join(temp, 'body.md'), temp)).toBe('hello')
    expect(() => readRunnerTempFile('body-file', join(temp, 'folder.md'), temp)).toThrow(
      /Input 'body-file'.*inside the runner's temporary directory \(it is a directory, not a file\)/,
    )
    expect(() => readRunnerTempFile('body-file', join(temp, 'none.md'), temp)).toThrow(/no such file/)
  })
})

describe('writeRunFile', () => {
  it("writes in the runner's temp directory, or the system's outside a runner, never in the workspace", () => {
    const temp = mkdtempSync(join(tmpdir(), 'runner-temp-'))
    const onRunner = writeRunFile('plan', '{}', { RUNNER_TEMP: temp, GITHUB_RUN_ID: '7' })
    expect(onRunner.startsWith(join(temp, 'plan-7-'))).toBe(true)
    const local = writeRunFile('plan', '{}', {})
    expect(dirname(local).startsWith(join(tmpdir(), 'multi-region-actions-'))).toBe(true)
    expect(basename(local)).toMatch(/^plan-local-\d+-[0-9a-f]{8}\.json$/)
    expect(local.startsWith(process.cwd())).toBe(false)
  })

  it('keeps the plan and instance files private: mode 0600, outside a runner in a directory of mode 0700', () => {
    const local = writeRunFile('stackset-rollout-instances-baseline', '[]', {})
    expect(statSync(local).mode & 0o777).toBe(0o600)
    expect(statSync(dirname(local)).mode & 0o777).toBe(0o700)
    const temp = mkdtempSync(join(tmpdir(), 'runner-temp-'))
    expect(statSync(writeRunFile('prune-snapshots-plan', '{}', { RUNNER_TEMP: temp })).mode & 0o777).toBe(
      0o600,
    )
    // Two files of one prefix in the same millisecond never meet.
    const a = writeRunFile('plan', '1', { RUNNER_TEMP: temp })
    const b = writeRunFile('plan', '2', { RUNNER_TEMP: temp })
    expect(a).not.toBe(b)
  })
})
