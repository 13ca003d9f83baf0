/**
 * The `post` step: after a cancelled or killed run, delete the restore-test
 * volumes it left (tagged with its run id) and remove the shares with a DR
 * account it made, in the job's own account or in each of `accounts` (the roles
 * assumed again from the step's inputs, which the post step gets too). A run
 * that finished undid its own; this finds nothing then.
 */
import * as core from '@actions/core'
import { runAction } from '../../../lib/action.js'
import { assumeAccountRoles, type AccountAccess } from '../../../lib/assume-role.js'
import { describeError } from '../../../lib/aws.js'
import { logSafe } from '../../../lib/foreign-text.js'
import { fanOutTargets } from '../../../lib/fanout.js'
import { Inputs } from '../../../lib/inputs.js'
import { readAccountSettings, targetLabel, targetsOf } from '../../../lib/targets.js'
import { assumeDrRole, forAccount, makeClients, withDrAccount, type Clients } from './clients.js'
import { undoTemporary, type Temporary } from './dr-account.js'
import { deleteLeftovers } from './restore.js'

export const RESTORE_STATE = 'prune-snapshots-restore-tests'

export interface RestoreState {
  /** The restore tests' run id, once a test volume is about to be made. */
  runId?: string
  /** The regions test volumes were made in. */
  regions: string[]
  /** The accounts of a run over `accounts`; absent for the job's own account. */
  accounts?: string[]
  /** Shares with the DR account and KMS grants not (yet) undone, by source account ('' for the job's own). */
  temporary?: Record<string, Temporary>
}

let saved: RestoreState = { regions: [] }

/** Merged into what the run saved so far: saved before each change the post step may have to undo. */
export function recordRestoreState(patch: Partial<RestoreState>): void {
  saved = { ...saved, ...patch, temporary: { ...saved.temporary, ...patch.temporary } }
  core.saveState(RESTORE_STATE, JSON.stringify(saved))
}

export function readRestoreState(): RestoreState | undefined {
  const raw = core.getState(RESTORE_STATE)
  if (!raw) return undefined
  const parsed = JSON.parse(raw) as RestoreState
  return parsed && Array.isArray(parsed.regions) ? parsed : undefined
}

export async function runPost(): Promise<void> {
  await runAction(async () => {
    const state = readRestoreState()
    if (!state) return
    const accounts = state.accounts ?? []
    const inputs = new Inputs()
    const roles = accounts.length > 0 ? readAccountSettings(inputs) : undefined
    const access: Map<string, AccountAccess> = roles
      ? await assumeAccountRoles({ ...roles, accounts, regions: state.regions })
      : new Map()
    const base = makeClients()
    const dr = await drAccess(inputs)
    const clientsOf = (account: string | undefined): Clients => {
      const entry = account === undefined ? undefined : access.get(account)
      if (entry && !entry.ok) throw new Error(entry.reason)
      const source = forAccount(base, entry?.access)
      return dr ? withDrAccount(source, base, dr.region, dr.access) : source
    }
    for (const [account, temporary] of Object.entries(state.temporary ?? {})) {
      const log = {
        info: (m: string) => core.warning(logSafe(`[${account || 'this account'}] ${m} the run left`)),
        warning: (m: string) => core.warning(logSafe(m)),
      }
      try {
        await undoTemporary(clientsOf(account || undefined), temporary, { log })
      } catch (error) {
        core.warning(logSafe(`Could not undo the run's shares with the DR account: ${describeError(error)}`))
      }
    }
    const runId = state.runId
    if (runId === undefined) return
    const outcomes = await fanOutTargets(targetsOf(accounts, state.regions), async (target) =>
      deleteLeftovers(clientsOf(target.account).ec2(target.region), { runId }),
    )
    for (const o of outcomes) {
      const label = targetLabel(o.item)
      if (o.state === 'fulfilled' && o.value.length > 0)
        core.warning(`[${label}] Deleted restore-test volume(s) the run left: ${o.value.join(', ')}`)
      if (o.state === 'rejected')
        core.warning(logSafe(`[${label}] Could not delete restore-test volumes: ${describeError(o.error)}`))
    }
  })
}

/** The DR account's access, when the step's inputs name one (dr-account, dr-role-name, dr-region). */
async function drAccess(inputs: Inputs) {
  const account = inputs.optional('dr-account')
  const roleName = inputs.optional('dr-role-name')
  const region = inputs.optional('dr-region')
  if (!account || !roleName || !region) return undefined
  const entry = await assumeDrRole(account, roleName, region)
  return entry?.ok ? { region, access: entry.access } : undefined
}

/** The post step's entry (bundled from post-index.ts). */
export { runPost as run }
