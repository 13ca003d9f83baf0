/**
 * One comment per kind on a pull request, found again by a hidden marker and updated
 * in place. Only comments written by the token's own identity count: anyone can write
 * the marker into a comment, and the marker alone would let us overwrite or delete
 * their words. The decision is pure (planComment); the calls go through CommentApi so
 * the same code runs against GitHub's REST API and against a test double.
 */

/** GitHub refuses comment bodies longer than this many characters. */
export const MAX_COMMENT_LENGTH = 65536

export const KIND_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/

export function markerFor(kind: string): string {
  return `<!-- multi-region-actions:${kind} -->`
}

const TRUNCATED_NOTE = '\n\n_(truncated: the full text is in the job summary and logs)_'

/** The body as posted: the marker on its own first line, cut to GitHub's limit. */
export function commentBody(kind: string, body: string): string {
  const head = `${markerFor(kind)}\n`
  const text = body.replace(/\s+$/, '')
  if (head.length + text.length <= MAX_COMMENT_LENGTH) return head + text
  return head + text.slice(0, MAX_COMMENT_LENGTH - head.length - TRUNCATED_NOTE.length) + TRUNCATED_NOTE
}

export interface IssueComment {
  id: number
  body?: string | null
  html_url?: string
  user?: { login: string } | null
}

/** GitHub logins are case-insensitive. */
const sameLogin = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

export type CommentPlan =
  | { action: 'create'; duplicates: number[] }
  | { action: 'update'; id: number; duplicates: number[] }
  | { action: 'unchanged'; id: number; duplicates: number[] }

/**
 * Decides what to do with the comments already on the pull request: update the oldest
 * comment by `author` carrying the marker (or leave it when its text is already right),
 * create one when none does, and remove later copies of ours left by an earlier race.
 * A marked comment by anyone else is neither updated nor removed.
 */
export function planComment(
  existing: readonly IssueComment[],
  kind: string,
  body: string,
  author: string,
): CommentPlan {
  const marker = markerFor(kind)
  const marked = existing
    .filter((c) => (c.body ?? '').includes(marker) && c.user != null && sameLogin(c.user.login, author))
    .sort((a, b) => a.id - b.id)
  const [first, ...rest] = marked
  const duplicates = rest.map((c) => c.id)
  if (first === undefined) return { action: 'create', duplicates }
  if ((first.body ?? '') === body) return { action: 'unchanged', id: first.id, duplicates }
  return { action: 'update', id: first.id, duplicates }
}

export interface CommentApi {
  /** The login of the token's own identity: only its comments are ours. */
  author(): Promise<string>
  list(): Promise<IssueComment[]>
  create(body: string): Promise<IssueComment>
  update(id: number, body: string): Promise<IssueComment>
  remove(id: number): Promise<void>
}

export interface StickyResult {
  action: CommentPlan['action']
  id: number
  url: string
  removedDuplicates: number[]
}

/** Creates or updates the kind's comment; returns what was done. */
export async function upsertStickyComment(
  api: CommentApi,
  kind: string,
  text: string,
): Promise<StickyResult> {
  const body = commentBody(kind, text)
  const author = await api.author()
  const existing = await api.list()
  const plan = planComment(existing, kind, body, author)
  let comment: IssueComment
  if (plan.action === 'create') comment = await api.create(body)
  else if (plan.action === 'update') comment = await api.update(plan.id, body)
  else comment = existing.find((c) => c.id === plan.id)!
  for (const id of plan.duplicates) await api.remove(id)
  return {
    action: plan.action,
    id: comment.id,
    url: comment.html_url ?? '',
    removedDuplicates: plan.duplicates,
  }
}
