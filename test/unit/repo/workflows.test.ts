/**
 * Audits every workflow in .github/workflows/ and workflows/ for the rules users rely on:
 * pinned third-party actions, explicit least permissions, no expressions of untrusted
 * data inside scripts, and deploys that are never cancelled halfway.
 */
import {
  concurrencyProblems,
  credentialOutputProblems,
  downloadProblems,
  grantProblems,
  isThirdParty,
  permissionProblems,
  pinProblems,
  scriptProblems,
  starterPinProblems,
  toolkitPathProblems,
  unsafeExpressions,
  uses,
  workflowParserErrors,
} from './workflow-audits.js'
import {
  TOOLKIT_REPO,
  loadWorkflow,
  loadWorkflows,
  localActionName,
  triggers,
  type Workflow,
} from './workflow-files.js'

const workflows = loadWorkflows()

describe.each(workflows.map((w) => [w.file, w] as const))('%s', (_file, workflow) => {
  it("parses with GitHub's own workflow parser, without errors", () => {
    expect(workflowParserErrors(workflow.file, workflow.text)).toEqual([])
  })

  it('pins every third-party action to a full commit SHA with a version comment', () => {
    expect(pinProblems(workflow.text)).toEqual([])
  })

  it('sets explicit permissions on the workflow or on every job, never write-all', () => {
    expect(permissionProblems(workflow)).toEqual([])
  })

  it('grants id-token and pull-request writes only to jobs that use them', () => {
    expect(grantProblems(workflow)).toEqual([])
  })

  it('keeps expressions out of run: scripts (values reach scripts through env:)', () => {
    expect(scriptProblems(workflow)).toEqual([])
  })

  it('runs AWS-changing jobs in a concurrency group that never cancels a running job', () => {
    expect(concurrencyProblems(workflow)).toEqual([])
  })

  it('checks the toolkit out into a fresh path, never one the repository planted', () => {
    expect(toolkitPathProblems(workflow)).toEqual([])
  })

  it("downloads other runs' artifacts (baselines) into the runner's temporary directory", () => {
    expect(downloadProblems(workflow)).toEqual([])
  })

  it('never makes AWS credentials step outputs', () => {
    expect(credentialOutputProblems(workflow)).toEqual([])
  })
})

