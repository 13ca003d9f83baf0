import { createHash, randomUUID } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { mulberry32 } from './random.js'
import { redshiftPlan } from './redshift-explain.js'
import { seedSpectrumPoc, type SeedOptions } from './spectrum-poc-seed.js'

/**
 * The statement engine behind the local Redshift Data API endpoint
 * (redshift-data-server.ts). It keeps the Data API's bookkeeping (statements,
 * batches with sub-statements, sessions, client tokens) and runs the SQL for
 * real on an embedded PostgreSQL (PGlite). Behaviours follow the Amazon Redshift
 * Data API reference (API_ExecuteStatement, API_BatchExecuteStatement,
 * API_DescribeStatement, API_GetStatementResult, API_CancelStatement,
 * API_ListStatements) and the "Using the Amazon Redshift Data API" guide:
 *
 * - ExecuteStatement and BatchExecuteStatement return at once with an Id; the SQL
 *   runs afterwards (SUBMITTED -> STARTED -> FINISHED | FAILED | ABORTED).
 * - ExecuteStatement takes a single SQL statement; `:name` placeholders take
 *   their values from Parameters.
 * - A batch runs its statements in order as one transaction (ExecutionMode
 *   TRANSACTION, the default): a failing statement rolls the batch back, is
 *   FAILED, and the statements after it are ABORTED. Sub-statement Ids are the
 *   batch Id with the suffix `:1`, `:2`, ...
 * - Duration is in nanoseconds and covers the statement's own execution (not
 *   the HTTP exchange, not the queue wait). By default (`timing: 'plan'`) it is
 *   derived, not measured: the work of the statement's plan (PostgreSQL's
 *   EXPLAIN total cost, so a query that reads more partitions or rows takes
 *   longer, the way it would on Redshift) at MS_PER_PLAN_COST, times a seeded
 *   noise of at most +-PLAN_NOISE, plus any injected server time. The same
 *   statement so takes the same time give or take a couple of percent on any
 *   machine, however busy, and a 10% regression gate can be tested end to end;
 *   measured times of queries of a few milliseconds on an embedded engine swing
 *   by 2x on a shared machine. Statements without a plan (SET, DDL) take
 *   NO_PLAN_MS. `timing: 'cpu'` gives the CPU time PGlite spent, `'wall'` wall time.
 * - The same ClientToken with the same request answers with the statement made
 *   by the first request (idempotency); with a different request it is refused.
 * - SessionKeepAliveSeconds opens a session that keeps its database connection
 *   after the statement ends; SessionId runs the next statement on it. A session
 *   runs one statement at a time, and connection parameters (cluster,
 *   workgroup, database) are not given together with SessionId.
 *
 * Departures that do not matter to the tests, each on purpose:
 * - PGlite is one connection, so all sessions share it: the Redshift-only session
 *   settings (enable_result_cache_for_session, query_group) are kept per session
 *   by the engine, while PostgreSQL SETs are shared. Statements run one at a time.
 * - CancelStatement marks a running statement ABORTED and discards its result;
 *   PGlite finishes the SQL it is running (an injected slowdown is cut short).
 * - Pages of GetStatementResult hold `pageSize` rows (AWS: up to 100 MB).
 */

export type StatementStatus = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED'

export interface SqlParameter {
  name: string
  value: string
}

export interface ResultField {
  name: string
  dataTypeID: number
}

export interface StatementRecord {
  id: string
  sql: string
  parameters?: SqlParameter[]
  status: StatementStatus
  error?: string
  createdAt: number
  updatedAt: number
  durationNs: number
  resultRows: number
  resultSize: number
  hasResultSet: boolean
  fields?: ResultField[]
  rows?: unknown[][]
  redshiftQueryId: number
  /** For a batch: its sub-statements. */
  subStatements?: StatementRecord[]
  isBatch: boolean
  statementName?: string
  sessionId?: string
  clusterIdentifier?: string
  workgroupName?: string
  database?: string
  dbUser?: string
  secretArn?: string
  /** The query_group label in effect, as Redshift records it with the query. */
  queryGroup?: string
  /** Whether the answer came from the (emulated) result cache. */
  fromResultCache?: boolean
}

export interface Session {
  id: string
  keepAliveSeconds: number
  /** Top-level statements run in the session. */
  statements: StatementRecord[]
  /** When it was opened: a session counts as active from then until its first statement ends. */
  openedAt: number
  resultCache: boolean
  queryGroup?: string
  clusterIdentifier?: string
  workgroupName?: string
  database?: string
  dbUser?: string
  secretArn?: string
}

/** Extra server time for statements whose SQL matches, to test regression gates end to end. */
export interface Slowdown {
  pattern: RegExp
  /** Milliseconds added to each matching execution. */
  extraMs?: number
  /** Multiplies the measured execution time (1.3 = 30% slower). */
  factor?: number
  /** The execution takes this long, whatever its plan (before extraMs and factor). */
  fixedMs?: number
  /** Compile time of each matching run (a cold compile cache): in Duration and the views' compile time. */
  compileMs?: number
  /** Time each matching run waits in the WLM queue: in the views' queue time, not in Duration. */
  queueMs?: number
}

/** An error answered to the caller with the Data API's error type. */
export class DataApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message)
    this.name = type
  }
}

export interface ScanLogRow {
  query: number
  tableName: string
  isPartitioned: boolean
  scannedRows: number
  scannedBytes: number
  returnedRows: number
  files: number
  totalPartitions: number
}

