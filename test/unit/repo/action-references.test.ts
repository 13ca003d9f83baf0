/**
 * Cross-checks workflows against action metadata: every toolkit action a workflow runs
 * (`./actions/<name>`, or `./.multi-region-actions/actions/<name>` in the reusable
 * workflows, which check the toolkit out to that path) exists, every `with:` key is one
 * of its inputs and every required input is given; every reusable workflow a starter
 * calls exists and accepts what the starter passes; every action runs on node24 from
 * its bundle under ../../dist/.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import {
  ROOT,
  TOOLKIT_PATH,
  jobsOf,
  loadWorkflow,
  loadWorkflows,
  localActionName,
  reusableWorkflowFile,
  type YamlMap,
} from './workflow-files.js'

interface ActionMeta {
  inputs?: Record<string, { required?: boolean; default?: unknown } | null>
  outputs?: Record<string, unknown>
  runs?: { using?: string; main?: string; post?: string }
}

/** Parse errors of action.yml files, reported by their own test instead of stopping this file. */
const parseErrors = new Map<string, string>()

function actionMeta(name: string): ActionMeta | undefined {
  const file = join(ROOT, 'actions', name, 'action.yml')
  if (!existsSync(file)) return undefined
  try {
    return parse(readFileSync(file, 'utf8')) as ActionMeta
  } catch (error) {
    parseErrors.set(name, String(error).split('\n')[0]!)
    return {}
  }
}

interface ActionUse {
  workflow: string
  job: string
  step: string
  name: string
  with: YamlMap
  checkedOut: boolean
}

function actionUses(): ActionUse[] {
  const found: ActionUse[] = []
  for (const workflow of loadWorkflows()) {
    for (const [jobId, job] of jobsOf(workflow)) {
      let toolkitCheckedOut = false
      ;(job.steps ?? []).forEach((step, i) => {
        const uses = step.uses ?? ''
        if (uses.startsWith('actions/checkout@') && step.with?.path === TOOLKIT_PATH) toolkitCheckedOut = true
        const name = localActionName(uses)
        if (!name) return
        found.push({
          workflow: workflow.file,
          job: jobId,
          step: step.name ?? `#${i + 1}`,
          name,
          with: step.with ?? {},
          checkedOut: !uses.includes(TOOLKIT_PATH) || toolkitCheckedOut,
        })
      })
    }
  }
  return found
}

/** it.each refuses an empty table; say plainly that there is nothing to check yet. */
function eachOrSkip<T>(
  rows: ReadonlyArray<readonly [string, T]>,
  title: string,
  body: (label: string, row: T) => void,
) {
  if (rows.length === 0) it.skip(`${title.replace('%s: ', '')} (nothing to check yet)`, () => {})
  else it.each(rows)(title, body)
}

const usesOfActions = actionUses()
const present = usesOfActions.filter((u) => actionMeta(u.name) !== undefined)
const missing = [...new Set(usesOfActions.filter((u) => actionMeta(u.name) === undefined).map((u) => u.name))]

describe('toolkit actions used by workflows', () => {
  it('finds the actions the reusable workflows run', () => {
    expect(new Set(usesOfActions.map((u) => u.name))).toEqual(
      new Set([
        'deploy-multi-region',
        'verify-failover',
        'stackset-rollout',
        'prune-snapshots',
        'spectrum-benchmark',
        'pr-comment',
      ]),
    )
  })

  for (const name of missing) {
    it.skip(`${name}: actions/${name}/action.yml does not exist yet, so its inputs are not checked`, () => {})
  }

  eachOrSkip(
    present.map((u) => [`${u.workflow} ${u.job} "${u.step}" -> ${u.name}`, u] as const),
    '%s: passes only inputs the action declares, and every required one',
    (_label, use) => {
      const meta = actionMeta(use.name)!
      const declared = Object.keys(meta.inputs ?? {})
      expect(Object.keys(use.with).filter((key) => !declared.includes(key))).toEqual([])
      const required = Object.entries(meta.inputs ?? {})
        .filter(([, spec]) => spec?.required === true && spec.default === undefined)
        .map(([key]) => key)
      expect(required.filter((key) => !(key in use.with))).toEqual([])
    },
  )

  eachOrSkip(
    usesOfActions.map((u) => [`${u.workflow} ${u.job} -> ${u.name}`, u] as const),
    '%s: the toolkit is checked out before its action runs',
    (_label, use) => {
      expect(use.checkedOut).toBe(true)
    },
  )
})

describe('reusable workflows called by other workflows', () => {
  const calls = loadWorkflows().flatMap((workflow) =>
    jobsOf(workflow)
      .filter(([, job]) => typeof job.uses === 'string' && reusableWorkflowFile(job.uses) !== undefined)
      .map(([id, job]) => ({
        workflow: workflow.file,
        job: id,
        file: reusableWorkflowFile(job.uses!)!,
        call: job,
      })),
  )

  it('are found in the starter workflows', () => {
    if (!existsSync(join(ROOT, 'workflows'))) return
    expect(calls.length).toBeGreaterThan(0)
  })

  eachOrSkip(
    calls.map((c) => [`${c.workflow} ${c.job} -> ${c.file}`, c] as const),
    '%s: exists, and accepts the inputs and secrets passed',
    (_label, c) => {
      expect(existsSync(join(ROOT, c.file))).toBe(true)
      const called = loadWorkflow(c.file)
      const on = called.doc.on as { workflow_call?: { inputs?: YamlMap; secrets?: YamlMap } } | undefined
      expect(on?.workflow_call).toBeDefined()
      const inputs = (on!.workflow_call!.inputs ?? {}) as Record<string, { required?: boolean } | null>
      const given = (c.call.with ?? {}) as YamlMap
      expect(Object.keys(given).filter((k) => !(k in inputs))).toEqual([])
      const required = Object.entries(inputs)
        .filter(([, spec]) => spec?.required === true)
        .map(([k]) => k)
      expect(required.filter((k) => !(k in given))).toEqual([])
      if (c.call.secrets && typeof c.call.secrets === 'object') {
        const secrets = on!.workflow_call!.secrets ?? {}
        expect(Object.keys(c.call.secrets).filter((k) => !(k in secrets))).toEqual([])
      }
    },
  )
})

describe('action metadata', () => {
  const names = readdirSync(join(ROOT, 'actions'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'actions', d.name, 'action.yml')))
    .map((d) => d.name)
    .sort()

  it.each(names)('%s: action.yml is valid YAML', (name) => {
    actionMeta(name)
    expect(parseErrors.get(name)).toBeUndefined()
  })

  it.each(names)('%s runs on node24 from its bundle under ../../dist/', (name) => {
    const meta = actionMeta(name)!
    expect(meta.runs?.using).toBe('node24')
    expect(meta.runs?.main).toBe(`../../dist/${name}/index.js`)
    if (meta.runs?.post !== undefined) expect(meta.runs.post).toBe(`../../dist/${name}/post/index.js`)
  })

  it.each(names)('%s describes every input and output', (name) => {
    const meta = actionMeta(name)!
    for (const [key, spec] of Object.entries(meta.inputs ?? {})) {
      expect([key, typeof (spec as { description?: unknown } | null)?.description]).toEqual([key, 'string'])
    }
    for (const [key, spec] of Object.entries(meta.outputs ?? {})) {
      expect([key, typeof (spec as { description?: unknown } | null)?.description]).toEqual([key, 'string'])
    }
  })
})
