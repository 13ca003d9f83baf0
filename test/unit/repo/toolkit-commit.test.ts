/**
 * The reusable workflows run the toolkit's actions at the commit the caller pinned, never
 * at a moving branch or tag. GitHub documents the claims of a job's OIDC token:
 * job_workflow_ref, "The ref path to the reusable workflow ... used by this job", and
 * job_workflow_sha, "The commit SHA for the reusable workflow file" (OpenID Connect
 * reference, custom claims provided by GitHub); the github context documents
 * github.job_workflow_sha, "For jobs using a reusable workflow, the commit SHA for the
 * reusable workflow file", which runners often leave empty (actions/runner#2417). So
 * each job resolves the commit from the token's claims (the context value when set) in
 * a step named "Find the toolkit commit", and checks the toolkit out at that commit.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TOOLKIT_PATH, jobsOf, loadWorkflows, triggers, type Step, type YamlMap } from './workflow-files.js'

const workflows = loadWorkflows()
const reusable = workflows.filter((w) => (triggers(w) as YamlMap).workflow_call !== undefined)
const starters = workflows.filter((w) => w.file.startsWith('workflows/'))

const isToolkitCheckout = (step: Step) =>
  (step.uses ?? '').startsWith('actions/checkout@') && step.with?.path === TOOLKIT_PATH

describe.each(reusable.map((w) => [w.file, w] as const))('%s', (_file, workflow) => {
  it('defaults toolkit-ref and toolkit-repository to the commit and repository of this workflow', () => {
    const inputs = (triggers(workflow).workflow_call as { inputs?: Record<string, { default?: unknown }> })
      .inputs
    expect(inputs?.['toolkit-ref']?.default).toBe('')
    expect(inputs?.['toolkit-repository']?.default).toBe('')
  })

  it('checks the toolkit out only at the commit the "Find the toolkit commit" step found', () => {
    const problems: string[] = []
    for (const [id, job] of jobsOf(workflow)) {
      const steps = job.steps ?? []
      steps.forEach((step, i) => {
        if (!isToolkitCheckout(step)) return
        const resolver = steps.slice(0, i).find((s) => s.id === 'toolkit')
        if (resolver?.name !== 'Find the toolkit commit') problems.push(`${id}: no resolving step before it`)
        if (step.with?.ref !== '${{ steps.toolkit.outputs.ref }}')
          problems.push(`${id}: ref ${step.with?.ref}`)
        if (step.with?.repository !== '${{ steps.toolkit.outputs.repository }}')
          problems.push(`${id}: repository ${step.with?.repository}`)
      })
    }
    expect(problems).toEqual([])
  })
})

describe('starter workflows', () => {
  it.each(starters.map((w) => [w.file, w] as const))(
    '%s passes no toolkit-ref, so the toolkit runs at the pinned workflow commit',
    (_file, workflow) => {
      const passed = jobsOf(workflow).filter(([, job]) => job.with?.['toolkit-ref'] !== undefined)
      expect(passed.map(([id]) => id)).toEqual([])
    },
  )
})

/** The resolving steps of jobs that hold an OIDC token (pr-gate's comment job reuses their result). */
const resolvers = reusable.flatMap((w) =>
  jobsOf(w).flatMap(([id, job]) =>
    (job.steps ?? [])
      .filter((s) => s.id === 'toolkit' && (s.env as YamlMap | undefined)?.TOOLKIT_REF !== undefined)
      .map((s) => ({ where: `${w.file} ${id}`, step: s })),
  ),
)

/**
 * A job that holds no OIDC token (the merge of shards) takes the commit its first job found,
 * through that job's outputs: `inputs.toolkit-ref || needs.<first>.outputs.toolkit-ref`.
 */
const withoutNeeds = (env: unknown) =>
  Object.fromEntries(
    Object.entries(env as Record<string, string>).map(([k, v]) => [
      k,
      v.replace(/ \|\| needs\.[\w-]+\.outputs\.toolkit-(repository|ref) \}\}$/, ' }}'),
    ]),
  )

