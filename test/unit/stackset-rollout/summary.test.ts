import {
  buildSummary,
  failuresTable,
  fitInstancesOutput,
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

describe('GitHub size limits with 2,000 instances', () => {
  // 100 accounts x 20 regions, every one failed with a long reason (StatusReason can be long).
  const regions = Array.from({ length: 20 }, (_, i) => `xx-test-${i + 1}`)
  const accounts = Array.from({ length: 100 }, (_, i) => String(100000000000 + i))
  const reason = `Resource handler returned message: "${'Access denied for the execution role. '.repeat(15)}"`
  const many: CurrentInstance[] = accounts.flatMap((account) =>
    regions.map((region) => ({ account, region, status: 'OUTDATED', detailedStatus: 'FAILED', reason })),
  )
  const failedOp: OperationRecord = {
    ...op,
    results: many.map((i) => ({ account: i.account, region: i.region, status: 'FAILED', reason })),
  }

  it('keeps the instances output under 1 MB (UTF-16) as a JSON array, cut in order', () => {
    const entries = instancesOutput(many)
    expect(JSON.stringify(entries).length * 2).toBeGreaterThan(1024 * 1024)
    const { json, kept } = fitInstancesOutput(entries)
    expect(json.length * 2).toBeLessThan(1000 * 1000)
    const parsed = JSON.parse(json) as unknown[]
    expect(parsed).toHaveLength(kept)
    expect(kept).toBeGreaterThan(100)
    expect(kept).toBeLessThan(2000)
    expect(parsed).toEqual(entries.slice(0, kept))
    expect(fitInstancesOutput(entries.slice(0, 10))).toEqual({
      json: JSON.stringify(entries.slice(0, 10)),
      kept: 10,
    })
  })

  it('keeps the job summary under 1 MiB, saying what was cut and where the full list is', () => {
    const args = {
      stackSetName: 'baseline',
      stackSetId: 'baseline:1',
      homeRegion: 'us-east-1',
      planLines: ['UpdateStackSet: update the stack set and all its instances: template'],
      operations: [failedOp],
      instances: many,
      accounts,
      regions,
      outcome: '❌ Failed',
      instancesFile: '/runner/temp/stackset-rollout-instances.json',
    }
    const markdown = buildSummary(args)
    expect(Buffer.byteLength(markdown, 'utf8')).toBeLessThan(1024 * 1024)
    expect(markdown).toMatch(
      /_\d+ more failed result\(s\) not shown to keep the summary within GitHub's limit; every instance is listed in `\/runner\/temp\/stackset-rollout-instances.json`\._/,
    )
    expect(markdown).toContain('### Stack instances')
    expect(markdown).toContain(`| ${accounts[0]} |`)
    // A small summary is not cut.
    expect(
      buildSummary({ ...args, operations: [op], instances, accounts: [A, B], regions: ['us-east-1'] }),
    ).not.toContain('not shown')
  })
})
