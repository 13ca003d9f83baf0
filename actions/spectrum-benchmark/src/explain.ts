/**
 * Query plans as Redshift's EXPLAIN prints them, and what changed between two.
 *
 * Redshift answers `EXPLAIN <query>` with one text column, `QUERY PLAN`, a line a row:
 * the root step first, every other step on a line of its own starting with `->`,
 * indented under its parent, and a step's details (`Filter:`, `Hash Cond:`, ...) on
 * the lines under it (Database Developer Guide, EXPLAIN and "Query plan"). Steps that
 * run on Spectrum are named `S3 Seq Scan`, `S3 HashAggregate`, `S3 Query Scan`,
 * `Seq Scan PartitionInfo` and `Partition Loop` ("Amazon Redshift Spectrum query
 * performance"); a partitioned external table that the query filters on its
 * partition columns is read in a `Partition Loop` over `Seq Scan PartitionInfo`.
 * Joins name their strategy and data movement (`XN Hash Join DS_BCAST_INNER`).
 *
 * Costs and row estimates move with table statistics and data volume, so two plans
 * are compared without them: a plan changed when its steps, their tables, the
 * Spectrum scans' partition loops and filters, or a join's strategy did.
 */

export interface PlanStep {
  /** The step without its cost and row estimate, e.g. `XN Hash Join DS_BCAST_INNER`. */
  label: string
  depth: number
  /** Lines under the step: `Filter: ...`, `Hash Cond: ...`. */
  details: string[]
}

export interface PlanChange {
  query: string
  description: string
}

/** The EXPLAIN statement of a query. */
export function explainSql(sql: string): string {
  return `EXPLAIN ${sql}`
}

/** The plan's lines from the rows of an EXPLAIN statement (one `QUERY PLAN` column). */
export function planLines(rows: ReadonlyArray<Record<string, unknown>>): string[] {
  return rows.map((row) => {
    const value = row['QUERY PLAN'] ?? row['query plan'] ?? Object.values(row)[0]
    return typeof value === 'string' ? value.replace(/\s+$/, '') : String(value ?? '')
  })
}

const COST = /\s*\((?:cost|actual)=[^)]*\)/g

/** A step label or detail without costs, row estimates and runs of blanks. */
export function normaliseLine(line: string): string {
  return line.replace(COST, '').replace(/\s+/g, ' ').trim()
}

/** Reads the indented text into steps, in the order EXPLAIN prints them (parents first). */
export function parsePlan(lines: readonly string[]): PlanStep[] {
  const steps: PlanStep[] = []
  const arrowIndents: number[] = []
  for (const line of lines) {
    if (line.trim() === '') continue
    const arrow = /^(\s*)->\s+(.*)$/.exec(line)
    if (arrow) {
      const indent = arrow[1]!.length
      while (arrowIndents.length > 0 && arrowIndents.at(-1)! >= indent) arrowIndents.pop()
      arrowIndents.push(indent)
      steps.push({ label: normaliseLine(arrow[2]!), depth: arrowIndents.length, details: [] })
    } else if (steps.length === 0) {
      steps.push({ label: normaliseLine(line), depth: 0, details: [] })
    } else {
      steps.at(-1)!.details.push(normaliseLine(line))
    }
  }
  return steps
}

const JOIN =
  /^XN ((?:Hash|Merge)(?: (?:Left|Right|Full|Anti|Semi|IN))? Join|Nested Loop(?: (?:Left|Anti|Semi))?(?: Join)?)(?: (DS_[A-Z_]+))?/
const S3_SCAN = /^S3 Seq Scan (\S+)/
const PARTITION_INFO = /^XN Seq Scan PartitionInfo of (\S+)/

function joins(steps: readonly PlanStep[]): string[] {
  return steps.flatMap((s) => {
    const m = JOIN.exec(s.label)
    return m ? [[m[1], m[2]].filter(Boolean).join(' ')] : []
  })
}

interface ExternalScan {
  table: string
  filter?: string
  partitionFilter?: string
  partitionLoop: boolean
}

function externalScans(steps: readonly PlanStep[]): Map<string, ExternalScan> {
  const out = new Map<string, ExternalScan>()
  for (const s of steps) {
    const m = S3_SCAN.exec(s.label)
    if (!m) continue
    out.set(m[1]!, {
      table: m[1]!,
      filter: s.details.find((d) => d.startsWith('Filter:')),
      partitionLoop: false,
    })
  }
  for (const s of steps) {
    const m = PARTITION_INFO.exec(s.label)
    const scan = m ? out.get(m[1]!) : undefined
    if (!scan) continue
    scan.partitionLoop = true
    scan.partitionFilter = s.details.find((d) => d.startsWith('Filter:'))
  }
  return out
}

