import { rewriteStartTimes } from '../../../demo/snapshot-ages.js'

const item = (id: string, tags = '') =>
  `<item>${tags}<snapshotId>${id}</snapshotId><volumeId>vol-1</volumeId><startTime>2026-11-26T06:00:00.000Z</startTime></item>`

describe('rewriteStartTimes', () => {
  const ages = new Map([['snap-old', '2026-10-30T02:00:00.000Z']])

  it('answers the recorded time for known snapshots and leaves the others alone', () => {
    const xml = `<snapshotSet>${item('snap-old')}${item('snap-copy')}</snapshotSet>`
    expect(rewriteStartTimes(xml, ages)).toBe(
      `<snapshotSet>${item('snap-old').replace('2026-11-26T06:00:00.000Z', '2026-10-30T02:00:00.000Z')}${item('snap-copy')}</snapshotSet>`,
    )
  })

  it('treats tag items nested in a snapshot as part of it, wherever they come', () => {
    const tags = '<tagSet><item><key>Backup</key><value>nightly</value></item></tagSet>'
    const out = rewriteStartTimes(
      `<snapshotSet>${item('snap-old', tags)}${item('snap-copy', tags)}</snapshotSet>`,
      ages,
    )
    expect(out.match(/<startTime>[^<]+/g)).toEqual([
      '<startTime>2026-10-30T02:00:00.000Z',
      '<startTime>2026-11-26T06:00:00.000Z',
    ])
    expect(out).toContain(tags)
  })

  it('returns an answer without snapshots unchanged', () => {
    const xml = '<DescribeSnapshotsResponse><snapshotSet/></DescribeSnapshotsResponse>'
    expect(rewriteStartTimes(xml, ages)).toBe(xml)
  })
})
