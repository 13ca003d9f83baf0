import { createHash } from 'node:crypto'
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { basename, isAbsolute, relative, resolve, sep } from 'node:path'
import { globSync } from 'tinyglobby'
import { readWorkspaceFile, workspaceOutputFile, workspaceRoot } from '../../../lib/files.js'
import { Inputs, InputError } from '../../../lib/inputs.js'
import { historyBaseline, orderHistory, type HistoryRun } from './history.js'
import { parseResults, ResultsFormatError, type ResultsFile } from './results.js'
import { splitStatements } from './sql.js'

export interface QueryFile {
  /** The file name without `.sql`: the query's name in reports and baselines. */
  name: string
  /** Workspace-relative path. */
  file: string
  sql: string
  sha256: string
}

export interface Settings {
  region: string
  clusterIdentifier?: string
  workgroupName?: string
  database: string
  dbUser?: string
  secretArn?: string
  queries: QueryFile[]
  /** Statements run once, in the benchmark's session, before any measurement. */
  setupSql: string[]
  iterations: number
  warmup: number
  resultCache: boolean
  baseline?: { path: string; results: ResultsFile }
  /** The baseline path given but no file there (the first run on a branch): reported, not an error. */
  baselineMissing?: string
  /** Fraction: 0.1 for `10%`. */
  maxRegression: number
  /** Absolute path of the results file, inside the workspace. */
  resultsFile: string
  /** The same path relative to the workspace, as given to later steps. */
  resultsFileRelative: string
  queryTimeoutSeconds: number
  queryGroup?: string
  scanStats: boolean
  /** What a changed EXPLAIN does: nothing, a report, or a failed step. */
  planChanges: PlanChangesMode
  /** Fraction: bytes scanned may grow by this much before the step fails; undefined: growth is only reported. */
  maxScanGrowth?: number
  /** The base branch's queries, run alternately with these in the same window (A B A ...). */
  interleave?: { baseQueries: QueryFile[] }
  /** Earlier runs' results files (the default branch's), oldest first: each query's trend. */
  history?: HistoryRun[]
  /** With history: the baseline is the last this many runs, pooled (0: the `baseline` file, if any). */
  historyBaseline: number
}

export const PLAN_CHANGES_MODES = ['ignore', 'report', 'fail'] as const
export type PlanChangesMode = (typeof PLAN_CHANGES_MODES)[number]

const CLUSTER = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/
const WORKGROUP = /^[a-z0-9-]{3,64}$/
/**
 * A standard identifier, as Redshift's "Names and identifiers" has it: "Begin with
 * an ASCII single-byte alphabetic character or underscore character, or a UTF-8
 * multibyte character two to four bytes long. Subsequent characters can be ASCII
 * single-byte alphanumeric characters, underscores, or dollar signs, or UTF-8
 * multibyte characters two to four bytes long. Be between 1 and 127 bytes in
 * length [...] Contain no quotation marks and no spaces", and "Identifiers must
 * consist of only UTF-8 printable characters" (so no control, format or
 * unassigned characters, and no space separators, among the multibyte ones).
 * Reserved words are left to the database.
 */
const DATABASE = /^(?:[A-Za-z_]|(?![\p{C}\p{Z}])[^\0-\x7f])(?:[A-Za-z0-9_$]|(?![\p{C}\p{Z}])[^\0-\x7f])*$/u
const IDENTIFIER_MAX_BYTES = 127
const DB_USER = /^[A-Za-z_][A-Za-z0-9_$.@+-]{0,127}$/
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/
const QUERY_GROUP = /^[A-Za-z0-9_.:/ -]{1,100}$/

/**
 * The Data API's limit on one statement: "The maximum query statement size is
 * 100 KB" (Amazon Redshift Management Guide, Considerations when calling the
 * Amazon Redshift Data API). A larger query file could only fail at its first run.
 */
export const MAX_STATEMENT_BYTES = 100 * 1024

function outside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)
}

