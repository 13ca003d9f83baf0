/**
 * Size and start-up time of every bundle in dist/, against bare node.
 *
 *   npm run bench:startup [-- --runs 21] [-- --dist <folder>]
 *
 * Start-up is the wall time of `node dist/<name>/index.js` with no inputs: the
 * bundle loads, evaluates its modules, reads its settings, fails on the first
 * missing input and exits, before any AWS call. Bare node is `node` running an
 * empty module. Runs are interleaved (one of each target per round) so a busy
 * machine slows every target alike; the figures are medians over the rounds.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { median } from 'simple-statistics'

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : undefined
}

const runs = Number(option('runs') ?? 15)
// Another folder of bundles (an older build) can be measured the same way.
const dist = resolve(option('dist') ?? join(import.meta.dirname, '..', 'dist'))

const bundles = readdirSync(dist, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
  .flatMap((d) => [join(d.name, 'index.js'), join(d.name, 'post', 'index.js')])
  .filter((path) => existsSync(join(dist, path)))
  .sort()

const empty = join(mkdtempSync(join(tmpdir(), 'bench-startup-')), 'empty.mjs')
writeFileSync(empty, '')

// No INPUT_*, no runner files: each action stops at its first required input.
const env: NodeJS.ProcessEnv = {}
for (const [key, value] of Object.entries(process.env)) {
  if (!key.startsWith('INPUT_') && !key.startsWith('GITHUB_') && !key.startsWith('STATE_')) env[key] = value
}
delete env.NODE_OPTIONS

function time(file: string): number {
  const started = performance.now()
  spawnSync(process.execPath, [file], { env, stdio: 'ignore' })
  return performance.now() - started
}

const targets = [empty, ...bundles.map((b) => join(dist, b))]
const samples = new Map<string, number[]>(targets.map((t) => [t, []]))
time(empty) // warm the file cache
for (let round = 0; round < runs; round++) {
  for (const target of targets) samples.get(target)!.push(time(target))
}

const bare = median(samples.get(empty)!)
const rows = bundles.map((bundle) => {
  const ms = median(samples.get(join(dist, bundle))!)
  const bytes = statSync(join(dist, bundle)).size
  return [bundle, (bytes / 1024 / 1024).toFixed(2), ms.toFixed(0), (ms - bare).toFixed(0)]
})
const headers = ['bundle', 'MB', 'start-up ms', 'over bare node ms']
const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
const line = (cells: readonly string[]) =>
  cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')
console.log(`node ${process.version}, median of ${runs} interleaved runs; bare node ${bare.toFixed(0)} ms`)
console.log(line(headers))
console.log(widths.map((w) => '-'.repeat(w)).join('  '))
for (const row of rows) console.log(line(row))
