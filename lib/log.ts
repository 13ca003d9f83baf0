import * as core from '@actions/core'
import { logSafe } from './foreign-text.js'

/** Where an annotation points: a file of the repository and, when known, its line. */
export interface SourceLocation {
  file: string
  line?: number
}

export interface Annotation {
  level: 'error' | 'warning'
  message: string
  title?: string
  location?: SourceLocation
}

function annotate(annotation: Annotation, prefix = ''): void {
  const properties: core.AnnotationProperties = {
    ...(annotation.title ? { title: annotation.title } : {}),
    ...(annotation.location ? { file: annotation.location.file } : {}),
    ...(annotation.location?.line ? { startLine: annotation.location.line } : {}),
  }
  const print = annotation.level === 'error' ? core.error : core.warning
  print(logSafe(`${prefix}${annotation.message}`), properties)
}

/**
 * The run's annotations, each distinct one printed once: the same failure in
 * three regions is one annotation naming the three regions, not three.
 */
export class Annotations {
  private readonly entries = new Map<string, { annotation: Annotation; regions: string[] }>()

  /** `regionOrder`: how regions are listed in an annotation (the order they were given in). */
  constructor(private readonly regionOrder: readonly string[] = []) {}

  add(region: string | undefined, annotation: Annotation): void {
    const key = JSON.stringify([annotation.level, annotation.title, annotation.message, annotation.location])
    const entry = this.entries.get(key) ?? { annotation, regions: [] }
    if (region && !entry.regions.includes(region)) entry.regions.push(region)
    this.entries.set(key, entry)
  }

  get size(): number {
    return this.entries.size
  }

  /** Prints every collected annotation (outside any group) and forgets them. */
  emit(): void {
    const rank = (r: string) => {
      const i = this.regionOrder.indexOf(r)
      return i < 0 ? this.regionOrder.length : i
    }
    for (const { annotation, regions } of this.entries.values()) {
      const sorted = [...regions].sort((a, b) => rank(a) - rank(b))
      annotate(annotation, sorted.length > 0 ? `[${sorted.join(', ')}] ` : '')
    }
    this.entries.clear()
  }
}

export interface RegionLogOptions {
  /**
   * Keep the target's lines and print them again at `flush()` as one folded
   * `::group::[target] heading` block: the tidy record of each target, read
   * after the run. Lines are printed as they come either way. A grouped log is
   * in progress (named in the heartbeat) from its first line until `flush()`.
   */
  grouped?: boolean
  /** Where warnings and errors go to be annotated once; without it, each is annotated as it comes. */
  annotations?: Annotations
}

/** The heartbeat's first words; the command line knows the line by them. */
export const HEARTBEAT_PREFIX = 'Still in progress'

/** What an unfinished target is doing, for the heartbeat. */
interface Activity {
  /** e.g. UPDATE_IN_PROGRESS, or "creating change set x"; undefined: its last line says. */
  state?: string
  /** e.g. "waiting on OrdersTable". */
  detail?: string
  /** When `state` began. */
  since: number
  lastLine?: string
}

/** Targets named in one heartbeat line; the rest are counted. */
const MAX_NAMED = 10

/**
 * The live view shared by every RegionLog of the process: which targets are in
 * progress, and the heartbeat that names them when the log has been quiet for
 * `intervalMs` (and at least every three intervals while lines flow), so a
 * person can tell a slow stack from a hung job.
 */
const live = {
  intervalMs: 20_000,
  now: (): number => Date.now(),
  active: new Map<RegionLog, Activity>(),
  timer: undefined as NodeJS.Timeout | undefined,
  lastPrinted: 0,
  lastBeat: 0,
}

export interface HeartbeatOptions {
  /** Quiet time before a heartbeat line (default 20 s: the log is never silent for 30 s). */
  intervalMs?: number
  now?: () => number
}

/** Sets the heartbeat's interval and clock (tests and benches run it on a shorter scale). */
export function configureHeartbeat(options: HeartbeatOptions = {}): void {
  live.intervalMs = options.intervalMs ?? 20_000
  live.now = options.now ?? (() => Date.now())
  stopHeartbeat()
  if (live.active.size > 0) startHeartbeat()
}

function startHeartbeat(): void {
  if (live.timer) return
  live.lastBeat = live.now()
  live.timer = setInterval(heartbeat, Math.max(50, live.intervalMs / 10))
  // The heartbeat never keeps a finished run alive.
  live.timer.unref()
}

function stopHeartbeat(): void {
  if (live.timer) clearInterval(live.timer)
  live.timer = undefined
}