/** `10%`, `12.5%` or `10` (percent): the slowdown of a median that counts as a regression. */
export function parsePercent(name: string, raw: string): number {
  const accepted = 'a percentage greater than 0 and at most 1000, such as 10%'
  const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(raw.trim())
  if (!m) throw new InputError(name, raw, accepted)
  const value = Number(m[1])
  if (!(value > 0) || value > 1000) throw new InputError(name, raw, accepted)
  return value / 100
}

/**
 * `10%` or `0%`: how much bytes scanned may grow. Zero is a real limit here (any
 * growth fails), since scan statistics do not vary from run to run.
 */
export function parseGrowth(name: string, raw: string): number {
  const accepted = 'a percentage from 0 to 1000, such as 10%'
  const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(raw.trim())
  if (!m) throw new InputError(name, raw, accepted)
  const value = Number(m[1])
  if (value > 1000) throw new InputError(name, raw, accepted)
  return value / 100
}

/** Resolves the `queries` glob(s) inside the workspace; every match must be a .sql file there. */
export function resolveQueries(
  raw: string,
  env: NodeJS.ProcessEnv = process.env,
  name = 'queries',
): QueryFile[] {
  const root = workspaceRoot(env)
  const patterns = raw
    .split('\n')
    .map((p) => p.trim())
    .filter(Boolean)
  const accepted = 'a glob of .sql files inside the workspace, such as queries/**/*.sql (one pattern a line)'
  if (patterns.length === 0) throw new InputError(name, raw, `${accepted} (this input is required)`)
  for (const pattern of patterns) {
    if (pattern.includes('\0') || isAbsolute(pattern) || pattern.split(/[\\/]/).includes('..')) {
      throw new InputError(name, pattern, accepted)
    }
    // The glob library would quietly take a directory for all the files in it.
    const named = resolve(root, pattern)
    if (existsSync(named) && statSync(named).isDirectory()) {
      const files = `${pattern.replace(/[\\/]+$/, '')}/*.sql`
      throw new InputError(
        name,
        pattern,
        `${accepted}; it is a directory, not a file (for its queries: ${files})`,
      )
    }
  }
  const realRoot = realpathSync(root)
  const matches = globSync(patterns, { cwd: root, absolute: true, onlyFiles: true })
    .filter((p) => p.toLowerCase().endsWith('.sql'))
    .sort()
  if (matches.length === 0) throw new InputError(name, raw, `${accepted}; no .sql file matched`)
  const queries: QueryFile[] = []
  const seen = new Map<string, string>()
  for (const path of matches) {
    const file = relative(root, path).split(sep).join('/')
    if (outside(realRoot, realpathSync(path)))
      throw new InputError(name, file, `${accepted}; this file links outside it`)
    const queryName = basename(path).replace(/\.sql$/i, '')
    const other = seen.get(queryName)
    if (other)
      throw new InputError(
        name,
        raw,
        `${accepted}, with unique file names; ${other} and ${file} are both '${queryName}'`,
      )
    seen.set(queryName, file)
    const size = statSync(path).size
    if (size > MAX_STATEMENT_BYTES)
      throw new InputError(
        name,
        file,
        `query files of at most 100 KB (the Data API's statement size limit); this one is ${Math.ceil(size / 1024)} KB`,
      )
    const text = readFileSync(path, 'utf8')
    const statements = splitStatements(text)
    if (statements.length !== 1) {
      throw new InputError(name, file, `one SQL query in each file; this one holds ${statements.length}`)
    }
    const sql = statements[0]!
    queries.push({ name: queryName, file, sql, sha256: createHash('sha256').update(sql).digest('hex') })
  }
  return queries
}

/** A `setup-sql` value that names a .sql file rather than holding SQL. */
function isSqlFilePath(raw: string): boolean {
  return /\.sql$/i.test(raw) && !/[\s;]/.test(raw)
}

