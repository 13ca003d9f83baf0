import { randomBytes } from 'node:crypto'
import * as core from '@actions/core'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { CloudFormationClient, DeleteChangeSetCommand } from '@aws-sdk/client-cloudformation'
import { runAction, setJsonOutput, type ActionContext, writeJobSummary } from '../../../lib/action.js'
import { clientFactory, describeError } from '../../../lib/aws.js'
import { fanOut, fanOutTargets } from '../../../lib/fanout.js'
import { assumeAccountRoles, type AssumeRoleCall } from '../../../lib/assume-role.js'
import { spansAccounts, targetKey, targetLabel, type Target } from '../../../lib/targets.js'
import { InputError, Inputs } from '../../../lib/inputs.js'
import { logSafe } from '../../../lib/foreign-text.js'
import { Annotations, RegionLog } from '../../../lib/log.js'
import { RegionDeployer, type RegionResult } from './deploy-region.js'
import { getSettings, type Settings } from './input-helper.js'
import { recordCleanup } from './cleanup.js'
import { unmatchedAllowances } from './guard.js'
import { looksSecret } from './parameters.js'
import { buildPlan, templateSha256, type PlanDocument } from './plan-file.js'
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

async function deploy(context: ActionContext): Promise<void> {
  await deployTargets(getSettings(new Inputs(), process.env), context)
}

