/**
 * Audits every workflow in .github/workflows/ and workflows/ for the rules users rely on:
 * pinned third-party actions, explicit least permissions, no expressions of untrusted
 * data inside scripts, and deploys that are never cancelled halfway.
 */
import {
  TOOLKIT_REPO,
  jobsOf,
  loadWorkflow,
  loadWorkflows,
  localActionName,
  reusableWorkflowFile,
  triggers,
  type Job,
  type Workflow,
  type YamlMap,
} from './workflow-files.js'

const workflows = loadWorkflows()

/** Contexts whose values come from the runner or GitHub itself, never from a user. */
const SAFE_IN_SCRIPTS =
  /^(runner\.(os|arch|temp|tool_cache)|github\.(run_id|run_number|run_attempt|repository|repository_id|server_url|api_url|sha|workspace|job|action_path))$/

/** Toolkit actions that change AWS resources, so their jobs need a non-cancelling concurrency group. */
const CHANGING_ACTIONS = ['deploy-multi-region', 'stackset-rollout', 'prune-snapshots']
/** Reusable workflows that change AWS resources. */
const CHANGING_WORKFLOWS = ['deploy.yml', 'stackset-rollout.yml', 'prune-snapshots.yml', 'failover-drill.yml']

export function uses(text: string): Array<{ line: number; ref: string; comment: string }> {
  const found: Array<{ line: number; ref: string; comment: string }> = []
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*(['"]?)([^\s'"#]+)\1\s*(#.*)?$/.exec(line)
    if (m) found.push({ line: i + 1, ref: m[2]!, comment: (m[3] ?? '').trim() })
  })
  return found
}

export function isThirdParty(ref: string): boolean {
  return !ref.startsWith('./') && !ref.startsWith('docker://') && !ref.startsWith(`${TOOLKIT_REPO}/`)
}

/** Problems with the `${{ }}` expressions of a run: script (empty when it is clean). */
export function unsafeExpressions(script: string): string[] {
  const problems: string[] = []
  for (const m of script.matchAll(/\$\{\{([\s\S]*?)\}\}/g)) {
    const expression = m[1]!.trim()
    if (!SAFE_IN_SCRIPTS.test(expression)) problems.push(expression)
  }
  return problems
}

function permissionValues(permissions: unknown): string[] {
  if (typeof permissions === 'string') return [permissions]
  if (permissions && typeof permissions === 'object') return Object.values(permissions as YamlMap).map(String)
  return []
}

function grants(permissions: unknown, scope: string): boolean {
  if (permissions === 'write-all') return true
  return !!permissions && typeof permissions === 'object' && (permissions as YamlMap)[scope] === 'write'
}

function stepUses(job: Job): string[] {
  return (job.steps ?? []).map((s) => s.uses ?? '').filter(Boolean)
}

function changesAws(job: Job): boolean {
  for (const step of job.steps ?? []) {
    const name = localActionName(step.uses ?? '')
    if (!name) continue
    if (name === 'deploy-multi-region' && String(step.with?.['plan-only']) === 'true') continue
    if (CHANGING_ACTIONS.includes(name)) return true
    if (name === 'verify-failover' && step.with?.['drill-region'] !== undefined) return true
  }
  const called = job.uses ? reusableWorkflowFile(job.uses) : undefined
  return !!called && CHANGING_WORKFLOWS.some((f) => called.endsWith(`/${f}`))
}

function concurrencyOf(workflow: Workflow, job: Job): YamlMap | string | undefined {
  return (job.concurrency ?? workflow.doc.concurrency) as YamlMap | string | undefined
}

/** Jobs that change AWS resources without a concurrency group that waits instead of cancelling. */
export function concurrencyProblems(workflow: Workflow): string[] {
  const bad: string[] = []
  for (const [id, job] of jobsOf(workflow)) {
    if (!changesAws(job)) continue
    const concurrency = concurrencyOf(workflow, job)
    if (job.uses !== undefined) {
      // A called reusable workflow carries its own group (audited in its own file); the
      // caller must not add one that cancels it.
      if (
        concurrency !== undefined &&
        (typeof concurrency === 'string' || concurrency['cancel-in-progress'] !== false)
      ) {
        bad.push(`${id}: cancel-in-progress must be false`)
      }
      continue
    }
    if (concurrency === undefined) bad.push(`${id}: no concurrency group`)
    else if (typeof concurrency === 'string' || concurrency['cancel-in-progress'] !== false) {
      bad.push(`${id}: cancel-in-progress must be false`)
    } else if (typeof concurrency.group !== 'string' || concurrency.group.trim() === '') {
      bad.push(`${id}: empty concurrency group`)
    }
  }
  return bad
}

