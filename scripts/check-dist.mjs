// Rebuilds dist/ and fails when the committed bundles differ from the fresh build,
// so what runners execute is always what the source says. The whole tree is
// compared: a changed file, a chunk the build no longer makes (still committed)
// and a new chunk not yet committed all fail.
import { execFileSync } from 'node:child_process'

execFileSync('node', ['scripts/build.mjs'], { stdio: 'inherit' })
const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all', '--', 'dist'], {
  encoding: 'utf8',
})
if (status.trim() !== '') {
  console.error(
    'dist/ is not up to date with the source. Run `npm run build` and commit dist/ (new and removed files too):',
  )
  console.error(status)
  console.error(execFileSync('git', ['diff', '--stat', '--', 'dist'], { encoding: 'utf8' }))
  process.exit(1)
}
console.log('dist/ matches a fresh build.')
