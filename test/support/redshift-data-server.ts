import { createServer, type Server } from 'node:http'
import {
  DataApiError,
  RedshiftDataEngine,
  type EngineOptions,
  type ResultField,
  type StatementRecord,
} from './redshift-data-engine.js'
import { listenOnLoopback } from './loopback-server.js'

/**
 * A loopback endpoint that speaks the Amazon Redshift Data API's wire protocol
 * (AWS JSON 1.1: `POST /`, `X-Amz-Target: RedshiftData.<Operation>`, JSON
 * bodies, errors as `{"__type": ..., "message": ...}` with HTTP 400/500), so the
 * real `@aws-sdk/client-redshift-data` talks to it through AWS_ENDPOINT_URL.
 * moto's redshift-data cannot serve here: its timestamps do not parse in the JS
 * SDK v3, statements never finish and batches are missing.
 *
 * Timestamps are epoch seconds as JSON numbers (the JSON protocols' default
 * timestamp format), Duration is nanoseconds, and GetStatementResult's Records
 * are typed Field unions (longValue, doubleValue, stringValue, booleanValue,
 * isNull) with ColumnMetadata, paged with NextToken.
 */

export interface RedshiftDataApi {
  endpoint: string
  engine: RedshiftDataEngine
  /** Requests received, by operation. */
  stats: { total: number; byOperation: Map<string, number> }
  close(): Promise<void>
}

const JSON_TYPE = 'application/x-amz-json-1.1'

const seconds = (ms: number) => ms / 1000

/** Redshift's type names for PostgreSQL type oids, as ColumnMetadata.typeName shows them. */
const TYPE_NAMES: Record<number, string> = {
  16: 'bool',
  20: 'int8',
  21: 'int2',
  23: 'int4',
  25: 'text',
  700: 'float4',
  701: 'float8',
  1042: 'bpchar',
  1043: 'varchar',
  1082: 'date',
  1114: 'timestamp',
  1184: 'timestamptz',
  1700: 'numeric',
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

function formatDate(value: Date, typeId: number): string {
  const date = `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`
  if (typeId === 1082) return date
  return `${date} ${pad(value.getUTCHours())}:${pad(value.getUTCMinutes())}:${pad(value.getUTCSeconds())}.${pad(value.getUTCMilliseconds(), 3)}`
}

export function toField(value: unknown, field: ResultField): Record<string, unknown> {
  if (value === null || value === undefined) return { isNull: true }
  switch (field.dataTypeID) {
    case 16:
      return { booleanValue: Boolean(value) }
    case 20:
    case 21:
    case 23:
      return { longValue: Number(value) }
    case 700:
    case 701:
      return { doubleValue: Number(value) }
    default:
      if (value instanceof Date) return { stringValue: formatDate(value, field.dataTypeID) }
      if (typeof value === 'object') return { stringValue: JSON.stringify(value) }
      return { stringValue: String(value) }
  }
}

function columnMetadata(field: ResultField): Record<string, unknown> {
  const typeName = TYPE_NAMES[field.dataTypeID] ?? 'varchar'
  return {
    name: field.name,
    label: field.name,
    typeName,
    nullable: 1,
    isCaseSensitive: ['varchar', 'text', 'bpchar'].includes(typeName),
    isCurrency: false,
    isSigned: ['int2', 'int4', 'int8', 'float4', 'float8', 'numeric'].includes(typeName),
    precision: 0,
    scale: 0,
    length: 0,
    schemaName: '',
    tableName: '',
  }
}

function statementShape(s: StatementRecord): Record<string, unknown> {
  return {
    Id: s.id,
    CreatedAt: seconds(s.createdAt),
    ClusterIdentifier: s.clusterIdentifier,
    WorkgroupName: s.workgroupName,
    Database: s.database,
    DbUser: s.dbUser,
    SecretArn: s.secretArn,
    SessionId: s.sessionId,
    Status: s.status,
  }
}

function subStatementShape(s: StatementRecord): Record<string, unknown> {
  return {
    Id: s.id,
    Status: s.status,
    Duration: s.durationNs,
    Error: s.error,
    CreatedAt: seconds(s.createdAt),
    UpdatedAt: seconds(s.updatedAt),
    QueryString: s.sql,
    ResultRows: s.resultRows,
    ResultSize: s.resultSize,
    RedshiftQueryId: s.redshiftQueryId,
    HasResultSet: s.hasResultSet,
  }
}

function describeShape(s: StatementRecord): Record<string, unknown> {
  return {
    ...statementShape(s),
    ...subStatementShape(s),
    UpdatedAt: seconds(s.updatedAt),
    RedshiftPid: 1073741824 + (s.redshiftQueryId % 1000),
    QueryParameters: s.parameters,
    SubStatements: s.subStatements?.map(subStatementShape),
    ResultFormat: 'JSON',
    ExecutionMode: s.isBatch ? 'TRANSACTION' : undefined,
  }
}

function pageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64')
}