/** Runs a deploy over the settings' (account, region) targets; `assume` replaces STS AssumeRole in tests. */
export async function deployTargets(
  settings: Settings,
  { signal }: ActionContext,
  assume?: AssumeRoleCall,
): Promise<void> {
  maskSecretParameters(settings)
  const cfnClients = clientFactory(CloudFormationClient)
  const targets = settings.targets
  const byLabel = new Map(targets.map((t) => [targetLabel(t), t]))
  const annotations = new Annotations(targets.map(targetLabel))
  const logs = new Map(
    targets.map((t) => [targetLabel(t), new RegionLog(targetLabel(t), { grouped: true, annotations })]),
  )

  // Access first: one AssumeRole per account; an account refused fails only its own targets.
  const access = await assumeAccountRoles(settings, assume)
  const refusedAccount = (target: Target) => {
    const entry = target.account === undefined ? undefined : access.get(target.account)
    return entry && !entry.ok ? entry.reason : undefined
  }
  const cfnOf = (target: Target) => {
    const entry = target.account === undefined ? undefined : access.get(target.account)
    return cfnClients(target.region, entry?.ok ? entry.access : undefined)
  }
  // Single-account code paths (plan, apply, keepPlan) ask by region.
  const cfn = (region: string) => cfnClients(region)

  const waves = regionWaves(targets.map(targetLabel), settings.canaryTargets.map(targetLabel)).map((w) =>
    w.map((label) => byLabel.get(label)!),
  )
  const token = runToken(process.env, randomBytes(4).toString('hex'))
  const templates = new TemplateProvider(settings)
  const newDeployer = (target: Target, initial: StackSnapshot) =>
    new RegionDeployer({
      region: target.region,
      settings,
      cfn: cfnOf(target),
      templates,
      log: logs.get(targetLabel(target))!,
      signal,
      token,
      initial,
      phase: (text) => {
        phases.set(targetLabel(target), text)
        logs.get(targetLabel(target))!.activity(text)
      },
    })
  const phases = new Map<string, string>()

  // mode apply: every region's stack and change set checked first; one stale region stops them all.
  const applying = settings.plan ? await verifyPlan(settings, settings.plan, newDeployer, logs) : undefined
  if (applying?.refused) {
    for (const log of logs.values()) log.flush()
    return finish(settings, applying.results, annotations, signal, applying.refused)
  }
  const states = applying
    ? new Map<string, StackSnapshot | Error>()
    : await readStates(settings, cfnOf, refusedAccount)
  const plans = applying ? [] : planRegions(settings, waves, states)
  if (applying) printApply(settings, settings.plan!)
  else printPlan(settings, plans, waves)

  // If the job is killed before this run cleans up after itself, the post step does it (in each
  // account of a run over accounts, assuming the role there again).
  if (!applying)
    recordCleanup({
      token,
      stackName: settings.stackName,
      regions: settings.regions,
      ...(settings.accounts.length > 0 ? { accounts: settings.accounts } : {}),
    })
  const onAbort = () => {
    const busy = [...phases.entries()]
    if (busy.length === 0) core.warning('Cancelled: no region was in progress.')
    for (const [label, phase] of busy) logs.get(label)!.warning(`Cancelled while in progress: ${phase}`)
  }
  signal.addEventListener('abort', onAbort, { once: true })

  const results = new Map<string, RegionResult>()
  /** Each region's deployer, kept for rollback-all. */
  const used = new Map<string, RegionDeployer>()
  let failed = 0
  let canaryFailed: string | undefined
  try {
    for (const [index, wave] of waves.entries()) {
      const outcomes = await fanOutTargets(
        wave,
        async (target) => {
          const label = targetLabel(target)
          const log = logs.get(label)!
          const plan = plans.find((p) => targetLabel(p) === label)
          if (plan?.readError) {
            log.error(`Cannot read the stack: ${plan.readError}`, `deploy-multi-region ${label}`)
            failed++
            log.flush('failed: cannot read the stack')
            return failedResult(target, plan.readError)
          }
          phases.set(label, 'starting')
          const verified = applying?.deployers.get(target.region)
          const deployer = verified ?? newDeployer(target, states.get(label) as StackSnapshot)
          used.set(label, deployer)
          try {
            const planned = settings.plan?.regions.find((r) => r.region === target.region)
            const result = await (verified && planned
              ? deployer.run(() => deployer.applyPlanned(planned))
              : deployer.run())
            if (result.status === 'failed') failed++
            log.flush(`${result.status} in ${(result.durationMs / 1000).toFixed(1)} s`)
            return withAccount(result, target)
          } finally {
            phases.delete(label)
            log.flush()
          }
        },
        {
          maxParallel: settings.maxParallel,
          maxParallelPerAccount: settings.maxParallelPerAccount,
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
      for (const r of outcomes) results.set(targetLabel(r), r)
      const isCanaryWave = settings.canaryTargets.length > 0 && index === 0
      if (isCanaryWave) {
        const bad = outcomes.find((r) => r.status === 'failed' || r.status === 'skipped')
        if (bad) {
          canaryFailed = targetLabel(bad)
          for (const target of waves.slice(1).flat()) {
            results.set(
              targetLabel(target),
              skippedResult(target, `canary region ${canaryFailed} did not succeed`),
            )
          }
          break
        }
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
  if (!signal.aborted) recordCleanup(undefined)

  const ordered = targets.map(
    (t) =>
      results.get(targetLabel(t)) ??
      skippedResult(t, signal.aborted ? 'cancelled before it started' : 'not started'),
  )
  for (const log of logs.values()) log.flush()
  if (settings.onRegionFailure === 'rollback-all' && (failed > 0 || canaryFailed) && !signal.aborted)
    await rollBackAll(ordered, used, logs)
  const incomplete = settings.mode === 'plan' ? await keepPlan(settings, ordered, cfn) : undefined
  finish(settings, ordered, annotations, signal, incomplete, failed, canaryFailed)
}

/**
 * on-region-failure rollback-all: a region failed, so every region this run
 * created or updated is undone (stacks it created are deleted, updated ones go
 * back to their earlier template and parameters), all at once.
 */
async function rollBackAll(
  results: RegionResult[],
  deployers: Map<string, RegionDeployer>,
  logs: Map<string, RegionLog>,
): Promise<void> {
  const changed = results.filter(
    (r) =>
      (r.status === 'created' || r.status === 'updated') && deployers.get(targetLabel(r))?.changedStack(),
  )
  if (changed.length === 0) return
  core.info(
    `A region failed: rolling back ${changed.map((r) => r.region).join(', ')} (on-region-failure: rollback-all).`,
  )
  const outcomes = await fanOut(changed, (r) => deployers.get(targetLabel(r))!.rollBack())
  for (const o of outcomes) {
    const rollback =
      o.state === 'fulfilled'
        ? o.value
        : {
            action: 'restored' as const,
            outcome: 'failed' as const,
            reason: o.state === 'rejected' ? describeError(o.error) : 'not started',
          }
    o.item.rollback = rollback
    const log = logs.get(targetLabel(o.item))!
    const what =
      rollback.action === 'deleted'
        ? 'the stack this run created was deleted'
        : 'the stack was updated back to its earlier template and parameters'
    if (rollback.outcome === 'done') log.info(`Rolled back: ${what}.`)
    else
      log.error(
        `Rollback failed: ${rollback.reason ?? 'unknown'}; the stack needs attention.`,
        `deploy-multi-region ${o.item.region}`,
      )
    log.flush()
  }
}

/** Outputs, annotations, the job summary and the step's verdict. */
function finish(
  settings: Settings,
  ordered: RegionResult[],
  annotations: Annotations,
  signal: AbortSignal,
  refused?: string,
  failed = ordered.filter((r) => r.status === 'failed').length,
  canaryFailed?: string,
): void {
  report(ordered)
  annotations.emit()
  const counted = verdictOf(
    settings.failureTolerance,
    ordered.map((r) => r.status),
    failed,
    canaryFailed,
    signal.aborted,
  )
  // A plan or an apply is all or nothing: the failure tolerance does not apply to it.
  const verdict = refused ? { fail: true, text: refused } : counted
  writeJobSummary(summaryMarkdown(settings, ordered, verdict))
  checkAllowances(settings, ordered)
  if (verdict.fail) throw new Error(verdict.text)
  if (failed > 0) core.warning(verdict.text)
  else core.info(verdict.text)
}

/**
 * mode plan: writes the plan file and the \`plan\` output when every region was
 * planned. Otherwise there is nothing to approve: the change sets kept so far are
 * deleted and the reason is returned.
 */
async function keepPlan(
  settings: Settings,
  results: readonly RegionResult[],
  cfn: (region: string) => CloudFormationClient,
): Promise<string | undefined> {
  const missing = results.filter((r) => r.status !== 'planned' || !r.planned).map((r) => r.region)
  const unmatched = unmatchedAllowances(
    settings.allowReplacement,
    results.map((r) => r.changes),
  )
  if (missing.length > 0 || unmatched.length > 0) {
    const kept = results.filter((r) => r.planned?.changeSetId)
    await fanOut(kept, async (r) => {
      await cfn(r.region).send(new DeleteChangeSetCommand({ ChangeSetName: r.planned!.changeSetId! }))
      r.planned = undefined
    })
    return missing.length > 0
      ? `No plan was written: ${missing.join(', ')} could not be planned, and a plan covers every region or none.`
      : `No plan was written: allow-replacement names ${unmatched.join(', ')}, which the plan does not change.`
  }
  const body = (settings.template as { body: string }).body
  const doc = buildPlan(settings, results, templateSha256(body), new Date())
  mkdirSync(dirname(settings.planFile!), { recursive: true })
  writeFileSync(settings.planFile!, `${JSON.stringify(doc, null, 2)}\n`)
  setJsonOutput('plan', doc)
  core.setOutput('plan-file', settings.planFile)
  core.info(
    `Plan written to ${settings.planFile}: ${doc.regions.filter((r) => r.changeSetId).length} change set(s) kept for apply.`,
  )
  return undefined
}

/** mode apply: reads every region's stack and planned change set before any execute. */
async function verifyPlan(
  settings: Settings,
  plan: PlanDocument,
  newDeployer: (target: Target, initial: StackSnapshot) => RegionDeployer,
  logs: Map<string, RegionLog>,
): Promise<{ deployers: Map<string, RegionDeployer>; refused?: string; results: RegionResult[] }> {
  const sha = templateSha256((settings.template as { body: string }).body)
  const deployers = new Map(
    settings.regions.map((region) => [
      region,
      newDeployer({ region }, { outputs: {}, parameterKeys: [], readAt: 0 }),
    ]),
  )
  const outcomes = await fanOut(settings.regions, async (region) => {
    const planned = plan.regions.find((r) => r.region === region)!
    return deployers.get(region)!.verifyPlanned(planned, sha)
  })
  const results: RegionResult[] = outcomes.map((o) => {
    const refused =
      o.state === 'fulfilled'
        ? o.value.refused
        : o.state === 'rejected'
          ? describeError(o.error)
          : 'not checked'
    const changes = o.state === 'fulfilled' ? o.value.changes : []
    if (refused) logs.get(o.item)!.error(refused, `deploy-multi-region ${o.item}`)
    return refused
      ? { ...failedResult({ region: o.item }, refused), changes }
      : { ...skippedResult({ region: o.item }, 'not executed: the plan is stale in another region'), changes }
  })
  const bad = results.filter((r) => r.status === 'failed')
  if (bad.length === 0) return { deployers, results }
  return {
    deployers,
    results,
    refused: `Nothing was executed: the plan cannot be applied in ${bad.map((r) => r.region).join(', ')}. Plan again and review the new plan.`,
  }
}

function printApply(settings: Settings, plan: PlanDocument): void {
  core.info(
    `Apply: the plan of ${plan.createdAt} for stack '${settings.stackName}' in ${plan.regions.length} region(s).`,
  )
  for (const r of plan.regions)
    core.info(
      `  ${r.region.padEnd(15)} ${r.changeSetId ? `execute ${r.changeSetId} (${r.changes.length} change(s))` : 'nothing to change'}`,
    )
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
  // mode apply checked the names against the plan file before any call.
  if (settings.allowReplacement.length === 0 || !known || settings.mode === 'apply') return
  const unmatched = unmatchedAllowances(
    settings.allowReplacement,
    results.map((r) => r.changes),
  )
  if (unmatched.length === 0) return
  const accepted = 'logical ids of resources that the plan changes in some region, or *'
  // Nothing was executed in a preview or a plan: the input is refused once the plan is known.
  if (settings.planOnly || settings.mode === 'plan')
    throw new InputError('allow-replacement', unmatched.join(', '), accepted)
  core.warning(`allow-replacement names ${unmatched.join(', ')}, which no region's change set changes.`)
}

function maskSecretParameters(settings: Settings): void {
  const all = [settings.parameters, ...Object.values(settings.regionParameters)]
  for (const map of all)
    for (const [key, value] of Object.entries(map)) if (looksSecret(key) && value) core.setSecret(value)
}

/**
 * Every target's stack, read at once (within the per-account cap): the state the
 * plan is made from. A target of an account whose role was refused is not read:
 * AWS's reason is its error.
 */
async function readStates(
  settings: Settings,
  cfnOf: (target: Target) => CloudFormationClient,
  refusedAccount: (target: Target) => string | undefined,
): Promise<Map<string, StackSnapshot | Error>> {
  const outcomes = await fanOutTargets(
    settings.targets,
    async (target) => {
      const refused = refusedAccount(target)
      if (refused !== undefined) throw new Error(refused)
      return readStack(cfnOf(target), settings.stackName)
    },
    { maxParallel: settings.maxParallel, maxParallelPerAccount: settings.maxParallelPerAccount },
  )
  return new Map(
    outcomes.map((o) => [
      targetLabel(o.item),
      o.state === 'fulfilled'
        ? o.value
        : new Error(o.state === 'rejected' ? describeError(o.error) : 'not read'),
    ]),
  )
}

function planRegions(
  settings: Settings,
  waves: Target[][],
  states: Map<string, StackSnapshot | Error>,
): RegionPlan[] {
  return settings.targets.map((target) => {
    const { account, region } = target
    const wave = waves.findIndex((w) => w.includes(target))
    const state = states.get(targetLabel(target))
    if (state instanceof Error || state === undefined) {
      return {
        ...(account !== undefined ? { account } : {}),
        region,
        wave,
        decision: { action: 'blocked', why: 'unreadable' },
        readError: state?.message ?? 'not read',
      }
    }
    return {
      ...(account !== undefined ? { account } : {}),
      region,
      wave,
      status: state.status,
      stackId: state.stackId,
      decision: decideStackAction(state.status),
    }
  }) as RegionPlan[]
}

function printPlan(settings: Settings, plans: RegionPlan[], waves: Target[][]): void {
  const mode = settings.planOnly ? 'Plan only (change sets are created, described and deleted)' : 'Deploy'
  const where =
    settings.accounts.length > 0
      ? `${settings.regions.length} region(s) of ${settings.accounts.length} account(s) (${settings.targets.length} targets)`
      : `${settings.regions.length} region(s)`
  core.info(`${mode}: stack '${settings.stackName}' in ${where}.`)
  const order =
    waves.length > 1
      ? `canary ${waves[0]!.map(targetLabel).join(', ')} first, then the other ${waves[1]!.length}`
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
  for (const plan of plans)
    core.info(logSafe(`  ${targetLabel(plan).padEnd(15)} ${planLine(plan, settings.planOnly)}`))
}

/** A target's result names its account (in a run over accounts). */
function withAccount(result: RegionResult, target: Target): RegionResult {
  return target.account === undefined ? result : Object.assign(result, { account: target.account })
}

function failedResult(target: Target, reason: string): RegionResult {
  return withAccount(
    { region: target.region, status: 'failed', outputs: {}, changes: [], durationMs: 0, reason },
    target,
  )
}

function skippedResult(target: Target, reason: string): RegionResult {
  return withAccount(
    { region: target.region, status: 'skipped', outputs: {}, changes: [], durationMs: 0, reason },
    target,
  )
}

function report(results: RegionResult[]): void {
  // One account keeps the region keys workflows already read; several key by "<account>/<region>".
  const multiAccount = spansAccounts(results)
  setJsonOutput(
    'results',
    results.map((r) => ({
      ...(r.account !== undefined ? { account: r.account } : {}),
      region: r.region,
      status: r.status,
      stackId: r.stackId ?? null,
      outputs: r.outputs,
      changes: r.changes,
      durationMs: r.durationMs,
      ...(r.reason !== undefined && r.status !== 'unchanged' ? { reason: r.reason } : {}),
      ...(r.drift ? { drift: r.drift } : {}),
      ...(r.validationErrors ? { validationErrors: r.validationErrors } : {}),
      ...(r.rollback ? { rollback: r.rollback } : {}),
    })),
  )
  setJsonOutput(
    'outputs',
    Object.fromEntries(results.filter((r) => r.stackId).map((r) => [targetKey(r, multiAccount), r.outputs])),
  )
  setJsonOutput(
    'stack-ids',
    Object.fromEntries(results.filter((r) => r.stackId).map((r) => [targetKey(r, multiAccount), r.stackId])),
  )
  const firstWith = new Map<string, string>()
  for (const r of results) {
    // A reason shared by several regions is printed once; the others refer to it.
    const seen = r.reason ? firstWith.get(r.reason) : undefined
    if (r.reason && !seen) firstWith.set(r.reason, targetLabel(r))
    const tail = seen ? ` (same reason as ${seen})` : r.reason ? ` (${r.reason})` : ''
    core.info(
      logSafe(
        `${targetLabel(r).padEnd(15)} ${r.status.padEnd(9)} ${(r.durationMs / 1000).toFixed(1)} s, ${r.changes.length} change(s)${tail}`,
      ),
    )
  }
}
