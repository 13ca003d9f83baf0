import {
  blockedChanges,
  blockedReason,
  destructiveAction,
  guardName,
  isDestructive,
  markChanges,
  STATEFUL_REASONS,
  STATEFUL_TYPES,
  unmatchedAllowances,
} from '../../../actions/deploy-multi-region/src/guard.js'
import type { ChangeRow } from '../../../actions/deploy-multi-region/src/model.js'

const table = (replacement: string): ChangeRow => ({
  action: 'Modify',
  logicalId: 'Orders',
  type: 'AWS::DynamoDB::Table',
  replacement,
})

describe('isDestructive', () => {
  it.each([
    ['True', true],
    ['Conditional', true],
    ['False', false],
  ])('a stateful Modify with Replacement %s: %s', (replacement, expected) => {
    expect(isDestructive(table(replacement), STATEFUL_TYPES)).toBe(expected)
  })

  it('a Remove of a stateful resource is destructive; an Add never is', () => {
    expect(isDestructive({ action: 'Remove', logicalId: 'B', type: 'AWS::S3::Bucket' }, STATEFUL_TYPES)).toBe(
      true,
    )
    expect(isDestructive({ action: 'Add', logicalId: 'B', type: 'AWS::S3::Bucket' }, STATEFUL_TYPES)).toBe(
      false,
    )
  })

  it('a replaced resource of a type not in the list is not', () => {
    const topic = { action: 'Modify', logicalId: 'T', type: 'AWS::SNS::Topic', replacement: 'True' }
    expect(isDestructive(topic, STATEFUL_TYPES)).toBe(false)
    expect(isDestructive(topic, ['AWS::SNS::Topic'])).toBe(true)
  })

  it('lists the stateful types the guard is documented to cover', () => {
    for (const type of [
      'AWS::DynamoDB::Table',
      'AWS::RDS::DBInstance',
      'AWS::RDS::DBCluster',
      'AWS::S3::Bucket',
      'AWS::EC2::Volume',
      'AWS::EFS::FileSystem',
      'AWS::ElastiCache::ReplicationGroup',
      'AWS::OpenSearchService::Domain',
      'AWS::Kinesis::Stream',
      'AWS::SQS::Queue',
      'AWS::KMS::Key',
      'AWS::Cognito::UserPool',
      'AWS::Route53::HostedZone',
    ])
      expect(STATEFUL_TYPES).toContain(type)
  })
})

describe('markChanges', () => {
  const queue: ChangeRow = {
    action: 'Modify',
    logicalId: 'Jobs',
    type: 'AWS::Lambda::Function',
    replacement: 'False',
  }
  const bucket: ChangeRow = { action: 'Remove', logicalId: 'Logs', type: 'AWS::S3::Bucket' }

  it('puts blocked changes first, then allowed ones, the others in their order', () => {
    const marked = markChanges([queue, bucket, table('True')], STATEFUL_TYPES, ['Logs'])
    expect(marked.map((c) => [c.logicalId, c.guard])).toEqual([
      ['Orders', 'blocked'],
      ['Logs', 'allowed'],
      ['Jobs', undefined],
    ])
    expect(blockedChanges(marked).map((c) => c.logicalId)).toEqual(['Orders'])
  })

  it('* allows every destructive change', () => {
    expect(blockedChanges(markChanges([bucket, table('True')], STATEFUL_TYPES, ['*']))).toEqual([])
  })

  it('a nested resource is named by its path and allowed only by it', () => {
    const nested: ChangeRow = { ...table('True'), nestedPath: ['Data'] }
    expect(guardName(nested)).toBe('Data/Orders')
    expect(markChanges([nested], STATEFUL_TYPES, ['Orders'])[0]!.guard).toBe('blocked')
    expect(markChanges([nested], STATEFUL_TYPES, ['Data/Orders'])[0]!.guard).toBe('allowed')
  })
})

describe('nested stacks, Dynamic and PolicyAction', () => {
  const stack = (action: string, replacement?: string): ChangeRow => ({
    action,
    logicalId: 'Data',
    type: 'AWS::CloudFormation::Stack',
    ...(replacement ? { replacement } : {}),
  })

  it('a nested stack removed or replaced is destructive; its Modify is guarded through its own changes', () => {
    expect(isDestructive(stack('Remove'), STATEFUL_TYPES)).toBe(true)
    expect(isDestructive(stack('Modify', 'True'), STATEFUL_TYPES)).toBe(true)
    expect(isDestructive(stack('Modify', 'Conditional'), STATEFUL_TYPES)).toBe(false)
    expect(isDestructive(stack('Modify'), STATEFUL_TYPES)).toBe(false)
    expect(isDestructive(stack('Dynamic'), STATEFUL_TYPES)).toBe(false)
  })

  it('a Dynamic change to a stateful resource may be a replacement', () => {
    const dynamic = { action: 'Dynamic', logicalId: 'Orders', type: 'AWS::DynamoDB::Table' }
    expect(isDestructive(dynamic, STATEFUL_TYPES)).toBe(true)
    expect(destructiveAction(dynamic)).toBe('Dynamic (may be replaced)')
  })

  it.each([
    ['Retain', false, 'Remove, resource retained'],
    ['Snapshot', true, 'Remove, deleted after a snapshot'],
    ['Delete', true, 'Remove'],
  ])('a removal with PolicyAction %s: destructive %p, "%s"', (policyAction, destructive, words) => {
    const row = { action: 'Remove', logicalId: 'Db', type: 'AWS::RDS::DBInstance', policyAction }
    expect(isDestructive(row, STATEFUL_TYPES)).toBe(destructive)
    expect(destructiveAction(row)).toBe(words)
  })

  it('a replacement says what becomes of the old resource', () => {
    const row = { ...table('True'), policyAction: 'ReplaceAndRetain' }
    expect(isDestructive(row, STATEFUL_TYPES)).toBe(true)
    expect(destructiveAction(row)).toBe('Replacement True, old resource retained')
  })

  it('covers the common data stores, each with what is lost', () => {
    for (const type of [
      'AWS::CloudFormation::Stack',
      'AWS::DocDB::DBCluster',
      'AWS::Neptune::DBCluster',
      'AWS::Redshift::Cluster',
      'AWS::RedshiftServerless::Namespace',
      'AWS::FSx::FileSystem',
      'AWS::SecretsManager::Secret',
      'AWS::MemoryDB::Cluster',
      'AWS::Timestream::Table',
      'AWS::Backup::BackupVault',
      'AWS::ECR::Repository',
      'AWS::Logs::LogGroup',
    ]) {
      expect(STATEFUL_TYPES).toContain(type)
      expect(STATEFUL_REASONS[type]).toBeTruthy()
    }
  })
})

describe('blockedReason', () => {
  it('names each resource, how it is lost and the input that allows it', () => {
    const reason = blockedReason([
      table('Conditional'),
      { action: 'Remove', logicalId: 'Logs', type: 'AWS::S3::Bucket' },
    ])
    expect(reason).toContain('Orders (AWS::DynamoDB::Table, Replacement Conditional), losing its items')
    expect(reason).toContain('Logs (AWS::S3::Bucket, Remove), losing its objects')
    expect(reason).toContain('allow-replacement')
  })
})

describe('unmatchedAllowances', () => {
  it('returns the names no region changes; * always matches', () => {
    expect(unmatchedAllowances(['Orders', 'Gone'], [[table('True')], []])).toEqual(['Gone'])
    expect(unmatchedAllowances(['*'], [[]])).toEqual([])
  })
})
