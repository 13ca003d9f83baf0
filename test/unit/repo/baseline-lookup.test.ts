/**
 * The step of pr-gate.yml and spectrum-benchmark.yml that finds the default branch's
 * last benchmark results, run as the runner would (bash -e -o pipefail) against a
 * stand-in `gh` that answers GET /repos/{owner}/{repo}/actions/artifacts.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadWorkflow } from './workflow-files.js'

const STEP = "Find the default branch's last results"
const jq = spawnSync('jq', ['--version'])
const withJq = !jq.error && jq.status === 0 ? it : it.skip

function script(file: string, job: string): string {
  const steps = loadWorkflow(file).doc.jobs![job]!.steps ?? []
  const step = steps.find((s) => s.name === STEP)
  if (!step?.run) throw new Error(`${file}: no step '${STEP}' in job ${job}`)
  return step.run
}

const artifact = (
  id: number,
  run: number,
  branch: string,
  created: string,
  extra: Record<string, unknown> = {},
) => ({
  id,
  name: 'spectrum-benchmark-results',
  expired: false,
  created_at: created,
  workflow_run: { id: run, repository_id: 7, head_repository_id: 7, head_branch: branch },
  ...extra,
})

function lookup(run: string, artifacts: unknown[]) {
  const dir = mkdtempSync(join(tmpdir(), 'baseline-lookup-'))
  try {
    const answer = join(dir, 'answer.json')
    writeFileSync(answer, JSON.stringify({ total_count: artifacts.length, artifacts }))
    const gh = join(dir, 'gh')
    writeFileSync(gh, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/gh-args"\ncat "${answer}"\n`)
    chmodSync(gh, 0o755)
    const output = join(dir, 'output')
    writeFileSync(output, '')
    const result = spawnSync('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', run], {
      encoding: 'utf8',
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        GITHUB_OUTPUT: output,
        GITHUB_REPOSITORY: 'octo/app',
        ARTIFACT_NAME: 'spectrum-benchmark-results',
        DEFAULT_BRANCH: 'main',
        GH_TOKEN: 'x',
      },
    })
    return {
      status: result.status,
      stdout: result.stdout,
      output: readFileSync(output, 'utf8'),
      args: readFileSync(join(dir, 'gh-args'), 'utf8').trim().split('\n'),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe.each([
  ['.github/workflows/pr-gate.yml', 'benchmark'],
  ['.github/workflows/spectrum-benchmark.yml', 'benchmark'],
])('%s baseline lookup', (file, job) => {
  const run = script(file, job)

  withJq('takes the newest unexpired results of a default-branch run of this repository', () => {
    const result = lookup(run, [
      artifact(1, 100, 'main', '2026-11-20T10:00:00Z'),
      artifact(2, 150, 'main', '2026-11-21T10:00:00Z'),
      // A fork's branch that happens to be called main.
      artifact(3, 200, 'main', '2026-11-22T10:00:00Z', {
        workflow_run: { id: 200, repository_id: 7, head_repository_id: 99, head_branch: 'main' },
      }),
      artifact(4, 300, 'main', '2026-11-23T10:00:00Z', { expired: true }),
      artifact(5, 400, 'feature/x', '2026-11-24T10:00:00Z'),
    ])
    expect(result.status).toBe(0)
    expect(result.output).toBe('run-id=150\n')
    expect(result.stdout).toContain('Baseline: artifact spectrum-benchmark-results of run 150 on main.')
    expect(result.args).toEqual([
      'api',
      '--method',
      'GET',
      'repos/octo/app/actions/artifacts',
      '-f',
      'per_page=100',
      '-f',
      'name=spectrum-benchmark-results',
    ])
  })

  withJq('reports no baseline, and succeeds, when the default branch has no results yet', () => {
    const result = lookup(run, [artifact(1, 100, 'feature/x', '2026-11-20T10:00:00Z')])
    expect(result.status).toBe(0)
    expect(result.output).toBe('run-id=\n')
    expect(result.stdout).toMatch(/No results from main yet/)
  })
})