describe.each(workflows.map((w) => [w.file, w] as const))('%s', (_file, workflow) => {
  it('pins every third-party action to a full commit SHA with a version comment', () => {
    const bad = uses(workflow.text)
      .filter((u) => isThirdParty(u.ref))
      .filter(
        (u) =>
          !/^[\w.-]+\/[\w.-]+(\/[^@]+)?@[0-9a-f]{40}$/.test(u.ref) || !/^#\s*v\d+(\.\d+)*\b/.test(u.comment),
      )
      .map((u) => `line ${u.line}: ${u.ref} ${u.comment}`)
    expect(bad).toEqual([])
  })

  it('sets explicit permissions on the workflow or on every job, never write-all', () => {
    const jobs = jobsOf(workflow)
    const missing = jobs.filter(
      ([, job]) => job.permissions === undefined && workflow.doc.permissions === undefined,
    )
    expect(missing.map(([id]) => id)).toEqual([])
    const all = [workflow.doc.permissions, ...jobs.map(([, job]) => job.permissions)].flatMap(
      permissionValues,
    )
    expect(all).not.toContain('write-all')
  })

  it('grants id-token and pull-request writes only to jobs that use them', () => {
    const wrong: string[] = []
    for (const [id, job] of jobsOf(workflow)) {
      const permissions = job.permissions ?? workflow.doc.permissions
      const calls = job.uses !== undefined
      const assumesRole = stepUses(job).some((u) => u.startsWith('aws-actions/configure-aws-credentials@'))
      const comments = stepUses(job).some((u) => localActionName(u) === 'pr-comment')
      if (grants(permissions, 'id-token') && !assumesRole && !calls) wrong.push(`${id}: id-token: write`)
      if (grants(permissions, 'pull-requests') && !comments && !calls)
        wrong.push(`${id}: pull-requests: write`)
      if (grants(permissions, 'contents') && !calls) wrong.push(`${id}: contents: write`)
    }
    expect(wrong).toEqual([])
  })

  it('keeps expressions out of run: scripts (values reach scripts through env:)', () => {
    const bad: string[] = []
    for (const [id, job] of jobsOf(workflow)) {
      ;(job.steps ?? []).forEach((step, i) => {
        if (typeof step.run !== 'string') return
        for (const e of unsafeExpressions(step.run))
          bad.push(`${id} step ${step.name ?? i + 1}: \${{ ${e} }}`)
      })
    }
    expect(bad).toEqual([])
  })

  it('runs AWS-changing jobs in a concurrency group that never cancels a running job', () => {
    expect(concurrencyProblems(workflow)).toEqual([])
  })
})

