import { UpdateHealthCheckCommand, type Route53Client } from '@aws-sdk/client-route-53'
import { errorCode } from '../../../lib/aws.js'
import { readHealthCheck, withRetries } from './route53.js'

/** What the drill changed, saved with core.saveState before the change so a post step can undo it. */
export interface DrillState {
  healthCheckId: string
  region: string
  /** The region the Route 53 client signs for. */
  clientRegion: string
  originalInverted: boolean
  startedAt: string
}

export const STATE_KEY = 'verify-failover-drill'
export const RESTORED_KEY = 'verify-failover-restored'

export function parseDrillState(raw: string): DrillState | undefined {
  if (raw.trim() === '') return undefined
  const value = JSON.parse(raw) as Partial<DrillState>
  if (typeof value.healthCheckId !== 'string' || typeof value.originalInverted !== 'boolean') {
    throw new Error(`Saved drill state is not usable: ${raw.slice(0, 200)}`)
  }
  return {
    healthCheckId: value.healthCheckId,
    region: value.region ?? '',
    clientRegion: value.clientRegion ?? 'us-east-1',
    originalInverted: value.originalInverted,
    startedAt: value.startedAt ?? '',
  }
}

export type SetOutcome = 'changed' | 'already'

const MAX_VERSION_CONFLICTS = 5

/**
 * Sets a health check's Inverted flag, guarded by its HealthCheckVersion so a
 * concurrent edit is never overwritten blindly. On HealthCheckVersionMismatch
 * (someone else changed it, or this call's own first attempt succeeded and its
 * reply was lost before the SDK retried) the check is read again and the
 * decision made afresh, so repeating the call is harmless. Returns 'already'
 * when the flag was found as wanted.
 */
export async function setInverted(
  client: Route53Client,
  healthCheckId: string,
  inverted: boolean,
  onConflict: (message: string) => void = () => {},
): Promise<SetOutcome> {
  let differedAtFirst: boolean | undefined
  for (let attempt = 1; ; attempt++) {
    const hc = await readHealthCheck(client, healthCheckId)
    if (!hc) throw new Error(`Health check ${healthCheckId} no longer exists`)
    const current = hc.HealthCheckConfig?.Inverted ?? false
    differedAtFirst ??= current !== inverted
    if (current === inverted) return differedAtFirst ? 'changed' : 'already'
    try {
      await withRetries(() =>
        client.send(
          new UpdateHealthCheckCommand({
            HealthCheckId: healthCheckId,
            HealthCheckVersion: hc.HealthCheckVersion,
            Inverted: inverted,
          }),
        ),
      )
      return 'changed'
    } catch (error) {
      if (errorCode(error) !== 'HealthCheckVersionMismatch' || attempt >= MAX_VERSION_CONFLICTS) throw error
      onConflict(
        `health check ${healthCheckId} changed since version ${hc.HealthCheckVersion}; reading it again`,
      )
    }
  }
}

/** Puts the health check back as the saved state says; safe to run any number of times. */
export function restoreHealthCheck(
  client: Route53Client,
  state: DrillState,
  onConflict?: (message: string) => void,
) {
  return setInverted(client, state.healthCheckId, state.originalInverted, onConflict)
}
