import { jest } from '@jest/globals'
import type { Settings, TargetPlan } from '../../../actions/deploy-multi-region/src/model.js'
import { printPlan } from '../../../actions/deploy-multi-region/src/report.js'

const settings = (onRegionFailure: string) =>
  ({
    stackName: 'orders',
    mode: 'deploy',
    regions: ['us-east-1', 'eu-west-1'],
    accounts: [],
    targets: [{ region: 'us-east-1' }, { region: 'eu-west-1' }],
    parameters: {},
    regionParameters: {},
    maxParallel: 2,
    failureTolerance: 0,
    onFailure: 'ROLLBACK',
    onRegionFailure,
  }) as unknown as Settings

const update = (region: string): TargetPlan => ({
  region,
  wave: 0,
  status: 'UPDATE_COMPLETE',
  decision: { action: 'update', why: 'the stack exists' },
})
const create = (region: string): TargetPlan => ({
  region,
  wave: 0,
  decision: { action: 'create', why: 'no stack' },
})

describe('printPlan', () => {
  let stdout: jest.SpiedFunction<typeof process.stdout.write>
  beforeEach(() => {
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
  })
  afterEach(() => stdout.mockRestore())
  const printed = () => stdout.mock.calls.map(([text]) => String(text)).join('')

  it('says, with rollback-all, what a rollback cannot restore of the stacks it will update', () => {
    printPlan(settings('rollback-all'), [update('us-east-1'), create('eu-west-1')], [])
    const warning = printed()
      .split('\n')
      .find((line) => line.startsWith('::warning::on-region-failure rollback-all cannot fully restore'))
    expect(warning).toContain('an updated stack (us-east-1)')
    expect(warning).toContain('nested stacks come back from the template URLs the earlier template names')
    expect(warning).toContain('are resolved again when the rollback runs')
  })

  it('says nothing of it when every stack is new (a rollback deletes them) or without rollback-all', () => {
    printPlan(settings('rollback-all'), [create('us-east-1'), create('eu-west-1')], [])
    printPlan(settings('continue'), [update('us-east-1'), update('eu-west-1')], [])
    expect(printed()).not.toContain('cannot fully restore')
  })
})
