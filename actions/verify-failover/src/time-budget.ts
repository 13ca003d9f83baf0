import { InputError } from '../../../lib/inputs.js'

/**
 * Time kept after the failover wait for putting the health check back: the
 * version-guarded update (a read and a write, retried for up to 60 s on a busy
 * account) and a margin for the post step, which retries it.
 */
export const RESTORE_RESERVE_MS = 2 * 60000

/**
 * When the job is cancelled for its `timeout-minutes` (an ISO 8601 time).
 * GitHub tells a step nothing about the job's remaining time, so the reusable
 * failover-drill.yml workflow writes it here; unset, the job's time is not known.
 */
export const JOB_DEADLINE_ENV = 'VERIFY_FAILOVER_JOB_DEADLINE'

export function jobDeadline(env: NodeJS.ProcessEnv = process.env): Date | undefined {
  const raw = env[JOB_DEADLINE_ENV]
  if (raw === undefined || raw.trim() === '') return undefined
  const at = new Date(raw)
  if (Number.isNaN(at.getTime())) {
    throw new InputError(JOB_DEADLINE_ENV, raw, 'an ISO 8601 time such as 2026-12-01T13:40:00Z')
  }
  return at
}

/** Something the drill must end before. */
export interface Limit {
  at: Date
  what: string
}

/**
 * The earliest of the credentials' expiry and the job's deadline, or undefined
 * when neither is known. The SDK's resolved credentials carry `expiration` when
 * their source says (STS, SSO, container and instance credentials; from the
 * environment, AWS_CREDENTIAL_EXPIRATION).
 */
export function earliestLimit(credentialsExpireAt?: Date, deadline?: Date): Limit | undefined {
  const limits: Limit[] = []
  if (credentialsExpireAt) limits.push({ at: credentialsExpireAt, what: 'the AWS credentials expire' })
  if (deadline) limits.push({ at: deadline, what: 'the job times out' })
  return limits.sort((a, b) => a.at.getTime() - b.at.getTime())[0]
}

/** Reads the expiry of the credentials the client signs with; undefined when they do not say or cannot be resolved yet. */
export async function credentialsExpiry(client: {
  config: { credentials: () => Promise<{ expiration?: Date }> }
}): Promise<Date | undefined> {
  try {
    return (await client.config.credentials()).expiration
  } catch {
    // No credentials yet: the first Route 53 call reports that in its own words.
    return undefined
  }
}

/**
 * A drill inverts the check, waits up to the drill timeout for failover, then
 * restores it. When that cannot end before the limit, the timeout cannot mean
 * what it says: refuse it before anything is read or changed.
 */
export function checkDrillTimeout(timeoutMs: number, limit: Limit | undefined, now = Date.now()): void {
  if (!limit) return
  const leftMs = limit.at.getTime() - now
  const fits = Math.floor((leftMs - RESTORE_RESERVE_MS) / 60000)
  if (timeoutMs + RESTORE_RESERVE_MS <= leftMs) return
  throw new InputError(
    'drill-timeout-minutes',
    String(timeoutMs / 60000),
    `${fits >= 1 ? `at most ${fits}` : 'less than 1 (no drill fits)'}: ${limit.what} at ${limit.at.toISOString()}, ` +
      `in ${Math.max(0, Math.floor(leftMs / 60000))} min, and the restore needs ${RESTORE_RESERVE_MS / 60000} min after the failover wait`,
  )
}

/** How long a wait may last so that `reserveMs` is still left before the limit (never more than `timeoutMs`). */
export function waitWithin(
  timeoutMs: number,
  limit: Limit | undefined,
  reserveMs: number,
  now = Date.now(),
): number {
  if (!limit) return timeoutMs
  return Math.max(0, Math.min(timeoutMs, limit.at.getTime() - now - reserveMs))
}
