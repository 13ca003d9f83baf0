import { InputError } from '../../../lib/inputs.js'
import {
  buildPlan,
  changeSetMismatch,
  parsePlanFile,
  staleReason,
  templateSha256,
} from '../../../actions/deploy-multi-region/src/plan-file.js'
import type { PlannedRegion } from '../../../actions/deploy-multi-region/src/model.js'

const SHA = templateSha256('Resources: {}\n')
const CHANGE_SET =
  'arn:aws:cloudformation:us-east-1:123456789012:changeSet/deploy-1-us-east-1/11111111-2222-3333-4444-555555555555'
const STACK =
  'arn:aws:cloudformation:us-east-1:123456789012:stack/orders/11111111-2222-3333-4444-666666666666'
const planned: PlannedRegion = {
  region: 'us-east-1',
  changeSetId: CHANGE_SET,
  changeSetType: 'UPDATE',
  stackId: STACK,
  lastUpdatedTime: '2026-12-01T12:00:00.000Z',
  templateSha256: SHA,
  changes: [{ action: 'Modify', logicalId: 'Queue', type: 'AWS::SQS::Queue', replacement: 'False' }],
}
const asPlanned = {
  stackId: STACK,
  stackStatus: 'UPDATE_COMPLETE',
  lastUpdatedTime: '2026-12-01T12:00:00.000Z',
  changeSet: { status: 'CREATE_COMPLETE', executionStatus: 'AVAILABLE' },
}

describe('buildPlan / parsePlanFile', () => {
  const doc = buildPlan(
    { stackName: 'orders', template: { kind: 'file', input: 'stack.yaml' } },
    [
      {
        region: 'us-east-1',
        changes: planned.changes,
        planned: {
          changeSetId: CHANGE_SET,
          changeSetType: 'UPDATE',
          stackId: STACK,
          lastUpdatedTime: planned.lastUpdatedTime,
        },
      },
    ],
    SHA,
    new Date('2026-12-01T13:00:00Z'),
  )

  it('names each target’s account in a plan over several accounts, and wants exactly those targets', () => {
    const [entry] = doc.regions
    const across = { ...doc, regions: [{ ...entry!, account: '111111111111' }] }
    const targets = [{ account: '111111111111', region: 'us-east-1' }]
    const expected = { stackName: 'orders', regions: ['us-east-1'], targets }
    expect(parsePlanFile('p.json', JSON.stringify(across), expected)).toEqual(across)
    const other = { ...expected, targets: [{ account: '222222222222', region: 'us-east-1' }] }
    expect(() => parsePlanFile('p.json', JSON.stringify(across), other)).toThrow(
      /its targets \(111111111111\/us-east-1\) are not the accounts and regions input \(222222222222\/us-east-1\)/,
    )
  })

  it('round-trips: what plan writes, apply reads', () => {
    expect(
      parsePlanFile('p.json', JSON.stringify(doc), { stackName: 'orders', regions: ['us-east-1'] }),
    ).toEqual(doc)
    expect(doc.regions[0]).toEqual(planned)
  })

  it.each([
    ['not JSON', '{', /not JSON/],
    ['another format', JSON.stringify({ ...doc, format: 'x' }), /format is "x"/],
    ['another stack', JSON.stringify({ ...doc, stackName: 'billing' }), /plan for stack 'billing'/],
    ['a region twice', JSON.stringify({ ...doc, regions: [doc.regions[0], doc.regions[0]] }), /twice/],
    [
      'a bad hash',
      JSON.stringify({ ...doc, regions: [{ ...doc.regions[0], templateSha256: 'x' }] }),
      /SHA-256/,
    ],
    [
      'a stack ARN as change set',
      JSON.stringify({ ...doc, regions: [{ ...doc.regions[0], changeSetId: STACK }] }),
      /no change set ARN/,
    ],
  ])('refuses %s as an input error naming plan', (_what, text, message) => {
    const read = () => parsePlanFile('p.json', text, { stackName: 'orders', regions: ['us-east-1'] })
    expect(read).toThrow(InputError)
    expect(read).toThrow(/Input 'plan'/)
    expect(read).toThrow(message)
  })

  it('refuses a plan that does not cover exactly the regions input', () => {
    expect(() =>
      parsePlanFile('p.json', JSON.stringify(doc), {
        stackName: 'orders',
        regions: ['us-east-1', 'eu-west-1'],
      }),
    ).toThrow(/not the regions input/)
  })
})

