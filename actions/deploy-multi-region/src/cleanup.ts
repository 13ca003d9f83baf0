/**
 * Cleanup shared by the main step and the `post` step: the change sets this run
 * created and never executed. The main step removes its own as it goes; the
 * post step catches what a cancelled or killed job left behind, in the job's
 * own account or, for a run over `accounts`, in each of them (the role assumed
 * again, once per account, from the step's inputs, which the post step gets too).
 */
import * as core from '@actions/core'
import { CloudFormationClient } from '@aws-sdk/client-cloudformation'
import { runAction } from '../../../lib/action.js'
import { assumeAccountRoles, type AccountAccess } from '../../../lib/assume-role.js'
import { clientFactory, describeError } from '../../../lib/aws.js'
import { fanOutTargets } from '../../../lib/fanout.js'
import { logSafe } from '../../../lib/foreign-text.js'
import { Inputs } from '../../../lib/inputs.js'
import { readAccountSettings, targetLabel, targetsOf } from '../../../lib/targets.js'
import { CloudFormationApi } from './cloudformation-api.js'

export const CLEANUP_STATE = 'deploy-multi-region-cleanup'

export interface CleanupState {
  token: string
  stackName: string
  regions: string[]
  /** The accounts of a run over `accounts`; absent for the job's own account. */
  accounts?: string[]
}

/** Recorded before the first change set is made; cleared when the run ended with nothing left over. */
export function recordCleanup(state: CleanupState | undefined): void {
  core.saveState(CLEANUP_STATE, state ? JSON.stringify(state) : '')
}

export function readCleanup(): CleanupState | undefined {
  const raw = core.getState(CLEANUP_STATE)
  if (!raw) return undefined
  const parsed = JSON.parse(raw) as CleanupState
  return parsed && typeof parsed.token === 'string' && Array.isArray(parsed.regions) ? parsed : undefined
}

/** Deletes this run's unexecuted change sets of the stack in one target; returns their names. */
export async function deleteLeftoverChangeSets(
  api: CloudFormationApi,
  state: CleanupState,
): Promise<string[]> {
  const deleted: string[] = []
  for (const summary of await api.listChangeSets(state.stackName)) {
    const name = summary.ChangeSetName?.replace(/^gate-/, '')
    const ours = summary.StackName === state.stackName && name?.startsWith(`${state.token}-`)
    const unexecuted =
      summary.ExecutionStatus !== 'EXECUTE_COMPLETE' && summary.ExecutionStatus !== 'EXECUTE_IN_PROGRESS'
    if (ours && unexecuted && summary.ChangeSetId) {
      await api.deleteChangeSet(summary.ChangeSetId)
      deleted.push(summary.ChangeSetName ?? summary.ChangeSetId)
    }
  }
  return deleted
}

/** The `post` step: after a cancelled or killed run, delete the change sets it never executed. */
export async function runPost(): Promise<void> {
  await runAction(async () => {
    const state = readCleanup()
    if (!state) return
    const accounts = state.accounts ?? []
    // The role's name, external id and session length, as the main step had them.
    const roles = accounts.length > 0 ? readAccountSettings(new Inputs()) : undefined
    const access: Map<string, AccountAccess> = roles
      ? await assumeAccountRoles({ ...roles, accounts, regions: state.regions })
      : new Map()
    const cfn = clientFactory(CloudFormationClient)
    const targets = targetsOf(accounts, state.regions)
    const outcomes = await fanOutTargets(
      targets,
      async (target) => {
        const entry = target.account === undefined ? undefined : access.get(target.account)
        if (entry && !entry.ok) throw new Error(entry.reason)
        return deleteLeftoverChangeSets(new CloudFormationApi(cfn(target.region, entry?.access)), state)
      },
      { maxParallelPerAccount: roles?.maxParallelPerAccount },
    )
    for (const o of outcomes) {
      const label = targetLabel(o.item)
      if (o.state === 'fulfilled' && o.value.length)
        core.info(`[${label}] Deleted change set(s) left by the run: ${o.value.join(', ')}`)
      if (o.state === 'rejected')
        core.warning(logSafe(`[${label}] Could not clean up change sets: ${describeError(o.error)}`))
    }
  })
}
