// Rebuilds dist/ and fails when the committed bundles differ from the fresh build,
// so what runners execute is always what the source says.
import { execFileSync } from 'node:child_process'

execFileSync('node', ['scripts/build.mjs'], { stdio: 'inherit' })
const status = execFileSync('git', ['status', '--porcelain', '--', 'dist'], { encoding: 'utf8' })
if (status.trim() !== '') {
  console.error('dist/ is not up to date with the source. Run `npm run build` and commit dist/:')
  console.error(status)
  console.error(execFileSync('git', ['diff', '--stat', '--', 'dist'], { encoding: 'utf8' }))
  process.exit(1)
}
console.log('dist/ matches a fresh build.')