describe('starter workflows', () => {
  it.each(workflows.filter((w) => w.file.startsWith('workflows/')).map((w) => [w.file, w] as const))(
    '%s pins the toolkit by commit with a # v1 comment',
    (_file, workflow) => {
      expect(starterPinProblems(workflow.text)).toEqual([])
      expect(workflow.text).toMatch(
        new RegExp(`${TOOLKIT_REPO}/\\.github/workflows/[\\w-]+\\.yml@[0-9a-f]{40} # v1`),
      )
    },
  )
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

describe('deploy.yml past shard-size', () => {
  interface Step {
    id?: string
    name?: string
    if?: string
    run?: string
    with?: Record<string, string>
    env?: Record<string, string>
  }
  interface Job {
    needs?: string[]
    strategy?: unknown
    steps: Step[]
  }
  const jobs = loadWorkflow('.github/workflows/deploy.yml').doc.jobs as unknown as Record<string, Job>
  const step = (job: string, pick: (s: Step) => boolean) => jobs[job]!.steps.find(pick)!

  it('splits the targets, deploys each slice as a matrix job and merges the slices', () => {
    expect(jobs.shards!.steps.at(-1)!.run).toBe('node .multi-region-actions/scripts/shards.mjs split')
    expect(jobs.deploy!.strategy).toEqual({
      'fail-fast': false,
      matrix: '${{ fromJSON(needs.shards.outputs.matrix) }}',
    })
    expect(step('deploy', (s) => s.id === 'deploy').with).toMatchObject({
      accounts: '${{ matrix.accounts }}',
      regions: '${{ matrix.regions }}',
      'canary-regions': '${{ matrix.canary-regions }}',
      'role-name': '${{ inputs.role-name }}',
    })
    expect(jobs.merge!.needs).toEqual(['shards', 'deploy'])
    expect(jobs.merge!.steps.at(-1)!.run).toBe('node .multi-region-actions/scripts/shards.mjs merge')
    expect(jobs.merge!.steps.at(-1)!.env!.FAILURE_TOLERANCE).toBe('${{ inputs.failure-tolerance }}')
  })

  it('keeps the review path: plan, then apply of the planned change sets in one slice', () => {
    expect(step('plan', (s) => s.id === 'plan').with!.mode).toBe('plan')
    expect(step('deploy', (s) => s.id === 'deploy').with!.mode).toBe(
      "${{ inputs.review && 'apply' || 'deploy' }}",
    )
    const refuse = step('shards', (s) => s.name === 'Refuse review with accounts or shard-size')
    expect(refuse.if).toBe("inputs.review && (inputs.accounts != '' || inputs.shard-size != '')")
  })

  it('refuses review without an environment: the approval is the environment', () => {
    const refuse = step('shards', (s) => s.name === 'Refuse review without an environment')
    expect(refuse.if).toBe("inputs.review && inputs.environment == ''")
    expect(refuse.run).toMatch(/exit 1/)
  })

  it('applies only the plan whose SHA-256 the plan job published as a job output', () => {
    const jobsWithOutputs = jobs as unknown as Record<string, { outputs?: Record<string, string> }>
    expect(jobsWithOutputs.plan!.outputs!['plan-sha256']).toBe('${{ steps.fingerprint.outputs.sha256 }}')
    expect(step('plan', (s) => s.id === 'fingerprint').run).toMatch(/sha256sum -- "\$PLAN_FILE"/)
    const steps = jobs.deploy!.steps
    const download = steps.findIndex((s) => s.name === 'Download the approved plan')
    const check = steps.findIndex((s) => s.name === 'Check the plan is the one the plan job made')
    const apply = steps.findIndex((s) => s.id === 'deploy')
    expect(download).toBeGreaterThan(-1)
    expect([download < check, check < apply]).toEqual([true, true])
    expect(steps[check]!.env!.PLAN_SHA256).toBe('${{ needs.plan.outputs.plan-sha256 }}')
    expect(steps[check]!.run).toMatch(/sha256sum/)
    expect(steps[check]!.run).toMatch(/exit 1/)
  })

  it('plans and verifies with the plan role, deploys with the deploy role', () => {
    const roleOf = (job: string) =>
      step(
        job,
        (s) => (s as { uses?: string }).uses?.startsWith('aws-actions/configure-aws-credentials@') ?? false,
      ).with!['role-to-assume']
    expect(roleOf('plan')).toBe('${{ inputs.plan-role-to-assume || inputs.role-to-assume }}')
    expect(roleOf('verify')).toBe('${{ inputs.plan-role-to-assume || inputs.role-to-assume }}')
    expect(roleOf('deploy')).toBe('${{ inputs.role-to-assume }}')
  })
})

describe('the new audit rules themselves', () => {
  const workflow = (jobs: Record<string, unknown>) =>
    ({ file: 'x.yml', text: '', doc: { jobs } }) as unknown as Workflow
  it('flag a planted toolkit path, a baseline in the workspace and credentials as outputs', () => {
    const checkout = { uses: 'actions/checkout@x', with: { path: '.multi-region-actions' } }
    expect(toolkitPathProblems(workflow({ a: { steps: [checkout] } }))).toEqual([
      'a: toolkit checkout without a fresh path',
    ])
    expect(
      toolkitPathProblems(workflow({ a: { steps: [{ run: 'rm -rf -- .multi-region-actions' }, checkout] } })),
    ).toEqual([])
    const download = (path: string) => ({
      uses: 'actions/download-artifact@x',
      with: { 'run-id': '1', path },
    })
    expect(downloadProblems(workflow({ a: { steps: [download('.spectrum-baseline')] } }))).toHaveLength(1)
    expect(downloadProblems(workflow({ a: { steps: [download('${{ runner.temp }}/b')] } }))).toEqual([])
    const credentials = {
      uses: 'aws-actions/configure-aws-credentials@x',
      with: { 'output-credentials': true },
    }
    expect(credentialOutputProblems(workflow({ a: { steps: [credentials] } }))).toHaveLength(1)
    expect(
      starterPinProblems(
        [
          `    uses: ${TOOLKIT_REPO}/.github/workflows/deploy.yml@v1`,
          `    uses: ${TOOLKIT_REPO}/.github/workflows/deploy.yml@${'a'.repeat(40)} # v1`,
        ].join('\n'),
      ),
    ).toEqual([`line 1: ${TOOLKIT_REPO}/.github/workflows/deploy.yml@v1 `])
  })
})
