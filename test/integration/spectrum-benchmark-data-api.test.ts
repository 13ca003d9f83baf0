import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  RedshiftDataClient,
  type DescribeStatementResponse,
} from '@aws-sdk/client-redshift-data'
import { PLAN_NOISE } from '../support/redshift-data-engine.js'
import { startRedshiftDataApi, type RedshiftDataApi } from '../support/redshift-data-server.js'

/** The local Redshift Data API endpoint, driven by the real SDK v3 client. */
describe('local Redshift Data API endpoint', () => {
  let api: RedshiftDataApi
  let client: RedshiftDataClient
  const target = { WorkgroupName: 'poc', Database: 'dev' }

  beforeAll(async () => {
    api = await startRedshiftDataApi({ pageSize: 4 })
    client = new RedshiftDataClient({
      region: 'us-east-1',
      endpoint: api.endpoint,
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'example' },
      maxAttempts: 1,
    })
  }, 240_000)
  afterAll(async () => {
    client?.destroy()
    await api?.close()
  })

  async function finish(id: string): Promise<DescribeStatementResponse> {
    for (;;) {
      const d = await client.send(new DescribeStatementCommand({ Id: id }))
      if (['FINISHED', 'FAILED', 'ABORTED'].includes(d.Status ?? '')) return d
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  it('runs a statement: Duration in nanoseconds, dates that parse, typed records in pages', async () => {
    const started = await client.send(
      new ExecuteStatementCommand({
        ...target,
        Sql: 'SELECT d_datekey, d_month, d_year > :y AS late, NULL::int AS nothing, 1.5::float8 AS x FROM dwdate WHERE d_year = :y ORDER BY 1 LIMIT 10',
        Parameters: [{ name: 'y', value: '1998' }],
        StatementName: 'typed',
      }),
    )
    expect(started.CreatedAt).toBeInstanceOf(Date)
    expect(Math.abs(started.CreatedAt!.getTime() - Date.now())).toBeLessThan(60_000)
    const d = await finish(started.Id!)
    expect(d).toMatchObject({
      Status: 'FINISHED',
      HasResultSet: true,
      ResultRows: 10,
      QueryString: expect.stringContaining(':y'),
    })
    expect(d.Duration).toBeGreaterThan(1000)
    expect(d.Duration).toBeLessThan(60e9)
    expect(typeof d.RedshiftQueryId).toBe('number')
    const first = await client.send(new GetStatementResultCommand({ Id: started.Id }))
    expect(first.ColumnMetadata!.map((c) => [c.name, c.typeName])).toEqual([
      ['d_datekey', 'int4'],
      ['d_month', 'varchar'],
      ['late', 'bool'],
      ['nothing', 'int4'],
      ['x', 'float8'],
    ])
    expect(first.TotalNumRows).toBe(10)
    expect(first.Records![0]).toEqual([
      { longValue: 19980101 },
      { stringValue: 'January' },
      { booleanValue: false },
      { isNull: true },
      { doubleValue: 1.5 },
    ])
    const pages = [first.Records!.length]
    let token = first.NextToken
    while (token) {
      const page = await client.send(new GetStatementResultCommand({ Id: started.Id, NextToken: token }))
      pages.push(page.Records!.length)
      token = page.NextToken
    }
    expect(pages).toEqual([4, 4, 2])
  })

  it('runs a batch as one transaction: sub-statement ids, a failure rolls back and aborts the rest', async () => {
    const ok = await client.send(
      new BatchExecuteStatementCommand({
        ...target,
        Sqls: [
          'CREATE TABLE t_batch (a int)',
          'INSERT INTO t_batch VALUES (1), (2)',
          'SELECT * FROM t_batch',
        ],
      }),
    )
    const d = await finish(ok.Id!)
    expect(d.Status).toBe('FINISHED')
    expect(d.SubStatements!.map((s) => [s.Id, s.Status, s.HasResultSet])).toEqual([
      [`${ok.Id}:1`, 'FINISHED', false],
      [`${ok.Id}:2`, 'FINISHED', false],
      [`${ok.Id}:3`, 'FINISHED', true],
    ])
    const rows = await client.send(new GetStatementResultCommand({ Id: `${ok.Id}:3` }))
    expect(rows.Records).toEqual([[{ longValue: 1 }], [{ longValue: 2 }]])

    const bad = await client.send(
      new BatchExecuteStatementCommand({
        ...target,
        Sqls: ['INSERT INTO t_batch VALUES (3)', 'SELECT missing FROM t_batch', 'SELECT 1'],
      }),
    )
    const failed = await finish(bad.Id!)
    expect(failed.Status).toBe('FAILED')
    expect(failed.Error).toMatch(/column "missing" does not exist/)
    expect(failed.SubStatements!.map((s) => s.Status)).toEqual(['FINISHED', 'FAILED', 'ABORTED'])
    const count = await client.send(
      new ExecuteStatementCommand({ ...target, Sql: 'SELECT COUNT(*) AS n FROM t_batch' }),
    )
    await finish(count.Id!)
    expect((await client.send(new GetStatementResultCommand({ Id: count.Id }))).Records).toEqual([
      [{ longValue: 2 }],
    ])
  })

  it('keeps a session: Redshift-only settings are accepted and apply to later statements', async () => {
    const opened = await client.send(
      new BatchExecuteStatementCommand({
        ...target,
        Sqls: ['SET enable_result_cache_for_session TO off', "SET query_group TO 'nightly'"],
        SessionKeepAliveSeconds: 60,
      }),
    )
    expect(opened.SessionId).toBeDefined()
    await finish(opened.Id!)
    const ids: string[] = []
    for (let i = 0; i < 2; i++) {
      const s = await client.send(
        new ExecuteStatementCommand({ Sql: 'SELECT COUNT(*) FROM customer', SessionId: opened.SessionId }),
      )
      ids.push(s.Id!)
      await finish(s.Id!)
    }
    const records = ids.map((id) => api.engine.statements.get(id)!)
    expect(records.map((r) => [r.sessionId, r.queryGroup, r.fromResultCache ?? false])).toEqual([
      [opened.SessionId, 'nightly', false],
      [opened.SessionId, 'nightly', false],
    ])
    // Outside the session the result cache is on (Redshift's default): a repeat is answered from it.
    const a = await client.send(
      new ExecuteStatementCommand({ ...target, Sql: 'SELECT COUNT(*) FROM customer' }),
    )
    await finish(a.Id!)
    expect(api.engine.statements.get(a.Id!)!.fromResultCache).toBe(true)
    await expect(
      client.send(new ExecuteStatementCommand({ ...target, Sql: 'SELECT 1', SessionId: opened.SessionId })),
    ).rejects.toMatchObject({ name: 'ValidationException' })
    await expect(
      client.send(new ExecuteStatementCommand({ Sql: 'SELECT 1', SessionId: 'no-such-session' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    })
  })

  it('answers a repeated ClientToken with the first statement, and refuses it for another request', async () => {
    const input = { ...target, Sql: 'SELECT 42', ClientToken: 'token-1' }
    const first = await client.send(new ExecuteStatementCommand(input))
    const again = await client.send(new ExecuteStatementCommand(input))
    expect(again.Id).toBe(first.Id)
    await expect(
      client.send(new ExecuteStatementCommand({ ...input, Sql: 'SELECT 43' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    })
  })

  it('cancels a running statement, lists statements and reports unknown ids', async () => {
    const stop = api.engine.addSlowdown({ pattern: /pg_class/, extraMs: 10_000 })
    try {
      const s = await client.send(
        new ExecuteStatementCommand({
          ...target,
          Sql: 'SELECT COUNT(*) FROM pg_class',
          StatementName: 'slow-one',
        }),
      )
      await new Promise((r) => setTimeout(r, 300))
      expect((await client.send(new CancelStatementCommand({ Id: s.Id }))).Status).toBe(true)
      const d = await finish(s.Id!)
      expect(d.Status).toBe('ABORTED')
      const listed = await client.send(
        new ListStatementsCommand({ StatementName: 'slow', Status: 'ABORTED' }),
      )
      expect(listed.Statements!.map((x) => x.Id)).toEqual([s.Id])
      expect(listed.Statements![0]!.CreatedAt).toBeInstanceOf(Date)
      await expect(client.send(new CancelStatementCommand({ Id: s.Id }))).rejects.toMatchObject({
        name: 'ValidationException',
      })
    } finally {
      stop()
    }
    await expect(client.send(new DescribeStatementCommand({ Id: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    })
    await expect(
      client.send(new ExecuteStatementCommand({ Database: 'dev', Sql: 'SELECT 1' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    })
  })

  it('derives Duration from the plan with seeded noise: steady runs, more work takes longer', async () => {
    const durationOf = async (sql: string) => {
      const s = await client.send(new ExecuteStatementCommand({ ...target, Sql: sql }))
      return (await finish(s.Id!)).Duration! / 1e6
    }
    const pruned =
      'SELECT SUM(adrevenue) FROM spectrum.uservisits_partitioned WHERE customer = 2 AND visityearmonth = 199801'
    const all = 'SELECT SUM(adrevenue) FROM spectrum.uservisits_partitioned'
    const prunedRuns: number[] = []
    const allRuns: number[] = []
    // A comment makes each run a new text, which the result cache does not answer.
    for (let i = 0; i < 5; i++) {
      prunedRuns.push(await durationOf(`/* run ${i} */ ${pruned}`))
      allRuns.push(await durationOf(`/* run ${i} */ ${all}`))
    }
    for (const runs of [prunedRuns, allRuns]) {
      expect(Math.max(...runs) / Math.min(...runs)).toBeLessThan(1 + 2 * PLAN_NOISE + 1e-9)
      expect(new Set(runs).size).toBeGreaterThan(1)
    }
    expect(Math.min(...allRuns)).toBeGreaterThan(10 * Math.max(...prunedRuns))
  })

  it('adds injected server time to matching statements only, inside Duration', async () => {
    const stop = api.engine.addSlowdown({ pattern: /slow me/, extraMs: 300 })
    try {
      const slow = await client.send(new ExecuteStatementCommand({ ...target, Sql: 'SELECT 1 AS "slow me"' }))
      const fast = await client.send(
        new ExecuteStatementCommand({ ...target, Sql: 'SELECT 1 AS "leave me"' }),
      )
      expect((await finish(slow.Id!)).Duration).toBeGreaterThanOrEqual(300e6)
      expect((await finish(fast.Id!)).Duration).toBeLessThan(300e6)
    } finally {
      stop()
    }
  })

  it('records Spectrum scans in SVL_S3QUERY_SUMMARY and SYS_EXTERNAL_QUERY_DETAIL', async () => {
    const q = await client.send(
      new ExecuteStatementCommand({
        ...target,
        Sql: 'SELECT COUNT(*) FROM spectrum.uservisits_partitioned WHERE customer = 2 AND visityearmonth BETWEEN 199801 AND 199803',
      }),
    )
    const d = await finish(q.Id!)
    const read = async (sql: string) => {
      const s = await client.send(new ExecuteStatementCommand({ ...target, Sql: sql }))
      await finish(s.Id!)
      return (await client.send(new GetStatementResultCommand({ Id: s.Id }))).Records
    }
    expect(
      await read(
        `SELECT files, s3_scanned_rows, is_partitioned FROM svl_s3query_summary WHERE query = ${d.RedshiftQueryId}`,
      ),
    ).toEqual([[{ longValue: 3 }, { longValue: 3 * 160 }, { stringValue: 't' }]])
    expect(
      await read(
        `SELECT scanned_files, total_partitions FROM sys_external_query_detail WHERE query_id = ${d.RedshiftQueryId}`,
      ),
    ).toEqual([[{ longValue: 3 }, { longValue: 144 }]])
  })

  // The columns of the Amazon Redshift Database Developer Guide's "Table columns" sections, in order.
  const DOCUMENTED = {
    svl_s3query_summary: [
      'userid',
      'query',
      'xid',
      'pid',
      'segment',
      'step',
      'starttime',
      'endtime',
      'elapsed',
      'aborted',
      'external_table_name',
      'file_format',
      'is_partitioned',
      'is_rrscan',
      'is_nested',
      's3_scanned_rows',
      's3_scanned_bytes',
      's3query_returned_rows',
      's3query_returned_bytes',
      'files',
      'files_max',
      'files_avg',
      'splits',
      'splits_max',
      'splits_avg',
      'total_split_size',
      'max_split_size',
      'avg_split_size',
      'total_retries',
      'max_retries',
      'max_request_duration',
      'avg_request_duration',
      'max_request_parallelism',
      'avg_request_parallelism',
      'total_slowdown_count',
      'max_slowdown_count',
    ],
    sys_external_query_detail: [
      'user_id',
      'query_id',
      'transaction_id',
      'child_query_sequence',
      'segment_id',
      'source_type',
      'start_time',
      'end_time',
      'duration',
      'total_partitions',
      'qualified_partitions',
      'scanned_files',
      'returned_rows',
      'returned_bytes',
      'file_format',
      'file_location',
      'external_query_text',
      'warning_message',
      'table_name',
      'is_recursive',
      'is_nested',
      's3list_time',
      'get_partition_time',
      'query_uuid',
    ],
  }

  it.each(Object.entries(DOCUMENTED))('has exactly the documented columns in %s', async (view, columns) => {
    const s = await client.send(
      new ExecuteStatementCommand({
        ...target,
        Sql: `SELECT column_name FROM information_schema.columns WHERE table_name = '${view}' ORDER BY ordinal_position`,
      }),
    )
    await finish(s.Id!)
    const names: Array<string | undefined> = []
    let token: string | undefined
    do {
      const page = await client.send(new GetStatementResultCommand({ Id: s.Id, NextToken: token }))
      names.push(...(page.Records ?? []).map((r) => r[0]!.stringValue))
      token = page.NextToken
    } while (token)
    expect(names).toEqual(columns)
  })

  it('has no scanned_bytes or scanned_rows in SYS_EXTERNAL_QUERY_DETAIL, as in Redshift', async () => {
    const s = await client.send(
      new ExecuteStatementCommand({ ...target, Sql: 'SELECT scanned_bytes FROM sys_external_query_detail' }),
    )
    expect(await finish(s.Id!)).toMatchObject({
      Status: 'FAILED',
      Error: expect.stringMatching(/column "scanned_bytes" does not exist/),
    })
  })
})
