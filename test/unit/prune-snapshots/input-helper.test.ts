import { Inputs, InputError, mapInputReader } from '../../../lib/inputs.js'
import { getSettings } from '../../../actions/prune-snapshots/src/input-helper.js'

const settings = (values: Record<string, string>) => getSettings(new Inputs(mapInputReader(values)))

describe('getSettings', () => {
  it('applies the documented defaults', () => {
    expect(settings({ regions: 'eu-west-1, us-east-1', 'all-volumes': 'true' })).toEqual({
      regions: ['eu-west-1', 'us-east-1'],
      accounts: [],
      filters: [],
      volumeIds: [],
      allVolumes: true,
      policy: { keepLast: 7 },
      drRegion: undefined,
      drPolicy: { keepLast: 7 },
      kmsKeyId: undefined,
      protectTag: 'DoNotDelete',
      includeArchived: false,
      maxDelete: 100,
      dryRun: false,
      maxRate: undefined,
    })
  })

  it('reads the accounts and the role to assume in each (lib/targets.ts)', () => {
    const s = settings({
      regions: 'eu-west-1',
      'all-volumes': 'true',
      accounts: '111111111111\n222222222222',
      'role-name': 'multi-region-actions-target',
      'role-external-id': 'ci-1',
      'role-session-duration': '1800',
      'max-parallel-per-account': '4',
    })
    expect(s).toMatchObject({
      accounts: ['111111111111', '222222222222'],
      roleName: 'multi-region-actions-target',
      roleExternalId: 'ci-1',
      roleSessionDurationSeconds: 1800,
      maxParallelPerAccount: 4,
    })
  })

  it('reads filters, volume ids, every keep rule and the DR overrides', () => {
    const s = settings({
      regions: 'eu-west-1',
      filters: 'Backup=nightly, Team=*',
      'volume-ids': 'vol-0123456789abcdef0\nvol-12345678',
      'keep-last': '3',
      'keep-within': '14d',
      'keep-daily': '7',
      'keep-weekly': '4',
      'keep-monthly': '12',
      'dr-region': 'eu-central-1',
      'dr-keep-last': '1',
      'dr-keep-within': '36h',
      'kms-key-id': 'alias/dr-snapshots',
      'max-delete': '500',
      'dry-run': 'true',
      'max-rate': '2.5',
      'include-archived': 'yes',
      'protect-tag': 'Keep',
    })
    expect(s.filters).toEqual([{ key: 'Backup', value: 'nightly' }, { key: 'Team' }])
    expect(s.volumeIds).toEqual(['vol-0123456789abcdef0', 'vol-12345678'])
    expect(s.policy).toEqual({ keepLast: 3, keepWithin: '14d', keepDaily: 7, keepWeekly: 4, keepMonthly: 12 })
    expect(s.drPolicy).toEqual({
      keepLast: 1,
      keepWithin: '36h',
      keepDaily: 7,
      keepWeekly: 4,
      keepMonthly: 12,
    })
    expect(s).toMatchObject({
      drRegion: 'eu-central-1',
      kmsKeyId: 'alias/dr-snapshots',
      maxDelete: 500,
      dryRun: true,
    })
    expect(s).toMatchObject({ maxRate: 2.5, includeArchived: true, protectTag: 'Keep' })
  })

  it('needs a scope: filters, volume-ids or all-volumes', () => {
    expect(() => settings({ regions: 'eu-west-1' })).toThrow(
      /Input 'filters'.*tag filters in 'filters', volume ids in 'volume-ids', or 'all-volumes: true'/,
    )
    expect(settings({ regions: 'eu-west-1', filters: 'Backup=*' }).allVolumes).toBe(false)
    expect(settings({ regions: 'eu-west-1', 'volume-ids': 'vol-12345678' }).allVolumes).toBe(false)
    expect(() =>
      settings({ regions: 'eu-west-1', 'volume-ids': 'vol-12345678', 'all-volumes': 'true' }),
    ).toThrow(/Input 'all-volumes'/)
  })

  it('accepts keep-last 0 beside another keep rule, and durations up to 100 years', () => {
    const base = { regions: 'eu-west-1', 'all-volumes': 'true' }
    expect(settings({ ...base, 'keep-last': '0', 'keep-within': '30d' }).policy).toEqual({
      keepLast: 0,
      keepWithin: '30d',
    })
    expect(settings({ ...base, 'keep-within': '100y' }).policy.keepWithin).toBe('100y')
    expect(settings({ ...base, 'keep-within': '99y12m' }).policy.keepWithin).toBe('99y12m')
  })

  it('reads archive-after, the restore tests and the DR account', () => {
    const read = settings({
      'all-volumes': 'true',
      regions: 'eu-west-1',
      'keep-monthly': '12',
      'archive-after': '90d',
      'verify-restore': 'true',
      'restore-tests-per-run': '3',
      'restore-timeout-minutes': '0.5',
      'dr-region': 'us-east-1',
      'dr-account': '444444444444',
      'dr-role-name': 'prune-dr',
    })
    expect(read).toMatchObject({
      archiveAfter: '90d',
      restoreTests: { perRun: 3 },
      restoreTimeoutMs: 30_000,
      drAccount: '444444444444',
      drRoleName: 'prune-dr',
    })
    const plain = settings({ 'all-volumes': 'true', regions: 'eu-west-1' })
    expect(plain.restoreTests).toBeUndefined()
    expect(plain.archiveAfter).toBeUndefined()
    expect(settings({ 'all-volumes': 'true', regions: 'eu-west-1', 'verify-restore': 'true' })).toMatchObject(
      {
        restoreTests: { perRun: 5 },
        restoreTimeoutMs: 1_800_000,
      },
    )
  })

  it('accepts Multi-Region KMS keys by id and by ARN in the DR region', () => {
    const base = { regions: 'eu-west-1', 'all-volumes': 'true', 'dr-region': 'us-east-2' }
    for (const key of [
      'mrk-1234abcd12ab34cd56ef1234567890ab',
      'arn:aws:kms:us-east-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab',
      'arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws:kms:us-east-2:111122223333:alias/dr',
    ])
      expect(settings({ ...base, 'kms-key-id': key }).kmsKeyId).toBe(key)
  })

  it.each([
    [{ regions: 'eu-west-1', 'keep-last': '0' }, /Input 'keep-last': "0".*another keep rule/],
    [{ regions: 'eu-west-1', 'keep-last': '0', 'keep-monthly': '0' }, /Input 'keep-last'/],
    [
      { regions: 'eu-west-1', 'keep-last': '0', 'keep-within': '0d' },
      /Input 'keep-within': "0d".*longer than zero/,
    ],
    [{ regions: 'eu-west-1', 'keep-within': '0h0d' }, /Input 'keep-within': "0h0d".*longer than zero/],
    [
      { regions: 'eu-west-1', 'keep-last': '0', 'keep-daily': '0', 'keep-weekly': '0', 'keep-monthly': '0' },
      /Input 'keep-last': "0"/,
    ],
    [
      { regions: 'eu-west-1', 'dr-region': 'us-east-1', 'dr-keep-last': '0', 'dr-keep-within': '0y' },
      /Input 'dr-keep-within': "0y"/,
    ],
    [
      { regions: 'eu-west-1', 'keep-within': '1000000y' },
      /Input 'keep-within': "1000000y".*at most 100 years/,
    ],
    [{ regions: 'eu-west-1', 'keep-within': '101y' }, /Input 'keep-within'/],
    [{ regions: 'eu-west-1', 'keep-within': '6000w' }, /Input 'keep-within'/],
    [
      { regions: 'eu-west-1', 'dr-region': 'eu-west-1' },
      /Input 'dr-region': "eu-west-1".*not one of regions/,
    ],
    [
      { regions: 'eu-west-1', 'dr-region': 'us-east-1', 'dr-keep-last': '0', 'keep-last': '3' },
      /Input 'dr-keep-last': "0"/,
    ],
    [
      {
        regions: 'eu-west-1',
        'dr-region': 'us-east-1',
        'kms-key-id': 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab',
      },
      /Input 'kms-key-id'.*\(us-east-1, not eu-west-1\)/,
    ],
    [{ regions: 'eu-west-1', 'dr-region': 'us-east-1', 'kms-key-id': 'mrk-1234' }, /Input 'kms-key-id'/],
    [
      { regions: 'eu-west-1', 'archive-after': '30d' },
      /Input 'archive-after': "30d".*keep-weekly or keep-monthly/,
    ],
    [
      { regions: 'eu-west-1', 'keep-monthly': '6', 'archive-after': '0d' },
      /Input 'archive-after'.*longer than zero/,
    ],
    [{ regions: 'eu-west-1', 'restore-tests-per-run': '3' }, /Input 'restore-tests-per-run'.*verify-restore/],
    [
      { regions: 'eu-west-1', 'restore-timeout-minutes': '5' },
      /Input 'restore-timeout-minutes'.*verify-restore/,
    ],
    [
      { regions: 'eu-west-1', 'verify-restore': 'true', 'restore-tests-per-run': '0' },
      /Input 'restore-tests-per-run'/,
    ],
    [
      { regions: 'eu-west-1', 'dr-account': '444444444444', 'dr-role-name': 'dr' },
      /Input 'dr-account'.*dr-region/,
    ],
    [
      { regions: 'eu-west-1', 'dr-region': 'us-east-1', 'dr-account': '444444444444' },
      /Input 'dr-role-name'.*required with dr-account/,
    ],
    [
      { regions: 'eu-west-1', 'dr-region': 'us-east-1', 'dr-account': '4444', 'dr-role-name': 'dr' },
      /Input 'dr-account': "4444"/,
    ],
    [{ regions: 'eu-west-1', 'dr-role-name': 'dr' }, /Input 'dr-role-name'.*unless dr-account/],
    [
      {
        regions: 'eu-west-1',
        'dr-region': 'us-east-1',
        accounts: '444444444444',
        'role-name': 'target',
        'dr-account': '444444444444',
        'dr-role-name': 'dr',
      },
      /Input 'dr-account'.*not one of accounts/,
    ],
  ])('refuses %j, which cannot mean what it says', (values, message) => {
    expect(() => settings({ 'all-volumes': 'true', ...values })).toThrow(message)
  })

  it.each([
    [{ regions: '' }, /Input 'regions'/],
    [{ regions: 'eu-west-1,eu-west-1' }, /Input 'regions'.*listed twice/],
    [{ regions: 'mars-east-1' }, /Input 'regions'/],
    [{ regions: 'eu-west-1', 'keep-last': '-1' }, /Input 'keep-last': "-1".*whole number from 0/],
    [{ regions: 'eu-west-1', 'keep-last': 'seven' }, /Input 'keep-last'/],
    [{ regions: 'eu-west-1', 'keep-daily': '1.5' }, /Input 'keep-daily'/],
    [{ regions: 'eu-west-1', 'keep-within': '14' }, /Input 'keep-within': "14".*duration such as 14d/],
    [{ regions: 'eu-west-1', 'keep-within': '2 weeks' }, /Input 'keep-within'/],
    [{ regions: 'eu-west-1', filters: 'Backup' }, /Input 'filters'/],
    [{ regions: 'eu-west-1', filters: 'Backup=' }, /Input 'filters'.*Backup=\*/],
    [{ regions: 'eu-west-1', filters: 'A=1,A=2' }, /Input 'filters'.*given twice/],
    [{ regions: 'eu-west-1', 'volume-ids': 'vol-xyz' }, /Input 'volume-ids': "vol-xyz"/],
    [{ regions: 'eu-west-1', 'volume-ids': 'i-0123456789abcdef0' }, /Input 'volume-ids'/],
    [{ regions: 'eu-west-1', 'dr-region': 'cn-north-1' }, /Input 'dr-region'.*one partition/],
    [{ regions: 'eu-west-1', 'dr-keep-last': '2' }, /Input 'dr-keep-last'.*unless dr-region is set/],
    [{ regions: 'eu-west-1', 'kms-key-id': 'alias/x' }, /Input 'kms-key-id'.*unless dr-region/],
    [{ regions: 'eu-west-1', 'dr-region': 'us-east-1', 'kms-key-id': 'my key' }, /Input 'kms-key-id'/],
    [{ regions: 'eu-west-1', 'max-delete': '-5' }, /Input 'max-delete'/],
    [{ regions: 'eu-west-1', 'max-delete': '1e9' }, /Input 'max-delete'/],
    [{ regions: 'eu-west-1', 'max-rate': '0' }, /Input 'max-rate'.*from 0.01/],
    [{ regions: 'eu-west-1', 'max-rate': 'fast' }, /Input 'max-rate'/],
    [{ regions: 'eu-west-1', 'dry-run': 'maybe' }, /Input 'dry-run'.*true or false/],
    [{ regions: 'eu-west-1', 'include-archived': '2' }, /Input 'include-archived'/],
    [{ regions: 'eu-west-1', accounts: '11111111111', 'role-name': 'r' }, /Input 'accounts': "11111111111"/],
    [
      { regions: 'eu-west-1', accounts: '111111111111,111111111111', 'role-name': 'r' },
      /Input 'accounts'.*listed twice/,
    ],
    [{ regions: 'eu-west-1', accounts: '111111111111' }, /Input 'role-name'/],
    [{ regions: 'eu-west-1', accounts: '111111111111', 'role-name': 'ci/target' }, /Input 'role-name'.*path/],
    [
      { regions: 'eu-west-1', accounts: '111111111111', 'role-name': 'arn:aws:iam::111111111111:role/t' },
      /Input 'role-name'.*not an ARN/,
    ],
    [{ regions: 'eu-west-1', 'role-name': 'target' }, /Input 'role-name'.*unless 'accounts'/],
  ])('rejects %j', (values, message) => {
    const all = { 'all-volumes': 'true', ...values } as Record<string, string>
    if (all.filters || all['volume-ids']) delete all['all-volumes']
    expect(() => settings(all)).toThrow(InputError)
    expect(() => settings(all)).toThrow(message)
  })
})