function multiset(labels: readonly string[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const l of labels) out.set(l, (out.get(l) ?? 0) + 1)
  return out
}

function minus(a: Map<string, number>, b: Map<string, number>): string[] {
  const out: string[] = []
  for (const [label, n] of a) for (let i = b.get(label) ?? 0; i < n; i++) out.push(label)
  return out
}

/** The steps whose change the Spectrum and join findings already explain. */
function explained(label: string): boolean {
  return /^XN Partition Loop\b/.test(label) || PARTITION_INFO.test(label) || JOIN.test(label)
}

function stripFilter(filter: string | undefined): string {
  return (filter ?? '').replace(/^Filter:\s*/, '')
}

function spectrumFindings(base: readonly PlanStep[], current: readonly PlanStep[]): string[] {
  const out: string[] = []
  const before = externalScans(base)
  const after = externalScans(current)
  for (const [table, was] of before) {
    const now = after.get(table)
    if (!now) continue
    if (was.partitionLoop && !now.partitionLoop)
      out.push(`the Spectrum scan of ${table} lost its partition loop (every partition is read)`)
    else if (!was.partitionLoop && now.partitionLoop)
      out.push(`the Spectrum scan of ${table} gained a partition loop (partitions are pruned)`)
    else if (was.partitionFilter !== now.partitionFilter)
      out.push(
        `the partition filter of ${table} changed from ${stripFilter(was.partitionFilter)} to ${stripFilter(now.partitionFilter)}`,
      )
    if (was.filter && !now.filter)
      out.push(`the Spectrum scan of ${table} lost its filter (${stripFilter(was.filter)})`)
    else if (!was.filter && now.filter)
      out.push(`the Spectrum scan of ${table} gained a filter (${stripFilter(now.filter)})`)
    else if (was.filter !== now.filter)
      out.push(`the filter of the Spectrum scan of ${table} changed to ${stripFilter(now.filter)}`)
  }
  return out
}

function joinFindings(base: readonly PlanStep[], current: readonly PlanStep[]): string[] {
  const before = joins(base)
  const after = joins(current)
  if (before.length !== after.length) {
    return [`the joins changed from ${before.join(', ') || 'none'} to ${after.join(', ') || 'none'}`]
  }
  return before.flatMap((was, i) =>
    was === after[i] ? [] : [`join ${i + 1} changed strategy from ${was} to ${after[i]}`],
  )
}

/**
 * What changed from the base plan to the current one, in short sentences; empty
 * when the plans are the same apart from costs and row estimates.
 */
export function describePlanChange(baseLines: readonly string[], currentLines: readonly string[]): string[] {
  const base = parsePlan(baseLines)
  const current = parsePlan(currentLines)
  const flat = (steps: PlanStep[]) => steps.map((s) => [s.depth, s.label, ...s.details].join('|')).join('\n')
  if (flat(base) === flat(current)) return []
  const findings = [...spectrumFindings(base, current), ...joinFindings(base, current)]
  const labelsBefore = multiset(base.map((s) => s.label).filter((l) => !explained(l)))
  const labelsAfter = multiset(current.map((s) => s.label).filter((l) => !explained(l)))
  const appeared = minus(labelsAfter, labelsBefore)
  const went = minus(labelsBefore, labelsAfter)
  if (appeared.length > 0) findings.push(`steps appeared: ${appeared.join('; ')}`)
  if (went.length > 0) findings.push(`steps went: ${went.join('; ')}`)
  if (findings.length === 0) findings.push('the order of the steps or their conditions changed')
  return findings
}

/** Plan changes of the queries that ran on both sides and had a plan on both. */
export function comparePlans(
  pairs: ReadonlyArray<{ query: string; base?: readonly string[]; current?: readonly string[] }>,
): PlanChange[] {
  return pairs.flatMap(({ query, base, current }) => {
    if (!base || !current || base.length === 0 || current.length === 0) return []
    const findings = describePlanChange(base, current)
    return findings.length > 0 ? [{ query, description: findings.join('; ') }] : []
  })
}
