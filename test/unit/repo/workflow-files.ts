import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

/** Shared by the repository audit tests: every workflow file, parsed. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const WORKFLOW_DIRS = ['.github/workflows', 'workflows']
/** This toolkit's own repository, as starter workflows and docs name it. */
export const TOOLKIT_REPO = 'your-org/multi-region-actions'
/** Where the reusable workflows check the toolkit out to run its actions. */
export const TOOLKIT_PATH = '.multi-region-actions'

export type YamlMap = Record<string, unknown>

export interface Step extends YamlMap {
  uses?: string
  run?: string
  with?: YamlMap
  name?: string
}

export interface Job extends YamlMap {
  steps?: Step[]
  uses?: string
  with?: YamlMap
  secrets?: YamlMap | string
  permissions?: unknown
  concurrency?: unknown
}

export interface Workflow {
  file: string
  text: string
  doc: YamlMap & { jobs?: Record<string, Job>; permissions?: unknown; concurrency?: unknown; on?: unknown }
}

export function workflowFiles(): string[] {
  const files: string[] = []
  for (const dir of WORKFLOW_DIRS) {
    const full = join(ROOT, dir)
    if (!existsSync(full)) continue
    for (const name of readdirSync(full).sort()) if (/\.ya?ml$/.test(name)) files.push(`${dir}/${name}`)
  }
  return files
}

export function loadWorkflow(file: string): Workflow {
  const text = readFileSync(join(ROOT, file), 'utf8')
  return { file, text, doc: (parse(text) ?? {}) as Workflow['doc'] }
}

export function loadWorkflows(): Workflow[] {
  return workflowFiles().map(loadWorkflow)
}

export function jobsOf(workflow: Workflow): Array<[string, Job]> {
  return Object.entries(workflow.doc.jobs ?? {})
}

/** `./actions/<name>` or the checked-out form `./.multi-region-actions/actions/<name>`. */
export function localActionName(uses: string): string | undefined {
  const m = /^\.\/(?:\.multi-region-actions\/)?actions\/([^/@]+)\/?$/.exec(uses.trim())
  return m?.[1]
}

/**
 * The file of a reusable workflow of this repository, from a job's `uses:` written as
 * `your-org/multi-region-actions/.github/workflows/<file>@<ref>` or `./.github/workflows/<file>`.
 */
export function reusableWorkflowFile(uses: string): string | undefined {
  const m =
    new RegExp(`^${TOOLKIT_REPO}/(\\.github/workflows/[^@]+)@.+$`).exec(uses.trim()) ??
    /^\.\/(\.github\/workflows\/[^@]+)$/.exec(uses.trim())
  return m?.[1]
}

export function triggers(workflow: Workflow): YamlMap {
  const on = workflow.doc.on
  if (typeof on === 'string') return { [on]: null }
  if (Array.isArray(on)) return Object.fromEntries(on.map((t) => [String(t), null]))
  return (on ?? {}) as YamlMap
}