/** `4m10s`, `40s`, `1h02m`. */
export function shortDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000))
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`
}

function describeActivity(label: string, a: Activity, now: number): string {
  if (a.state === undefined) {
    const last = a.lastLine === undefined ? '' : `, last: ${a.lastLine.slice(0, 100)}`
    return `${label} ${shortDuration(now - a.since)}${last}`
  }
  return `${label} ${a.state} ${shortDuration(now - a.since)}${a.detail ? `, ${a.detail}` : ''}`
}

/** One line naming what each unfinished target is doing and for how long; undefined when none is. */
export function heartbeatLine(now = live.now()): string | undefined {
  const entries = [...live.active.entries()]
  if (entries.length === 0) return undefined
  const named = entries.slice(0, MAX_NAMED).map(([log, a]) => describeActivity(log.region, a, now))
  const more = entries.length > MAX_NAMED ? `; and ${entries.length - MAX_NAMED} more` : ''
  return logSafe(`${HEARTBEAT_PREFIX} (${entries.length}): ${named.join('; ')}${more}`)
}

function heartbeat(): void {
  if (live.active.size === 0) return stopHeartbeat()
  const now = live.now()
  const quiet = now - Math.max(live.lastPrinted, live.lastBeat)
  if (quiet < live.intervalMs && now - live.lastBeat < 3 * live.intervalMs) return
  live.lastBeat = now
  core.info(heartbeatLine(now)!)
}

/** A line printed now, live. */
function printLive(line: string): void {
  live.lastPrinted = live.now()
  core.info(line)
}

/**
 * The resources a stack operation is waiting on, as "waiting on A, B": those
 * whose latest event (of `events`, oldest first) is still *_IN_PROGRESS, the
 * stack's own events left out. Undefined when there are none.
 */
export function waitingOn(
  events: ReadonlyArray<{ LogicalResourceId?: string; ResourceStatus?: string }>,
  stackName: string,
): string | undefined {
  const latest = new Map<string, string>()
  for (const e of events)
    if (e.LogicalResourceId && e.LogicalResourceId !== stackName)
      latest.set(e.LogicalResourceId, e.ResourceStatus ?? '')
  const busy = [...latest].filter(([, status]) => status.endsWith('_IN_PROGRESS')).map(([id]) => id)
  if (busy.length === 0) return undefined
  const shown = busy.slice(0, 3).join(', ')
  return `waiting on ${shown}${busy.length > 3 ? ` and ${busy.length - 3} more` : ''}`
}

const unflushed = new Set<RegionLog>()
let exitHookInstalled = false

/** A run that ends without flushing (an uncaught error) still prints each target's record. */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const log of [...unflushed]) log.flush('(run ended before this target finished)')
  })
}

/**
 * A log for one target (a region, or account/region). Every line is printed as
 * it is seen, `[target] ` in front, foreign text made safe (lib/foreign-text.ts).
 * Lines are kept (`lines`) so callers and tests can read what a target said.
 */
export class RegionLog {
  readonly lines: string[] = []
  private pending: string[] = []
  private pendingAnnotations: Annotation[] = []
  /** The heading `openGroup` gave the record of the lines that follow. */
  private heading = ''

  constructor(
    readonly region: string,
    private readonly options: RegionLogOptions = {},
  ) {}

  /** Marks the target in progress (a grouped log: until `flush()`), for the heartbeat. */
  private touch(): Activity {
    let activity = live.active.get(this)
    if (!activity) {
      activity = { since: live.now() }
      live.active.set(this, activity)
      startHeartbeat()
    }
    return activity
  }

  private record(line: string, printed: string, annotation?: Annotation): void {
    this.lines.push(line)
    // The target stays on every line: a downloaded log is searched by it.
    const shown = `[${this.region}] ${logSafe(printed)}`
    if (!this.options.grouped) {
      if (annotation && !this.options.annotations) annotate(annotation, `[${this.region}] `)
      else printLive(shown)
      if (annotation && this.options.annotations) this.options.annotations.add(this.region, annotation)
      return
    }
    printLive(shown)
    this.touch().lastLine = logSafe(printed)
    this.pending.push(shown)
    if (annotation) this.pendingAnnotations.push(annotation)
    unflushed.add(this)
    installExitHook()
  }

  info(line: string): void {
    this.record(line, line)
  }

  warning(line: string, location?: SourceLocation): void {
    this.record(line, `Warning: ${line}`, {
      level: 'warning',
      message: line,
      ...(location ? { location } : {}),
    })
  }

  /** An error, annotated with `title` and pointing at `location` when given. */
  error(line: string, title?: string, location?: SourceLocation): void {
    this.record(line, `Error: ${line}`, {
      level: 'error',
      message: line,
      title: title ?? this.region,
      ...(location ? { location } : {}),
    })
  }

  /**
   * What the target is doing now, named by the heartbeat with the time since
   * `state` began: `activity('UPDATE_IN_PROGRESS', 'waiting on OrdersTable')`.
   */
  activity(state: string, detail?: string): void {
    const activity = this.touch()
    if (activity.state !== state) Object.assign(activity, { state, since: live.now() })
    activity.detail = detail
  }

  /**
   * Starts a new part of the target's record, headed `heading` (what was kept
   * before is flushed first). Lines are printed as they come, as always.
   */
  openGroup(heading: string): void {
    if (!this.options.grouped) return
    this.flush()
    this.heading = heading
    this.touch()
  }

  /**
   * The target's part is done: it leaves the heartbeat, and the lines kept
   * since the last flush are printed again as one folded group headed
   * `[target] heading`; then (outside the group) the annotations, unless a
   * shared `Annotations` prints them at the end of the run. No lines: no
   * group (an empty group is noise), annotations still go out.
   */
  flush(heading = ''): void {
    unflushed.delete(this)
    live.active.delete(this)
    if (!this.options.grouped) return
    const lines = this.pending
    const annotations = this.pendingAnnotations
    const title = heading || this.heading
    this.pending = []
    this.pendingAnnotations = []
    this.heading = ''
    if (lines.length > 0) {
      core.startGroup(`[${this.region}]${title ? ` ${logSafe(title)}` : ''}`)
      for (const line of lines) core.info(line)
      core.endGroup()
      live.lastPrinted = live.now()
    }
    for (const a of annotations) {
      if (this.options.annotations) this.options.annotations.add(this.region, a)
      else annotate(a, `[${this.region}] `)
    }
  }
}
