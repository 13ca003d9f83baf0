/**
 * EXPLAIN in Redshift's shape, for the local Redshift Data API engine: PostgreSQL
 * plans the query (EXPLAIN (FORMAT JSON)) and the plan is printed the way Redshift
 * prints one (Database Developer Guide: EXPLAIN, "Query plan", "Amazon Redshift
 * Spectrum query performance", "Partitioning Redshift Spectrum external tables"):
 *
 * - steps carry the `XN` prefix of the compute nodes (`XN Seq Scan on customer c`,
 *   `XN HashAggregate`, `XN Hash Join DS_BCAST_INNER` with its data movement);
 * - a table of the `spectrum` schema (the external schema) is read by
 *   `XN S3 Query Scan <alias>` over `S3 Seq Scan spectrum.<table> <alias>
 *   location:"s3://..." format:PARQUET`, with an aggregation directly over it pushed
 *   down as `S3 HashAggregate`;
 * - a partitioned external table whose partitions the query prunes is read in an
 *   `XN Partition Loop` over `XN Seq Scan PartitionInfo of spectrum.<table>` whose
 *   Filter holds the conditions on the partition columns; without such a filter no
 *   loop is printed and every partition is read;
 * - a sort at the top is merged on the leader (`XN Merge` over `XN Network`, `Send to
 *   leader`).
 *
 * Simpler than Redshift: costs and row estimates are PostgreSQL's (Redshift's are
 * relative too, and the action compares plans without them); every join is
 * DS_BCAST_INNER (hash, nested loop) or DS_DIST_NONE (merge) because the local
 * tables have no distribution styles; sub-plans and CTE scans print as PostgreSQL
 * names them, with the prefix.
 */

interface PgPlan {
  'Node Type': string
  'Relation Name'?: string
  Alias?: string
  'Startup Cost': number
  'Total Cost': number
  'Plan Rows': number
  'Plan Width': number
  Plans?: PgPlan[]
  Filter?: string
  'Index Cond'?: string
  'Recheck Cond'?: string
  'Hash Cond'?: string
  'Merge Cond'?: string
  'Join Filter'?: string
  'Join Type'?: string
  Strategy?: string
  'Sort Key'?: string[]
  'Group Key'?: string[]
  'Subquery Scan'?: string
}

interface Step {
  label: string
  cost: PgPlan
  details: string[]
  children: Step[]
}

export interface ExternalTable {
  /** Name in the `spectrum` schema, as the query names it. */
  table: string
  location: string
  /** Leaf relations (one a partition) and the partition columns, for a partitioned table. */
  leafPrefix?: string
  leaves?: number
  partitionColumns?: readonly string[]
}

/** The proof of concept's external tables. */
export const POC_EXTERNAL_TABLES: readonly ExternalTable[] = [
  { table: 'uservisits_flat', location: 's3://spectrum-poc/uservisits/flat' },
  {
    table: 'uservisits_partitioned',
    location: 's3://spectrum-poc/uservisits/partitioned',
    leafPrefix: 'uservisits_p_',
    leaves: 6 * 24,
    partitionColumns: ['customer', 'visityearmonth'],
  },
]

interface ExternalScan {
  table: ExternalTable
  alias: string
  leavesRead: number
  filters: string[]
  node: PgPlan
}

function externalTableOf(relation: string, tables: readonly ExternalTable[]): ExternalTable | undefined {
  return tables.find(
    (t) => t.table === relation || (t.leafPrefix !== undefined && relation.startsWith(t.leafPrefix)),
  )
}

/** The scan of one external table: a Seq Scan on it, or an Append over its partitions' scans. */
function externalScan(node: PgPlan, tables: readonly ExternalTable[]): ExternalScan | undefined {
  const scans: PgPlan[] = []
  const collect = (n: PgPlan): boolean => {
    // PostgreSQL names the schema only in VERBOSE plans; the PoC's external table names are unique.
    if (n['Node Type'] === 'Seq Scan' && externalTableOf(n['Relation Name'] ?? '', tables)) {
      scans.push(n)
      return true
    }
    if (n['Node Type'] === 'Append' || n['Node Type'] === 'Merge Append')
      return (n.Plans ?? []).every((p) => collect(p))
    return false
  }
  if (!collect(node) || scans.length === 0) return undefined
  const table = externalTableOf(scans[0]!['Relation Name'] ?? '', tables)
  if (!table || scans.some((s) => externalTableOf(s['Relation Name'] ?? '', tables) !== table))
    return undefined
  const alias = (scans[0]!.Alias ?? table.table).replace(/_\d+$/, '')
  return { table, alias, leavesRead: scans.length, filters: scans[0]!.Filter ? [scans[0]!.Filter] : [], node }
}

