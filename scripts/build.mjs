// Bundles every action with @vercel/ncc: actions/<name>/src/index.ts becomes
// dist/<name>/index.js, and a post step (actions/<name>/src/post.ts) becomes
// dist/<name>/post/index.js. `npm run build -- <name>...` builds only those.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const only = process.argv.slice(2)
const names = readdirSync('actions', { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join('actions', d.name, 'src', 'index.ts')))
  .map((d) => d.name)
  .filter((name) => only.length === 0 || only.includes(name))
  .sort()

const ncc = join('node_modules', '.bin', 'ncc')
for (const name of names) {
  rmSync(join('dist', name), { recursive: true, force: true })
  const entries = [['index.ts', join('dist', name)]]
  if (existsSync(join('actions', name, 'src', 'post.ts')))
    entries.push(['post.ts', join('dist', name, 'post')])
  for (const [entry, out] of entries) {
    execFileSync(
      ncc,
      ['build', join('actions', name, 'src', entry), '-o', out, '--license', 'licenses.txt', '--quiet'],
      {
        stdio: 'inherit',
      },
    )
    console.log(`built ${out}/index.js`)
  }
}
