/**
 * failover-drill.yml derives every time limit of a drill from one input: the
 * job's timeout-minutes, the drill timeout the action gets and the role session
 * of the credentials, so a drill and its restore never outlive either.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadWorkflow, type Step } from './workflow-files.js'

const workflow = loadWorkflow('.github/workflows/failover-drill.yml')
const jobs = workflow.doc.jobs!
const step = (job: string, match: (s: Step) => boolean) => jobs[job]!.steps!.find(match)!

/** Runs the budget step's script as the runner would, returning its outputs (or the error line). */
function budget(drillTimeoutMinutes: string): Record<string, string> | string {
  const dir = mkdtempSync(join(tmpdir(), 'drill-budget-'))
  const output = join(dir, 'output')
  writeFileSync(output, '')
  const script = step('budget', (s) => s.id === 'budget').run!
  try {
    execFileSync('bash', ['-e', '-c', script], {
      env: { PATH: process.env.PATH, GITHUB_OUTPUT: output, DRILL_TIMEOUT_MINUTES: drillTimeoutMinutes },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } catch (error) {
    return String((error as { stdout?: Buffer }).stdout ?? error)
  }
  return Object.fromEntries(
    readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split('=') as [string, string]),
  )
}

describe('failover-drill.yml time budget', () => {
  it('derives the job timeout, the drill timeout and the role session from drill-timeout-minutes', () => {
    expect(budget('10')).toEqual({ 'drill-minutes': '10', 'job-minutes': '35', 'role-seconds': '2400' })
    // Empty: the action's default of 10 minutes.
    expect(budget('')).toEqual({ 'drill-minutes': '10', 'job-minutes': '35', 'role-seconds': '2400' })
    for (const minutes of [1, 20, 90]) {
      const out = budget(String(minutes)) as Record<string, string>
      const job = Number(out['job-minutes'])
      // Two waits and the restore fit in the job; the credentials outlive the job.
      expect(job).toBeGreaterThanOrEqual(2 * minutes + 5)
      expect(Number(out['role-seconds'])).toBeGreaterThan(job * 60)
      expect(Number(out['role-seconds'])).toBeGreaterThanOrEqual(900)
    }
    expect(budget('ten')).toMatch(/drill-timeout-minutes: 'ten' is not a whole number/)
    expect(budget('0')).toMatch(/drill-timeout-minutes: '0'/)
    expect(budget('400')).toMatch(/role session over 12 hours/)
  })

  it('uses the derived values for the job, the credentials and the action, and tells the action both limits', () => {
    const drill = jobs.drill!
    expect(drill.needs).toBe('budget')
    expect(drill['timeout-minutes']).toBe('${{ fromJSON(needs.budget.outputs.job-minutes) }}')
    const credentials = step('drill', (s) =>
      (s.uses ?? '').startsWith('aws-actions/configure-aws-credentials@'),
    )
    expect(credentials.with).toMatchObject({
      'role-duration-seconds': '${{ needs.budget.outputs.role-seconds }}',
    })
    // The credentials never become step outputs: their latest expiry is noted before they are asked for.
    expect(credentials.with!['output-credentials']).toBeUndefined()
    const expiry = step('drill', (s) => s.id === 'expiry')
    const steps = jobs.drill!.steps!
    expect(steps.indexOf(expiry)).toBeLessThan(steps.indexOf(credentials))
    expect(expiry.env).toEqual({ ROLE_SECONDS: '${{ needs.budget.outputs.role-seconds }}' })
    const action = step('drill', (s) => s.uses === './.multi-region-actions/actions/verify-failover')
    expect(action.with!['drill-timeout-minutes']).toBe('${{ needs.budget.outputs.drill-minutes }}')
    expect(action.env).toEqual({ AWS_CREDENTIAL_EXPIRATION: '${{ steps.expiry.outputs.at }}' })
    const deadline = step('drill', (s) => (s.run ?? '').includes('VERIFY_FAILOVER_JOB_DEADLINE'))
    expect(jobs.drill!.steps!.indexOf(deadline)).toBe(0)
    expect(deadline.env).toEqual({ JOB_MINUTES: '${{ needs.budget.outputs.job-minutes }}' })
  })
})
