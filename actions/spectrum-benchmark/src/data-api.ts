import { randomUUID } from 'node:crypto'
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  paginateGetStatementResult,
  type DescribeStatementResponse,
  type Field,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data'
import { errorCode, isTransientError } from '../../../lib/aws.js'
import { AbortedError, pollUntil, retryWhile, TimeoutError } from '../../../lib/poll.js'

export interface Target {
  clusterIdentifier?: string
  workgroupName?: string
  database: string
  dbUser?: string
  secretArn?: string
}

export interface Finished {
  id: string
  /** The service's own execution time (DescribeStatement Duration), in milliseconds. */
  durationMs: number
  redshiftQueryId?: number
  subStatements: Array<{ id: string; durationMs: number; redshiftQueryId?: number }>
}

/** A statement that ended FAILED (or ABORTED): `what` names it, `error` is the database's message. */
export class StatementError extends Error {
  constructor(
    readonly what: string,
    readonly error: string,
  ) {
    super(`${what} failed: ${error}`)
    this.name = 'StatementError'
  }
}

export interface SessionOptions {
  /** Longest time one statement may run before it is cancelled. */
  timeoutMs: number
  signal?: AbortSignal
  /** Seconds the session outlives each statement; the next statement follows within a second or so. */
  keepAliveSeconds?: number
  /** Prefix of the StatementName, so the runs are easy to find in ListStatements and the console. */
  statementName?: string
  /** Called for a statement id whenever one starts (for logs). */
  onStatement?: (what: string, id: string) => void
}

/** Limits the Data API answers as exceptions that the SDK does not retry but that pass by themselves. */
const PASSING = new Set(['ActiveStatementsExceededException', 'ActiveSessionsExceededException'])

/**
 * Errors left after the SDK's own retries that are still safe to try again:
 * throttling, 5xx answers, dropped connections, and the limits above. Safe
 * because every call here is either read-only or carries a ClientToken.
 */
export function isTransient(error: unknown): boolean {
  return (
    PASSING.has(errorCode(error)) || errorCode(error) === 'InternalServerException' || isTransientError(error)
  )
}

const DONE = new Set(['FINISHED', 'FAILED', 'ABORTED'])

/**
 * One Data API session for the whole benchmark: the first request opens it
 * (SessionKeepAliveSeconds) with the connection parameters, and every later
 * statement runs on the same database connection (SessionId), so session
 * settings such as `enable_result_cache_for_session` apply to the measured
 * queries. Statements run one at a time.
 *
 * Every request carries a ClientToken made of this run's id and the statement's
 * sequence number: when a reply is lost and the SDK (or retryWhile) sends the
 * request again, the service answers with the statement the first request
 * started, so the benchmark never waits on, or measures, a different statement.
 */
export class DataApiSession {
  readonly runId = randomUUID()
  private sessionId?: string
  private sequence = 0
  private inFlight?: string

  constructor(
    private readonly client: RedshiftDataClient,
    private readonly target: Target,
    private readonly options: SessionOptions,
  ) {}

  get id(): string | undefined {
    return this.sessionId
  }

  private connection() {
    if (this.sessionId) return { SessionId: this.sessionId }
    return {
      ClusterIdentifier: this.target.clusterIdentifier,
      WorkgroupName: this.target.workgroupName,
      Database: this.target.database,
      DbUser: this.target.dbUser,
      SecretArn: this.target.secretArn,
      SessionKeepAliveSeconds: this.options.keepAliveSeconds ?? 300,
    }
  }

  /** Retries transient errors for up to two minutes, short growing delays apart. */
  private retry<T>(call: () => Promise<T>): Promise<T> {
    return retryWhile(call, {
      retryable: isTransient,
      timeoutMs: 120_000,
      signal: this.options.signal,
      initialMs: 200,
      maxMs: 5000,
    })
  }

  private nextToken(): string {
    this.sequence += 1
    return `${this.runId}-${this.sequence}`
  }

  private async start(
    send: (token: string) => Promise<{ Id?: string; SessionId?: string }>,
  ): Promise<string> {
    if (this.options.signal?.aborted) throw new AbortedError()
    const token = this.nextToken()
    const answer = await this.retry(() => send(token))
    if (!answer.Id) throw new Error('The Data API answered without a statement Id')
    if (answer.SessionId) this.sessionId = answer.SessionId
    return answer.Id
  }

