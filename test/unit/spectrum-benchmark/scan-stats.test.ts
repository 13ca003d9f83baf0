import { parseScanRows, scanStatsSql } from '../../../actions/spectrum-benchmark/src/scan-stats.js'

describe('scan statistics', () => {
  it('reads SVL_S3QUERY_SUMMARY on clusters and SYS_EXTERNAL_QUERY_DETAIL on serverless', () => {
    expect(scanStatsSql(false, [11, 12])).toMatch(
      /FROM svl_s3query_summary s LEFT JOIN \(.*\) p ON p.query = s.query WHERE s.query IN \(11, 12\) GROUP BY s.query$/,
    )
    expect(scanStatsSql(true, [11])).toMatch(
      /FROM sys_external_query_detail WHERE TRIM\(source_type\) = 'S3' AND query_id IN \(11\) GROUP BY query_id$/,
    )
  })
  it('names only columns SYS_EXTERNAL_QUERY_DETAIL has: returned_bytes and returned_rows are the scanned ones', () => {
    const sql = scanStatsSql(true, [11])
    expect(sql).toContain('SUM(returned_bytes) AS bytes_scanned')
    expect(sql).toContain('SUM(returned_rows) AS rows_scanned')
    expect(sql).toContain('SUM(scanned_files) AS files')
    expect(sql).not.toMatch(/scanned_bytes|scanned_rows|rows_returned|parallelism/)
  })
  it('keeps only whole numbers in the id list', () => {
    expect(scanStatsSql(false, [1, 1.5, Number.NaN])).toContain('IN (1)')
  })
  it('maps rows by query id, numbers given as strings included', () => {
    const stats = parseScanRows([
      { query: 7, bytes_scanned: '2048', rows_scanned: 10, rows_returned: 4, files: 2, parallelism: null },
      { query: null, bytes_scanned: 1 },
    ])
    expect([...stats]).toEqual([
      [
        7,
        {
          bytesScanned: 2048,
          rowsScanned: 10,
          rowsReturned: 4,
          files: 2,
          parallelism: null,
          partitionsTotal: null,
          partitionsQualified: null,
        },
      ],
    ])
  })
  it('reads partitions from SVL_S3PARTITION_SUMMARY on clusters and SYS_EXTERNAL_QUERY_DETAIL on serverless', () => {
    expect(scanStatsSql(false, [11])).toContain(
      'SELECT query, SUM(total_partitions) AS partitions_total, SUM(qualified_partitions) AS partitions_qualified FROM svl_s3partition_summary WHERE query IN (11) GROUP BY query',
    )
    const serverless = scanStatsSql(true, [11])
    expect(serverless).toContain('SUM(total_partitions) AS partitions_total')
    expect(serverless).toContain('SUM(qualified_partitions) AS partitions_qualified')
    const stats = parseScanRows([
      {
        query: 1,
        bytes_scanned: 1,
        rows_scanned: 1,
        files: 9,
        partitions_total: 144,
        partitions_qualified: 9,
      },
      { query: 2, bytes_scanned: 1, rows_scanned: 1, files: 1, partitions_total: 0, partitions_qualified: 0 },
    ])
    expect(stats.get(1)).toMatchObject({ partitionsTotal: 144, partitionsQualified: 9 })
    // An unpartitioned table: no partitions at all, not "0 of 0 read".
    expect(stats.get(2)).toMatchObject({ partitionsTotal: null, partitionsQualified: null })
  })
})
