import { Inputs, InputError, mapInputReader } from '../../../lib/inputs.js'
import { getSettings } from '../../../actions/prune-snapshots/src/input-helper.js'

const settings = (values: Record<string, string>) => getSettings(new Inputs(mapInputReader(values)))

describe('getSettings', () => {
  it('applies the documented defaults', () => {
    expect(settings({ regions: 'eu-west-1, us-east-1' })).toEqual({
      regions: ['eu-west-1', 'us-east-1'],
      filters: [],
      volumeIds: [],
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
  ])('rejects %j', (values, message) => {
    expect(() => settings(values as Record<string, string>)).toThrow(InputError)
    expect(() => settings(values as Record<string, string>)).toThrow(message)
  })
})
