/**
 * The `post` step: after a cancelled or killed run, delete the restore-test
 * volumes it left (tagged with its run id), in the job's own account or in each
 * of `accounts` (the role assumed again from the step's inputs, which the post
 * step gets too). A run that finished deleted its own; this finds none then.
 */
import * as core from '@actions/core'
import { runAction } from '../../../lib/action.js'
import { assumeAccountRoles, type AccountAccess } from '../../../lib/assume-role.js'
import { describeError } from '../../../lib/aws.js'
import { fanOutTargets } from '../../../lib/fanout.js'
import { Inputs } from '../../../lib/inputs.js'
import { readAccountSettings, targetLabel, targetsOf } from '../../../lib/targets.js'
import { makeClients } from './clients.js'
import { deleteLeftovers } from './restore.js'

export const RESTORE_STATE = 'prune-snapshots-restore-tests'

export interface RestoreState {
  runId: string
  /** The regions test volumes were made in. */
  regions: string[]
  /** The accounts of a run over `accounts`; absent for the job's own account. */
  accounts?: string[]
}

/** Saved before the first test volume is made. */
export function recordRestoreState(state: RestoreState): void {
  core.saveState(RESTORE_STATE, JSON.stringify(state))
}

export function readRestoreState(): RestoreState | undefined {
  const raw = core.getState(RESTORE_STATE)
  if (!raw) return undefined
  const parsed = JSON.parse(raw) as RestoreState
  return typeof parsed?.runId === 'string' && Array.isArray(parsed.regions) ? parsed : undefined
}

export async function runPost(): Promise<void> {
  await runAction(async () => {
    const state = readRestoreState()
    if (!state) return
    const accounts = state.accounts ?? []
    const roles = accounts.length > 0 ? readAccountSettings(new Inputs()) : undefined
    const access: Map<string, AccountAccess> = roles
      ? await assumeAccountRoles({ ...roles, accounts, regions: state.regions })
      : new Map()
    const clients = makeClients()
    const outcomes = await fanOutTargets(targetsOf(accounts, state.regions), async (target) => {
      const entry = target.account === undefined ? undefined : access.get(target.account)
      if (entry && !entry.ok) throw new Error(entry.reason)
      const ec2 = clients.ec2(target.region, entry?.access)
      return deleteLeftovers(ec2, { runId: state.runId })
    })
    for (const o of outcomes) {
      const label = targetLabel(o.item)
      if (o.state === 'fulfilled' && o.value.length > 0)
        core.warning(`[${label}] Deleted restore-test volume(s) the run left: ${o.value.join(', ')}`)
      if (o.state === 'rejected')
        core.warning(`[${label}] Could not delete restore-test volumes: ${describeError(o.error)}`)
    }
  })
}

/** The post step's entry (bundled from post-index.ts). */
export { runPost as run }
