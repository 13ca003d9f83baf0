// Runs jest and ends with one plain line, "N passed, N failed", that any CI log
// reader understands, whatever jest prints before it.
import { spawnSync } from 'node:child_process'
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const out = join(mkdtempSync(join(tmpdir(), 'jest-')), 'results.json')
const result = spawnSync('npx', ['jest', '--json', `--outputFile=${out}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim() },
})
let passed = 0
let failed = 0
let skipped = 0
try {
  const report = JSON.parse(readFileSync(out, 'utf8'))
  passed = report.numPassedTests
  failed = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0)
  skipped = report.numPendingTests + (report.numTodoTests ?? 0)
} catch {
  failed = Math.max(failed, 1)
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`)
// A caller running several suites (.ci/run) adds the counts up.
if (process.env.TEST_COUNTS_FILE)
  appendFileSync(process.env.TEST_COUNTS_FILE, `${passed} ${failed} ${skipped}\n`)
process.exit(result.status === 0 && failed === 0 && passed > 0 ? 0 : 1)
