import * as core from '@actions/core'

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
  print(`${prefix}${annotation.message}`, properties)
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
   * Keep the lines and print them as one `::group::[region] ...` block at
   * `flush()`, so regions running side by side never interleave inside a group.
   * Without it every line is printed at once with the region in front.
   */
  grouped?: boolean
  /** Where warnings and errors go to be annotated once; without it, each is annotated as it comes. */
  annotations?: Annotations
}

const unflushed = new Set<RegionLog>()
let exitHookInstalled = false

/** A run that ends without flushing (an uncaught error) still prints what its regions said. */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const log of [...unflushed]) log.flush('(run ended before this region finished)')
  })
}

/**
 * A log for one region (or account/region). Lines are kept (`lines`) so
 * callers and tests can read what a region said.
 */
export class RegionLog {
  readonly lines: string[] = []
  private pending: string[] = []
  private pendingAnnotations: Annotation[] = []
  private live = false

  constructor(
    readonly region: string,
    private readonly options: RegionLogOptions = {},
  ) {}

  private record(line: string, printed: string, annotation?: Annotation): void {
    this.lines.push(line)
    // The region stays on every line, inside a group too: a downloaded log is searched by it.
    if (this.options.grouped && this.live) {
      core.info(`[${this.region}] ${printed}`)
      if (annotation) this.pendingAnnotations.push(annotation)
      return
    }
    if (this.options.grouped) {
      this.pending.push(`[${this.region}] ${printed}`)
      if (annotation) this.pendingAnnotations.push(annotation)
      unflushed.add(this)
      installExitHook()
      return
    }
    if (annotation && !this.options.annotations) annotate(annotation, `[${this.region}] `)
    else core.info(`[${this.region}] ${printed}`)
    if (annotation && this.options.annotations) this.options.annotations.add(this.region, annotation)
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
   * Opens the region's group now and prints its lines as they come until
   * `flush()`: for work that runs alone (a drill, a sequence of operations)
   * and is worth following live. Only while nothing else prints.
   */
  openGroup(heading: string): void {
    if (!this.options.grouped) return
    this.flush()
    core.startGroup(`[${this.region}] ${heading}`)
    this.live = true
    unflushed.add(this)
    installExitHook()
  }

  /**
   * Prints the lines kept since the last flush as one collapsed group headed
   * `[region] heading`; then (outside the group) the annotations, unless a
   * shared `Annotations` prints them at the end of the run. No lines: no
   * group (an empty group is noise), annotations still go out.
   */
  flush(heading = ''): void {
    unflushed.delete(this)
    if (!this.options.grouped) return
    const lines = this.pending
    const annotations = this.pendingAnnotations
    this.pending = []
    this.pendingAnnotations = []
    if (this.live) {
      this.live = false
      core.endGroup()
    } else if (lines.length > 0) {
      core.startGroup(`[${this.region}]${heading ? ` ${heading}` : ''}`)
      for (const line of lines) core.info(line)
      core.endGroup()
    }
    for (const a of annotations) {
      if (this.options.annotations) this.options.annotations.add(this.region, a)
      else annotate(a, `[${this.region}] `)
    }
  }
}