/** The conjuncts of a PostgreSQL condition: `((a) AND (b))` -> `(a)`, `(b)`. */
export function conjuncts(condition: string): string[] {
  let text = condition.trim()
  const wrapped = (s: string) => {
    if (!s.startsWith('(') || !s.endsWith(')')) return false
    let depth = 0
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '(') depth++
      else if (s[i] === ')') depth--
      if (depth === 0 && i < s.length - 1) return false
    }
    return true
  }
  while (wrapped(text) && / AND /.test(text)) {
    const inner = text.slice(1, -1)
    const parts: string[] = []
    let depth = 0
    let start = 0
    for (let i = 0; i < inner.length; i++) {
      if (inner[i] === '(') depth++
      else if (inner[i] === ')') depth--
      else if (depth === 0 && inner.startsWith(' AND ', i)) {
        parts.push(inner.slice(start, i))
        start = i + 5
      }
    }
    parts.push(inner.slice(start))
    if (parts.length === 1) {
      text = inner
      continue
    }
    return parts.map((p) => p.trim())
  }
  return [text]
}

function and(parts: readonly string[]): string {
  return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`
}

function s3Scan(scan: ExternalScan, aggregate: PgPlan | undefined): Step {
  const columns = scan.table.partitionColumns ?? []
  const onPartition = (c: string) => columns.some((col) => new RegExp(`\\b${col}\\b`).test(c))
  const all = scan.filters.flatMap(conjuncts)
  const rest = all.filter((c) => !onPartition(c))
  const seq: Step = {
    label: `S3 Seq Scan spectrum.${scan.table.table} ${scan.alias} location:"${scan.table.location}" format:PARQUET`,
    cost: scan.node,
    details: rest.length > 0 ? [`Filter: ${and(rest)}`] : [],
    children: [],
  }
  const inS3 = aggregate ? { label: 'S3 HashAggregate', cost: aggregate, details: [], children: [seq] } : seq
  const query: Step = {
    label: `XN S3 Query Scan ${scan.alias}`,
    cost: aggregate ?? scan.node,
    details: [],
    children: [inS3],
  }
  const pruned = scan.table.leaves !== undefined && scan.leavesRead < scan.table.leaves
  if (!pruned) return query
  const partitionFilter = all.filter(onPartition)
  const info: Step = {
    label: `XN Seq Scan PartitionInfo of spectrum.${scan.table.table} ${scan.alias}`,
    cost: {
      ...scan.node,
      'Startup Cost': 0,
      'Total Cost': 0.01 * scan.table.leaves!,
      'Plan Rows': scan.leavesRead,
      'Plan Width': 8,
    },
    details: [`Filter: ${partitionFilter.length > 0 ? and(partitionFilter) : '(partition pruning)'}`],
    children: [],
  }
  return { label: 'XN Partition Loop', cost: query.cost, details: [], children: [info, query] }
}

function joinLabel(node: PgPlan, kind: string, movement: string): string {
  const type = node['Join Type'] && node['Join Type'] !== 'Inner' ? ` ${node['Join Type']}` : ''
  if (kind === 'Nested Loop')
    return type ? `XN Nested Loop${type} Join ${movement}` : `XN Nested Loop ${movement}`
  return `XN ${kind}${type} Join ${movement}`
}

function relationLabel(node: PgPlan): string {
  const rel = node['Relation Name'] ?? ''
  return node.Alias && node.Alias !== rel ? `XN Seq Scan on ${rel} ${node.Alias}` : `XN Seq Scan on ${rel}`
}

function translate(node: PgPlan, tables: readonly ExternalTable[]): Step {
  const type = node['Node Type']
  const external = externalScan(node, tables)
  if (external) return s3Scan(external, undefined)
  const children = () => (node.Plans ?? []).map((p) => translate(p, tables))
  const only = (node.Plans ?? [])[0]
  switch (type) {
    case 'Aggregate': {
      const strategy =
        node.Strategy === 'Hashed'
          ? 'XN HashAggregate'
          : node.Strategy === 'Sorted'
            ? 'XN GroupAggregate'
            : 'XN Aggregate'
      // An aggregation directly over an external scan runs in Spectrum, and the cluster combines.
      const below = only?.['Node Type'] === 'Sort' ? only.Plans?.[0] : only
      const pushed = below ? externalScan(below, tables) : undefined
      if (pushed) return { label: strategy, cost: node, details: [], children: [s3Scan(pushed, node)] }
      return { label: strategy, cost: node, details: [], children: children() }
    }
    case 'Hash Join':
      return {
        label: joinLabel(node, 'Hash', 'DS_BCAST_INNER'),
        cost: node,
        details: [`Hash Cond: ${node['Hash Cond']}`],
        children: children(),
      }
    case 'Merge Join':
      return {
        label: joinLabel(node, 'Merge', 'DS_DIST_NONE'),
        cost: node,
        details: [`Merge Cond: ${node['Merge Cond']}`],
        children: children(),
      }
    case 'Nested Loop':
      return {
        label: joinLabel(node, 'Nested Loop', 'DS_BCAST_INNER'),
        cost: node,
        details: node['Join Filter'] ? [`Join Filter: ${node['Join Filter']}`] : [],
        children: children(),
      }
    case 'Seq Scan':
    case 'Index Scan':
    case 'Index Only Scan':
    case 'Bitmap Heap Scan': {
      // Redshift has no indexes: every local table is read by a sequential scan with a filter.
      const filter = [node['Index Cond'], node['Recheck Cond'], node.Filter].filter(Boolean) as string[]
      return {
        label: relationLabel(node),
        cost: node,
        details: filter.length > 0 ? [`Filter: ${and(filter.flatMap(conjuncts))}`] : [],
        children: [],
      }
    }
    case 'Sort':
      return {
        label: 'XN Sort',
        cost: node,
        details: [`Sort Key: ${(node['Sort Key'] ?? []).join(', ')}`],
        children: children(),
      }
    case 'Subquery Scan':
      return {
        label: `XN Subquery Scan ${node.Alias ?? ''}`.trim(),
        cost: node,
        details: [],
        children: children(),
      }
    case 'Memoize':
    case 'Materialize':
    case 'Gather':
    case 'Gather Merge':
      return only ? translate(only, tables) : { label: `XN ${type}`, cost: node, details: [], children: [] }
    default:
      return { label: `XN ${type}`, cost: node, details: [], children: children() }
  }
}

function costText(node: PgPlan): string {
  return `(cost=${node['Startup Cost'].toFixed(2)}..${node['Total Cost'].toFixed(2)} rows=${Math.round(node['Plan Rows'])} width=${node['Plan Width']})`
}

function render(step: Step, depth: number, out: string[]): void {
  const pad = depth === 0 ? '' : `${' '.repeat(6 * depth - 4)}->  `
  out.push(`${pad}${step.label}  ${costText(step.cost)}`)
  const detailPad = ' '.repeat(depth === 0 ? 2 : 6 * depth + 2)
  for (const d of step.details) out.push(`${detailPad}${d}`)
  for (const c of step.children) render(c, depth + 1, out)
}

/** The lines of Redshift's `QUERY PLAN` for PostgreSQL's JSON plan of a query. */
export function redshiftPlan(plan: PgPlan, tables: readonly ExternalTable[] = POC_EXTERNAL_TABLES): string[] {
  let root = translate(plan, tables)
  if (root.label === 'XN Sort') {
    // The compute nodes sort their slices; the leader merges them.
    const network: Step = { label: 'XN Network', cost: plan, details: ['Send to leader'], children: [root] }
    root = {
      label: 'XN Merge',
      cost: plan,
      details: [root.details[0]!.replace('Sort Key', 'Merge Key')],
      children: [network],
    }
  }
  const out: string[] = []
  render(root, 0, out)
  return out
}
