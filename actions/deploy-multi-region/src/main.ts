import { randomBytes } from 'node:crypto'
import * as core from '@actions/core'
import { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import { runAction, setJsonOutput, type ActionContext, writeJobSummary } from '../../../lib/action.js'
import { clientFactory, describeError } from '../../../lib/aws.js'
import { fanOut } from '../../../lib/fanout.js'
import { InputError, Inputs } from '../../../lib/inputs.js'
import { Annotations, RegionLog } from '../../../lib/log.js'
import { RegionDeployer, type RegionResult } from './deploy-region.js'
import { getSettings, type Settings } from './input-helper.js'
import { recordCleanup } from './cleanup.js'
import { unmatchedAllowances } from './guard.js'
import { looksSecret } from './parameters.js'
import {
  decideStackAction,
  mayStartMore,
  planLine,
  regionWaves,
  runToken,
  verdictOf,
  type RegionPlan,
} from './plan.js'
import { readStack, type StackSnapshot } from './stack.js'
import { summaryMarkdown } from './summary.js'
import { TemplateProvider } from './template.js'

export async function run(): Promise<void> {
  await runAction(deploy)
}

async function deploy({ signal }: ActionContext): Promise<void> {
  const settings = getSettings(new Inputs(), process.env)
  maskSecretParameters(settings)
  const cfn = clientFactory(CloudFormationClient)
  const annotations = new Annotations()
  const logs = new Map(settings.regions.map((r) => [r, new RegionLog(r, { grouped: true, annotations })]))

  const states = await readStates(settings, cfn)
  const waves = regionWaves(settings.regions, settings.canaryRegions)
  const plans = planRegions(settings, waves, states)
  printPlan(settings, plans, waves)

  const token = runToken(process.env, randomBytes(4).toString('hex'))
  // If the job is killed before this run cleans up after itself, the post step does it.
  recordCleanup({ token, stackName: settings.stackName, regions: settings.regions })
  const templates = new TemplateProvider(settings)
  const phases = new Map<string, string>()
  const onAbort = () => {
    const busy = [...phases.entries()]
    if (busy.length === 0) core.warning('Cancelled: no region was in progress.')
    for (const [region, phase] of busy) logs.get(region)!.warning(`Cancelled while in progress: ${phase}`)
  }
  signal.addEventListener('abort', onAbort, { once: true })

  const results = new Map<string, RegionResult>()
  let failed = 0
  let canaryFailed: string | undefined
  try {
    for (const [index, wave] of waves.entries()) {
      const outcomes = await fanOut(
        wave,
        async (region) => {
          const plan = plans.find((p) => p.region === region)!
          const log = logs.get(region)!
          if (plan.readError) {
            log.error(`Cannot read the stack: ${plan.readError}`, `deploy-multi-region ${region}`)
            failed++
            log.flush('failed: cannot read the stack')
            return failedResult(region, plan.readError)
          }
          phases.set(region, 'starting')
          const deployer = new RegionDeployer({
            region,
            settings,
            cfn: cfn(region),
            templates,
            log,
            signal,
            token,
            initial: states.get(region) as StackSnapshot,
            phase: (text) => phases.set(region, text),
          })
          try {
            const result = await deployer.run()
            if (result.status === 'failed') failed++
            log.flush(`${result.status} in ${(result.durationMs / 1000).toFixed(1)} s`)
            return result
          } finally {
            phases.delete(region)
            log.flush()
          }
        },
        {
          concurrency: settings.maxParallel,
          shouldStart: () => !signal.aborted && mayStartMore(failed, settings.failureTolerance),
        },
      ).then((all) =>
        all.map((o) => {
          if (o.state === 'fulfilled') return o.value
          if (o.state === 'rejected') {
            failed++
            return failedResult(o.item, describeError(o.error))
          }
          const why = signal.aborted
            ? 'cancelled before it started'
            : `more than ${settings.failureTolerance} region(s) failed`
          return skippedResult(o.item, why)
        }),
      )
      for (const r of outcomes) results.set(r.region, r)
      const isCanaryWave = settings.canaryRegions.length > 0 && index === 0
      if (isCanaryWave) {
        const bad = outcomes.find((r) => r.status === 'failed' || r.status === 'skipped')
        if (bad) {
          canaryFailed = bad.region
          for (const region of waves.slice(1).flat()) {
            results.set(region, skippedResult(region, `canary region ${bad.region} did not succeed`))
          }
          break
        }
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
  if (!signal.aborted) recordCleanup(undefined)

  const ordered = settings.regions.map(
    (r) => results.get(r) ?? skippedResult(r, signal.aborted ? 'cancelled before it started' : 'not started'),
  )
  for (const log of logs.values()) log.flush()
  report(ordered)
  annotations.emit()
  const verdict = verdictOf(
    settings.failureTolerance,
    ordered.map((r) => r.status),
    failed,
    canaryFailed,
    signal.aborted,
  )
  writeJobSummary(summaryMarkdown(settings, ordered, verdict))
  checkAllowances(settings, ordered)
  if (verdict.fail) throw new Error(verdict.text)
  if (failed > 0) core.warning(verdict.text)
  else core.info(verdict.text)
}

/**
 * `allow-replacement` names that match no change of any region: in a plan, where
 * every region's changes are known, the input cannot mean what it says. A deploy
 * has already executed by then, so it only warns.
 */
function checkAllowances(settings: Settings, results: readonly RegionResult[]): void {
  const known = results.every(
    (r) => r.status === 'planned' || r.status === 'unchanged' || r.changes.length > 0,
  )
  if (settings.allowReplacement.length === 0 || !known) return
  const unmatched = unmatchedAllowances(
    settings.allowReplacement,
    results.map((r) => r.changes),
  )
  if (unmatched.length === 0) return
  const accepted = 'logical ids of resources that the plan changes in some region, or *'
  if (settings.planOnly) throw new InputError('allow-replacement', unmatched.join(', '), accepted)
  core.warning(`allow-replacement names ${unmatched.join(', ')}, which no region's change set changes.`)
}

function maskSecretParameters(settings: Settings): void {
  const all = [settings.parameters, ...Object.values(settings.regionParameters)]
  for (const map of all)
    for (const [key, value] of Object.entries(map)) if (looksSecret(key) && value) core.setSecret(value)
}

/** Every region's stack, read at once: the state the plan is made from. */
async function readStates(
  settings: Settings,
  cfn: (region: string) => CloudFormationClient,
): Promise<Map<string, StackSnapshot | Error>> {
  const outcomes = await fanOut(settings.regions, (region) => readStack(cfn(region), settings.stackName))
  return new Map(
    outcomes.map((o) => [
      o.item,
      o.state === 'fulfilled'
        ? o.value
        : new Error(o.state === 'rejected' ? describeError(o.error) : 'not read'),
    ]),
  )
}

function planRegions(
  settings: Settings,
  waves: string[][],
  states: Map<string, StackSnapshot | Error>,
): RegionPlan[] {
  return settings.regions.map((region) => {
    const wave = waves.findIndex((w) => w.includes(region))
    const state = states.get(region)
    if (state instanceof Error || state === undefined) {
      return {
        region,
        wave,
        decision: { action: 'blocked', why: 'unreadable' },
        readError: state?.message ?? 'not read',
      }
    }
    return {
      region,
      wave,
      status: state.status,
      stackId: state.stackId,
      decision: decideStackAction(state.status),
    }
  }) as RegionPlan[]
}

function printPlan(settings: Settings, plans: RegionPlan[], waves: string[][]): void {
  const mode = settings.planOnly ? 'Plan only (change sets are created, described and deleted)' : 'Deploy'
  core.info(`${mode}: stack '${settings.stackName}' in ${settings.regions.length} region(s).`)
  const order =
    waves.length > 1
      ? `canary ${waves[0]!.join(', ')} first, then the other ${waves[1]!.length}`
      : 'all regions together'
  core.info(
    `Order: ${order}; at most ${settings.maxParallel} at once; failure tolerance ${settings.failureTolerance}; on failure ${settings.onFailure}` +
      (settings.timeoutMinutes ? `; timeout ${settings.timeoutMinutes} min per region` : ''),
  )
  const keys = Object.keys(settings.parameters)
  if (keys.length) core.info(`Parameters: ${keys.join(', ')}`)
  const sp = settings.regionParameters
  for (const region of Object.keys(sp))
    core.info(`Parameters for ${region}: ${Object.keys(sp[region]!).join(', ')}`)
  for (const plan of plans) core.info(`  ${plan.region.padEnd(15)} ${planLine(plan, settings.planOnly)}`)
}

function failedResult(region: string, reason: string): RegionResult {
  return { region, status: 'failed', outputs: {}, changes: [], durationMs: 0, reason }
}

function skippedResult(region: string, reason: string): RegionResult {
  return { region, status: 'skipped', outputs: {}, changes: [], durationMs: 0, reason }
}

function report(results: RegionResult[]): void {
  setJsonOutput(
    'results',
    results.map((r) => ({
      region: r.region,
      status: r.status,
      stackId: r.stackId ?? null,
      outputs: r.outputs,
      changes: r.changes,
      durationMs: r.durationMs,
      ...(r.reason !== undefined && r.status !== 'unchanged' ? { reason: r.reason } : {}),
    })),
  )
  setJsonOutput(
    'outputs',
    Object.fromEntries(results.filter((r) => r.stackId).map((r) => [r.region, r.outputs])),
  )
  setJsonOutput(
    'stack-ids',
    Object.fromEntries(results.filter((r) => r.stackId).map((r) => [r.region, r.stackId])),
  )
  const firstWith = new Map<string, string>()
  for (const r of results) {
    // A reason shared by several regions is printed once; the others refer to it.
    const seen = r.reason ? firstWith.get(r.reason) : undefined
    if (r.reason && !seen) firstWith.set(r.reason, r.region)
    const tail = seen ? ` (same reason as ${seen})` : r.reason ? ` (${r.reason})` : ''
    core.info(
      `${r.region.padEnd(15)} ${r.status.padEnd(9)} ${(r.durationMs / 1000).toFixed(1)} s, ${r.changes.length} change(s)${tail}`,
    )
  }
}
