import {
  MAX_COMMENT_LENGTH,
  commentBody,
  markerFor,
  planComment,
  upsertStickyComment,
  type CommentApi,
  type IssueComment,
} from '../../../actions/pr-comment/src/sticky-comment.js'

describe('markerFor / commentBody', () => {
  it('puts the hidden marker on the first line', () => {
    expect(markerFor('plan')).toBe('<!-- multi-region-actions:plan -->')
    expect(commentBody('plan', 'hello\n\n')).toBe('<!-- multi-region-actions:plan -->\nhello')
  })

  it('cuts a body to GitHub’s limit and says so', () => {
    const body = commentBody('benchmark', 'x'.repeat(MAX_COMMENT_LENGTH * 2))
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH)
    expect(body.startsWith(markerFor('benchmark'))).toBe(true)
    expect(body).toMatch(/truncated/)
  })
})

const BOT = 'github-actions[bot]'

describe('planComment', () => {
  const marked = (id: number, kind: string, text = 'x', login = BOT): IssueComment => ({
    id,
    body: `${markerFor(kind)}\n${text}`,
    user: { login },
  })

  it('creates when no comment carries the marker', () => {
    expect(planComment([{ id: 1, body: 'hi' }, marked(2, 'benchmark')], 'plan', 'b', BOT)).toEqual({
      action: 'create',
      duplicates: [],
    })
  })

  it('updates the oldest marked comment and lists later copies', () => {
    expect(
      planComment([marked(9, 'plan'), marked(3, 'plan'), { id: 4, body: null }], 'plan', 'new', BOT),
    ).toEqual({
      action: 'update',
      id: 3,
      duplicates: [9],
    })
  })

  it('leaves a comment that already has the text', () => {
    const body = commentBody('plan', 'same')
    expect(planComment([{ id: 5, body, user: { login: BOT } }], 'plan', body, BOT)).toEqual({
      action: 'unchanged',
      id: 5,
      duplicates: [],
    })
  })

  it('does not confuse kinds that share a prefix', () => {
    expect(planComment([marked(1, 'plan-eu')], 'plan', 'b', BOT).action).toBe('create')
  })

  it('counts only comments by the token’s own identity: another author’s marker is left alone', () => {
    const forged = [
      marked(1, 'plan', 'forged', 'mallory'),
      marked(2, 'plan', 'quoted', 'reviewer'),
      { id: 3, body: markerFor('plan') },
    ]
    expect(planComment(forged, 'plan', 'b', BOT)).toEqual({ action: 'create', duplicates: [] })
    expect(planComment([...forged, marked(7, 'plan'), marked(8, 'plan')], 'plan', 'b', BOT)).toEqual({
      action: 'update',
      id: 7,
      duplicates: [8],
    })
    // Logins are case-insensitive.
    expect(planComment([marked(4, 'plan', 'x', 'Octo-Dev')], 'plan', 'b', 'octo-dev')).toMatchObject({
      id: 4,
    })
  })
})

describe('upsertStickyComment', () => {
  function memoryApi(initial: IssueComment[] = []) {
    const comments = [...initial]
    let next = 100
    const calls: string[] = []
    const api: CommentApi = {
      author: async () => BOT,
      list: async () => {
        calls.push('list')
        return comments.map((c) => ({ ...c }))
      },
      create: async (body) => {
        calls.push('create')
        const c = { id: next++, body, html_url: 'u', user: { login: BOT } }
        comments.push(c)
        return c
      },
      update: async (id, body) => {
        calls.push(`update ${id}`)
        const c = comments.find((x) => x.id === id)!
        c.body = body
        return c
      },
      remove: async (id) => {
        calls.push(`remove ${id}`)
        comments.splice(
          comments.findIndex((x) => x.id === id),
          1,
        )
      },
    }
    return { api, comments, calls }
  }

  it('creates, then updates in place, then makes no write when nothing changed', async () => {
    const { api, comments, calls } = memoryApi()
    expect((await upsertStickyComment(api, 'plan', 'one')).action).toBe('create')
    expect((await upsertStickyComment(api, 'plan', 'two')).action).toBe('update')
    expect((await upsertStickyComment(api, 'plan', 'two')).action).toBe('unchanged')
    expect(comments).toHaveLength(1)
    expect(calls).toEqual(['list', 'create', 'list', 'update 100', 'list'])
  })

  it('removes duplicates after updating the kept comment', async () => {
    const { api, comments } = memoryApi([
      { id: 1, body: `${markerFor('plan')}\na`, user: { login: BOT } },
      { id: 2, body: `${markerFor('plan')}\nb`, user: { login: BOT } },
      { id: 3, body: `${markerFor('plan')}\nsomeone else's`, user: { login: 'mallory' } },
    ])
    const result = await upsertStickyComment(api, 'plan', 'c')
    expect(result).toMatchObject({ action: 'update', id: 1, removedDuplicates: [2] })
    expect(comments.map((c) => c.id)).toEqual([1, 3])
  })
})
