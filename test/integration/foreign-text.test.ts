import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import * as core from '@actions/core'
import { run as deploy } from '../../actions/deploy-multi-region/src/main.js'
import { run as benchmark } from '../../actions/spectrum-benchmark/src/main.js'
import { runActionInProcess, type ActionRun } from '../support/action-runner.js'
import { deployWithTimeline } from '../support/live-log-run.js'
import { queryErrorReply, startLoopbackProxy } from '../support/loopback-proxy.js'
import { localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'
import { startRedshiftDataApi } from '../support/redshift-data-server.js'
import { runnerView } from '../support/runner-commands.js'

/** What a stack event reason, an AWS error or a database error could carry. */
const FORGED = '\n::stop-commands::x\n::warning::y'
/** Registered after the foreign text was printed, in the same step. */
const LATER_SECRET = 'refreshed-session-token-0123456789'
const ROOT = resolve(import.meta.dirname, '../..')

/** The runner, reading the step's output, carries out only the commands the action meant. */
function expectOnlyOwnCommands(stdout: string): void {
  const view = runnerView(stdout)
  expect(view.stoppedUntil).toBeUndefined()
  const names = new Set(view.commands.map((c) => c.name))
  for (const name of names)
    expect(['add-mask', 'group', 'endgroup', 'error', 'warning', 'debug']).toContain(name)
  // No forged annotation: every one the action printed says which target or what failed.
  for (const c of view.commands.filter((c) => c.name === 'warning' || c.name === 'error'))
    expect(c.data).not.toBe('y')
  // The mask registered after the foreign text was printed is still carried out.
  expect(view.commands.at(-1)).toEqual({ name: 'add-mask', properties: '', data: LATER_SECRET })
  // And no line of the output starts a command the action did not mean.
  const lines = stdout.split(/\r\n|\r|\n/).map((l) => l.trimStart())
  expect(lines.filter((l) => l.startsWith('::stop-commands') || l === '::warning::y')).toEqual([])
}

const maskLater = () => core.setSecret(LATER_SECRET)

describe('foreign text in the log', () => {
  let moto: MotoServer
  beforeAll(async () => {
    moto = await startMoto()
  }, 60_000)
  afterAll(async () => {
    await moto?.stop()
  })

  it('a stack event reason cannot start a workflow command', async () => {
    const run = await deployWithTimeline(moto, {
      scale: 0.05,
      stackName: 'foreign-reason',
      reason: `Resource handler returned message: "denied" <img src=x> @octo-org/admins | \`x${FORGED}`,
      after: maskLater,
    })
    expect(run.result.failed).toBe(true)
    expect(run.result.stdout).toContain('@octo-org/admins | `x\\n::stop-commands::x\\n::warning::y')
    expectOnlyOwnCommands(run.result.stdout)
    // The job summary's outcome quotes the reason on one line, with no HTML and no mention.
    const summary = run.result.summary
    expect(summary.split('\n')[0]).toContain(
      '"denied" &lt;img src=x> @\u200bocto-org/admins | `x ::stop-commands::x',
    )
    expect(summary).not.toMatch(/<img|@octo-org/)
  }, 60_000)

  it('an AWS error message cannot start a workflow command', async () => {
    const proxy = await startLoopbackProxy(moto.endpoint, async (req, forward) =>
      req.operation === 'CreateChangeSet'
        ? queryErrorReply(400, 'ValidationError', `Template format error: unresolved resource${FORGED}`)
        : forward(),
    )
    let result: ActionRun
    try {
      result = await runActionInProcess(
        async () => {
          await deploy()
          maskLater()
        },
        {
          'stack-name': 'foreign-error',
          template: 'templates/sample-queue.yaml',
          regions: 'us-east-1,eu-west-1',
        },
        { ...localAwsEnv(proxy.endpoint), GITHUB_WORKSPACE: ROOT },
      )
    } finally {
      await proxy.close()
    }
    expect(result.failed).toBe(true)
    expect(result.stdout).toContain('unresolved resource\\n::stop-commands::x\\n::warning::y')
    expectOnlyOwnCommands(result.stdout)
  }, 60_000)

  it('a SQL error cannot start a workflow command', async () => {
    const api = await startRedshiftDataApi({ seed: false })
    const workspace = mkdtempSync(join(tmpdir(), 'foreign-sql-'))
    let result: ActionRun
    try {
      mkdirSync(join(workspace, 'queries'))
      // The database echoes the unknown column's name, newlines and all, in its error.
      writeFileSync(join(workspace, 'queries', 'forged.sql'), `SELECT "c${FORGED}" FROM pg_class\n`)
      result = await runActionInProcess(
        async () => {
          await benchmark()
          maskLater()
        },
        { 'workgroup-name': 'poc', database: 'dev', queries: 'queries/*.sql', iterations: 1, warmup: 0 },
        { ...localAwsEnv(api.endpoint), GITHUB_WORKSPACE: workspace },
      )
    } finally {
      await api.close()
      rmSync(workspace, { recursive: true, force: true })
    }
    expect(result.failed).toBe(true)
    expect(result.stdout).toMatch(/column "c\\n::stop-commands::x\\n::warning::y" does not exist/)
    expectOnlyOwnCommands(result.stdout)
  }, 120_000)
})
