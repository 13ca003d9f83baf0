/**
 * The audits every workflow passes (workflows.test.ts) and every workflow example in a
 * README passes too (readme-yaml.test.ts).
 */
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser'
import {
  TOOLKIT_PATH,
  TOOLKIT_REPO,
  jobsOf,
  localActionName,
  reusableWorkflowFile,
  type Job,
  type Workflow,
  type YamlMap,
} from './workflow-files.js'

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
  return (
    !ref.startsWith('./') &&
    !ref.startsWith('docker://') &&
    !ref.startsWith(`${TOOLKIT_REPO}/`) &&
    !ref.startsWith(`${TOOLKIT_REPO}@`)
  )
}

/** The toolkit action a step uses: `./actions/<name>`, the checked-out form, or `your-org/multi-region-actions/actions/<name>@ref`. */
export function toolkitActionName(uses: string): string | undefined {
  return localActionName(uses) ?? new RegExp(`^${TOOLKIT_REPO}/actions/([^/@]+)@.+$`).exec(uses.trim())?.[1]
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

export function permissionValues(permissions: unknown): string[] {
  if (typeof permissions === 'string') return [permissions]
  if (permissions && typeof permissions === 'object') return Object.values(permissions as YamlMap).map(String)
  return []
}

export function grants(permissions: unknown, scope: string): boolean {
  if (permissions === 'write-all') return true
  return !!permissions && typeof permissions === 'object' && (permissions as YamlMap)[scope] === 'write'
}

export function stepUses(job: Job): string[] {
  return (job.steps ?? []).map((s) => s.uses ?? '').filter(Boolean)
}

export function changesAws(job: Job): boolean {
  for (const step of job.steps ?? []) {
    const name = toolkitActionName(step.uses ?? '')
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

/** What GitHub's own parser (@actions/workflow-parser) reports about a workflow. */
export function workflowParserErrors(name: string, text: string): string[] {
  const result = parseWorkflow({ name, content: text }, new NoOperationTraceWriter())
  return result.context.errors.getErrors().map((e) => e.message)
}

export function pinProblems(text: string): string[] {
  return uses(text)
    .filter((u) => isThirdParty(u.ref))
    .filter(
      (u) =>
        !/^[\w.-]+\/[\w.-]+(\/[^@]+)?@[0-9a-f]{40}$/.test(u.ref) || !/^#\s*v\d+(\.\d+)*\b/.test(u.comment),
    )
    .map((u) => `line ${u.line}: ${u.ref} ${u.comment}`)
}

export function permissionProblems(workflow: Workflow): string[] {
  const jobs = jobsOf(workflow)
  const missing = jobs
    .filter(([, job]) => job.permissions === undefined && workflow.doc.permissions === undefined)
    .map(([id]) => `${id}: no permissions`)
  const all = [workflow.doc.permissions, ...jobs.map(([, job]) => job.permissions)].flatMap(permissionValues)
  return all.includes('write-all') ? [...missing, 'write-all'] : missing
}

/** The one job that may write to the repository: it pushes the release tags and runs only git, gh and scripts/release.mjs (release.test.ts). */
const RELEASE_PUBLISH_JOB = { file: '.github/workflows/release.yml', job: 'publish' }

export function grantProblems(workflow: Workflow): string[] {
  const wrong: string[] = []
  for (const [id, job] of jobsOf(workflow)) {
    const permissions = job.permissions ?? workflow.doc.permissions
    const calls = job.uses !== undefined
    const assumesRole = stepUses(job).some((u) => u.startsWith('aws-actions/configure-aws-credentials@'))
    // A workflow's first job (no needs) that reads the toolkit commit from its OIDC token with
    // an audience no role trusts (toolkit-commit.test.ts); later jobs take it from its outputs.
    const resolvesToolkit = job.needs === undefined && (job.steps ?? []).some((s) => s.id === 'toolkit')
    const comments = stepUses(job).some((u) => toolkitActionName(u) === 'pr-comment')
    // Signing an attestation takes a Sigstore certificate for the job's OIDC token.
    const attests = stepUses(job).some((u) => u.startsWith('actions/attest-build-provenance@'))
    const publishesRelease = workflow.file === RELEASE_PUBLISH_JOB.file && id === RELEASE_PUBLISH_JOB.job
    if (grants(permissions, 'id-token') && !assumesRole && !resolvesToolkit && !attests && !calls)
      wrong.push(`${id}: id-token: write`)
    if (grants(permissions, 'attestations') && !attests && !calls) wrong.push(`${id}: attestations: write`)
    if (grants(permissions, 'pull-requests') && !comments && !calls) wrong.push(`${id}: pull-requests: write`)
    if (grants(permissions, 'contents') && !publishesRelease && !calls) wrong.push(`${id}: contents: write`)
  }
  return wrong
}

export function scriptProblems(workflow: Workflow): string[] {
  const bad: string[] = []
  for (const [id, job] of jobsOf(workflow)) {
    ;(job.steps ?? []).forEach((step, i) => {
      if (typeof step.run !== 'string') return
      for (const e of unsafeExpressions(step.run)) bad.push(`${id} step ${step.name ?? i + 1}: \${{ ${e} }}`)
    })
  }
  return bad
}

/**
 * Toolkit checkouts a planted path could redirect: every checkout into TOOLKIT_PATH must
 * follow a step that removes whatever the repository's own checkout put there (a symlink
 * elsewhere, or files of its own).
 */
export function toolkitPathProblems(workflow: Workflow): string[] {
  const bad: string[] = []
  for (const [id, job] of jobsOf(workflow)) {
    const steps = job.steps ?? []
    steps.forEach((step, i) => {
      if (!(step.uses ?? '').startsWith('actions/checkout@') || step.with?.path !== TOOLKIT_PATH) return
      if (steps[i - 1]?.run !== `rm -rf -- ${TOOLKIT_PATH}`)
        bad.push(`${id}: toolkit checkout without a fresh path`)
    })
  }
  return bad
}

/**
 * Artifacts of another run (a baseline) downloaded where the pull request's tree lives:
 * a download with a run-id must go under the runner's temporary directory.
 */
export function downloadProblems(workflow: Workflow): string[] {
  const bad: string[] = []
  for (const [id, job] of jobsOf(workflow))
    for (const step of job.steps ?? []) {
      if (!(step.uses ?? '').startsWith('actions/download-artifact@') || step.with?.['run-id'] === undefined)
        continue
      if (!String(step.with.path ?? '').startsWith('${{ runner.temp }}/'))
        bad.push(`${id}: ${step.name ?? 'download'} into ${String(step.with.path ?? 'the workspace')}`)
    }
  return bad
}

/** Steps that would make AWS credentials step outputs (configure-aws-credentials output-credentials). */
export function credentialOutputProblems(workflow: Workflow): string[] {
  const bad: string[] = []
  for (const [id, job] of jobsOf(workflow))
    for (const step of job.steps ?? [])
      if (
        (step.uses ?? '').startsWith('aws-actions/configure-aws-credentials@') &&
        String(step.with?.['output-credentials'] ?? 'false') !== 'false'
      )
        bad.push(`${id}: ${step.name ?? 'configure-aws-credentials'} outputs the credentials`)
  return bad
}

/** In a starter, toolkit references not pinned to a full commit with a `# v1` comment. */
export function starterPinProblems(text: string): string[] {
  return uses(text)
    .filter((u) => !isThirdParty(u.ref))
    .filter((u) => !u.ref.startsWith('./'))
    .filter((u) => !/@[0-9a-f]{40}$/.test(u.ref) || !/^#\s*v1\b/.test(u.comment))
    .map((u) => `line ${u.line}: ${u.ref} ${u.comment}`)
}
