import * as core from '@actions/core'
import * as github from '@actions/github'
import { runAction } from '../../../lib/action.js'
import { Inputs } from '../../../lib/inputs.js'
import { getSettings, type PullRequestRef } from './input-helper.js'
import { upsertStickyComment, type CommentApi } from './sticky-comment.js'

type Octokit = ReturnType<typeof github.getOctokit>

/**
 * The login comments made with the token carry. A user's token (or a GitHub App's user
 * token) names its user at GET /user; the workflow's GITHUB_TOKEN, an installation token,
 * is refused there with 403 ("Resource not accessible by integration") and writes as
 * github-actions[bot]. `author` names another app's bot, whose token is refused alike.
 */
export async function tokenAuthor(octokit: Octokit, author: string | undefined): Promise<string> {
  if (author) return author
  try {
    return (await octokit.rest.users.getAuthenticated()).data.login
  } catch (error) {
    if ((error as { status?: number }).status === 403) return GITHUB_ACTIONS_BOT
    throw error
  }
}

export const GITHUB_ACTIONS_BOT = 'github-actions[bot]'

/** The issue-comment calls of GitHub's REST API (a pull request is an issue). */
export function octokitCommentApi(octokit: Octokit, pr: PullRequestRef, author?: string): CommentApi {
  const target = { owner: pr.owner, repo: pr.repo }
  return {
    author: () => tokenAuthor(octokit, author),
    list: () =>
      octokit.paginate(octokit.rest.issues.listComments, {
        ...target,
        issue_number: pr.number,
        per_page: 100,
      }),
    create: async (body) =>
      (await octokit.rest.issues.createComment({ ...target, issue_number: pr.number, body })).data,
    update: async (id, body) =>
      (await octokit.rest.issues.updateComment({ ...target, comment_id: id, body })).data,
    remove: async (id) => {
      await octokit.rest.issues.deleteComment({ ...target, comment_id: id })
    },
  }
}

export async function run(): Promise<void> {
  await runAction(async () => {
    const inputs = new Inputs()
    const rawToken = inputs.raw('github-token')
    if (rawToken) core.setSecret(rawToken)
    const settings = getSettings(inputs)
    if (!settings.pullRequest) {
      core.info(
        `This run was started by '${settings.eventName || 'an unknown event'}', not by a pull request: there is no pull request to comment on, so nothing was posted.`,
      )
      core.setOutput('result', 'skipped')
      return
    }
    const pr = settings.pullRequest
    // baseUrl is read at run time: GITHUB_API_URL points at GitHub Enterprise Server (or a test server).
    const octokit = github.getOctokit(settings.token, { baseUrl: settings.apiUrl })
    const result = await upsertStickyComment(
      octokitCommentApi(octokit, pr, settings.author),
      settings.kind,
      settings.body,
    )
    const where = `${pr.owner}/${pr.repo}#${pr.number}`
    if (result.action === 'create')
      core.info(`Created the ${settings.kind} comment on ${where}: ${result.url}`)
    else if (result.action === 'update')
      core.info(`Updated the ${settings.kind} comment on ${where} in place: ${result.url}`)
    else core.info(`The ${settings.kind} comment on ${where} already says this; left as it is: ${result.url}`)
    if (result.removedDuplicates.length > 0) {
      core.warning(
        `Removed ${result.removedDuplicates.length} extra copies of the ${settings.kind} comment on ${where}.`,
      )
    }
    core.setOutput(
      'result',
      result.action === 'create' ? 'created' : result.action === 'update' ? 'updated' : 'unchanged',
    )
    core.setOutput('comment-id', String(result.id))
    core.setOutput('comment-url', result.url)
  })
}