describe('the "Find the toolkit commit" step', () => {
  it('is the same in every job that resolves the commit itself', () => {
    expect(resolvers.length).toBeGreaterThanOrEqual(8)
    const first = resolvers[0]!.step
    for (const { where, step } of resolvers)
      expect([where, step.run, withoutNeeds(step.env)]).toEqual([where, first.run, first.env])
    expect(first.env).toMatchObject({
      TOOLKIT_REPOSITORY: '${{ inputs.toolkit-repository }}',
      TOOLKIT_REF: '${{ inputs.toolkit-ref }}',
    })
  })

  const SHA = '0123456789abcdef0123456789abcdef01234567'
  const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const jwt = (claims: Record<string, string>) =>
    `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}.c2lnbmF0dXJl`

  /** Runs the step's script with bash against a local stand-in of the OIDC token endpoint. */
  async function resolve(env: Record<string, string>, claims: Record<string, string> | undefined) {
    const requests: IncomingMessage[] = []
    const server = createServer((req, res) => {
      requests.push(req)
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ value: jwt(claims ?? {}) }))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    const output = join(mkdtempSync(join(tmpdir(), 'toolkit-commit-')), 'output')
    try {
      const result = await new Promise<{ code: number; stdout: string }>((done) => {
        execFile(
          'bash',
          ['-c', String(resolvers[0]!.step.run)],
          {
            env: {
              PATH: process.env.PATH,
              GITHUB_OUTPUT: output,
              TOOLKIT_REPOSITORY: '',
              TOOLKIT_REF: '',
              JOB_WORKFLOW_SHA: '',
              ...(claims
                ? {
                    ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
                    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
                  }
                : {}),
              ...env,
            },
          },
          (error, stdout) => done({ code: error ? Number(error.code ?? 1) : 0, stdout }),
        )
      })
      let outputs = ''
      try {
        outputs = readFileSync(output, 'utf8')
      } catch {
        // no output written
      }
      return { ...result, outputs, requests }
    } finally {
      server.close()
    }
  }

  const claims = {
    job_workflow_ref: 'your-org/multi-region-actions/.github/workflows/deploy.yml@refs/tags/v1',
    job_workflow_sha: SHA,
    sub: 'repo:octo-org/service:ref:refs/heads/main',
  }

  it('the merge jobs take the commit from their first job and hold no OIDC token', () => {
    for (const [file, first] of [
      ['.github/workflows/deploy.yml', 'shards'],
      ['.github/workflows/prune-snapshots.yml', 'plan'],
    ] as const) {
      const jobs = Object.fromEntries(jobsOf(reusable.find((w) => w.file === file)!))
      expect(jobs[first]!.outputs).toMatchObject({
        'toolkit-repository': '${{ steps.toolkit.outputs.repository }}',
        'toolkit-ref': '${{ steps.toolkit.outputs.ref }}',
      })
      const merge = jobs.merge!
      expect(merge.needs).toContain(first)
      expect((merge.permissions as YamlMap)['id-token']).toBeUndefined()
      expect(merge.steps!.find((s) => s.id === 'toolkit')!.env).toMatchObject({
        TOOLKIT_REPOSITORY: `\${{ inputs.toolkit-repository || needs.${first}.outputs.toolkit-repository }}`,
        TOOLKIT_REF: `\${{ inputs.toolkit-ref || needs.${first}.outputs.toolkit-ref }}`,
      })
    }
  })

  it("takes the repository and commit from the job's OIDC token, with an audience STS refuses", async () => {
    const run = await resolve({}, claims)
    expect(run.code).toBe(0)
    expect(run.outputs).toBe(`repository=your-org/multi-region-actions\nref=${SHA}\n`)
    expect(run.stdout).toContain('::add-mask::')
    expect(run.requests).toHaveLength(1)
    expect(run.requests[0]!.headers.authorization).toBe('bearer request-token')
    const audience = new URL(run.requests[0]!.url!, 'http://x').searchParams.get('audience')
    expect(audience).toBe('multi-region-actions-toolkit')
  })

  it('prefers github.job_workflow_sha when the runner sets it', async () => {
    const run = await resolve({ JOB_WORKFLOW_SHA: 'f'.repeat(40) }, claims)
    expect(run.outputs).toBe(`repository=your-org/multi-region-actions\nref=${'f'.repeat(40)}\n`)
  })

  it('uses toolkit-repository and toolkit-ref when both are given, without a token', async () => {
    const run = await resolve({ TOOLKIT_REPOSITORY: 'fork/toolkit', TOOLKIT_REF: SHA }, undefined)
    expect(run.code).toBe(0)
    expect(run.outputs).toBe(`repository=fork/toolkit\nref=${SHA}\n`)
  })

  it('fails, naming the inputs, when there is neither a token nor both inputs', async () => {
    const run = await resolve({}, undefined)
    expect(run.code).not.toBe(0)
    expect(run.stdout).toMatch(/::error::.*id-token: write.*toolkit-repository and toolkit-ref/)
    expect(run.outputs).toBe('')
  })

  it('fails when the token carries no job_workflow_sha', async () => {
    const run = await resolve({}, { sub: 'repo:octo-org/service:ref:refs/heads/main' })
    expect(run.code).not.toBe(0)
    expect(run.outputs).toBe('')
  })
})