export interface EngineOptions {
  seed?: boolean | SeedOptions
  pageSize?: number
  /**
   * What Duration is: derived from the statement's plan with seeded noise
   * (default, the same on any machine), or measured: the engine's CPU time or wall time.
   */
  timing?: 'plan' | 'cpu' | 'wall'
  /** Seed of the timing noise (`timing: 'plan'`), so a run replays exactly. */
  noiseSeed?: number
}

/** Milliseconds per unit of PostgreSQL plan cost: the PoC queries take 10 to 50 ms. */
export const MS_PER_PLAN_COST = 0.05
/** Largest relative noise on a plan-derived duration (2%). */
export const PLAN_NOISE = 0.02
/** Duration of a statement without a plan (SET, DDL), in milliseconds. */
export const NO_PLAN_MS = 0.5

export interface ConnectionParams {
  ClusterIdentifier?: string
  WorkgroupName?: string
  Database?: string
  DbUser?: string
  SecretArn?: string
  SessionId?: string
  SessionKeepAliveSeconds?: number
  StatementName?: string
  ClientToken?: string
}

const REDSHIFT_SET =
  /^\s*(set|reset)\s+(enable_result_cache_for_session|query_group)\b(?:\s*(?:to|=)\s*(.*?))?\s*;?\s*$/is
