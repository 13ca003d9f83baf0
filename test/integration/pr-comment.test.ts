import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../../actions/pr-comment/src/main.js'
import { markerFor } from '../../actions/pr-comment/src/sticky-comment.js'
import { runActionInProcess } from '../support/action-runner.js'
import { startGitHubApiFake, type GitHubApiFake } from '../support/github-api-fake.js'

const TOKEN = 'ghs_fakeTokenForTests0123456789'
const OWNER = 'octo-org'
const REPO = 'service'
const PR = 42

let api: GitHubApiFake
let workspace: string

beforeAll(async () => {
  api = await startGitHubApiFake({ token: TOKEN })
  workspace = mkdtempSync(join(tmpdir(), 'pr-comment-'))
})

afterAll(async () => {
  await api.close()
  rmSync(workspace, { recursive: true, force: true })
})

beforeEach(() => api.reset())

function eventEnv(eventName: string, payload: unknown): Record<string, string> {
  const path = join(workspace, `event-${eventName}.json`)
  writeFileSync(path, JSON.stringify(payload))
  return {
    GITHUB_API_URL: api.url,
    GITHUB_EVENT_NAME: eventName,
    GITHUB_EVENT_PATH: path,
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: workspace,
  }
}

/** What a log reader sees: the runner consumes ::add-mask:: commands and hides those values. */
const visible = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')

const prEnv = () => eventEnv('pull_request', { pull_request: { number: PR } })

const post = (kind: string, body: string, env = prEnv()) =>
  runActionInProcess(run, { kind, body, 'github-token': TOKEN }, env)

