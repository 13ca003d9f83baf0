import type { ScanStats } from './results.js'

/**
 * Spectrum scan statistics of the measured queries, by Redshift query id, from
 * the engine's system views. Both keep one row per query segment, so the
 * statistics are summed per query (parallelism: the largest).
 *
 * - Provisioned clusters: SVL_S3QUERY_SUMMARY (`query`, `s3_scanned_bytes`,
 *   `s3_scanned_rows`, `s3query_returned_rows`, `files`,
 *   `max_request_parallelism`).
 * - Serverless workgroups: SYS_EXTERNAL_QUERY_DETAIL, where the SVL views do not
 *   exist. Its columns differ: `returned_bytes` and `returned_rows` are "the
 *   number of scanned bytes [rows] for an Amazon S3 query", `scanned_files` the
 *   files, and rows of `source_type` `PG` are federated queries, not Spectrum.
 *   The view has no count of rows handed back to the cluster and no request
 *   parallelism, so those stay null rather than being filled with another
 *   column's meaning. Its `total_partitions` and `qualified_partitions` are the
 *   partitions of the table and those the query scanned.
 * - Partitions on clusters: SVL_S3PARTITION_SUMMARY (`total_partitions`,
 *   `qualified_partitions`, one row per segment), joined by query.
 */
export function scanStatsSql(serverless: boolean, queryIds: readonly number[]): string {
  const ids = queryIds.filter((id) => Number.isSafeInteger(id)).join(', ')
  if (serverless) {
    return `SELECT query_id AS query, SUM(returned_bytes) AS bytes_scanned, SUM(returned_rows) AS rows_scanned, SUM(scanned_files) AS files, SUM(total_partitions) AS partitions_total, SUM(qualified_partitions) AS partitions_qualified FROM sys_external_query_detail WHERE TRIM(source_type) = 'S3' AND query_id IN (${ids}) GROUP BY query_id`
  }
  // Partitions come from SVL_S3PARTITION_SUMMARY (one row per segment that pruned partitions).
  const partitions = `SELECT query, SUM(total_partitions) AS partitions_total, SUM(qualified_partitions) AS partitions_qualified FROM svl_s3partition_summary WHERE query IN (${ids}) GROUP BY query`
  return `SELECT s.query, SUM(s.s3_scanned_bytes) AS bytes_scanned, SUM(s.s3_scanned_rows) AS rows_scanned, SUM(s.s3query_returned_rows) AS rows_returned, SUM(s.files) AS files, MAX(s.max_request_parallelism) AS parallelism, MAX(p.partitions_total) AS partitions_total, MAX(p.partitions_qualified) AS partitions_qualified FROM svl_s3query_summary s LEFT JOIN (${partitions}) p ON p.query = s.query WHERE s.query IN (${ids}) GROUP BY s.query`
}

function toNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null
  const n = Number(value)
  return Number.isFinite(n) ? n : null
}

/** Maps the rows of scanStatsSql to statistics by query id. */
export function parseScanRows(rows: ReadonlyArray<Record<string, unknown>>): Map<number, ScanStats> {
  const out = new Map<number, ScanStats>()
  for (const row of rows) {
    const query = toNumber(row.query)
    if (query === null) continue
    out.set(query, {
      bytesScanned: toNumber(row.bytes_scanned) ?? 0,
      rowsScanned: toNumber(row.rows_scanned) ?? 0,
      rowsReturned: toNumber(row.rows_returned),
      files: toNumber(row.files) ?? 0,
      parallelism: toNumber(row.parallelism),
      // No partitioned table read: no partition counts (0 of 0 would read as "all pruned").
      partitionsTotal: toNumber(row.partitions_total) || null,
      partitionsQualified: toNumber(row.partitions_total) ? toNumber(row.partitions_qualified) : null,
    })
  }
  return out
}