describe('reusable workflows', () => {
  const reusable = workflows.filter(
    (w) => (triggers(w) as Record<string, unknown>).workflow_call !== undefined,
  )

  it.each(reusable.map((w) => [w.file, w] as const))(
    '%s types and describes every input, secret and output',
    (_f, w) => {
      const call = triggers(w).workflow_call as {
        inputs?: Record<string, { type?: string; description?: string }>
        secrets?: Record<string, { description?: string }>
        outputs?: Record<string, { description?: string; value?: string }>
      }
      const problems: string[] = []
      for (const [name, spec] of Object.entries(call.inputs ?? {})) {
        if (!['string', 'boolean', 'number'].includes(spec?.type ?? ''))
          problems.push(`input ${name}: no type`)
        if (!spec?.description) problems.push(`input ${name}: no description`)
      }
      for (const [name, spec] of Object.entries(call.secrets ?? {}))
        if (!spec?.description) problems.push(`secret ${name}`)
      for (const [name, spec] of Object.entries(call.outputs ?? {})) {
        if (!spec?.description) problems.push(`output ${name}: no description`)
        if (!/^\$\{\{ jobs\.[\w-]+\.outputs\.[\w-]+ \}\}$/.test(spec?.value ?? ''))
          problems.push(`output ${name}: not a job output`)
      }
      expect(problems).toEqual([])
    },
  )

  it('pr-gate.yml keeps the job names that branch protection requires', () => {
    const jobs = loadWorkflow('.github/workflows/pr-gate.yml').doc.jobs ?? {}
    expect(Object.fromEntries(Object.entries(jobs).map(([id, job]) => [id, job.name]))).toEqual({
      plan: 'Plan deploy',
      'verify-failover': 'Verify failover',
      benchmark: 'Spectrum benchmark',
      comment: 'PR comments',
    })
  })

  it('pr-gate.yml posts one sticky comment per kind, from a job without AWS credentials', () => {
    const comment = loadWorkflow('.github/workflows/pr-gate.yml').doc.jobs!.comment!
    const kinds = (comment.steps ?? [])
      .filter((s) => localActionName(s.uses ?? '') === 'pr-comment')
      .map((s) => s.with?.kind)
    expect(kinds).toEqual(['plan', 'failover', 'benchmark'])
    expect(comment.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' })
    expect((comment.steps ?? []).some((s) => (s.uses ?? '').startsWith('aws-actions/'))).toBe(false)
  })
})

describe('the audit rules themselves', () => {
  it('recognise pinned and unpinned references', () => {
    const found = uses(
      [
        '      - uses: actions/checkout@08eba0b27e820071cde6df949e0beb9ba4906955 # v4.3.0',
        '      - uses: actions/checkout@v4',
        "    uses: 'your-org/multi-region-actions/.github/workflows/deploy.yml@v1'",
      ].join('\n'),
    )
    expect(found.map((f) => [f.ref, f.comment])).toEqual([
      ['actions/checkout@08eba0b27e820071cde6df949e0beb9ba4906955', '# v4.3.0'],
      ['actions/checkout@v4', ''],
      ['your-org/multi-region-actions/.github/workflows/deploy.yml@v1', ''],
    ])
    expect(found.map((f) => isThirdParty(f.ref))).toEqual([true, true, false])
  })

  it('flag untrusted expressions in scripts and accept runner values', () => {
    expect(unsafeExpressions('echo "${{ github.event.pull_request.title }}"')).toEqual([
      'github.event.pull_request.title',
    ])
    expect(unsafeExpressions('echo ${{ inputs.name }} ${{ github.head_ref }}')).toEqual([
      'inputs.name',
      'github.head_ref',
    ])
    expect(unsafeExpressions('echo ${{ steps.x.outputs.y }}')).toEqual(['steps.x.outputs.y'])
    expect(unsafeExpressions('cd "${{ runner.temp }}" && echo ${{ github.run_id }}')).toEqual([])
  })

  it('flag a deploy job without a waiting concurrency group', () => {
    const synthetic = (concurrency: unknown): Workflow => ({
      file: 'synthetic.yml',
      text: '',
      doc: {
        jobs: {
          deploy: {
            concurrency,
            steps: [{ uses: './.multi-region-actions/actions/deploy-multi-region', with: {} }],
          },
          plan: { steps: [{ uses: './actions/deploy-multi-region', with: { 'plan-only': 'true' } }] },
          drill: { steps: [{ uses: './actions/verify-failover', with: { 'drill-region': 'us-east-1' } }] },
          caller: { uses: `${TOOLKIT_REPO}/.github/workflows/deploy.yml@v1`, concurrency: 'x' },
        },
      },
    })
    expect(concurrencyProblems(synthetic(undefined))).toEqual([
      'deploy: no concurrency group',
      'drill: no concurrency group',
      'caller: cancel-in-progress must be false',
    ])
    expect(concurrencyProblems(synthetic({ group: 'd', 'cancel-in-progress': true }))[0]).toBe(
      'deploy: cancel-in-progress must be false',
    )
    expect(concurrencyProblems(synthetic({ group: 'd', 'cancel-in-progress': false }))[0]).toBe(
      'drill: no concurrency group',
    )
  })

  it('find at least the reusable and starter workflows', () => {
    const files = workflows.map((w) => w.file)
    for (const f of [
      'deploy.yml',
      'pr-gate.yml',
      'stackset-rollout.yml',
      'prune-snapshots.yml',
      'failover-drill.yml',
      'spectrum-benchmark.yml',
    ]) {
      expect(files).toContain(`.github/workflows/${f}`)
    }
    expect(loadWorkflow('.github/workflows/deploy.yml').doc.jobs?.deploy?.concurrency).toMatchObject({
      'cancel-in-progress': false,
    })
  })

  it('run one plan-only preview per stack name in pr-gate.yml (a preview creates and deletes a REVIEW_IN_PROGRESS stack)', () => {
    const plan = loadWorkflow('.github/workflows/pr-gate.yml').doc.jobs?.plan
    expect(plan?.concurrency).toEqual({
      group: expect.stringContaining('${{ inputs.stack-name }}'),
      'cancel-in-progress': false,
    })
  })
})
