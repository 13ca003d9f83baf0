import { Resolver } from 'node:dns/promises'

/** Record types a resolver's answer is read for: their answers are addresses or names. */
export const RESOLVABLE_TYPES = ['A', 'AAAA', 'CNAME'] as const

/** How long one question to a resolver may take (node:dns retries once within it). */
const RESOLVE_TIMEOUT_MS = 2000

/**
 * What a DNS resolver answers the runner for the name, as a client would get it:
 * from the resolver's cache while the record's TTL lasts. Undefined when the
 * resolver did not answer (a timeout, SERVFAIL, a refusal): that poll tells
 * nothing about where it sends clients. NXDOMAIN and NODATA are empty answers.
 */
export async function resolveWith(
  server: string,
  name: string,
  type: string,
  signal?: AbortSignal,
): Promise<string[] | undefined> {
  const resolver = new Resolver({ timeout: RESOLVE_TIMEOUT_MS, tries: 1 })
  resolver.setServers([server])
  const cancel = () => resolver.cancel()
  signal?.addEventListener('abort', cancel, { once: true })
  const host = name.replace(/\.$/, '')
  try {
    if (type === 'AAAA') return await resolver.resolve6(host)
    if (type === 'CNAME') return await resolver.resolveCname(host)
    return await resolver.resolve4(host)
  } catch (error) {
    const code = (error as { code?: string }).code
    return code === 'ENOTFOUND' || code === 'ENODATA' ? [] : undefined
  } finally {
    signal?.removeEventListener('abort', cancel)
  }
}