const READ_ONLY = /^\s*(\(\s*)*(select|with|values|show|explain)\b/i
/** `EXPLAIN <query>`, answered in Redshift's shape (redshift-explain.ts). */
const EXPLAIN = /^\s*explain\s+(?!\()(?!verbose\b)([\s\S]+)$/i
const EXTERNAL_SCHEMA = /\bspectrum\s*\./i
/** Statements PostgreSQL's EXPLAIN takes. */
const PLANNABLE = /^\s*(\(\s*)*(select|with|values|insert|update|delete)\b/i

/** Read through a call: a CancelStatement request may change the status while a statement awaits. */
function aborted(record: StatementRecord): boolean {
  return record.status === 'ABORTED'
}

const ACTIVE: readonly StatementStatus[] = ['SUBMITTED', 'PICKED', 'STARTED']

/** A session runs one statement at a time: it is busy while its last statement has not ended. */
function sessionBusy(session: Session): boolean {
  return session.statements.some((s) => ACTIVE.includes(s.status))
}

/** The keep-alive time counts from the end of the session's last statement. */
function sessionExpired(session: Session): boolean {
  if (sessionBusy(session)) return false
  const lastEnd = Math.max(session.openedAt, ...session.statements.map((s) => s.updatedAt))
  return nowMs() > lastEnd + session.keepAliveSeconds * 1000
}

function nowMs(): number {
  return Date.now()
}

/** The statement without its leading comments, to tell what kind of statement it is. */
function statementHead(sql: string): string {
  return sql.replace(/^(\s*(--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/))*\s*/, '')
}

function stripTrailingSemicolon(sql: string): string {
  return sql.replace(/;\s*$/, '')
}

/** Turns the Data API's `:name` placeholders into PostgreSQL's `$n`, outside quotes and `::` casts. */
export function bindParameters(
  sql: string,
  parameters: SqlParameter[] | undefined,
): { text: string; values: string[] } {
  if (!parameters || parameters.length === 0) return { text: sql, values: [] }
  const index = new Map<string, number>()
  parameters.forEach((p, i) => index.set(p.name, i + 1))
  let out = ''
  let i = 0
  while (i < sql.length) {
    const ch = sql[i]!
    if (ch === "'" || ch === '"') {
      const end = sql.indexOf(ch, i + 1)
      const stop = end === -1 ? sql.length : end + 1
      out += sql.slice(i, stop)
      i = stop
    } else if (ch === ':' && sql[i + 1] === ':') {
      out += '::'
      i += 2
    } else if (ch === ':' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))![0]
      const n = index.get(name)
      if (n === undefined)
        throw new DataApiError('ValidationException', `No value given for the parameter :${name}`)
      out += `$${n}`
      i += 1 + name.length
    } else {
      out += ch
      i++
    }
  }
  return { text: out, values: parameters.map((p) => p.value) }
}

/**
 * The Spectrum system views, answered from the engine's own scan log, with
 * exactly the columns the Amazon Redshift Database Developer Guide lists (and
 * no others), so a query naming a column that Redshift does not have fails here
 * as it would there:
 *
 * - SVL_S3QUERY_SUMMARY (provisioned clusters): "Use the SVL_S3QUERY_SUMMARY
 *   view to get a summary of all Amazon Redshift Spectrum queries (S3 queries)
 *   that have been run on the system. SVL_S3QUERY_SUMMARY aggregates detail from
 *   SVL_S3QUERY at the segment level." Its own columns: `s3_scanned_rows`,
 *   `s3_scanned_bytes` ("scanned from Amazon S3 and sent to the Redshift
 *   Spectrum layer"), `s3query_returned_rows`, `s3query_returned_bytes`
 *   ("returned from the Redshift Spectrum layer to the cluster"), `files`, ...
 * - SYS_EXTERNAL_QUERY_DETAIL (serverless and provisioned): "Each row represents
 *   a segment from a particular WLM query". It has no `scanned_bytes` or
 *   `scanned_rows`: `returned_rows` is "The number of scanned rows for an Amazon
 *   S3 query, or the number of returned rows for a federated query",
 *   `returned_bytes` likewise, `scanned_files` "The number of Amazon S3 files
 *   scanned", `qualified_partitions` "The number of partitions an Amazon S3
 *   query scanned".
 *
 * - SVL_S3PARTITION_SUMMARY (clusters): a row per segment that read a
 *   partitioned table, `total_partitions` and `qualified_partitions` ("Total
 *   number of qualified partitions").
 * - SYS_QUERY_HISTORY (serverless): a row per query, `queue_time`,
 *   `compile_time` and `execution_time` in microseconds; STL_WLM_QUERY and
 *   SVL_COMPILE (clusters): `total_queue_time` and `total_exec_time` (compile
 *   included), and a row per compiled segment with `compile` 1.
 *
 * Simpler than Redshift: one row per table read (one segment each), one slice,
 * no retries or slow-downs, request durations 0, and a table's "files" are the
 * leaf tables read (one per partition). The query history has one segment per
 * query, no compile or queue time unless a Slowdown injects it, and an
 * execution time equal to the statement's Duration less compile time. The log is written after each
 * statement that read the `spectrum` schema, from PostgreSQL's per-table read
 * counters.
 */
async function createSystemViews(db: PGlite): Promise<void> {
  await db.exec(`
    CREATE SCHEMA IF NOT EXISTS redshift_local;
    CREATE TABLE redshift_local.scan_log (
      query integer NOT NULL,
      segment integer NOT NULL,
      external_table_name text NOT NULL,
      is_partitioned boolean NOT NULL,
      s3_scanned_rows bigint NOT NULL,
      s3_scanned_bytes bigint NOT NULL,
      s3query_returned_rows bigint NOT NULL,
      s3query_returned_bytes bigint NOT NULL,
      files integer NOT NULL,
      total_partitions integer NOT NULL,
      starttime timestamp NOT NULL DEFAULT now()
    );
    CREATE VIEW public.svl_s3query_summary AS
      SELECT 100 AS userid, query, (query + 1000000)::bigint AS xid, 1073741824 AS pid, segment, 0 AS step,
        starttime, starttime AS endtime, 0 AS elapsed, 0 AS aborted,
        external_table_name::char(136) AS external_table_name, 'PARQUET'::char(16) AS file_format,
        (CASE WHEN is_partitioned THEN 't' ELSE 'f' END)::char(1) AS is_partitioned,
        'f'::char(1) AS is_rrscan, 'f'::char(1) AS is_nested,
        s3_scanned_rows, s3_scanned_bytes, s3query_returned_rows, s3query_returned_bytes,
        files, files AS files_max, files AS files_avg, files AS splits, 1 AS splits_max, 1 AS splits_avg,
        s3_scanned_bytes AS total_split_size, (s3_scanned_bytes / greatest(files, 1))::bigint AS max_split_size,
        (s3_scanned_bytes / greatest(files, 1))::bigint AS avg_split_size,
        0 AS total_retries, 0 AS max_retries, 0 AS max_request_duration, 0::double precision AS avg_request_duration,
        LEAST(files, 10) AS max_request_parallelism, LEAST(files, 10)::double precision AS avg_request_parallelism,
        0::bigint AS total_slowdown_count, 0 AS max_slowdown_count
      FROM redshift_local.scan_log;
    CREATE VIEW public.sys_external_query_detail AS
      SELECT 100 AS user_id, query::bigint AS query_id, (query + 1000000)::bigint AS transaction_id,
        0 AS child_query_sequence, segment AS segment_id, 'S3'::char(32) AS source_type,
        starttime AS start_time, starttime AS end_time, 0::bigint AS duration,
        total_partitions, (CASE WHEN is_partitioned THEN files ELSE 0 END) AS qualified_partitions,
        files::bigint AS scanned_files, s3_scanned_rows AS returned_rows, s3_scanned_bytes AS returned_bytes,
        'PARQUET'::text AS file_format, ('s3://spectrum-poc/' || external_table_name || '/')::text AS file_location,
        ''::text AS external_query_text, ''::char(4000) AS warning_message,
        external_table_name::char(136) AS table_name, 'f'::char(1) AS is_recursive, 'f'::char(1) AS is_nested,
        0::bigint AS s3list_time, 0::bigint AS get_partition_time,
        md5(query::text)::uuid::text::char(36) AS query_uuid
      FROM redshift_local.scan_log;
    CREATE VIEW public.svl_s3partition_summary AS
      SELECT query, segment, 'D'::char(1) AS assignment, starttime AS min_starttime, starttime AS max_endtime,
        0::bigint AS min_duration, 0::bigint AS max_duration, 0::bigint AS avg_duration,
        total_partitions, files AS qualified_partitions, files AS min_assigned_partitions,
        files AS max_assigned_partitions, files::bigint AS avg_assigned_partitions
      FROM redshift_local.scan_log WHERE is_partitioned;
    -- Redshift's DATEDIFF with the date part quoted, as the action writes it.
    CREATE FUNCTION public.datediff(part text, a timestamp, b timestamp) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
      SELECT CASE lower(part)
        WHEN 'microsecond' THEN floor(extract(epoch FROM b - a) * 1000000)
        WHEN 'millisecond' THEN floor(extract(epoch FROM b - a) * 1000)
        ELSE floor(extract(epoch FROM b - a)) END::bigint
    $$;
    CREATE TABLE redshift_local.query_log (
      query integer NOT NULL,
      session_id integer NOT NULL,
      query_label text NOT NULL,
      query_type text NOT NULL,
      status text NOT NULL,
      result_cache_hit boolean NOT NULL,
      queue_us bigint NOT NULL,
      compile_us bigint NOT NULL,
      execution_us bigint NOT NULL,
      returned_rows bigint NOT NULL,
      query_text text NOT NULL,
      error_message text NOT NULL,
      starttime timestamp NOT NULL DEFAULT now()
    );
    CREATE VIEW public.sys_query_history AS
      SELECT 100 AS user_id, query::bigint AS query_id, query_label::char(320) AS query_label,
        (query + 1000000)::bigint AS transaction_id, session_id, 'dev'::char(128) AS database_name,
        query_type::char(32) AS query_type, status::char(10) AS status, result_cache_hit,
        starttime AS start_time, starttime AS end_time, (queue_us + compile_us + execution_us)::bigint AS elapsed_time,
        queue_us AS queue_time, execution_us AS execution_time, error_message::char(512) AS error_message,
        returned_rows, 0::bigint AS returned_bytes, query_text::char(4000) AS query_text,
        'local'::char(256) AS redshift_version, ''::char(150) AS usage_limit, 'primary'::char(32) AS compute_type,
        compile_us AS compile_time, 0::bigint AS planning_time, 0::bigint AS lock_wait_time,
        100 AS service_class_id, 'Default queue'::char(64) AS service_class_name, 'normal'::char(20) AS query_priority,
        'f'::char(1) AS short_query_accelerated, ''::char(64) AS user_query_hash, ''::char(64) AS generic_query_hash,
        1 AS query_hash_version, 0::bigint AS result_cache_query_id
      FROM redshift_local.query_log;
    CREATE VIEW public.stl_wlm_query AS
      SELECT 100 AS userid, (query + 1000000)::bigint AS xid, 0 AS task, query, 100 AS service_class,
        1 AS slot_count, starttime AS service_class_start_time, starttime AS queue_start_time,
        starttime AS queue_end_time, queue_us AS total_queue_time, starttime AS exec_start_time,
        starttime AS exec_end_time, (compile_us + execution_us)::bigint AS total_exec_time,
        starttime AS service_class_end_time, 'Completed'::char(16) AS final_state, ''::char(50) AS est_peak_mem, 'normal'::char(20) AS query_priority,
        'Default queue'::char(64) AS service_class_name
      FROM redshift_local.query_log;
    CREATE VIEW public.svl_compile AS
      SELECT 100 AS userid, (query + 1000000)::bigint AS xid, session_id AS pid, query, 0 AS segment, 1 AS locus,
        starttime, starttime + compile_us * interval '1 microsecond' AS endtime,
        (CASE WHEN compile_us > 0 THEN 1 ELSE 0 END) AS compile
      FROM redshift_local.query_log;
  `)
}

/**
 * A seeded database is kept as a data-directory dump in the temp directory, keyed
 * by the seed code and options, so later starts load it (about a second) instead
 * of running initdb and the seed again.
 */
function seedCacheFile(options: SeedOptions): string {
  const key = createHash('sha256')
    .update(JSON.stringify(options))
    .update(seedSpectrumPoc.toString())
    .update(createSystemViews.toString())
    .digest('hex')
    .slice(0, 16)
  return join(tmpdir(), `redshift-data-poc-${key}.tgz`)
}

async function loadSeededCopy(options: SeedOptions): Promise<PGlite | undefined> {
  const file = seedCacheFile(options)
  if (!existsSync(file)) return undefined
  try {
    const db = await PGlite.create({ loadDataDir: new Blob([readFileSync(file)]) })
    await db.query('SELECT 1 FROM redshift_local.scan_log LIMIT 1')
    return db
  } catch {
    return undefined
  }
}

async function seedAndKeep(options: SeedOptions): Promise<PGlite> {
  const db = await PGlite.create()
  await seedSpectrumPoc(db, options)
  await createSystemViews(db)
  await db.exec('CHECKPOINT')
  const dump = await db.dumpDataDir('gzip')
  const file = seedCacheFile(options)
  // Written under a unique name and renamed, so parallel test workers never read half a file.
  const partial = `${file}.${process.pid}.${randomUUID()}`
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()))
  renameSync(partial, file)
  return db
}