/** Inline SQL, or the path of a .sql file in the workspace. */
function readSetupSql(inputs: Inputs, env: NodeJS.ProcessEnv): string[] {
  const raw = inputs.raw('setup-sql')
  if (raw === '') return []
  const text = isSqlFilePath(raw) ? readWorkspaceFile('setup-sql', raw, env) : raw
  const statements = splitStatements(text)
  if (statements.length === 0)
    throw new InputError('setup-sql', raw, 'SQL statements, or the path of a .sql file in the workspace')
  if (statements.length > 40)
    throw new InputError('setup-sql', raw, 'at most 40 statements (one Data API batch)')
  return statements
}

function readBaseline(
  inputs: Inputs,
  env: NodeJS.ProcessEnv,
): Pick<Settings, 'baseline' | 'baselineMissing'> {
  const raw = inputs.raw('baseline')
  if (raw === '') return {}
  const root = workspaceRoot(env)
  const accepted = 'the path of a results file of an earlier run, inside the workspace'
  const full = resolve(root, raw)
  if (raw.includes('\0') || outside(root, full)) throw new InputError('baseline', raw, accepted)
  if (!existsSync(full)) return { baselineMissing: raw }
  const text = readWorkspaceFile('baseline', raw, env)
  try {
    return { baseline: { path: raw, results: parseResults(text) } }
  } catch (error) {
    if (error instanceof ResultsFormatError)
      throw new InputError('baseline', raw, `${accepted} (${error.message})`)
    throw error
  }
}

/** The same file: one path, or two names (a link, a hard link) of one file. */
function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true
  if (!existsSync(a) || !existsSync(b)) return false
  const sa = statSync(a)
  const sb = statSync(b)
  return sa.dev === sb.dev && sa.ino === sb.ino
}

/**
 * Where the results go: a file inside the workspace (links followed), and none of
 * the files this run reads, which it would otherwise overwrite.
 */
function resultsPath(
  inputs: Inputs,
  env: NodeJS.ProcessEnv,
  reads: ReadonlyArray<{ input: string; path: string }>,
): { full: string; relative: string } {
  const raw = inputs.string('results-file', { default: 'spectrum-benchmark.json' })
  const full = workspaceOutputFile('results-file', raw, env)
  const read = reads.find((r) => sameFile(full, r.path))
  if (read) {
    throw new InputError(
      'results-file',
      raw,
      `a file path inside the workspace other than the files the run reads (it is the ${read.input} file ${relative(workspaceRoot(env), read.path)})`,
    )
  }
  return { full, relative: relative(workspaceRoot(env), full).split(sep).join('/') }
}

/** The cluster or workgroup, the database and how to sign in to it. */
function readTarget(inputs: Inputs) {
  const clusterIdentifier = inputs.matching(
    'cluster-identifier',
    CLUSTER,
    'a cluster identifier: lower-case letters, digits and single hyphens, starting with a letter',
  )
  const workgroupName = inputs.matching(
    'workgroup-name',
    WORKGROUP,
    'a workgroup name: 3-64 lower-case letters, digits and hyphens',
  )
  if (clusterIdentifier && workgroupName) {
    throw new InputError(
      'workgroup-name',
      workgroupName,
      'empty when cluster-identifier is given (give one of the two)',
    )
  }
  if (!clusterIdentifier && !workgroupName) {
    throw new InputError(
      'cluster-identifier',
      '',
      'a provisioned cluster identifier, or a serverless workgroup-name instead',
    )
  }
  if (clusterIdentifier && clusterIdentifier.length > 63) {
    throw new InputError('cluster-identifier', clusterIdentifier, 'at most 63 characters')
  }
  const databaseRule =
    'a database name of at most 127 bytes: ASCII letters, digits, _ and $ or printable UTF-8 multibyte characters, starting with a letter, _ or a multibyte character'
  const database = inputs.matching('database', DATABASE, databaseRule, { required: true })!
  if (Buffer.byteLength(database, 'utf8') > IDENTIFIER_MAX_BYTES)
    throw new InputError(
      'database',
      database,
      `${databaseRule} (this one is ${Buffer.byteLength(database, 'utf8')} bytes)`,
    )
  const dbUser = inputs.matching('db-user', DB_USER, 'a database user name')
  const secretArn = inputs.matching(
    'secret-arn',
    SECRET_ARN,
    'a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)',
    { secret: true },
  )
  if (dbUser && secretArn)
    throw new InputError('db-user', dbUser, 'empty when secret-arn is given (give one of the two)')
  return { clusterIdentifier, workgroupName, database, dbUser, secretArn }
}