  /** Runs one statement and waits for it. */
  async execute(sql: string, what: string): Promise<Finished> {
    const id = await this.start((token) =>
      this.client.send(
        new ExecuteStatementCommand({
          ...this.connection(),
          Sql: sql,
          ClientToken: token,
          StatementName: this.options.statementName,
        }),
      ),
    )
    return this.wait(id, what)
  }

  /** Runs statements as one batch (one transaction) and waits for all of them. */
  async batch(sqls: string[], what: string): Promise<Finished> {
    const id = await this.start((token) =>
      this.client.send(
        new BatchExecuteStatementCommand({
          ...this.connection(),
          Sqls: sqls,
          ClientToken: token,
          StatementName: this.options.statementName,
        }),
      ),
    )
    return this.wait(id, what)
  }

  private async wait(id: string, what: string): Promise<Finished> {
    this.inFlight = id
    this.options.onStatement?.(what, id)
    let described: DescribeStatementResponse
    try {
      described = await pollUntil(
        async () => {
          let d: DescribeStatementResponse
          try {
            d = await this.client.send(new DescribeStatementCommand({ Id: id }))
          } catch (error) {
            // A read: a throttled or lost answer is just a poll that saw nothing.
            if (isTransient(error)) return undefined
            throw error
          }
          return DONE.has(d.Status ?? '') ? d : undefined
        },
        {
          what: `${what} (statement ${id})`,
          timeoutMs: this.options.timeoutMs,
          signal: this.options.signal,
          initialMs: 50,
          factor: 1.5,
          maxMs: 1000,
        },
      )
    } catch (error) {
      if (error instanceof TimeoutError || error instanceof AbortedError) await this.cancel(id)
      if (error instanceof TimeoutError) {
        throw new StatementError(
          what,
          `did not finish within ${Math.round(this.options.timeoutMs / 1000)} s and was cancelled`,
        )
      }
      throw error
    } finally {
      this.inFlight = undefined
    }
    if (described.Status === 'FAILED')
      throw new StatementError(what, described.Error ?? 'unknown database error')
    if (described.Status === 'ABORTED') throw new StatementError(what, 'the statement was cancelled')
    return {
      id,
      durationMs: nanosToMs(described.Duration),
      redshiftQueryId: described.RedshiftQueryId,
      subStatements: (described.SubStatements ?? []).map((s) => ({
        id: s.Id ?? '',
        durationMs: nanosToMs(s.Duration),
        redshiftQueryId: s.RedshiftQueryId,
      })),
    }
  }

  /** Cancels a statement, best effort: it may have ended meanwhile. */
  async cancel(id: string): Promise<boolean> {
    try {
      // Not tied to the job's signal: cancelling is what a cancelled job does.
      const answer = await retryWhile(() => this.client.send(new CancelStatementCommand({ Id: id })), {
        retryable: isTransient,
        timeoutMs: 10_000,
        initialMs: 200,
      })
      return answer.Status === true
    } catch {
      return false
    }
  }

  /** Cancels the statement in flight, if any (on cancellation of the job). */
  async cancelInFlight(): Promise<string | undefined> {
    const id = this.inFlight
    if (id) await this.cancel(id)
    return id
  }

  /**
   * Every row of a finished statement's result, as plain values, read with the
   * SDK's paginator (NextToken). A page that still fails after the SDK's own
   * retries restarts the read from the first page, so no row is counted twice.
   */
  async rows(id: string): Promise<Array<Record<string, unknown>>> {
    return this.retry(async () => {
      const out: Array<Record<string, unknown>> = []
      for await (const page of paginateGetStatementResult({ client: this.client }, { Id: id })) {
        const names = (page.ColumnMetadata ?? []).map((c) => c.name ?? c.label ?? '')
        for (const record of page.Records ?? []) {
          const row: Record<string, unknown> = {}
          record.forEach((field, i) => (row[names[i] ?? `column${i}`] = fieldValue(field)))
          out.push(row)
        }
      }
      return out
    })
  }
}

export function nanosToMs(duration: number | undefined): number {
  return (duration ?? 0) / 1e6
}

export function fieldValue(field: Field): unknown {
  if (field.isNull) return null
  if (field.longValue !== undefined) return field.longValue
  if (field.doubleValue !== undefined) return field.doubleValue
  if (field.booleanValue !== undefined) return field.booleanValue
  if (field.stringValue !== undefined) return field.stringValue
  if (field.blobValue !== undefined) return Buffer.from(field.blobValue).toString('base64')
  return null
}
