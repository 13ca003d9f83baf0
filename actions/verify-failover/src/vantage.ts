import type { GanttBar } from '../../../lib/summary.js'
import type { VantagePoint } from './input-helper.js'

/** What one vantage point was answered over the drill; the `vantage` output is made from these. */
export interface VantageResult {
  name: string
  clientSubnet: string | null
  answerBefore: string[]
  answerDuring: string[]
  /** From the inversion until this client stopped being answered with the drilled region; null when it never was. */
  failoverSeconds: number | null
  /** From the restore until this client was answered with the drilled region again; null when not measured. */
  recoverySeconds: number | null
}

/** What a resolver answered the runner over the drill; the `resolvers` output. */
export type ResolverResult = Omit<VantageResult, 'clientSubnet'> & { resolver: string }

/** One vantage point followed through the drill. */
export interface VantageTrack {
  point: VantagePoint
  before: string[]
  /** Answered with the drilled region before the drill: only such a client can fail over. */
  routedBefore: boolean
  latest: string[]
  during: string[]
  movedAt?: number
  backAt?: number
  /** Every change of answer (ms since the epoch), for the drill record. */
  timeline: Array<{ at: number; answer: string[] }>
}

export function newTrack(
  point: VantagePoint,
  before: string[],
  routedBefore: boolean,
  at: number,
): VantageTrack {
  return { point, before, routedBefore, latest: before, during: [], timeline: [{ at, answer: before }] }
}

/** Records an answer; the timeline keeps only changes. */
export function observe(track: VantageTrack, answer: string[], at: number): void {
  if (answer.join(',') !== track.latest.join(',')) track.timeline.push({ at, answer })
  track.latest = answer
}

const seconds = (ms: number) => Math.round(ms / 100) / 10

export function vantageResults(
  tracks: readonly VantageTrack[],
  invertedAt: number | undefined,
  restoredAt: number | undefined,
): VantageResult[] {
  return tracks.map((t) => ({
    name: t.point.name,
    clientSubnet: t.point.clientSubnet ?? null,
    answerBefore: t.before,
    answerDuring: t.during,
    failoverSeconds:
      t.movedAt !== undefined && invertedAt !== undefined ? seconds(t.movedAt - invertedAt) : null,
    recoverySeconds:
      t.backAt !== undefined && restoredAt !== undefined ? seconds(t.backAt - restoredAt) : null,
  }))
}

export function resolverResults(
  tracks: readonly VantageTrack[],
  invertedAt: number | undefined,
  restoredAt: number | undefined,
): ResolverResult[] {
  return vantageResults(tracks, invertedAt, restoredAt).map(({ clientSubnet: _, ...rest }, i) => ({
    ...rest,
    resolver: tracks[i]!.point.name,
  }))
}

/** One lane per vantage point: when its answer moved off the drilled region, and when it came back. */
export function vantageBars(
  tracks: readonly VantageTrack[],
  invertedAt: number | undefined,
  restoredAt: number | undefined,
): GanttBar[] {
  return tracks.flatMap((t) => {
    const section = t.point.resolver
      ? `resolver ${t.point.name}`
      : `${t.point.name}${t.point.clientSubnet ? ` (${t.point.clientSubnet})` : ''}`
    const bars: GanttBar[] = []
    if (invertedAt !== undefined && t.movedAt !== undefined)
      bars.push({ section, label: 'Moved off', startMs: invertedAt, endMs: t.movedAt, state: 'crit' })
    if (restoredAt !== undefined && t.backAt !== undefined)
      bars.push({ section, label: 'Back', startMs: restoredAt, endMs: t.backAt, state: 'done' })
    if (bars.length === 0 && invertedAt !== undefined)
      bars.push({
        section,
        label: t.routedBefore ? 'Not moved' : 'Not routed to the drilled region',
        startMs: invertedAt,
        endMs: restoredAt ?? invertedAt,
        state: 'active',
      })
    return bars
  })
}
