import { run } from '../../actions/deploy-multi-region/src/main.js'
import { runActionInProcess, type ActionRun } from '../support/action-runner.js'
import { startStackStatusLayer, type StackStatusLayer } from '../support/cfn-stack-status-layer.js'
import { localAwsEnv, startMoto, type MotoServer } from '../support/moto.js'
import { resolve } from 'node:path'

/** Stack states moto never reaches by itself, reported through a loopback layer. */
describe('deploy-multi-region: stacks found in awkward states', () => {
  let moto: MotoServer
  let layer: StackStatusLayer
  let env: Record<string, string>

  beforeAll(async () => {
    moto = await startMoto()
    layer = await startStackStatusLayer(moto.endpoint)
    env = { ...localAwsEnv(layer.endpoint), GITHUB_WORKSPACE: resolve(import.meta.dirname, '../..') }
  })
  afterAll(async () => {
    await layer.close()
    await moto.stop()
  })

  const deploy = (stackName: string, parameters = 'Environment=one') =>
    runActionInProcess(
      run,
      { 'stack-name': stackName, template: 'templates/sample-queue.yaml', regions: 'eu-west-1', parameters },
      env,
    )
  const result = (r: ActionRun) =>
    (JSON.parse(r.outputs.results!) as Array<{ status: string; reason?: string }>)[0]!

  it('deletes a ROLLBACK_COMPLETE stack and creates it again', async () => {
    expect(result(await deploy('rolled-back')).status).toBe('created')
    layer.queueStatuses('eu-west-1', 'rolled-back', ['ROLLBACK_COMPLETE'])
    layer.calls.length = 0
    const r = await deploy('rolled-back')
    expect(r.failed).toBe(false)
    expect(result(r).status).toBe('created')
    expect(r.stdout).toContain('  eu-west-1       delete and recreate')
    expect(r.stdout).toContain(
      '[eu-west-1] Stack is ROLLBACK_COMPLETE (its first create failed): deleting it',
    )
    const ops = layer.calls.map((c) => c.split(':')[1])
    expect(ops.indexOf('DeleteStack')).toBeGreaterThan(-1)
    expect(ops.indexOf('DeleteStack')).toBeLessThan(ops.indexOf('CreateChangeSet'))
  })

  it('waits for an update already in progress instead of clobbering it', async () => {
    expect(result(await deploy('busy')).status).toBe('created')
    // Planning read, then two polls that still see the other pipeline's update.
    layer.queueStatuses('eu-west-1', 'busy', [
      'UPDATE_IN_PROGRESS',
      'UPDATE_IN_PROGRESS',
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
    ])
    layer.calls.length = 0
    const r = await deploy('busy', 'Environment=two')
    expect(r.failed).toBe(false)
    expect(result(r).status).toBe('updated')
    expect(r.stdout).toContain(
      '[eu-west-1] Stack is UPDATE_IN_PROGRESS; waiting for that operation to finish',
    )
    const ops = layer.calls.map((c) => c.split(':')[1])
    const firstChangeSet = ops.indexOf('CreateChangeSet')
    expect(ops.slice(0, firstChangeSet).filter((o) => o === 'DescribeStacks').length).toBeGreaterThanOrEqual(
      3,
    )
  })

  it('refuses a stack whose rollback failed, naming the state', async () => {
    expect(result(await deploy('stuck')).status).toBe('created')
    layer.queueStatuses('eu-west-1', 'stuck', ['UPDATE_ROLLBACK_FAILED'])
    const r = await deploy('stuck', 'Environment=three')
    expect(r.failed).toBe(true)
    expect(result(r)).toMatchObject({ status: 'failed' })
    expect(result(r).reason).toMatch(/UPDATE_ROLLBACK_FAILED, which needs manual attention/)
  })
})
