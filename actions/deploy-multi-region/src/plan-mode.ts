/**
 * mode plan: once every target was planned, the plan file (what reviewers
 * approve and apply executes) is written with the change sets kept for apply.
 * A plan covers every target or none: otherwise the change sets kept so far are
 * deleted and there is nothing to approve.
 */
import * as core from '@actions/core'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { setJsonOutput } from '../../../lib/action.js'
import { fanOut } from '../../../lib/fanout.js'
import { targetLabel } from '../../../lib/targets.js'
import type { CloudFormationApi } from './cloudformation-api.js'
import { unmatchedAllowances } from './guard.js'
import type { PlanSettings, TargetResult } from './model.js'
import { buildPlan } from './plan-file.js'

/** Writes the plan file and the `plan` output; or gives why no plan was written. */
export async function keepPlan(
  settings: PlanSettings,
  results: TargetResult[],
  apiOf: (result: TargetResult) => CloudFormationApi,
  /** The template's SHA-256, or the digest of everything it packages (TemplateProvider.planDigest). */
  digest: string,
): Promise<string | undefined> {
  const missing = results.filter((r) => r.status !== 'planned' || !r.planned).map(targetLabel)
  const unmatched = unmatchedAllowances(
    settings.allowReplacement,
    results.map((r) => r.changes),
  )
  if (missing.length > 0 || unmatched.length > 0) {
    await fanOut(results, async (r) => {
      const changeSetId = r.planned?.changeSetId
      if (!changeSetId) return
      await apiOf(r).deleteChangeSet(changeSetId)
      r.planned = undefined
    })
    return missing.length > 0
      ? `No plan was written: ${missing.join(', ')} could not be planned, and a plan covers every region or none.`
      : `No plan was written: allow-replacement names ${unmatched.join(', ')}, which the plan does not change.`
  }
  const planned = results.flatMap((r) => (r.planned ? [{ ...r, planned: r.planned }] : []))
  const doc = buildPlan(settings, planned, digest, new Date())
  mkdirSync(dirname(settings.planFile), { recursive: true })
  writeFileSync(settings.planFile, `${JSON.stringify(doc, null, 2)}\n`)
  setJsonOutput('plan', doc)
  core.setOutput('plan-file', settings.planFile)
  core.info(
    `Plan written to ${settings.planFile}: ${doc.regions.filter((r) => r.changeSetId).length} change set(s) kept for apply.`,
  )
  return undefined
}