/**
 * V8 first runs PGlite's WebAssembly with a baseline compiler and optimises hot
 * code later, so the first queries of a process run slower than later ones.
 * Running the kinds of work the PoC queries do (scans, joins, aggregates) a few
 * times at start keeps a baseline taken early from looking slower than a later run.
 */
async function warmUp(db: PGlite): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await db.query(
      `SELECT c.c_mktsegment, t.d_yearmonthnum, SUM(uv.adrevenue), COUNT(*)
       FROM spectrum.uservisits_flat uv JOIN dwdate t ON uv.visitdate = t.d_datekey JOIN customer c ON c.c_custkey = uv.custkey
       GROUP BY 1, 2 ORDER BY 1, 2`,
    )
    await db.query(
      'SELECT customer, visityearmonth, SUM(adrevenue) FROM spectrum.uservisits_partitioned GROUP BY 1, 2',
    )
  }
}

export class RedshiftDataEngine {
  readonly statements = new Map<string, StatementRecord>()
  readonly sessions = new Map<string, Session>()
  readonly slowdowns: Slowdown[] = []
  /** Every statement the engine ran, in order (the tests' view of the server). */
  readonly executed: StatementRecord[] = []
  readonly pageSize: number
  readonly timing: 'plan' | 'cpu' | 'wall'
  private readonly noise: () => number
  private readonly tokens = new Map<string, { fingerprint: string; id: string }>()
  private readonly resultCache = new Map<string, { fields: ResultField[]; rows: unknown[][] }>()
  private readonly bytesPerRow = new Map<string, number>()
  private queue: Promise<void> = Promise.resolve()
  private nextQueryId = 100001
  private readonly aborts = new Map<string, () => void>()