describe('pr-comment against a local GitHub REST API', () => {
  it('creates the comment with its marker on the first run', async () => {
    const result = await post('plan', '### Plan\n| a | b |')
    expect(result.failed).toBe(false)
    expect(result.outputs.result).toBe('created')
    const comments = api.comments(OWNER, REPO, PR)
    expect(comments).toHaveLength(1)
    expect(comments[0]!.body.startsWith(markerFor('plan'))).toBe(true)
    expect(comments[0]!.body).toContain('### Plan')
    expect(result.outputs['comment-id']).toBe(String(comments[0]!.id))
    expect(result.stdout).toContain(`::add-mask::${TOKEN}`)
    expect(visible(result.stdout)).not.toContain(TOKEN)
  })

  it('updates the same comment in place on later runs and never duplicates it', async () => {
    const first = await post('plan', 'first version')
    const second = await post('plan', 'second version')
    const third = await post('plan', 'second version')
    expect([first.outputs.result, second.outputs.result, third.outputs.result]).toEqual([
      'created',
      'updated',
      'unchanged',
    ])
    const comments = api.comments(OWNER, REPO, PR)
    expect(comments).toHaveLength(1)
    expect(comments[0]!.body).toContain('second version')
    expect(second.outputs['comment-id']).toBe(first.outputs['comment-id'])
    // The unchanged run only read the comments (and asked who the token is).
    expect(api.requests.filter((r) => r.method !== 'GET')).toHaveLength(2)
    expect(api.requests.filter((r) => r.path === '/user')).toHaveLength(3)
  })

  it('keeps one comment per kind and leaves other people’s comments alone', async () => {
    api.addComment(OWNER, REPO, PR, 'Looks good to me', 'reviewer')
    await post('plan', 'plan text')
    await post('benchmark', 'benchmark text')
    await post('plan', 'plan text, again')
    const comments = api.comments(OWNER, REPO, PR)
    expect(comments.map((c) => c.body.split('\n')[0])).toEqual([
      'Looks good to me',
      markerFor('plan'),
      markerFor('benchmark'),
    ])
    expect(comments[1]!.body).toContain('plan text, again')
  })

  it('finds its comment on a later page of a long conversation', async () => {
    for (let i = 0; i < 130; i++) api.addComment(OWNER, REPO, PR, `chatter ${i}`)
    const old = api.addComment(OWNER, REPO, PR, `${markerFor('failover')}\nold report`, 'github-actions[bot]')
    for (let i = 0; i < 20; i++) api.addComment(OWNER, REPO, PR, `more chatter ${i}`)
    const result = await post('failover', 'new report')
    expect(result.outputs.result).toBe('updated')
    expect(result.outputs['comment-id']).toBe(String(old.id))
    const marked = api.comments(OWNER, REPO, PR).filter((c) => c.body.includes(markerFor('failover')))
    expect(marked).toHaveLength(1)
    expect(marked[0]!.body).toContain('new report')
    // 151 comments at 100 per page: two list calls that followed the Link header.
    const lists = api.requests.filter((r) => r.method === 'GET' && r.path.includes('/comments'))
    expect(lists).toHaveLength(2)
    expect(lists[1]!.path).toContain('page=2')
  })

  it('removes extra copies left behind by an earlier race and keeps the oldest', async () => {
    const a = api.addComment(OWNER, REPO, PR, `${markerFor('plan')}\nA`, 'github-actions[bot]')
    api.addComment(OWNER, REPO, PR, `${markerFor('plan')}\nB`, 'github-actions[bot]')
    const result = await post('plan', 'C')
    expect(result.outputs['comment-id']).toBe(String(a.id))
    const marked = api.comments(OWNER, REPO, PR).filter((c) => c.body.includes(markerFor('plan')))
    expect(marked.map((c) => c.id)).toEqual([a.id])
    expect(result.warnings.join('\n')).toMatch(/Removed 1 extra/)
  })

  it('never updates or deletes another author’s comment, even one carrying the marker', async () => {
    const forged = api.addComment(OWNER, REPO, PR, `${markerFor('plan')}\nApproved, ship it`, 'mallory')
    const quoted = api.addComment(OWNER, REPO, PR, `> ${markerFor('plan')}\nWhy this change?`, 'reviewer')
    const first = await post('plan', 'the real plan')
    const second = await post('plan', 'the real plan, again')
    expect([first.outputs.result, second.outputs.result]).toEqual(['created', 'updated'])
    const comments = api.comments(OWNER, REPO, PR)
    expect(comments.map((c) => [c.user.login, c.body.split('\n')[1]])).toEqual([
      ['mallory', 'Approved, ship it'],
      ['reviewer', 'Why this change?'],
      ['github-actions[bot]', 'the real plan, again'],
    ])
    expect(first.outputs['comment-id']).not.toBe(String(forged.id))
    expect(api.requests.filter((r) => r.method === 'DELETE' || r.path.endsWith(`/${quoted.id}`))).toEqual([])
  })

  it('with a user’s token, its comments are that user’s: found by GET /user', async () => {
    const userApi = await startGitHubApiFake({ token: TOKEN, user: 'octo-dev' })
    try {
      userApi.addComment(OWNER, REPO, PR, `${markerFor('plan')}\nby the bot`, 'github-actions[bot]')
      const env = { ...prEnv(), GITHUB_API_URL: userApi.url }
      const first = await post('plan', 'one', env)
      const second = await post('plan', 'two', env)
      expect([first.outputs.result, second.outputs.result]).toEqual(['created', 'updated'])
      expect(userApi.comments(OWNER, REPO, PR).map((c) => c.user.login)).toEqual([
        'github-actions[bot]',
        'octo-dev',
      ])
    } finally {
      await userApi.close()
    }
  })

  it('author names the bot of another app’s installation token', async () => {
    const old = api.addComment(OWNER, REPO, PR, `${markerFor('plan')}\nold`, 'deploy-app[bot]')
    const result = await runActionInProcess(
      run,
      { kind: 'plan', body: 'new', 'github-token': TOKEN, author: 'deploy-app[bot]' },
      prEnv(),
    )
    expect(result.outputs).toMatchObject({ result: 'updated', 'comment-id': String(old.id) })
    expect(api.requests.filter((r) => r.path === '/user')).toEqual([])
  })

  it('reads the text from body-file in the runner temporary directory', async () => {
    const file = join(workspace, 'comment.md')
    writeFileSync(file, '| Region | Status |\n| --- | --- |\n| us-east-1 | planned |\n')
    const result = await runActionInProcess(
      run,
      { kind: 'plan', 'body-file': file, 'github-token': TOKEN },
      prEnv(),
    )
    expect(result.failed).toBe(false)
    expect(api.comments(OWNER, REPO, PR)[0]!.body).toContain('| us-east-1 | planned |')
  })

  it('does nothing outside a pull request event, and says so', async () => {
    const result = await post('plan', 'text', eventEnv('push', { ref: 'refs/heads/main' }))
    expect(result.failed).toBe(false)
    expect(result.outputs.result).toBe('skipped')
    expect(result.stdout).toMatch(/'push', not by a pull request/)
    expect(api.requests).toHaveLength(0)
  })

  it('rejects bad inputs before any request', async () => {
    const noKind = await post('', 'text')
    expect(noKind.failed).toBe(true)
    expect(noKind.errors[0]).toMatch(/Input 'kind'/)
    const both = await runActionInProcess(
      run,
      { kind: 'plan', body: 'x', 'body-file': 'comment.md', 'github-token': TOKEN },
      prEnv(),
    )
    expect(both.errors[0]).toMatch(/Input 'body-file'.*either body or body-file/)
    const outside = await runActionInProcess(
      run,
      { kind: 'plan', 'body-file': '../../etc/passwd', 'github-token': TOKEN },
      prEnv(),
    )
    expect(outside.errors[0]).toMatch(/Input 'body-file'/)
    const badKind = await post('Plan Report', 'x')
    expect(badKind.errors[0]).toMatch(/Input 'kind': "Plan Report"/)
    expect(api.requests).toHaveLength(0)
  })

  it('fails with GitHub’s message when the token is refused, without printing the token', async () => {
    const result = await runActionInProcess(
      run,
      { kind: 'plan', body: 'x', 'github-token': 'ghs_wrongToken999' },
      prEnv(),
    )
    expect(result.failed).toBe(true)
    expect(result.errors[0]).toMatch(/Bad credentials/)
    expect(visible(result.stdout)).not.toContain('ghs_wrongToken999')
  })
})
