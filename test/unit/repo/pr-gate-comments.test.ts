/**
 * The steps of pr-gate.yml's comment job that write each sticky comment's markdown,
 * run as the runner would (bash -e -o pipefail, the toolkit checked out at
 * .multi-region-actions) with the outputs the actions produce.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT, TOOLKIT_PATH, loadWorkflow } from './workflow-files.js'

const jq = spawnSync('jq', ['--version'])
const withJq = !jq.error && jq.status === 0 ? it : it.skip
const steps = loadWorkflow('.github/workflows/pr-gate.yml').doc.jobs!.comment!.steps ?? []

function writeComment(
  stepName: string,
  env: Record<string, string>,
): { status: number | null; body: string; stderr: string } {
  const step = steps.find((s) => s.name === stepName)
  if (!step?.run) throw new Error(`no step '${stepName}'`)
  const dir = mkdtempSync(join(tmpdir(), 'pr-gate-comment-'))
  try {
    symlinkSync(ROOT, join(dir, TOOLKIT_PATH))
    const output = join(dir, 'output')
    writeFileSync(output, '')
    const result = spawnSync('bash', ['--noprofile', '--norc', '-e', '-o', 'pipefail', '-c', step.run], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        RUNNER_TEMP: dir,
        GITHUB_OUTPUT: output,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'octo/app',
        GITHUB_RUN_ID: '123',
        ...env,
      },
    })
    const file = /^file=(.*)$/m.exec(readFileSync(output, 'utf8'))?.[1]
    return { status: result.status, body: file ? readFileSync(file, 'utf8') : '', stderr: result.stderr }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('pr-gate.yml comment bodies', () => {
  withJq('plan: the per-region change sets', () => {
    const results = [
      {
        region: 'us-east-1',
        status: 'planned',
        changes: [{ action: 'Add', logicalId: 'Queue', type: 'AWS::SQS::Queue' }],
        durationMs: 900,
      },
      { region: 'eu-west-1', status: 'planned', changes: [], durationMs: 700 },
    ]
    const { status, body } = writeComment('Write the plan comment', {
      RESULTS: JSON.stringify(results),
      JOB_RESULT: 'success',
      STACK_NAME: 'hello-api',
    })
    expect(status).toBe(0)
    expect(body).toContain('### Deploy plan for `hello-api`')
    expect(body).toContain('| us-east-1 | planned | 1 | 0 | 0 | 0 |')
    expect(body).toContain('| Add | Queue | AWS::SQS::Queue |  |')
    expect(body).toContain('nothing was applied')
  })

  withJq('plan: says so when the plan job did not finish', () => {
    const { status, body } = writeComment('Write the plan comment', {
      RESULTS: '',
      JOB_RESULT: 'failure',
      STACK_NAME: 's',
    })
    expect(status).toBe(0)
    expect(body).toContain(
      'The plan did not finish (failure); see [the run](https://github.com/octo/app/actions/runs/123).',
    )
  })

  withJq('failover: healthy regions and the checks', () => {
    const { status, body } = writeComment('Write the failover comment', {
      REPORT: JSON.stringify({
        checks: [{ name: 'TTL', subject: 'us-east-1', passed: true, detail: '60 s' }],
      }),
      HEALTHY: JSON.stringify(['us-east-1', 'eu-west-1']),
      JOB_RESULT: 'success',
      RECORD_NAME: 'api.example.com',
    })
    expect(status).toBe(0)
    expect(body).toContain('### Failover check for `api.example.com`: success')
    expect(body).toContain('Healthy regions: `us-east-1`, `eu-west-1`')
    expect(body).toContain('| TTL | us-east-1 | pass | 60 s |')
  })

  withJq('benchmark: the table, the regressions and the baseline run', () => {
    const { status, body } = writeComment('Write the benchmark comment', {
      REPORT: JSON.stringify({
        queries: [
          {
            name: 'q1',
            verdict: 'regressed',
            medianMs: 130,
            p95Ms: 140,
            madMs: 2,
            baselineMedianMs: 100,
            change: 0.3,
          },
        ],
      }),
      REGRESSIONS: JSON.stringify(['q1']),
      JOB_RESULT: 'failure',
      BASELINE_RUN: '99',
    })
    expect(status).toBe(0)
    expect(body).toContain('### Spectrum benchmark: failure')
    expect(body).toContain("[the default branch's last results](https://github.com/octo/app/actions/runs/99)")
    expect(body).toContain('Regressed: `q1`')
    expect(body).toContain('| q1 | 130 ms | 140 ms | 2 ms | 100 ms | +30% |  | regressed |')
  })

  withJq('text from the outputs never runs as shell code', () => {
    const { status, body } = writeComment('Write the plan comment', {
      RESULTS: JSON.stringify([{ region: '$(touch /tmp/pwned)`id`', status: 'planned', changes: [] }]),
      JOB_RESULT: 'success',
      STACK_NAME: '$(id)',
    })
    expect(status).toBe(0)
    expect(body).toContain('### Deploy plan for `$(id)`')
    expect(body).toContain('| $(touch /tmp/pwned)`id` | planned |')
  })
})
