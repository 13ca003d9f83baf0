import { existsSync, readFileSync } from 'node:fs'
import { isAbsolute, relative, resolve } from 'node:path'
import { InputError, Inputs } from '../../../lib/inputs.js'
import { readRunnerTempFile, readWorkspaceFile } from '../../../lib/files.js'
import { KIND_PATTERN, MAX_COMMENT_LENGTH } from './sticky-comment.js'

export interface PullRequestRef {
  owner: string
  repo: string
  number: number
}

export interface Settings {
  kind: string
  body: string
  token: string
  apiUrl: string
  eventName: string
  /** The login the token writes as, when GET /user cannot tell (another app's installation token). */
  author?: string
  /** Undefined outside a pull request event: there is nothing to comment on. */
  pullRequest?: PullRequestRef
}

const PULL_REQUEST_EVENTS = [
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment',
]

/**
 * Reads a body file from the workspace or from the runner's temporary directory
 * (where workflows write generated text); any other place is refused.
 */
function readBodyFile(value: string, env: NodeJS.ProcessEnv): string {
  const temp = env.RUNNER_TEMP ? resolve(env.RUNNER_TEMP) : undefined
  if (temp && isAbsolute(value)) {
    const rel = relative(temp, resolve(value))
    if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !value.includes('\0'))
      return readRunnerTempFile('body-file', value, temp)
  }
  return readWorkspaceFile('body-file', value, env)
}

function pullRequestOf(env: NodeJS.ProcessEnv, eventName: string): PullRequestRef | undefined {
  if (
    !PULL_REQUEST_EVENTS.includes(eventName) ||
    !env.GITHUB_EVENT_PATH ||
    !existsSync(env.GITHUB_EVENT_PATH)
  ) {
    return undefined
  }
  const payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as {
    pull_request?: { number?: number }
    repository?: { name?: string; owner?: { login?: string } }
  }
  const number = payload.pull_request?.number
  if (typeof number !== 'number') return undefined
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/')
  const ownerName = owner || payload.repository?.owner?.login
  const repoName = repo || payload.repository?.name
  if (!ownerName || !repoName) return undefined
  return { owner: ownerName, repo: repoName, number }
}

/** Builds the settings; every input is checked before any request is made. */
export function getSettings(inputs: Inputs, env: NodeJS.ProcessEnv = process.env): Settings {
  const kind = inputs.matching(
    'kind',
    KIND_PATTERN,
    'a short lower-case name such as plan, failover or benchmark (letters, digits, . _ -)',
    { required: true },
  )!
  const token = inputs.string('github-token')
  if (token === '')
    throw new InputError('github-token', '', 'a token (usually ${{ github.token }})', { secret: true })
  const inline = inputs.optional('body')
  const file = inputs.optional('body-file')
  if (inline !== undefined && file !== undefined) {
    throw new InputError('body-file', file, 'either body or body-file, not both')
  }
  if (inline === undefined && file === undefined) {
    throw new InputError('body', '', 'the comment text in body, or a file path in body-file')
  }
  const body = inline ?? readBodyFile(file!, env)
  if (body.trim() === '')
    throw new InputError(inline === undefined ? 'body-file' : 'body', '', 'non-empty comment text')
  if (body.length > 10 * MAX_COMMENT_LENGTH) {
    throw new InputError(
      inline === undefined ? 'body-file' : 'body',
      `${body.length} characters`,
      'a comment of at most 655,360 characters',
    )
  }
  const author = inputs.matching(
    'author',
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/,
    'a GitHub login, such as my-app[bot]',
  )
  const eventName = env.GITHUB_EVENT_NAME ?? ''
  return {
    author,
    kind,
    body,
    token,
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    eventName,
    pullRequest: pullRequestOf(env, eventName),
  }
}
