#!/usr/bin/env node
/**
 * Splits targets into matrix slices and merges the slices' results, for the
 * reusable workflows' sharded runs. It runs from the toolkit's checkout with no
 * build and no node_modules: Node 22.18+ (or 23.6+) strips the types of
 * lib/shards.ts and lib/summary.ts, which import nothing. Inputs come from the
 * environment (never from `${{ }}` inside a script):
 *
 *   node scripts/shards.mjs split   ACCOUNTS, REGIONS, SHARD_SIZE (empty: one shard),
 *       CANARY_REGIONS
 *       -> GITHUB_OUTPUT: matrix (JSON {include: [...]}), count
 *   node scripts/shards.mjs merge   SHARD_MATRIX (the split's matrix), RESULTS_DIR
 *       (one <dir>/<ARTIFACT_PREFIX><shard>/results.json per slice job, the layout
 *       actions/download-artifact gives), FAILURE_TOLERANCE
 *       -> GITHUB_OUTPUT: results, and the maps the actions output today when the
 *          results carry their parts (outputs and stack-ids of deploy-multi-region;
 *          deleted, copied and kept of prune-snapshots);
 *          GITHUB_STEP_SUMMARY: one summary grouped by account; exit 1 when more
 *          targets failed than FAILURE_TOLERANCE
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import {
  FAILED_STATUSES,
  keyedBy,
  mergeShards,
  sliceMatrix,
  splitList,
  splitTargets,
  summaryParts,
} from '../lib/shards.ts'
import { markdownTable } from '../lib/summary.ts'

const env = process.env

function setOutput(name, value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  if (!env.GITHUB_OUTPUT) {
    console.log(`${name}=${text}`)
    return
  }
  const delimiter = `EOF_${randomBytes(8).toString('hex')}`
  appendFileSync(env.GITHUB_OUTPUT, `${name}<<${delimiter}\n${text}\n${delimiter}\n`)
}

function split() {
  const size = (env.SHARD_SIZE ?? '').trim()
  const slices = splitTargets(
    splitList(env.ACCOUNTS ?? ''),
    splitList(env.REGIONS ?? ''),
    size === '' ? Number.MAX_SAFE_INTEGER : Number(size),
  )
  setOutput('matrix', sliceMatrix(slices, splitList(env.CANARY_REGIONS ?? '')))
  setOutput('count', String(slices.length))
  for (const s of slices) {
    const where = s.accounts.length ? `${s.accounts.length} account(s)` : "the job's own account"
    console.log(`shard ${s.shard}: ${s.targets} target(s), ${where} x ${s.regions.length} region(s)`)
  }
}

/**
 * prune-snapshots' `deleted` over every slice: the snapshots deleted in each target's
 * region, and those deleted in an account's dr-region (carried by the account's first
 * target as drRegion/drDeleted), keyed as the action keys them; regions with none left out.
 */
function prunedByTarget(results) {
  const multiAccount = new Set(results.map((r) => r.account ?? '')).size > 1
  const deleted = {}
  const add = (r, region, ids) => {
    if (!Array.isArray(ids) || ids.length === 0) return
    const key = multiAccount && r.account !== undefined ? `${r.account}/${region}` : region
    // Two slices of one account (its regions split) both prune its dr-region: one list.
    deleted[key] = [...new Set([...(deleted[key] ?? []), ...ids])]
  }
  for (const r of results) {
    add(r, r.region, r.deleted)
    if (r.drRegion) add(r, r.drRegion, r.drDeleted)
  }
  return deleted
}

function merge() {
  const matrix = JSON.parse(env.SHARD_MATRIX ?? '{"include":[]}')
  const slices = matrix.include.map((m) => ({
    shard: Number(m.shard),
    accounts: splitList(m.accounts),
    regions: splitList(m.regions),
    targets: Number(m.targets),
  }))
  const dir = env.RESULTS_DIR ?? 'shard-results'
  const prefix = env.ARTIFACT_PREFIX ?? 'results-'
  const outputs = new Map()
  for (const s of slices) {
    const file = join(dir, `${prefix}${s.shard}`, 'results.json')
    if (!existsSync(file)) continue
    const text = readFileSync(file, 'utf8').trim()
    if (text !== '') outputs.set(s.shard, JSON.parse(text))
  }
  const merged = mergeShards(slices, outputs)
  setOutput('results', merged.results)
  // The maps the actions output today, rebuilt over every shard's targets.
  if (merged.results.some((r) => r.stackId)) {
    setOutput(
      'outputs',
      keyedBy(merged.results, (r) => (r.stackId ? r.outputs : undefined)),
    )
    setOutput(
      'stack-ids',
      keyedBy(merged.results, (r) => r.stackId ?? undefined),
    )
  }
  if (merged.results.some((r) => Array.isArray(r.deleted))) {
    setOutput('deleted', prunedByTarget(merged.results))
    setOutput(
      'copied',
      merged.results.flatMap((r) => (Array.isArray(r.copied) ? r.copied : [])),
    )
    setOutput(
      'kept',
      String(
        merged.results.reduce(
          (n, r) =>
            n + (typeof r.kept === 'number' ? r.kept : 0) + (typeof r.drKept === 'number' ? r.drKept : 0),
          0,
        ),
      ),
    )
  }
  const parts = summaryParts(merged)
  const failed = merged.results.filter((r) => FAILED_STATUSES.includes(r.status)).length
  const tolerance = Number(env.FAILURE_TOLERANCE || '0')
  const verdict =
    failed > tolerance
      ? `${failed} target(s) failed, more than the tolerance of ${tolerance}.`
      : `${failed} target(s) failed (tolerance ${tolerance}).`
  const lines = [`## ${slices.length} shard(s) merged`, '', parts.tally, verdict, '']
  if (parts.missing.length) lines.push(`Shards without results: ${parts.missing.join(', ')}.`, '')
  for (const account of parts.accounts) {
    lines.push(`### ${account.account}`, '', markdownTable(account.headers, account.rows), '')
  }
  const markdown = lines.join('\n')
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, markdown)
  console.log(`${parts.tally} ${verdict}`)
  if (failed > tolerance) process.exitCode = 1
}

try {
  const command = process.argv[2]
  if (command === 'split') split()
  else if (command === 'merge') merge()
  else throw new Error('usage: node scripts/shards.mjs split|merge')
} catch (error) {
  console.log(`::error::${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
}
