import {
  buildSummary,
  failuresTable,
  instanceGrid,
  instancesOutput,
  operationsTable,
  statusCell,
} from '../../../actions/stackset-rollout/src/summary.js'
import type { CurrentInstance } from '../../../actions/stackset-rollout/src/plan.js'
import type { OperationRecord } from '../../../actions/stackset-rollout/src/stackset-api.js'

const A = '111111111111'
const B = '222222222222'
const instances: CurrentInstance[] = [
  { account: B, region: 'eu-west-1', status: 'OUTDATED', detailedStatus: 'FAILED', reason: 'Access denied' },
  { account: A, region: 'us-east-1', status: 'CURRENT', detailedStatus: 'SUCCEEDED' },
  { account: A, region: 'eu-west-1', status: 'INOPERABLE', detailedStatus: 'INOPERABLE' },
]
const op: OperationRecord = {
  kind: 'CreateStackInstances',
  operationId: 'a1b2c3d4-0000-0000-0000-000000000000',
  description: 'add 2 account(s)',
  status: 'FAILED',
  startedMs: 1000,
  endedMs: 4500,
  results: [
    { account: A, region: 'us-east-1', status: 'SUCCEEDED' },
    { account: B, region: 'eu-west-1', status: 'FAILED', reason: 'Access denied' },
  ],
  waitedForOthers: 1,
}

describe('instancesOutput', () => {
  it('sorts by account and region and keeps the documented fields', () => {
    expect(instancesOutput(instances)).toEqual([
      { account: A, region: 'eu-west-1', status: 'INOPERABLE', detailedStatus: 'INOPERABLE', reason: null },
      { account: A, region: 'us-east-1', status: 'CURRENT', detailedStatus: 'SUCCEEDED', reason: null },
      {
        account: B,
        region: 'eu-west-1',
        status: 'OUTDATED',
        detailedStatus: 'FAILED',
        reason: 'Access denied',
      },
    ])
  })
})

describe('instanceGrid', () => {
  it('shows accounts down and regions across, with a dash for a missing pair', () => {
    expect(instanceGrid(instances, [A, B], ['us-east-1', 'eu-west-1'])).toBe(
      [
        '| Account | us-east-1 | eu-west-1 |',
        '| --- | --- | --- |',
        `| ${A} | ✅ CURRENT | ❌ INOPERABLE (INOPERABLE) |`,
        `| ${B} | — | ⚠️ OUTDATED (FAILED) |`,
      ].join('\n'),
    )
  })
  it('says so when there is nothing to show', () => {
    expect(instanceGrid([], [], ['us-east-1'])).toBe('_No stack instances._')
    expect(statusCell(undefined)).toBe('—')
  })
})

describe('operation tables', () => {
  it('lists each operation with its outcome and failures', () => {
    const table = operationsTable([op])
    expect(table).toContain(
      '| CreateStackInstances | a1b2c3d4-0000-0000-0000-000000000000 | add 2 account(s) | FAILED | 3.5 s | 1/2 | waited 1x for another operation |',
    )
    expect(failuresTable([op])).toContain(
      `| CreateStackInstances | ${B} | eu-west-1 | FAILED | Access denied |`,
    )
    expect(failuresTable([{ ...op, results: [] }])).toBeUndefined()
    expect(operationsTable([])).toMatch(/No operation was needed/)
  })
  it('marks a rollout whose failures stayed within failure-tolerance as passed with warnings', () => {
    const md = buildSummary({
      stackSetName: 'baseline',
      stackSetId: 'baseline:1',
      homeRegion: 'us-east-1',
      planLines: [],
      operations: [{ ...op, status: 'SUCCEEDED' }],
      instances,
      accounts: [A, B],
      regions: ['us-east-1'],
      outcome: '✅ Converged with 1 operation(s)',
    })
    expect(md).toMatch(
      /^## ⚠️ Rollout of stack set `baseline` passed with warnings: Converged with 1 operation\(s\);/,
    )
    expect(md).not.toContain('gantt')
  })
  it('builds the whole summary with a gantt chart for several operations', () => {
    const md = buildSummary({
      stackSetName: 'baseline',
      stackSetId: 'baseline:1',
      homeRegion: 'us-east-1',
      planLines: ['CreateStackInstances: add'],
      operations: [
        op,
        { ...op, kind: 'DeleteStackInstances', status: 'SUCCEEDED', startedMs: 5000, endedMs: 6000 },
      ],
      instances,
      accounts: [A, B],
      regions: ['us-east-1', 'eu-west-1'],
      outcome: 'Failed: CreateStackInstances operation a1b2 ended FAILED',
      failed: true,
    })
    expect(md.split('\n')[0]).toBe(
      '## ❌ Rollout of stack set `baseline` failed: CreateStackInstances operation a1b2 ended FAILED; 1 of 3 stack instances CURRENT (others OUTDATED, INOPERABLE).',
    )
    expect(md).toContain(
      '<sub>Inputs: `home region` us-east-1 · `accounts` 111111111111, 222222222222 · `regions` us-east-1, eu-west-1</sub>',
    )
    // What failed comes before the detail.
    expect(md.indexOf('### Instances that did not succeed')).toBeLessThan(md.indexOf('### Stack instances'))
    expect(md).toContain('- CreateStackInstances: add')
    expect(md).toContain('```mermaid\ngantt')
    expect(md).toMatch(/axisFormat %[sQ]/)
    expect(md).not.toContain('%M:%S')
  })
})
