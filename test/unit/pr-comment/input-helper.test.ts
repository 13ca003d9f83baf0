import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getSettings } from '../../../actions/pr-comment/src/input-helper.js'
import { InputError, Inputs, mapInputReader } from '../../../lib/inputs.js'

let dir: string
let workspace: string
let temp: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pr-comment-inputs-'))
  workspace = join(dir, 'workspace')
  temp = join(dir, 'temp')
  for (const d of [workspace, temp]) mkdirSync(d)
  writeFileSync(join(workspace, 'body.md'), 'from the workspace')
  writeFileSync(join(temp, 'body.md'), 'from the runner temp')
  writeFileSync(join(dir, 'secret.txt'), 'not for comments')
  writeFileSync(join(dir, 'pr.json'), JSON.stringify({ pull_request: { number: 7 } }))
  writeFileSync(join(dir, 'push.json'), JSON.stringify({ ref: 'refs/heads/main' }))
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  GITHUB_WORKSPACE: workspace,
  RUNNER_TEMP: temp,
  GITHUB_EVENT_NAME: 'pull_request',
  GITHUB_EVENT_PATH: join(dir, 'pr.json'),
  GITHUB_REPOSITORY: 'octo/app',
  ...extra,
})

const settings = (values: Record<string, string>, e = env()) =>
  getSettings(new Inputs(mapInputReader({ 'github-token': 't0k', ...values })), e)

describe('getSettings', () => {
  it('reads an inline body and the pull request from the event', () => {
    const s = settings({ kind: 'plan', body: 'hello' })
    expect(s).toMatchObject({ kind: 'plan', body: 'hello', token: 't0k', eventName: 'pull_request' })
    expect(s.pullRequest).toEqual({ owner: 'octo', repo: 'app', number: 7 })
    expect(s.apiUrl).toBe('https://api.github.com')
  })

  it('honours GITHUB_API_URL', () => {
    expect(
      settings({ kind: 'plan', body: 'x' }, env({ GITHUB_API_URL: 'https://ghe.example/api/v3' })).apiUrl,
    ).toBe('https://ghe.example/api/v3')
  })

  it('reads body-file from the workspace or the runner temp directory only', () => {
    expect(settings({ kind: 'plan', 'body-file': 'body.md' }).body).toBe('from the workspace')
    expect(settings({ kind: 'plan', 'body-file': join(temp, 'body.md') }).body).toBe('from the runner temp')
    expect(() => settings({ kind: 'plan', 'body-file': '../secret.txt' })).toThrow(/Input 'body-file'/)
    expect(() => settings({ kind: 'plan', 'body-file': join(dir, 'secret.txt') })).toThrow(
      /Input 'body-file'/,
    )
    expect(() => settings({ kind: 'plan', 'body-file': join(temp, 'missing.md') })).toThrow(/no such file/)
  })

  it('has no pull request outside pull request events', () => {
    const s = settings(
      { kind: 'plan', body: 'x' },
      env({ GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: join(dir, 'push.json') }),
    )
    expect(s.pullRequest).toBeUndefined()
    expect(s.eventName).toBe('push')
  })

  it.each([
    [{ kind: '', body: 'x' }, /Input 'kind'.*required/],
    [{ kind: 'Plan!', body: 'x' }, /Input 'kind': "Plan!"/],
    [{ kind: 'plan' }, /Input 'body'.*body-file/],
    [{ kind: 'plan', body: 'x', 'body-file': 'body.md' }, /Input 'body-file'.*not both/],
    [{ kind: 'plan', body: '   ' }, /Input 'body'/],
  ])('rejects %j', (values, message) => {
    expect(() => settings(values)).toThrow(InputError)
    expect(() => settings(values)).toThrow(message)
  })

  it('requires a token and never shows it', () => {
    expect(() => getSettings(new Inputs(mapInputReader({ kind: 'plan', body: 'x' })), env())).toThrow(
      /Input 'github-token': \(value hidden\)/,
    )
  })
})
