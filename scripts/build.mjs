// Bundles every action with @vercel/ncc: actions/<name>/src/index.ts becomes
// dist/<name>/index.js, and a post step (actions/<name>/src/post-index.ts, which
// runs post.ts) becomes dist/<name>/post/index.js; the command line
// (cli/src/index.ts) becomes dist/cli/index.js. `npm run build -- <name>...`
// builds only those (`cli` for the command line).
//
// Bundles are minified, with the licences of what they include in licenses.txt
// beside them and no source maps, so a job downloads and parses as little as
// possible. Code that only some runs need is loaded with import() and lands in
// its own chunk file beside index.js, read only when a run gets there.
//
// Each bundle is built beside dist/ and swapped in only when the build worked,
// so a failed build never leaves a half-written bundle behind.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const only = process.argv.slice(2)
const actions = readdirSync('actions', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('actions', d.name, 'src', 'index.ts')))
  .map((d) => ({ name: d.name, src: join('actions', d.name, 'src') }))
const targets = [...actions, { name: 'cli', src: join('cli', 'src') }]
  .filter(({ name }) => only.length === 0 || only.includes(name))
  .sort((a, b) => a.name.localeCompare(b.name))

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
          '--license',
          'licenses.txt',
          '--transpile-only',
          '--quiet',
        ],
        {
          stdio: 'inherit',
        },
      )
    }
    rmSync(join('dist', name), { recursive: true, force: true })
    renameSync(out, join('dist', name))
    console.log(`built dist/${name}`)
  }
} finally {
  rmSync(staging, { recursive: true, force: true })
}