function readToken(token: string): number {
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64').toString()) as { offset: unknown }
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset
  } catch {
    // answered below
  }
  throw new DataApiError('ValidationException', 'NextToken is not valid')
}

type Body = Record<string, unknown>

export function handleOperation(engine: RedshiftDataEngine, operation: string, body: Body): unknown {
  switch (operation) {
    case 'ExecuteStatement': {
      const s = engine.executeStatement(body as Parameters<RedshiftDataEngine['executeStatement']>[0])
      return statementShape(s)
    }
    case 'BatchExecuteStatement': {
      const s = engine.batchExecuteStatement(
        body as Parameters<RedshiftDataEngine['batchExecuteStatement']>[0],
      )
      return statementShape(s)
    }
    case 'DescribeStatement':
      return describeShape(engine.describe(String(body.Id ?? '')))
    case 'CancelStatement':
      return { Status: engine.cancel(String(body.Id ?? '')) }
    case 'GetStatementResult': {
      const s = engine.describe(String(body.Id ?? ''))
      if (s.isBatch)
        throw new DataApiError(
          'ValidationException',
          'Give the Id of one statement of the batch, such as <id>:1',
        )
      if (s.status !== 'FINISHED')
        throw new DataApiError(
          'ValidationException',
          `Query ${s.id} has not finished; its status is ${s.status}`,
        )
      if (!s.hasResultSet || !s.fields || !s.rows)
        throw new DataApiError('ResourceNotFoundException', `Query ${s.id} does not have a result`)
      const offset = typeof body.NextToken === 'string' ? readToken(body.NextToken) : 0
      const end = Math.min(offset + engine.pageSize, s.rows.length)
      const fields = s.fields
      return {
        ColumnMetadata: fields.map(columnMetadata),
        Records: s.rows.slice(offset, end).map((row) => row.map((v, i) => toField(v, fields[i]!))),
        TotalNumRows: s.rows.length,
        NextToken: end < s.rows.length ? pageToken(end) : undefined,
      }
    }
    case 'ListStatements': {
      const all = engine.list({
        Status: body.Status as string | undefined,
        StatementName: body.StatementName as string | undefined,
      })
      const max = Math.min(Math.max(Number(body.MaxResults ?? 100), 1), 100)
      const offset = typeof body.NextToken === 'string' ? readToken(body.NextToken) : 0
      const page = all.slice(offset, offset + max)
      return {
        Statements: page.map((s) => ({
          Id: s.id,
          Status: s.status,
          CreatedAt: seconds(s.createdAt),
          UpdatedAt: seconds(s.updatedAt),
          StatementName: s.statementName,
          SecretArn: s.secretArn,
          IsBatchStatement: s.isBatch,
          QueryString: s.isBatch ? undefined : s.sql,
          QueryStrings: s.isBatch ? s.subStatements?.map((x) => x.sql) : undefined,
          QueryParameters: s.parameters,
          SessionId: s.sessionId,
          ResultFormat: 'JSON',
        })),
        NextToken: offset + max < all.length ? pageToken(offset + max) : undefined,
      }
    }
    default:
      throw new DataApiError(
        'UnknownOperationException',
        `Operation ${operation} is not served by the local endpoint`,
      )
  }
}

/** Starts the engine (PGlite, seeded with the PoC tables unless told otherwise) and its loopback endpoint. */
export async function startRedshiftDataApi(
  options: EngineOptions & { engine?: RedshiftDataEngine } = {},
): Promise<RedshiftDataApi> {
  const engine = options.engine ?? (await RedshiftDataEngine.create(options))
  const stats = { total: 0, byOperation: new Map<string, number>() }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '')
      const operation = target.startsWith('RedshiftData.') ? target.slice('RedshiftData.'.length) : target
      stats.total++
      stats.byOperation.set(operation, (stats.byOperation.get(operation) ?? 0) + 1)
      let status = 200
      let payload: unknown
      try {
        const text = Buffer.concat(chunks).toString() || '{}'
        payload = handleOperation(engine, operation, JSON.parse(text) as Body)
      } catch (error) {
        const e =
          error instanceof DataApiError
            ? error
            : new DataApiError('InternalServerException', String(error), 500)
        status = e.status
        payload = { __type: e.type, message: e.message }
      }
      const body = JSON.stringify(payload)
      res.writeHead(status, {
        'content-type': JSON_TYPE,
        'content-length': String(Buffer.byteLength(body)),
        'x-amzn-requestid': crypto.randomUUID(),
      })
      res.end(body)
    })
  })
  const listening = await listenOnLoopback(server)
  const port = listening.port
  return {
    endpoint: `http://127.0.0.1:${port}`,
    engine,
    stats,
    close: async () => {
      await listening.close()
      if (!options.engine) await engine.close()
    },
  }
}