/**
 * Builds the one validated settings object. Every input error is thrown here,
 * before any call to the Data API.
 */
export function getSettings(inputs: Inputs = new Inputs(), env: NodeJS.ProcessEnv = process.env): Settings {
  const { clusterIdentifier, workgroupName, database, dbUser, secretArn } = readTarget(inputs)
  const iterations = inputs.integer('iterations', { default: 5, min: 1, max: 1000 })
  const warmup = inputs.integer('warmup', { default: 1, min: 0, max: 100 })
  const resultCache = inputs.boolean('result-cache', false)
  const rawMax = inputs.raw('max-regression')
  const maxRegression = parsePercent('max-regression', rawMax === '' ? '10%' : rawMax)
  const queryTimeoutSeconds = inputs.integer('query-timeout-seconds', { default: 900, min: 1, max: 86400 })
  const queryGroup = inputs.matching(
    'query-group',
    QUERY_GROUP,
    'a label of up to 100 letters, digits, spaces and _ . : / -',
  )
  const scanStats = inputs.boolean('scan-stats', true)
  const planChanges = inputs.choice('plan-changes', PLAN_CHANGES_MODES, 'report')
  const rawGrowth = inputs.raw('max-scan-growth')
  const maxScanGrowth = rawGrowth === '' ? undefined : parseGrowth('max-scan-growth', rawGrowth)
  const queries = resolveQueries(inputs.string('queries', { required: true }), env)
  const setupSql = readSetupSql(inputs, env)
  const given = readBaseline(inputs, env)
  const interleave = readInterleave(inputs, env, given)
  const history = readHistory(inputs, env)
  const historyRuns = inputs.integer('history-baseline', { default: 0, min: 0, max: 100 })
  const baseline = historyAsBaseline(historyRuns, history, given, interleave)
  const root = workspaceRoot(env)
  const rawSetup = inputs.raw('setup-sql')
  const reads = [
    ...queries.map((q) => ({ input: 'queries', path: resolve(root, q.file) })),
    ...(baseline.baseline ? [{ input: 'baseline', path: resolve(root, baseline.baseline.path) }] : []),
    ...(baseline.baselineMissing
      ? [{ input: 'baseline', path: resolve(root, baseline.baselineMissing) }]
      : []),
    ...(isSqlFilePath(rawSetup) ? [{ input: 'setup-sql', path: resolve(root, rawSetup) }] : []),
    ...(interleave?.baseQueries ?? []).map((q) => ({ input: 'base-queries', path: resolve(root, q.file) })),
    ...(history ?? []).map((h) => ({ input: 'history', path: resolve(root, h.path) })),
  ]
  const results = resultsPath(inputs, env, reads)
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION
  if (!region) {
    throw new Error(
      'No AWS region: set AWS_REGION (aws-actions/configure-aws-credentials does) to the region of the cluster or workgroup.',
    )
  }
  return {
    region,
    clusterIdentifier,
    workgroupName,
    database,
    dbUser,
    secretArn,
    queries,
    setupSql,
    iterations,
    warmup,
    resultCache,
    ...baseline,
    maxRegression,
    resultsFile: results.full,
    resultsFileRelative: results.relative,
    queryTimeoutSeconds,
    queryGroup,
    scanStats,
    planChanges,
    maxScanGrowth,
    interleave,
    history,
    historyBaseline: historyRuns,
  }
}

