// Bundles every action with esbuild: actions/<name>/src/index.ts becomes
// dist/<name>/index.js, and a post step (actions/<name>/src/post-index.ts, which
// runs post.ts) becomes dist/<name>/post/index.js; the command line
// (cli/src/index.ts) becomes dist/cli/index.js. `npm run build -- <name>...`
// builds only those (`cli` for the command line); `-- --analyze` prints what
// each output file holds, largest first.
//
// Bundles are ES modules, minified, with no source maps and no licence comments
// in the code: the licences of every package a folder's files include are in its
// licenses.txt, so a job downloads and parses as little as possible. Packages
// are taken in their ES module build (`module` before `main`) so that only the
// parts used are bundled. Code that only some runs need is loaded with import()
// and lands in a chunk file of its own, read only when a run gets there. Main
// and post of one action share their chunks, which sit beside index.js (not in
// a subfolder), so code that finds files from import.meta.url (the root
// action's dist folder, the command line's package root) sees the same folder
// from a chunk as from index.js.
//
// Each bundle is built beside dist/ and swapped in only when the build worked,
// so a failed build never leaves a half-written bundle behind.
import { analyzeMetafile, build } from 'esbuild'
import { bundleOptions } from './bundle-options.mjs'
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'

const analyze = process.argv.includes('--analyze')
const only = process.argv.slice(2).filter((arg) => arg !== '--analyze')
const actions = readdirSync('actions', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('actions', d.name, 'src', 'index.ts')))
  .map((d) => ({ name: d.name, src: join('actions', d.name, 'src') }))
const targets = [...actions, { name: 'cli', src: join('cli', 'src') }]
  .filter(({ name }) => only.length === 0 || only.includes(name))
  .sort((a, b) => a.name.localeCompare(b.name))
const unknown = only.filter((name) => !targets.some((t) => t.name === name))
if (unknown.length > 0) {
  console.error(`No such bundle: ${unknown.join(', ')}`)
  process.exit(2)
}

/** The node_modules package folder a bundled file belongs to, or undefined for our own source. */
function packageFolder(file) {
  const at = file.lastIndexOf('node_modules/')
  if (at === -1) return undefined
  const rest = file.slice(at + 'node_modules/'.length).split('/')
  return file.slice(0, at + 'node_modules/'.length) + rest.slice(0, rest[0].startsWith('@') ? 2 : 1).join('/')
}

/**
 * licenses.txt for one folder of bundles: each package any of its files
 * includes, with its licence and licence text, sorted by name.
 */
function licences(metafile) {
  const packages = new Map()
  for (const output of Object.values(metafile.outputs)) {
    for (const input of Object.keys(output.inputs)) {
      const dir = packageFolder(input)
      if (dir === undefined || packages.has(dir)) continue
      const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      const licence = typeof meta.license === 'string' ? meta.license : (meta.license?.type ?? '')
      const textFile = readdirSync(dir)
        .sort()
        .find((f) => /^(licen[cs]e|copying)(\.|-|$)/i.test(f))
      const text = textFile ? readFileSync(join(dir, textFile), 'utf8').trim() : ''
      packages.set(dir, { name: meta.name, version: meta.version, licence, text })
    }
  }
  const entries = [...new Map([...packages.values()].map((p) => [`${p.name}@${p.version}`, p])).values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1))
    .map((p) => [`${p.name}@${p.version}`, p.licence, p.text].filter((line) => line !== '').join('\n'))
  return `${entries.join('\n\n')}\n`
}

const staging = mkdtempSync(join('dist', '.build-'))
try {
  for (const { name, src } of targets) {
    const out = join(staging, name)
    const entryPoints = [{ in: join(src, 'index.ts'), out: 'index' }]
    if (existsSync(join(src, 'post-index.ts')))
      entryPoints.push({ in: join(src, 'post-index.ts'), out: 'post/index' })
    const result = await build({ ...bundleOptions, entryPoints, outdir: out, metafile: true })
    writeFileSync(join(out, 'licenses.txt'), licences(result.metafile))
    // The bundles are ES modules named .js; this holds wherever dist/ is copied.
    writeFileSync(join(out, 'package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`)
    rmSync(join('dist', name), { recursive: true, force: true })
    renameSync(out, join('dist', name))
    console.log(`built dist/${name} (${Object.keys(result.metafile.outputs).length} files)`)
    if (analyze) console.log(await analyzeMetafile(result.metafile))
  }
  // A full build leaves nothing else in dist/: a bundle whose source is gone goes too.
  if (only.length === 0) {
    for (const entry of readdirSync('dist', { withFileTypes: true })) {
      if (entry.isDirectory() && !entry.name.startsWith('.') && !targets.some((t) => t.name === entry.name))
        rmSync(join('dist', entry.name), { recursive: true, force: true })
    }
  }
} finally {
  rmSync(staging, { recursive: true, force: true })
}
