// Bundles every action with @vercel/ncc: actions/<name>/src/index.ts becomes
// dist/<name>/index.js, and a post step (actions/<name>/src/post-index.ts, which
// runs post.ts) becomes dist/<name>/post/index.js; the command line
// (cli/src/index.ts) becomes dist/cli/index.js. `npm run build -- <name>...`
// builds only those (`cli` for the command line).
//
// Bundles are minified, with the licences of what they include (every chunk) in
// licenses.txt beside them and no source maps, so a job downloads and parses as little as
// possible. Code that only some runs need is loaded with import() and lands in
// its own chunk file beside index.js, read only when a run gets there.
//
// Each bundle is built beside dist/ and swapped in only when the build worked,
// so a failed build never leaves a half-written bundle behind.
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join } from 'node:path'

const only = process.argv.slice(2)
const actions = readdirSync('actions', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('actions', d.name, 'src', 'index.ts')))
  .map((d) => ({ name: d.name, src: join('actions', d.name, 'src') }))
const targets = [...actions, { name: 'cli', src: join('cli', 'src') }]
  .filter(({ name }) => only.length === 0 || only.includes(name))
  .sort((a, b) => a.name.localeCompare(b.name))

/**
 * licenses.txt for one bundle: each package any of its chunks includes, with its
 * licence and licence text, in ncc's format. (ncc's own --license writes one
 * file per chunk under the same name, so with a lazily loaded chunk the last
 * chunk's licences would replace the main bundle's.)
 */
function writeLicences(stats, file) {
  const packages = new Map()
  const visit = (modules) => {
    for (const module of modules ?? []) {
      visit(module.modules)
      const path = module.nameForCondition ?? ''
      const at = path.lastIndexOf('/node_modules/')
      if (at === -1) continue
      const rest = path.slice(at + '/node_modules/'.length).split('/')
      const dir =
        path.slice(0, at + '/node_modules/'.length) + rest.slice(0, rest[0].startsWith('@') ? 2 : 1).join('/')
      if (packages.has(dir) || !existsSync(join(dir, 'package.json'))) continue
      const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
      const licence = typeof meta.license === 'string' ? meta.license : (meta.license?.type ?? '')
      const textFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|-|$)/i.test(f))
      const text = textFile ? readFileSync(join(dir, textFile), 'utf8').trim() : ''
      packages.set(dir, { name: meta.name, licence, text })
    }
  }
  visit(stats.modules)
  for (const child of stats.children ?? []) visit(child.modules)
  const entries = [...new Map([...packages.values()].map((p) => [p.name, p])).values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((p) => [p.name, p.licence, p.text].filter((line) => line !== '').join('\n'))
  writeFileSync(join(dirname(file), 'licenses.txt'), `${entries.join('\n\n')}\n`)
}

const ncc = join('node_modules', '.bin', 'ncc')
const staging = mkdtempSync(join('dist', '.build-'))
try {
  for (const { name, src } of targets) {
    const out = join(staging, name)
    const entries = [['index.ts', out]]
    if (existsSync(join(src, 'post-index.ts'))) entries.push(['post-index.ts', join(out, 'post')])
    for (const [entry, dir] of entries) {
      execFileSync(
        ncc,
        [
          'build',
          join(src, entry),
          '-o',
          dir,
          '--minify',
          '--stats-out',
          join(staging, 'stats.json'),
          '--transpile-only',
          '--quiet',
        ],
        {
          stdio: 'inherit',
        },
      )
      writeLicences(JSON.parse(readFileSync(join(staging, 'stats.json'), 'utf8')), join(dir, 'licenses.txt'))
    }
    rmSync(join('dist', name), { recursive: true, force: true })
    renameSync(out, join('dist', name))
    console.log(`built dist/${name}`)
  }
} finally {
  rmSync(staging, { recursive: true, force: true })
}
