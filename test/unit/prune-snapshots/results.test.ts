import {
  deletedByTarget,
  targetResults,
  type AccountOutcome,
} from '../../../actions/prune-snapshots/src/results.js'
import type { DeletionResult } from '../../../actions/prune-snapshots/src/apply.js'
import type { Plan, PlannedSnapshot } from '../../../actions/prune-snapshots/src/plan.js'
import { targetsOf } from '../../../lib/targets.js'

const A = '111111111111'
const B = '222222222222'

function deletion(deleted: string[], failed: DeletionResult['failed'] = []): DeletionResult {
  return { deleted, alreadyGone: [], refused: [], failed, notStarted: [] }
}

function snapshot(region: string, snapshotId: string, decision: 'keep' | 'delete'): PlannedSnapshot {
  return { region, snapshotId, group: 'vol-1', startTime: '', state: 'completed', decision, reasons: ['r'] }
}

function outcome(account: string, over: Partial<AccountOutcome> = {}): AccountOutcome {
  const plan: Plan = {
    accountId: account,
    now: '',
    copies: [],
    snapshots: [
      snapshot('eu-west-1', `snap-${account}-1`, 'delete'),
      snapshot('eu-west-1', `snap-${account}-2`, 'keep'),
      snapshot('us-east-1', `snap-${account}-dr`, 'keep'),
    ],
  }
  return {
    account,
    plan,
    failedRegions: new Map(),
    deletions: new Map([['eu-west-1', deletion([`snap-${account}-1`])]]),
    copies: [],
    ...over,
  }
}

describe('targetResults', () => {
  const targets = targetsOf([A, B], ['eu-west-1', 'eu-central-1'])

  it('gives every target its deletions, kept count and status, the DR region on the first target of each account', () => {
    const outcomes = new Map([
      [A, outcome(A)],
      [B, outcome(B)],
    ])
    const results = targetResults(targets, outcomes, 'applied', 'us-east-1', true)
    expect(results.map((r) => [r.account, r.region, r.status, r.deleted, r.kept])).toEqual([
      [A, 'eu-west-1', 'applied', [`snap-${A}-1`], 1],
      [A, 'eu-central-1', 'applied', [], 0],
      [B, 'eu-west-1', 'applied', [`snap-${B}-1`], 1],
      [B, 'eu-central-1', 'applied', [], 0],
    ])
    expect(results.filter((r) => r.drRegion).map((r) => [r.account, r.drKept])).toEqual([
      [A, 1],
      [B, 1],
    ])
  })

  it('fails only the targets of an account whose role could not be assumed, with the reason', () => {
    const refused: AccountOutcome = {
      account: B,
      failure: 'cannot assume arn:aws:iam::222222222222:role/t: AccessDenied: ...',
      failedRegions: new Map(),
      deletions: new Map(),
      copies: [],
    }
    const results = targetResults(
      targets,
      new Map([
        [A, outcome(A)],
        [B, refused],
      ]),
      'applied',
      undefined,
      true,
    )
    expect(results.map((r) => [r.account, r.status])).toEqual([
      [A, 'applied'],
      [A, 'applied'],
      [B, 'failed'],
      [B, 'failed'],
    ])
    expect(results[2]!.reason).toContain('AccessDenied')
  })

  it('fails a target whose deletions failed, and every target of a refused plan', () => {
    const failing = outcome(A, {
      deletions: new Map([['eu-west-1', deletion([], [{ snapshotId: 'snap-x', error: 'Boom' }])]]),
    })
    const one = targetsOf([A], ['eu-west-1'])
    expect(targetResults(one, new Map([[A, failing]]), 'applied', undefined, false)[0]).toMatchObject({
      status: 'failed',
      reason: '1 deletion(s) failed in eu-west-1: Boom',
    })
    const refused = targetResults(
      one,
      new Map([[A, outcome(A)]]),
      'refused',
      undefined,
      false,
      'over max-delete',
    )
    expect(refused[0]).toMatchObject({ status: 'failed', reason: 'over max-delete' })
  })
})

describe('deletedByTarget', () => {
  it('keys by "<account>/<region>" over several accounts and by region in one', () => {
    expect(deletedByTarget([outcome(A), outcome(B)], true)).toEqual({
      [`${A}/eu-west-1`]: [`snap-${A}-1`],
      [`${B}/eu-west-1`]: [`snap-${B}-1`],
    })
    expect(deletedByTarget([outcome(A)], false)).toEqual({ 'eu-west-1': [`snap-${A}-1`] })
  })
})
