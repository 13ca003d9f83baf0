import fc from 'fast-check'
import { InputError } from '../../../lib/inputs.js'
import {
  concurrencyNote,
  describePlan,
  diffStackSet,
  failedResults,
  inoperableFailure,
  groupPairs,
  operationPreferences,
  overridePairsToRead,
  pairKey,
  parseCountOrPercent,
  noEchoParameters,
  parseS3Url,
  planInstances,
  planRollout,
  type CurrentInstance,
  type CurrentStackSet,
  type InstancePlanInput,
} from '../../../actions/stackset-rollout/src/plan.js'

const A = '111111111111'
const B = '222222222222'

describe('parseCountOrPercent', () => {
  const limits = { minCount: 0, minPercent: 0 }
  it('reads counts and percentages', () => {
    expect(parseCountOrPercent('failure-tolerance', '3', limits)).toEqual({ kind: 'count', value: 3 })
    expect(parseCountOrPercent('failure-tolerance', '25%', limits)).toEqual({ kind: 'percent', value: 25 })
    expect(parseCountOrPercent('failure-tolerance', '0%', limits)).toEqual({ kind: 'percent', value: 0 })
    expect(parseCountOrPercent('failure-tolerance', '100%', limits)).toEqual({ kind: 'percent', value: 100 })
    expect(parseCountOrPercent('failure-tolerance', '', limits)).toBeUndefined()
  })
  it('refuses values outside the bounds, naming the input', () => {
    for (const bad of ['101%', '-1', '1.5', '25 percent', '%', 'x', '1e3']) {
      expect(() => parseCountOrPercent('failure-tolerance', bad, limits)).toThrow(InputError)
    }
    expect(() => parseCountOrPercent('max-concurrent', '0', { minCount: 1, minPercent: 1 })).toThrow(
      /Input 'max-concurrent': "0" is not valid\. Expected a whole number of accounts \(1 or more\) or a percentage from 1% to 100%/,
    )
    expect(() => parseCountOrPercent('max-concurrent', '0%', { minCount: 1, minPercent: 1 })).toThrow(
      InputError,
    )
  })
  it('accepts every percentage from 0 to 100 and nothing above', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), (n) => {
        const parse = () => parseCountOrPercent('p', `${n}%`, limits)
        if (n <= 100) expect(parse()).toEqual({ kind: 'percent', value: n })
        else expect(parse).toThrow(InputError)
      }),
    )
  })
})

describe('operationPreferences', () => {
  it('maps counts and percentages to the API fields', () => {
    expect(
      operationPreferences({
        regionConcurrency: 'PARALLEL',
        failureTolerance: { kind: 'percent', value: 10 },
        maxConcurrent: { kind: 'count', value: 4 },
        concurrencyMode: 'SOFT_FAILURE_TOLERANCE',
      }),
    ).toEqual({
      RegionConcurrencyType: 'PARALLEL',
      FailureTolerancePercentage: 10,
      MaxConcurrentCount: 4,
      ConcurrencyMode: 'SOFT_FAILURE_TOLERANCE',
    })
    expect(
      operationPreferences({
        failureTolerance: { kind: 'count', value: 0 },
        maxConcurrent: { kind: 'percent', value: 25 },
      }),
    ).toEqual({
      FailureToleranceCount: 0,
      MaxConcurrentPercentage: 25,
    })
    expect(operationPreferences({})).toEqual({})
  })
  it('keeps the region order of the regions an operation touches', () => {
    const prefs = { regionOrder: ['eu-west-1', 'us-east-1', 'ap-southeast-2'] }
    expect(operationPreferences(prefs).RegionOrder).toEqual(['eu-west-1', 'us-east-1', 'ap-southeast-2'])
    expect(operationPreferences(prefs, ['us-east-1', 'us-west-2', 'eu-west-1']).RegionOrder).toEqual([
      'eu-west-1',
      'us-east-1',
      'us-west-2',
    ])
  })
})

