// Bundles every action with @vercel/ncc: actions/<name>/src/index.ts becomes
// dist/<name>/index.js, and a post step (actions/<name>/src/post.ts) becomes
// dist/<name>/post/index.js. `npm run build -- <name>...` builds only those.
// Each bundle is built beside dist/ and swapped in only when the build worked,
// so a failed build never leaves a half-written bundle behind.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const only = process.argv.slice(2)
const names = readdirSync('actions', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('actions', d.name, 'src', 'index.ts')))
  .map((d) => d.name)
  .filter((name) => only.length === 0 || only.includes(name))
  .sort()

const ncc = join('node_modules', '.bin', 'ncc')
const staging = mkdtempSync(join('dist', '.build-'))
try {
  for (const name of names) {
    const out = join(staging, name)
    const entries = [['index.ts', out]]
    if (existsSync(join('actions', name, 'src', 'post.ts'))) entries.push(['post.ts', join(out, 'post')])
    for (const [entry, dir] of entries) {
      execFileSync(
        ncc,
        [
          'build',
          join('actions', name, 'src', entry),
          '-o',
          dir,
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
