import { type ActionContext, runAction } from '../../../lib/action.js'
import { Annotations, RegionLog } from '../../../lib/log.js'
import { spansAccounts, targetLabel, targetsOf, type Target } from '../../../lib/targets.js'
import { makeClients } from './clients.js'
import { getSettings, type Settings } from './input-helper.js'
import {
  applyPlans,
  openAccounts,
  planAccount,
  readAccounts,
  restoreAccounts,
  type Dependencies,
} from './phases.js'
import { countDeletions } from './plan.js'
import { printPlan, problems, report, writePlanFile } from './report.js'
import type { Outcome } from './summary.js'

export type { Dependencies } from './phases.js'

export async function run(): Promise<void> {
  await runAction(async (context) => {
    const settings = getSettings()
    await prune(settings, context, { clients: makeClients(), now: () => Date.now() })
  })
}

/** Read, plan, print, apply, test restores, report; throws (failing the step) when anything went wrong. */
export async function prune(settings: Settings, context: ActionContext, deps: Dependencies): Promise<void> {
  const regions = [...settings.regions]
  if (settings.drRegion && !regions.includes(settings.drRegion)) regions.push(settings.drRegion)
  const targets = targetsOf(settings.accounts, settings.regions)
  const multiAccount = spansAccounts(targets)
  const logs = new Map<string, RegionLog>()
  const annotations = new Annotations(targets.map(targetLabel))
  const logOf = (target: Target) => {
    const label = targetLabel(target)
    let log = logs.get(label)
    if (!log) logs.set(label, (log = new RegionLog(label, { grouped: true, annotations })))
    return log
  }

  // Read
  const runs = await openAccounts(settings, deps)
  const live = [...runs.values()].filter((r) => r.failure === undefined)
  await readAccounts(live, regions, settings, logOf)

  // Plan
  const now = deps.now()
  for (const run of live) run.plan = planAccount(run, settings, now)
  const planPath = writePlanFile(
    live.map((r) => r.plan!),
    settings,
    now,
  )
  for (const run of live) printPlan(run.plan!, (region) => logOf({ account: run.account, region }), regions)
  for (const l of logs.values()) l.flush('plan')

  // Apply. max-delete caps the whole run: one plan over the cap changes nothing anywhere.
  let outcome: Outcome
  let refusal: string | undefined
  const planned = live.reduce((n, run) => n + countDeletions(run.plan!), 0)
  if (planned > settings.maxDelete) {
    outcome = 'refused'
    const where = multiAccount ? ` over ${live.length} account(s)` : ''
    refusal = `The plan deletes ${planned} snapshots${where}, more than max-delete (${settings.maxDelete}); nothing was deleted.`
  } else if (settings.dryRun) {
    outcome = 'dry-run'
  } else {
    await applyPlans(live, settings, context.signal, logOf)
    for (const l of logs.values()) l.flush('deletions, copies and archiving')
    if (!context.signal.aborted) await restoreAccounts(live, settings, context.signal)
    outcome = context.signal.aborted ? 'cancelled' : 'applied'
  }
  for (const l of logs.values()) l.flush()
  annotations.emit()
  report({ settings, runs, targets, regions, multiAccount, outcome, planPath, refusal })

  if (refusal)
    throw new Error(`${refusal} Review the plan (${planPath}) and raise max-delete if it is right.`)
  const found = problems([...runs.values()], outcome)
  if (found.length > 0) throw new Error(`prune-snapshots: ${found.join('; ')}.`)
}