describe('concurrencyNote', () => {
  it('explains when strict mode lowers max-concurrent', () => {
    expect(concurrencyNote({ maxConcurrent: { kind: 'count', value: 5 } })).toMatch(/at most 1 account/)
    expect(
      concurrencyNote({
        maxConcurrent: { kind: 'count', value: 5 },
        failureTolerance: { kind: 'count', value: 4 },
      }),
    ).toBeUndefined()
    expect(
      concurrencyNote({
        maxConcurrent: { kind: 'count', value: 5 },
        concurrencyMode: 'SOFT_FAILURE_TOLERANCE',
      }),
    ).toBeUndefined()
    expect(concurrencyNote({ maxConcurrent: { kind: 'percent', value: 50 } })).toBeUndefined()
  })
})

describe('diffStackSet', () => {
  const current: CurrentStackSet = {
    id: 'ss:1',
    status: 'ACTIVE',
    templateBody: 'Resources: {}\r\n',
    parameters: { Environment: 'dev', Secret: '****', Extra: 'kept' },
    tags: { team: 'platform' },
    description: 'baseline',
    capabilities: ['CAPABILITY_IAM'],
  }
  const same = {
    templateBody: 'Resources: {}\n\n',
    parameters: { Environment: 'dev' },
    tags: { team: 'platform' },
    description: 'baseline',
    capabilities: ['CAPABILITY_IAM'],
  }
  it('finds no change when only line endings differ and undeclared parameters are left out', () => {
    expect(diffStackSet(same, current)).toEqual({ changes: [], unverifiable: [] })
    expect(diffStackSet({ ...same, description: undefined }, current).changes).toEqual([])
  })
  it('leaves the tags alone when none are declared (an empty Tags list would remove them all)', () => {
    expect(diffStackSet({ ...same, tags: {} }, current).changes).toEqual([])
    expect(diffStackSet({ ...same, tags: { team: 'platform', cost: 'x' } }, current).changes).toEqual([
      'tags',
    ])
  })
  it('names each difference', () => {
    expect(
      diffStackSet(
        {
          templateBody: 'Resources: {a: 1}',
          parameters: { Environment: 'prod', New: 'x' },
          tags: { team: 'data' },
          description: 'other',
          capabilities: [],
        },
        current,
      ).changes,
    ).toEqual(['template', 'parameters (Environment, New)', 'tags', 'description', 'capabilities'])
  })
  it('treats an unreadable template as changed and a masked NoEcho value as unverifiable', () => {
    expect(diffStackSet({ ...same, templateBody: undefined }, current).changes).toEqual([
      'template (could not be read back for comparison)',
    ])
    expect(diffStackSet({ ...same, parameters: { Secret: 'hunter2' } }, current)).toEqual({
      changes: [],
      unverifiable: ['Secret'],
    })
  })
  it('compares capabilities as sets', () => {
    expect(
      diffStackSet({ ...same, capabilities: ['CAPABILITY_IAM', 'CAPABILITY_IAM'] }, current).changes,
    ).toEqual([])
  })
})

const instance = (
  account: string,
  region: string,
  extra: Partial<CurrentInstance> = {},
): CurrentInstance => ({
  account,
  region,
  status: 'CURRENT',
  detailedStatus: 'SUCCEEDED',
  ...extra,
})

const base: InstancePlanInput = {
  serviceManaged: false,
  targets: [A, B],
  regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
  instanceParameters: {},
  prune: false,
  current: [],
  currentOverrides: new Map(),
  stackSetUpdate: false,
}