/** `history`: a glob of earlier results files inside the workspace (none matching: no history yet). */
function readHistory(inputs: Inputs, env: NodeJS.ProcessEnv): HistoryRun[] | undefined {
  const raw = inputs.raw('history')
  if (raw === '') return undefined
  const root = workspaceRoot(env)
  const accepted =
    'a glob of results files of earlier runs inside the workspace, such as .spectrum-history/*/*.json'
  const patterns = raw
    .split('\n')
    .map((p) => p.trim())
    .filter(Boolean)
  for (const pattern of patterns)
    if (pattern.includes('\0') || isAbsolute(pattern) || pattern.split(/[\\/]/).includes('..'))
      throw new InputError('history', pattern, accepted)
  const realRoot = realpathSync(root)
  const files = globSync(patterns, { cwd: root, absolute: true, onlyFiles: true }).sort()
  const runs = files.map((path) => {
    const file = relative(root, path).split(sep).join('/')
    if (outside(realRoot, realpathSync(path)))
      throw new InputError('history', file, `${accepted}; this file links outside it`)
    try {
      return { path: file, results: parseResults(readWorkspaceFile('history', file, env)) }
    } catch (error) {
      if (error instanceof ResultsFormatError)
        throw new InputError('history', file, `${accepted} (${error.message})`)
      throw error
    }
  })
  return orderHistory(runs)
}

/**
 * `history-baseline: N` makes the last N runs of the history the baseline: it
 * needs a history, and it is a baseline of its own, so neither a `baseline`
 * file nor interleave can be given with it.
 */
function historyAsBaseline(
  runs: number,
  history: HistoryRun[] | undefined,
  given: Pick<Settings, 'baseline' | 'baselineMissing'>,
  interleave: Settings['interleave'],
): Pick<Settings, 'baseline' | 'baselineMissing'> {
  if (runs === 0) return given
  if (history === undefined)
    throw new InputError(
      'history-baseline',
      String(runs),
      '0, or a number of runs with history naming their results files',
    )
  const file = given.baseline?.path ?? given.baselineMissing
  if (file !== undefined)
    throw new InputError(
      'baseline',
      file,
      'empty when history-baseline is given (the last runs of the history are the baseline)',
    )
  if (interleave)
    throw new InputError(
      'history-baseline',
      String(runs),
      '0 when interleave is true (the base branch in the same window is the baseline)',
    )
  // No earlier run yet (the first runs on the branch): timings are reported without comparison.
  if (history.length === 0) return {}
  const n = Math.min(runs, history.length)
  return { baseline: { path: `the last ${n} runs of the history`, results: historyBaseline(history, n) } }
}

/**
 * `interleave: true` runs the base branch's queries (`base-queries`, checked out
 * beside the pull request's) alternately with these: it needs them, and it is its
 * own baseline, so a `baseline` file would be a second, contradicting one.
 */
function readInterleave(
  inputs: Inputs,
  env: NodeJS.ProcessEnv,
  baseline: Pick<Settings, 'baseline' | 'baselineMissing'>,
): Settings['interleave'] {
  const interleave = inputs.boolean('interleave', false)
  const rawBase = inputs.raw('base-queries')
  if (!interleave) {
    if (rawBase !== '')
      throw new InputError(
        'base-queries',
        rawBase,
        "empty unless interleave is true (it names the base branch's queries to interleave)",
      )
    return undefined
  }
  if (rawBase === '')
    throw new InputError(
      'interleave',
      inputs.raw('interleave'),
      "false, or true with base-queries naming the base branch's query files (for example the base ref checked out in .spectrum-base: .spectrum-base/queries/*.sql)",
    )
  const given = baseline.baseline?.path ?? baseline.baselineMissing
  if (given !== undefined)
    throw new InputError(
      'baseline',
      given,
      "empty when interleave is true (the base branch's queries, run in the same window, are the baseline)",
    )
  return { baseQueries: resolveQueries(rawBase, env, 'base-queries') }
}
