import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { listenOnLoopback } from './loopback-server.js'

/**
 * A loopback stand-in for the part of GitHub's REST API that issue (and pull request)
 * comments use, faithful to the documented behaviour:
 * - GET    /repos/{owner}/{repo}/issues/{issue_number}/comments  (per_page default 30,
 *   at most 100; page from 1; oldest first; a `Link` header with rel="next"/"last"
 *   while more pages follow, as documented under "Using pagination in the REST API")
 * - POST   /repos/{owner}/{repo}/issues/{issue_number}/comments  -> 201
 * - PATCH  /repos/{owner}/{repo}/issues/comments/{comment_id}    -> 200
 * - DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}    -> 204
 * - GET    /user: the token's user for a user token (`user` option); for an installation
 *   token such as the workflow's GITHUB_TOKEN (the default) 403 "Resource not accessible
 *   by integration", and comments are written as github-actions[bot]
 * A request without the expected token gets 401 ("Bad credentials"), an unknown comment 404.
 * Every request is recorded so tests can count calls.
 */
export interface FakeComment {
  id: number
  owner: string
  repo: string
  issue: number
  body: string
  user: { login: string; type: string }
  created_at: string
  updated_at: string
  html_url: string
}

export interface RecordedRequest {
  method: string
  path: string
  authorization?: string
}

export interface GitHubApiFake {
  url: string
  requests: RecordedRequest[]
  comments(owner: string, repo: string, issue: number): FakeComment[]
  /** Seeds a comment as if someone had posted it earlier. */
  addComment(owner: string, repo: string, issue: number, body: string, login?: string): FakeComment
  reset(): void
  close(): Promise<void>
}

export async function startGitHubApiFake(options: {
  token: string
  /** The token is this user's (GET /user answers, comments are written as them). */
  user?: string
}): Promise<GitHubApiFake> {
  const tokenLogin = options.user ?? 'github-actions[bot]'
  let nextId = 1000
  let store: FakeComment[] = []
  const requests: RecordedRequest[] = []
  let url = ''

  const make = (owner: string, repo: string, issue: number, body: string, login: string): FakeComment => {
    const now = new Date().toISOString()
    const id = nextId++
    const comment: FakeComment = {
      id,
      owner,
      repo,
      issue,
      body,
      user: { login, type: login.endsWith('[bot]') ? 'Bot' : 'User' },
      created_at: now,
      updated_at: now,
      html_url: `https://github.example/${owner}/${repo}/pull/${issue}#issuecomment-${id}`,
    }
    store.push(comment)
    return comment
  }

  const view = (c: FakeComment) => ({
    id: c.id,
    body: c.body,
    user: c.user,
    created_at: c.created_at,
    updated_at: c.updated_at,
    html_url: c.html_url,
    issue_url: `${url}/repos/${c.owner}/${c.repo}/issues/${c.issue}`,
  })

  const send = (
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const text = body === undefined ? '' : JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    res.end(text)
  }

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const parsed = new URL(req.url ?? '/', url)
    const method = req.method ?? 'GET'
    requests.push({
      method,
      path: `${parsed.pathname}${parsed.search}`,
      authorization: req.headers.authorization,
    })
    const auth = req.headers.authorization ?? ''
    if (auth !== `token ${options.token}` && auth !== `Bearer ${options.token}`) {
      return send(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' })
    }
    if (parsed.pathname === '/user' && method === 'GET') {
      if (!options.user)
        return send(res, 403, {
          message: 'Resource not accessible by integration',
          documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
        })
      return send(res, 200, { login: options.user, id: 583231, type: 'User' })
    }
    const list = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(parsed.pathname)
    const one = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(parsed.pathname)
    if (list) {
      const [, owner, repo, issueText] = list
      const issue = Number(issueText)
      if (method === 'GET') {
        const perPage = Math.min(100, Math.max(1, Number(parsed.searchParams.get('per_page') ?? 30) || 30))
        const page = Math.max(1, Number(parsed.searchParams.get('page') ?? 1) || 1)
        const all = store.filter((c) => c.owner === owner && c.repo === repo && c.issue === issue)
        const last = Math.max(1, Math.ceil(all.length / perPage))
        const link = (p: number) => {
          const u = new URL(parsed.pathname, url)
          u.searchParams.set('per_page', String(perPage))
          u.searchParams.set('page', String(p))
          return u.toString()
        }
        const headers: Record<string, string> = {}
        if (page < last) headers.link = `<${link(page + 1)}>; rel="next", <${link(last)}>; rel="last"`
        return send(res, 200, all.slice((page - 1) * perPage, page * perPage).map(view), headers)
      }
      if (method === 'POST') {
        const body = (JSON.parse(raw || '{}') as { body?: unknown }).body
        if (typeof body !== 'string') return send(res, 422, { message: 'Invalid request: body is required' })
        return send(res, 201, view(make(owner!, repo!, issue, body, tokenLogin)))
      }
    }
    if (one) {
      const [, owner, repo, idText] = one
      const comment = store.find((c) => c.owner === owner && c.repo === repo && c.id === Number(idText))
      if (!comment) return send(res, 404, { message: 'Not Found' })
      if (method === 'PATCH') {
        const body = (JSON.parse(raw || '{}') as { body?: unknown }).body
        if (typeof body !== 'string') return send(res, 422, { message: 'Invalid request: body is required' })
        comment.body = body
        comment.updated_at = new Date().toISOString()
        return send(res, 200, view(comment))
      }
      if (method === 'DELETE') {
        store = store.filter((c) => c !== comment)
        res.writeHead(204)
        return res.end()
      }
      if (method === 'GET') return send(res, 200, view(comment))
    }
    return send(res, 404, { message: 'Not Found' })
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')))
  })
  const { port, close } = await listenOnLoopback(server)
  url = `http://127.0.0.1:${port}`
  return {
    url,
    requests,
    comments: (owner, repo, issue) =>
      store.filter((c) => c.owner === owner && c.repo === repo && c.issue === issue),
    addComment: (owner, repo, issue, body, login = 'someone') => make(owner, repo, issue, body, login),
    reset: () => {
      store = []
      requests.length = 0
    },
    close,
  }
}