  private constructor(
    readonly db: PGlite,
    options: EngineOptions,
  ) {
    this.pageSize = options.pageSize ?? 1000
    this.timing = options.timing ?? 'plan'
    this.noise = mulberry32(options.noiseSeed ?? 12)
  }

  static async create(options: EngineOptions = {}): Promise<RedshiftDataEngine> {
    if (options.seed === false) {
      const engine = new RedshiftDataEngine(await PGlite.create(), options)
      await engine.createSystemViews()
      return engine
    }
    const seedOptions = options.seed === true || options.seed === undefined ? {} : options.seed
    const db = (await loadSeededCopy(seedOptions)) ?? (await seedAndKeep(seedOptions))
    await warmUp(db)
    return new RedshiftDataEngine(db, options)
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined)
    await this.db.close()
  }

  /** Adds extra server time to statements whose SQL matches; returns a function that removes it. */
  addSlowdown(slowdown: Slowdown): () => void {
    this.slowdowns.push(slowdown)
    return () => {
      const i = this.slowdowns.indexOf(slowdown)
      if (i >= 0) this.slowdowns.splice(i, 1)
    }
  }

  clearSlowdowns(): void {
    this.slowdowns.length = 0
  }

  private async createSystemViews(): Promise<void> {
    await createSystemViews(this.db)
  }

  // ---------------------------------------------------------------- requests

  private checkTarget(input: ConnectionParams): Session | undefined {
    if (input.SessionId !== undefined) {
      if (input.ClusterIdentifier || input.WorkgroupName || input.Database) {
        throw new DataApiError(
          'ValidationException',
          'SessionId cannot be given together with ClusterIdentifier, WorkgroupName or Database',
        )
      }
      const session = this.sessions.get(input.SessionId)
      if (!session || sessionExpired(session)) {
        throw new DataApiError(
          'ValidationException',
          `Session ${input.SessionId} is not available; it ended or never existed`,
        )
      }
      if (sessionBusy(session))
        throw new DataApiError(
          'ValidationException',
          `Session ${input.SessionId} is busy running another statement`,
        )
      if (input.SessionKeepAliveSeconds !== undefined)
        session.keepAliveSeconds = input.SessionKeepAliveSeconds
      return session
    }
    if (!input.ClusterIdentifier && !input.WorkgroupName) {
      throw new DataApiError('ValidationException', 'Either ClusterIdentifier or WorkgroupName must be given')
    }
    if (input.ClusterIdentifier && input.WorkgroupName) {
      throw new DataApiError(
        'ValidationException',
        'ClusterIdentifier and WorkgroupName cannot both be given',
      )
    }
    if (!input.Database) throw new DataApiError('ValidationException', 'Database must be given')
    if (input.DbUser && input.SecretArn)
      throw new DataApiError('ValidationException', 'DbUser and SecretArn cannot both be given')
    if (input.SessionKeepAliveSeconds !== undefined) {
      if (input.SessionKeepAliveSeconds < 0 || input.SessionKeepAliveSeconds > 86400) {
        throw new DataApiError('ValidationException', 'SessionKeepAliveSeconds must be from 0 to 86400')
      }
      const session: Session = {
        id: randomUUID(),
        keepAliveSeconds: input.SessionKeepAliveSeconds,
        statements: [],
        openedAt: nowMs(),
        resultCache: true,
        clusterIdentifier: input.ClusterIdentifier,
        workgroupName: input.WorkgroupName,
        database: input.Database,
        dbUser: input.DbUser,
        secretArn: input.SecretArn,
      }
      this.sessions.set(session.id, session)
      return session
    }
    return undefined
  }

  /** The earlier statement for a repeated ClientToken, or undefined for a new request. */
  private replay(token: string | undefined, request: unknown): StatementRecord | undefined {
    if (!token) return undefined
    const fingerprint = JSON.stringify(request)
    const seen = this.tokens.get(token)
    if (!seen) return undefined
    if (seen.fingerprint !== fingerprint) {
      throw new DataApiError(
        'ValidationException',
        'The ClientToken was already used for a different request',
      )
    }
    return this.statements.get(seen.id)
  }

  private remember(token: string | undefined, request: unknown, id: string): void {
    if (token) this.tokens.set(token, { fingerprint: JSON.stringify(request), id })
  }

  private newRecord(
    sql: string,
    id: string,
    input: ConnectionParams,
    session: Session | undefined,
  ): StatementRecord {
    const t = nowMs()
    return {
      id,
      sql,
      status: 'SUBMITTED',
      createdAt: t,
      updatedAt: t,
      durationNs: 0,
      resultRows: -1,
      resultSize: -1,
      hasResultSet: false,
      redshiftQueryId: 0,
      isBatch: false,
      statementName: input.StatementName,
      sessionId: session?.id,
      clusterIdentifier: session?.clusterIdentifier ?? input.ClusterIdentifier,
      workgroupName: session?.workgroupName ?? input.WorkgroupName,
      database: session?.database ?? input.Database,
      dbUser: session?.dbUser ?? input.DbUser,
      secretArn: session?.secretArn ?? input.SecretArn,
    }
  }

  executeStatement(input: ConnectionParams & { Sql?: string; Parameters?: SqlParameter[] }): StatementRecord {
    if (typeof input.Sql !== 'string' || input.Sql.trim() === '')
      throw new DataApiError('ValidationException', 'Sql must be given')
    const replayed = this.replay(input.ClientToken, input)
    if (replayed) return replayed
    const session = this.checkTarget(input)
    const record = this.newRecord(input.Sql, randomUUID(), input, session)
    record.parameters = input.Parameters
    this.statements.set(record.id, record)
    this.remember(input.ClientToken, input, record.id)
    this.enqueue(session, [record], false)
    return record
  }

  batchExecuteStatement(input: ConnectionParams & { Sqls?: string[] }): StatementRecord {
    if (!Array.isArray(input.Sqls) || input.Sqls.length === 0 || input.Sqls.length > 40) {
      throw new DataApiError('ValidationException', 'Sqls must hold from 1 to 40 statements')
    }
    const replayed = this.replay(input.ClientToken, input)
    if (replayed) return replayed
    const session = this.checkTarget(input)
    const id = randomUUID()
    const batch = this.newRecord(input.Sqls.join('; '), id, input, session)
    batch.isBatch = true
    batch.subStatements = input.Sqls.map((sql, i) => this.newRecord(sql, `${id}:${i + 1}`, input, session))
    this.statements.set(id, batch)
    for (const sub of batch.subStatements) this.statements.set(sub.id, sub)
    this.remember(input.ClientToken, input, id)
    this.enqueue(session, batch.subStatements, true, batch)
    return batch
  }

  describe(id: string): StatementRecord {
    const record = this.statements.get(id)
    if (!record) throw new DataApiError('ResourceNotFoundException', `Query ${id} does not exist`)
    return record
  }

  cancel(id: string): boolean {
    const record = this.describe(id)
    const targets = record.isBatch ? [record, ...(record.subStatements ?? [])] : [record]
    if (!['SUBMITTED', 'PICKED', 'STARTED'].includes(record.status)) {
      throw new DataApiError(
        'ValidationException',
        `Could not cancel a query that is already in ${record.status} state with ID: ${id}`,
      )
    }
    for (const t of targets) {
      if (['SUBMITTED', 'PICKED', 'STARTED'].includes(t.status)) {
        t.status = 'ABORTED'
        t.updatedAt = nowMs()
        this.aborts.get(t.id)?.()
      }
    }
    return true
  }

  list(filter: { Status?: string; StatementName?: string }): StatementRecord[] {
    return [...this.statements.values()]
      .filter((s) => !s.id.includes(':'))
      .filter((s) => !filter.Status || filter.Status === 'ALL' || s.status === filter.Status)
      .filter((s) => !filter.StatementName || (s.statementName ?? '').startsWith(filter.StatementName))
      .sort((a, b) => b.createdAt - a.createdAt)
  }

  // --------------------------------------------------------------- execution

  private enqueue(
    session: Session | undefined,
    records: StatementRecord[],
    transaction: boolean,
    batch?: StatementRecord,
  ): void {
    session?.statements.push(batch ?? records[0]!)
    this.queue = this.queue
      .then(() => this.runAll(session, records, transaction, batch))
      .catch(() => undefined)
  }

  private async runAll(
    session: Session | undefined,
    records: StatementRecord[],
    transaction: boolean,
    batch?: StatementRecord,
  ) {
    const parent = batch ?? records[0]!
    if (aborted(parent)) return
    parent.status = 'STARTED'
    parent.updatedAt = nowMs()
    // Settings of a statement without a session last for that statement only.
    const state = session ?? { resultCache: true, queryGroup: undefined }
    let failed: string | undefined
    if (transaction) await this.db.exec('BEGIN')
    for (const record of records) {
      if (failed !== undefined || aborted(parent)) {
        if (record.status !== 'ABORTED') {
          record.status = 'ABORTED'
          record.updatedAt = nowMs()
        }
        continue
      }
      await this.runOne(record, state)
      if (record.status === 'FAILED') failed = record.error
    }
    if (transaction) await this.db.exec(failed !== undefined || aborted(parent) ? 'ROLLBACK' : 'COMMIT')
    if (batch) {
      batch.durationNs = records.reduce((sum, r) => sum + r.durationNs, 0)
      batch.redshiftQueryId = records.at(-1)!.redshiftQueryId
      batch.hasResultSet = records.some((r) => r.hasResultSet)
      batch.updatedAt = nowMs()
      if (!aborted(batch)) {
        batch.status = failed !== undefined ? 'FAILED' : 'FINISHED'
        if (failed !== undefined) batch.error = failed
      }
    }
  }

  private matchingSlowdowns(sql: string): Slowdown[] {
    return this.slowdowns.filter((s) => s.pattern.test(sql))
  }

  private async runOne(
    record: StatementRecord,
    state: { resultCache: boolean; queryGroup?: string },
  ): Promise<void> {
    if (aborted(record)) return
    record.status = 'STARTED'
    record.updatedAt = nowMs()
    record.redshiftQueryId = this.nextQueryId++
    record.queryGroup = state.queryGroup
    this.executed.push(record)
    const setting = REDSHIFT_SET.exec(statementHead(record.sql))
    const started = process.hrtime.bigint()
    if (setting) {
      // Redshift-only session settings, which PostgreSQL does not know.
      const [, verb, name, raw] = setting
      const value = (raw ?? '').trim().replace(/^'(.*)'$/s, '$1')
      if (name!.toLowerCase() === 'enable_result_cache_for_session') {
        const lower = value.toLowerCase()
        if (verb!.toLowerCase() === 'reset' || ['on', 'true', '1'].includes(lower)) state.resultCache = true
        else if (['off', 'false', '0'].includes(lower)) state.resultCache = false
        else
          return this.fail(
            record,
            started,
            `ERROR: invalid value for parameter "enable_result_cache_for_session": "${value}"`,
          )
      } else {
        state.queryGroup =
          verb!.toLowerCase() === 'reset' || value.toLowerCase() === 'default' ? undefined : value
      }
      return this.finish(record, started, undefined)
    }
    let bound: { text: string; values: string[] }
    try {
      bound = bindParameters(stripTrailingSemicolon(record.sql), record.parameters)
    } catch (error) {
      return this.fail(record, started, `ERROR: ${(error as Error).message}`)
    }
    const explain = EXPLAIN.exec(statementHead(bound.text))
    if (explain) return this.explain(record, started, explain[1]!, bound.values)
    const readOnly = READ_ONLY.test(statementHead(bound.text))
    const cacheKey = JSON.stringify([bound.text, bound.values])
    if (readOnly && state.resultCache) {
      const cached = this.resultCache.get(cacheKey)
      if (cached) {
        record.fromResultCache = true
        return this.finish(record, started, cached)
      }
    }
    if (!readOnly) this.resultCache.clear()
    const external = EXTERNAL_SCHEMA.test(bound.text)
    const before = external ? await this.readCounters() : undefined
    const t0 = process.hrtime.bigint()
    const cpu0 = process.cpuUsage()
    try {
      const result = await this.db.query<Record<string, unknown>>(bound.text, bound.values, {
        rowMode: 'array',
      })
      const cpu = process.cpuUsage(cpu0)
      const fields = result.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID }))
      const rows = result.rows as unknown as unknown[][]
      const slowdowns = this.matchingSlowdowns(record.sql)
      const fixed = slowdowns.find((s) => s.fixedMs !== undefined)?.fixedMs
      const executionMs =
        fixed !== undefined
          ? fixed
          : this.timing === 'plan'
            ? await this.planMs(bound)
            : this.timing === 'cpu'
              ? (cpu.user + cpu.system) / 1000
              : Number(process.hrtime.bigint() - t0) / 1e6
      let extraMs = 0
      let compileMs = 0
      let queueMs = 0
      for (const s of slowdowns) {
        extraMs += (s.extraMs ?? 0) + executionMs * ((s.factor ?? 1) - 1)
        compileMs += s.compileMs ?? 0
        queueMs += s.queueMs ?? 0
      }
      if (extraMs + compileMs > 0 && !aborted(record)) await this.pause(record.id, extraMs + compileMs)
      const answer = fields.length > 0 ? { fields, rows } : undefined
      const duration =
        this.timing === 'wall'
          ? process.hrtime.bigint() - started
          : BigInt(Math.round((executionMs + extraMs + compileMs) * 1e6))
      if (before) await this.logScan(record, before, rows.length)
      await this.logQuery(record, state, {
        queueMs,
        compileMs,
        executionMs: executionMs + extraMs,
        rows: rows.length,
        queryType: readOnly ? 'SELECT' : 'OTHER',
      })
      if (answer && readOnly) this.resultCache.set(cacheKey, answer)
      return this.finish(record, started, answer, duration)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      return this.fail(record, started, `ERROR: ${message}`)
    }
  }

  /** EXPLAIN: PostgreSQL plans the query, and the plan is printed as Redshift prints one. */
  private async explain(
    record: StatementRecord,
    started: bigint,
    query: string,
    values: string[],
  ): Promise<void> {
    try {
      const explained = await this.db.query<{
        'QUERY PLAN': Array<{ Plan: Parameters<typeof redshiftPlan>[0] }>
      }>(`EXPLAIN (FORMAT JSON) ${query}`, values)
      const lines = redshiftPlan(explained.rows[0]!['QUERY PLAN'][0]!.Plan)
      const answer = { fields: [{ name: 'QUERY PLAN', dataTypeID: 1043 }], rows: lines.map((l) => [l]) }
      return this.finish(record, started, answer, BigInt(Math.round(NO_PLAN_MS * 1e6)))
    } catch (error) {
      return this.fail(record, started, `ERROR: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  /**
   * One row of the query history behind SYS_QUERY_HISTORY, STL_WLM_QUERY and
   * SVL_COMPILE: queue, compile and execution time in microseconds.
   */
  private async logQuery(
    record: StatementRecord,
    state: { queryGroup?: string },
    t: { queueMs: number; compileMs: number; executionMs: number; rows: number; queryType: string },
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO redshift_local.query_log (query, session_id, query_label, query_type, status, result_cache_hit,
         queue_us, compile_us, execution_us, returned_rows, query_text, error_message)
       VALUES ($1, $2, $3, $4, 'success', false, $5, $6, $7, $8, $9, '')`,
      [
        record.redshiftQueryId,
        1073741824,
        state.queryGroup ?? 'default',
        t.queryType,
        Math.round(t.queueMs * 1000),
        Math.round(t.compileMs * 1000),
        Math.round(t.executionMs * 1000),
        t.rows,
        record.sql.slice(0, 4000),
      ],
    )
  }

  /**
   * The plan-derived duration of a statement: its EXPLAIN total cost at
   * MS_PER_PLAN_COST, times 1 +- PLAN_NOISE from the seeded generator (the
   * difference of two uniform draws: most runs within 1%).
   */
  private async planMs(bound: { text: string; values: string[] }): Promise<number> {
    const noise = 1 + PLAN_NOISE * (this.noise() - this.noise())
    let cost: number | undefined
    if (PLANNABLE.test(statementHead(bound.text))) {
      try {
        const explained = await this.db.query<{ 'QUERY PLAN': Array<{ Plan: { 'Total Cost': number } }> }>(
          `EXPLAIN (FORMAT JSON) ${bound.text}`,
          bound.values,
        )
        cost = explained.rows[0]?.['QUERY PLAN'][0]?.Plan['Total Cost']
      } catch {
        cost = undefined
      }
    }
    return (cost === undefined ? NO_PLAN_MS : Math.max(cost * MS_PER_PLAN_COST, NO_PLAN_MS)) * noise
  }

  private pause(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.aborts.delete(id)
        resolve()
      }, ms)
      this.aborts.set(id, () => {
        clearTimeout(timer)
        this.aborts.delete(id)
        resolve()
      })
    })
  }

  private finish(
    record: StatementRecord,
    started: bigint,
    answer: { fields: ResultField[]; rows: unknown[][] } | undefined,
    duration = process.hrtime.bigint() - started,
  ): void {
    record.durationNs = Number(duration)
    record.updatedAt = nowMs()
    if (aborted(record)) return
    record.status = 'FINISHED'
    if (answer) {
      record.hasResultSet = true
      record.fields = answer.fields
      record.rows = answer.rows
      record.resultRows = answer.rows.length
      record.resultSize = JSON.stringify(answer.rows).length
    }
  }

  private fail(record: StatementRecord, started: bigint, error: string): void {
    record.durationNs = Number(process.hrtime.bigint() - started)
    record.updatedAt = nowMs()
    if (aborted(record)) return
    record.status = 'FAILED'
    record.error = error
  }

  // ------------------------------------------------------------- scan stats

  private async readCounters(): Promise<Map<string, number>> {
    await this.db.query('SELECT pg_stat_force_next_flush()')
    const result = await this.db.query<{ relname: string; n: number }>(
      `SELECT relname, (coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::float8 AS n
       FROM pg_stat_user_tables WHERE schemaname = 'spectrum'`,
    )
    return new Map(result.rows.map((r) => [r.relname, Number(r.n)]))
  }

  private async rowWidth(relname: string): Promise<number> {
    let width = this.bytesPerRow.get(relname)
    if (width === undefined) {
      const r = await this.db.query<{ w: number }>(
        `SELECT (pg_relation_size(c.oid)::float8 / greatest(c.reltuples, 1))::float8 AS w
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'spectrum' AND c.relname = $1`,
        [relname],
      )
      width = Math.max(1, Math.round(Number(r.rows[0]?.w ?? 100)))
      this.bytesPerRow.set(relname, width)
    }
    return width
  }

  /**
   * Writes the statement's Spectrum scan statistics: the rows read from each
   * table of the `spectrum` schema (PostgreSQL's tuple counters), bytes from the
   * tables' average row size, and one "file" per leaf table read, the way a
   * partitioned external table has one file per partition in the PoC.
   */
  private async logScan(
    record: StatementRecord,
    before: Map<string, number>,
    resultRows: number,
  ): Promise<void> {
    const after = await this.readCounters()
    const groups = new Map<string, ScanLogRow>()
    for (const [relname, n] of after) {
      const delta = n - (before.get(relname) ?? 0)
      const partitioned = relname.startsWith('uservisits_p_')
      const table = partitioned ? 'uservisits_partitioned' : relname
      let row = groups.get(table)
      if (!row) {
        const total = partitioned ? [...after.keys()].filter((k) => k.startsWith('uservisits_p_')).length : 0
        row = {
          query: record.redshiftQueryId,
          tableName: table,
          isPartitioned: partitioned,
          scannedRows: 0,
          scannedBytes: 0,
          returnedRows: 0,
          files: 0,
          totalPartitions: total,
        }
        groups.set(table, row)
      }
      if (delta <= 0) continue
      row.scannedRows += delta
      row.scannedBytes += delta * (await this.rowWidth(relname))
      row.files += 1
    }
    const rows = [...groups.values()].filter((r) => r.scannedRows > 0)
    let segment = 0
    for (const r of rows) {
      // Without a per-operator count, what left the scan is bounded by what was read and what the query returned.
      r.returnedRows = Math.min(r.scannedRows, Math.max(resultRows, 0))
      await this.db.query(
        `INSERT INTO redshift_local.scan_log (query, segment, external_table_name, is_partitioned, s3_scanned_rows, s3_scanned_bytes,
           s3query_returned_rows, s3query_returned_bytes, files, total_partitions)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          r.query,
          segment++,
          `spectrum.${r.tableName}`,
          r.isPartitioned,
          r.scannedRows,
          Math.round(r.scannedBytes),
          r.returnedRows,
          Math.round((r.scannedBytes / Math.max(r.scannedRows, 1)) * r.returnedRows),
          r.files,
          r.totalPartitions,
        ],
      )
    }
  }
}