describe('planInstances', () => {
  it('creates every pair of a new stack set in one operation', () => {
    const plan = planInstances(base)
    expect(plan.create).toEqual([{ targets: [A, B], regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'] }])
    expect(plan.update).toEqual([])
    expect(plan.remove).toEqual([])
  })
  it('creates only the missing pairs, grouped into rectangles', () => {
    const current = [instance(A, 'us-east-1'), instance(B, 'us-east-1'), instance(A, 'eu-west-1')]
    const plan = planInstances({ ...base, current })
    expect(plan.create).toEqual([
      { targets: [B], regions: ['eu-west-1'] },
      { targets: [A, B], regions: ['ap-southeast-2'] },
    ])
    expect(plan.unchanged).toBe(3)
  })
  it('does nothing when everything is in place', () => {
    const current = base.regions.flatMap((r) => [instance(A, r), instance(B, r)])
    const plan = planInstances({ ...base, current, prune: true })
    expect(plan).toEqual({ create: [], update: [], remove: [], unchanged: 6, unmatched: 0, inoperable: [] })
  })
  it('prunes only with prune, and only undeclared pairs', () => {
    const current = [
      instance(A, 'us-east-1'),
      instance(A, 'us-west-2'),
      instance(B, 'us-west-2'),
      instance('333333333333', 'us-east-1'),
    ]
    const args = { ...base, regions: ['us-east-1'], targets: [A], current }
    expect(planInstances(args).remove).toEqual([])
    expect(planInstances({ ...args, prune: true }).remove).toEqual([
      { targets: ['333333333333'], regions: ['us-east-1'] },
      { targets: [A, B], regions: ['us-west-2'] },
    ])
  })
  it('creates with the overrides of each region and updates instances whose overrides differ', () => {
    const current = [instance(A, 'us-east-1'), instance(B, 'us-east-1'), instance(A, 'eu-west-1')]
    const currentOverrides = new Map<string, Record<string, string>>([
      [pairKey(A, 'eu-west-1'), { Environment: 'old' }],
      [pairKey(A, 'us-east-1'), {}],
    ])
    const plan = planInstances({
      ...base,
      regions: ['us-east-1', 'eu-west-1'],
      current,
      currentOverrides,
      instanceParameters: { 'eu-west-1': { Environment: 'eu' } },
    })
    expect(plan.create).toEqual([{ targets: [B], regions: ['eu-west-1'], overrides: { Environment: 'eu' } }])
    expect(plan.update).toEqual([{ targets: [A], regions: ['eu-west-1'], overrides: { Environment: 'eu' } }])
    expect(plan.unchanged).toBe(2)
  })
  it('redrives OUTDATED instances unless the stack set update covers them', () => {
    const current = [
      instance(A, 'us-east-1'),
      instance(B, 'us-east-1', { status: 'OUTDATED', detailedStatus: 'FAILED' }),
    ]
    const args = { ...base, regions: ['us-east-1'], current }
    expect(planInstances(args).update).toEqual([{ targets: [B], regions: ['us-east-1'] }])
    expect(planInstances({ ...args, stackSetUpdate: true }).update).toEqual([])
  })
  it('matches service-managed instances by organizational unit', () => {
    const ou = 'ou-ab12-cd34ef56'
    const current = [
      instance(A, 'us-east-1', { organizationalUnitId: ou }),
      instance(B, 'us-east-1', { organizationalUnitId: ou }),
      instance(B, 'eu-west-1'),
    ]
    const plan = planInstances({
      ...base,
      serviceManaged: true,
      targets: [ou],
      regions: ['us-east-1', 'eu-west-1'],
      current,
      prune: true,
    })
    expect(plan.create).toEqual([{ targets: [ou], regions: ['eu-west-1'] }])
    expect(plan.remove).toEqual([])
    expect(plan.unmatched).toBe(1)
  })
})

describe('groupPairs', () => {
  it('covers exactly the given pairs, each once, in region order', () => {
    const accounts = ['111111111111', '222222222222', '333333333333']
    const regions = ['us-east-1', 'eu-west-1', 'ap-south-1', 'sa-east-1']
    fc.assert(
      fc.property(
        fc.subarray(accounts.flatMap((a) => regions.map((r) => ({ target: a, region: r })))),
        (pairs) => {
          const groups = groupPairs(pairs, regions)
          const covered = groups.flatMap((g) => g.targets.flatMap((t) => g.regions.map((r) => pairKey(t, r))))
          expect(new Set(covered).size).toBe(covered.length)
          expect(new Set(covered)).toEqual(new Set(pairs.map((p) => pairKey(p.target, p.region))))
          // At most one operation per distinct set of accounts.
          expect(groups.length).toBeLessThanOrEqual(new Set(regions).size)
          for (const g of groups) {
            const order = g.regions.map((r) => regions.indexOf(r))
            expect(order).toEqual([...order].sort((x, y) => x - y))
          }
        },
      ),
    )
  })
})

describe('planInstances: service-managed account filters and INOPERABLE instances', () => {
  const OU = 'ou-ab12-cd34ef56'
  const C = '333333333333'
  const managed: InstancePlanInput = {
    ...base,
    serviceManaged: true,
    targets: [OU],
    regions: ['us-east-1', 'eu-west-1'],
  }
  const inOu = (account: string, region: string, extra: Partial<CurrentInstance> = {}) =>
    instance(account, region, { organizationalUnitId: OU, ...extra })
  const deployed = [A, B].flatMap((a) => [inOu(a, 'us-east-1'), inOu(a, 'eu-west-1')])

  it('INTERSECTION narrowed to fewer accounts removes the left-out accounts only', () => {
    const plan = planInstances({
      ...managed,
      current: deployed,
      accountFilter: { type: 'INTERSECTION', accounts: [A] },
    })
    expect(plan.create).toEqual([])
    expect(plan.remove).toEqual([
      { targets: [OU], regions: ['us-east-1'], accounts: [B] },
      { targets: [OU], regions: ['eu-west-1'], accounts: [B] },
    ])
  })
  it('INTERSECTION widened to another account creates it in the deployed regions', () => {
    const plan = planInstances({
      ...managed,
      current: deployed,
      accountFilter: { type: 'INTERSECTION', accounts: [A, B, C] },
    })
    expect(plan.remove).toEqual([])
    expect(plan.create).toEqual([
      { targets: [OU], regions: ['us-east-1'], accounts: [C] },
      { targets: [OU], regions: ['eu-west-1'], accounts: [C] },
    ])
  })
  it('DIFFERENCE excluding a deployed account removes its instances', () => {
    const plan = planInstances({
      ...managed,
      current: deployed,
      accountFilter: { type: 'DIFFERENCE', accounts: [B] },
    })
    expect(plan.remove).toEqual([
      { targets: [OU], regions: ['us-east-1'], accounts: [B] },
      { targets: [OU], regions: ['eu-west-1'], accounts: [B] },
    ])
    const planRemoved = planRollout({
      exists: true,
      stackSetChanges: [],
      instances: plan,
      serviceManaged: true,
    })
    expect(planRemoved.operations[0]!.description).toBe(
      `remove 1 organizational unit(s) [${OU}], account(s) [${B}] only x 1 region(s) [us-east-1]`,
    )
  })
  it('an INOPERABLE instance is not converged: not unchanged, and the rollout is not converged', () => {
    const current = [instance(A, 'us-east-1', { status: 'INOPERABLE' }), instance(B, 'us-east-1')]
    const plan = planInstances({ ...base, regions: ['us-east-1'], current })
    expect(plan.unchanged).toBe(1)
    expect(plan.inoperable).toEqual([`${A}/us-east-1`])
    const rollout = planRollout({ exists: true, stackSetChanges: [], instances: plan, serviceManaged: false })
    expect(describePlan(rollout, 'baseline')).toContain(
      `INOPERABLE, not converged by any operation: ${A}/us-east-1`,
    )
    expect(inoperableFailure(rollout)).toMatch(/^1 stack instance\(s\) INOPERABLE, not converged/)
  })
})

describe('planRollout and describePlan', () => {
  const noInstances = { create: [], update: [], remove: [], unchanged: 4, unmatched: 0, inoperable: [] }
  it('plans nothing when converged', () => {
    const plan = planRollout({
      exists: true,
      stackSetChanges: [],
      instances: noInstances,
      serviceManaged: false,
    })
    expect(plan.operations).toEqual([])
    expect(describePlan(plan, 'baseline')).toEqual([
      'No change: stack set baseline and its 4 declared instance target(s) match the workflow',
    ])
  })
  it('orders update, create, update instances, then delete', () => {
    const plan = planRollout({
      exists: true,
      stackSetChanges: ['template'],
      serviceManaged: false,
      instances: {
        create: [{ targets: [A], regions: ['us-west-2'] }],
        update: [{ targets: [B], regions: ['us-east-1'], overrides: {} }],
        remove: [{ targets: [A, B], regions: ['eu-west-1'] }],
        unchanged: 2,
        unmatched: 0,
        inoperable: [],
      },
    })
    expect(plan.operations.map((o) => o.kind)).toEqual([
      'UpdateStackSet',
      'CreateStackInstances',
      'UpdateStackInstances',
      'DeleteStackInstances',
    ])
    const lines = describePlan(plan, 'baseline')
    expect(lines).toContain(`CreateStackInstances: add 1 account(s) [${A}] x 1 region(s) [us-west-2]`)
    expect(lines).toContain(
      `UpdateStackInstances: update 1 account(s) [${B}] x 1 region(s) [us-east-1] with no overrides`,
    )
    expect(lines).toContain('2 declared instance target(s) already in place')
  })
  it('creates the stack set without an UpdateStackSet', () => {
    const plan = planRollout({
      exists: false,
      stackSetChanges: [],
      serviceManaged: true,
      instances: { ...noInstances, create: [{ targets: ['ou-ab12-cd34ef56'], regions: ['us-east-1'] }] },
    })
    expect(plan.createStackSet).toBe(true)
    expect(plan.operations.map((o) => o.description)).toEqual([
      'add 1 organizational unit(s) [ou-ab12-cd34ef56] x 1 region(s) [us-east-1]',
    ])
  })
})

describe('overridePairsToRead and failedResults', () => {
  it('reads overrides only in regions that declare them', () => {
    const current = [instance(A, 'us-east-1'), instance(A, 'eu-west-1'), instance(A, 'us-west-2')]
    expect(
      overridePairsToRead(current, ['us-east-1', 'eu-west-1'], { 'eu-west-1': {}, 'us-west-2': {} }),
    ).toEqual([{ account: A, region: 'eu-west-1' }])
  })
  it('names account, region, status and reason of each failure', () => {
    expect(
      failedResults([
        { account: A, region: 'us-east-1', status: 'SUCCEEDED' },
        { account: B, region: 'eu-west-1', status: 'FAILED', reason: 'Access denied' },
        { account: B, region: 'us-east-1', status: 'CANCELLED' },
      ]),
    ).toEqual([`${B}/eu-west-1: FAILED (Access denied)`, `${B}/us-east-1: CANCELLED`])
  })
})

describe('parseS3Url', () => {
  it('reads virtual-hosted and path-style URLs', () => {
    expect(parseS3Url('https://my-bucket.s3.eu-west-1.amazonaws.com/t/stack.yaml')).toEqual({
      bucket: 'my-bucket',
      key: 't/stack.yaml',
      region: 'eu-west-1',
    })
    expect(parseS3Url('https://my.bucket.s3.amazonaws.com/stack.yaml')).toEqual({
      bucket: 'my.bucket',
      key: 'stack.yaml',
      region: undefined,
    })
    expect(parseS3Url('https://my-bucket.s3-us-west-2.amazonaws.com/a%20b.yaml')).toEqual({
      bucket: 'my-bucket',
      key: 'a b.yaml',
      region: 'us-west-2',
    })
    expect(parseS3Url('https://s3.us-east-2.amazonaws.com/my-bucket/x/y.json')).toEqual({
      bucket: 'my-bucket',
      key: 'x/y.json',
      region: 'us-east-2',
    })
  })
  it('refuses other URLs', () => {
    expect(parseS3Url('https://example.com/a.yaml')).toBeUndefined()
    expect(parseS3Url('https://s3.amazonaws.com/only-bucket')).toBeUndefined()
    expect(parseS3Url('not a url')).toBeUndefined()
  })
})

describe('noEchoParameters', () => {
  it('finds NoEcho parameters in YAML with short-form tags and in JSON', () => {
    const yaml = [
      'Parameters:',
      '  Password:',
      '    Type: String',
      '    NoEcho: true',
      '  Token:',
      '    Type: String',
      "    NoEcho: 'true'",
      '  Name:',
      '    Type: String',
      'Resources:',
      '  P:',
      '    Type: AWS::SSM::Parameter',
      '    Properties:',
      '      Value: !Ref Name',
      "      Name: !Sub '/x/${Name}'",
    ].join('\n')
    expect(noEchoParameters(yaml)).toEqual(['Password', 'Token'])
    expect(noEchoParameters('{"Parameters": {"Key": {"Type": "String", "NoEcho": true}}}')).toEqual(['Key'])
  })
  it('returns nothing for unreadable or parameterless templates', () => {
    expect(noEchoParameters(undefined)).toEqual([])
    expect(noEchoParameters('Resources: {}')).toEqual([])
    expect(noEchoParameters(': : :\n\t- [')).toEqual([])
  })
})
