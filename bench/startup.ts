/**
 * Size and start-up time of every bundle in dist/, against bare node.
 *
 * A bundle's size is what node reads to start it: its index.js and every chunk
 * it imports statically, in turn; chunks loaded with import() only when a run
 * needs them are left out (the `lazy MB` column: the rest of its folder).
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
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
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

/**
 * The files node reads to start a bundle: the file and the chunks its static
 * `import ... from "./chunk.js"` statements name, in turn (as the bundler
 * writes them: `import{a as b}from"./chunk-X.js"`; `import("./x.js")` is lazy).
 */
function staticImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen
  seen.add(file)
  const code = readFileSync(file, 'utf8')
  for (const [, path] of code.matchAll(
    /(?:^|[;}\s])(?:import|export)\s*(?:[\w$*{},\s]+?\s*from\s*)?["'](\.\.?\/[^"']+)["']/g,
  ))
    staticImports(join(dirname(file), path!), seen)
  return seen
}

/**
 * The files a bundle reads at start. An action that runs in a worker
 * (lib/worker.ts) has an index.js that only starts the worker, which at once
 * imports the action's main chunk (`import("./main-X.js")`): that chunk and its
 * static imports count as loaded at start too.
 */
function startupFiles(file: string): Set<string> {
  const files = staticImports(file)
  const main = /import\(["'](\.\/main-[^"']+)["']\)/.exec(readFileSync(file, 'utf8'))?.[1]
  if (main !== undefined) staticImports(join(dirname(file), main), files)
  return files
}

function folderBytes(folder: string): number {
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.js'))
    .reduce((sum, d) => sum + statSync(join(d.parentPath, d.name)).size, 0)
}

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
  const loaded = [...startupFiles(join(dist, bundle))].reduce((sum, file) => sum + statSync(file).size, 0)
  const folder = join(dist, bundle.split('/')[0]!)
  const lazy = folderBytes(folder) - loaded
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2)
  return [bundle, mb(loaded), mb(lazy), ms.toFixed(0), (ms - bare).toFixed(0)]
})
const headers = ['bundle', 'MB', 'lazy MB', 'start-up ms', 'over bare node ms']
const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
const line = (cells: readonly string[]) =>
  cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')
console.log(`node ${process.version}, median of ${runs} interleaved runs; bare node ${bare.toFixed(0)} ms`)
console.log(line(headers))
console.log(widths.map((w) => '-'.repeat(w)).join('  '))
for (const row of rows) console.log(line(row))