describe('staleReason', () => {
  it('is undefined when everything is as planned', () => {
    expect(staleReason(planned, asPlanned, SHA)).toBeUndefined()
  })

  it.each([
    ['the template changed', asPlanned, templateSha256('other'), /template in the workspace/],
    [
      'the stack was updated',
      { ...asPlanned, lastUpdatedTime: '2026-12-01T12:30:00.000Z' },
      SHA,
      /updated since planning/,
    ],
    [
      'the stack was deleted',
      { ...asPlanned, stackId: undefined, stackStatus: undefined },
      SHA,
      /deleted since planning/,
    ],
    [
      'the stack was replaced',
      { ...asPlanned, stackId: STACK.replace('6666', '7777') },
      SHA,
      /replaced since planning/,
    ],
    ['the change set is gone', { ...asPlanned, changeSet: undefined }, SHA, /no longer exists/],
    [
      'the change set is obsolete',
      { ...asPlanned, changeSet: { status: 'CREATE_COMPLETE', executionStatus: 'OBSOLETE' } },
      SHA,
      /OBSOLETE/,
    ],
  ])('names why when %s', (_what, live, sha, message) => {
    expect(staleReason(planned, live, sha)).toMatch(message)
  })

  it('a CREATE plan needs the stack still REVIEW_IN_PROGRESS', () => {
    const create = { ...planned, changeSetType: 'CREATE' as const, lastUpdatedTime: null }
    const live = { ...asPlanned, lastUpdatedTime: undefined }
    expect(staleReason(create, { ...live, stackStatus: 'REVIEW_IN_PROGRESS' }, SHA)).toBeUndefined()
    expect(staleReason(create, { ...live, stackStatus: 'CREATE_COMPLETE' }, SHA)).toMatch(
      /no longer REVIEW_IN_PROGRESS/,
    )
  })
})

describe('changeSetMismatch', () => {
  const found = {
    arn: { region: 'us-east-1', account: '123456789012' },
    target: { region: 'us-east-1', account: '123456789012' },
    stackId: STACK,
    ownName: true,
    changes: [{ ...planned.changes[0]!, guard: undefined }],
    templateSha256: SHA,
  }
  it('is undefined when the change set is the planned one', () => {
    expect(changeSetMismatch(planned, found)).toBeUndefined()
    // The plan's recorded hash of the submitted template wins over the workspace's.
    const recorded = { ...planned, submittedTemplateSha256: 'c'.repeat(64) }
    expect(changeSetMismatch(recorded, { ...found, templateSha256: 'c'.repeat(64) })).toBeUndefined()
  })
  it.each([
    [
      'another region',
      { arn: { region: 'eu-west-1', account: '123456789012' } },
      /in region eu-west-1, not in the target's us-east-1/,
    ],
    ['another account', { arn: { region: 'us-east-1', account: '210987654321' } }, /in account 210987654321/],
    ['another stack', { stackId: STACK.replace('orders', 'other') }, /belongs to stack .*other/],
    ['a name not ours', { ownName: false }, /not made by deploy-multi-region/],
    ['other changes', { changes: [] }, /changes other than the plan's reviewed ones/],
    [
      'a replacement where the plan had none',
      { changes: [{ ...planned.changes[0]!, replacement: 'True' }] },
      /reviewed ones/,
    ],
    [
      'another template',
      { templateSha256: 'd'.repeat(64) },
      /template behind change set .* is not the planned one/,
    ],
  ])('refuses %s', (_, patch, why) => {
    expect(changeSetMismatch(planned, { ...found, ...patch })).toMatch(why)
  })
})
