import { createLogUpdate } from 'log-update'
import { logSafe } from '../../lib/foreign-text.js'
import { isHeartbeat, Masker, parseConsoleLine, plainText, type ConsoleLine } from './console-lines.js'

/** Where an action's printed lines go while the command line runs it. */
export interface Display {
  /** One line the action printed (workflow commands included). */
  line(raw: string): void
  /** A line of the command line's own. */
  note(text: string): void
  /** Stops any live lines, leaving their last state on screen. */
  finish(): void
}

/**
 * Reads the lines of one run: registers masks, drops what is only for the
 * runner, masks the rest. A target's record (lib/log.ts RegionLog: the folded
 * `::group::[target] heading` printed when the target is done) repeats lines
 * already shown as they came: its heading is kept, its lines are dropped.
 */
class LineReader {
  /** The target whose record is being printed, between its group and endgroup. */
  private replaying: string | undefined

  constructor(
    private readonly masker: Masker,
    private readonly debug: boolean,
  ) {}

  read(raw: string): ConsoleLine | undefined {
    const line = parseConsoleLine(raw)
    if (line.kind === 'mask') {
      this.masker.add(line.text)
      return undefined
    }
    if (line.kind === 'group') this.replaying = /^\[([^\]\s]+)\] /.exec(line.text)?.[1]
    if (line.kind === 'endgroup') this.replaying = undefined
    if (line.kind === 'command' || line.kind === 'endgroup' || (line.kind === 'debug' && !this.debug))
      return undefined
    if (line.kind === 'info' && this.replaying !== undefined && line.region === this.replaying)
      return undefined
    return { ...line, text: this.masker.mask(line.text) }
  }
}

/** Not a terminal (CI logs, files): every line as it comes, region prefix kept. */
export class PlainDisplay implements Display {
  private readonly reader: LineReader

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly masker: Masker,
    debug = false,
  ) {
    this.reader = new LineReader(masker, debug)
  }

  line(raw: string): void {
    const line = this.reader.read(raw)
    if (line) this.stream.write(`${plainText(line)}\n`)
  }

  note(text: string): void {
    this.stream.write(`${logSafe(this.masker.mask(text))}\n`)
  }

  finish(): void {}
}

interface RegionState {
  phase: string
  started: number
  warning: boolean
}

/**
 * A terminal: one live line per region (its latest line and the time since the
 * region's first line), redrawn in place by log-update; lines without a region
 * and every warning or error are printed above the live lines and stay.
 */
export class LiveDisplay implements Display {
  private readonly regions = new Map<string, RegionState>()
  private readonly update: ReturnType<typeof createLogUpdate>
  private readonly timer: NodeJS.Timeout

  private readonly reader: LineReader

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly masker: Masker,
    debug = false,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.reader = new LineReader(masker, debug)
    this.update = createLogUpdate(stream)
    this.timer = setInterval(() => this.render(), 250)
    this.timer.unref()
  }

  line(raw: string): void {
    const line = this.reader.read(raw)
    // The live lines already say what each target is doing and for how long.
    if (!line || isHeartbeat(line)) return
    const record = line.kind === 'group' ? /^\[([^\]\s]+)\] (.+)$/.exec(line.text) : null
    if (record && this.regions.has(record[1]!)) {
      // A target's record: its heading (how it ended) becomes the target's last phase.
      Object.assign(this.regions.get(record[1]!)!, { phase: record[2]! })
      this.render()
      return
    }
    if (line.region) {
      const state = this.regions.get(line.region)
      const warning = line.kind === 'warning' || line.kind === 'error'
      if (state) Object.assign(state, { phase: line.text, warning })
      else this.regions.set(line.region, { phase: line.text, started: this.now(), warning })
      if (warning) this.update.persist(plainText(line))
      this.render()
      return
    }
    this.update.persist(plainText(line))
    this.render()
  }

  note(text: string): void {
    this.update.persist(logSafe(this.masker.mask(text)))
    this.render()
  }

  finish(): void {
    clearInterval(this.timer)
    this.render()
    this.update.done()
  }

  /** The live lines: region, elapsed seconds, latest phase, cut to the terminal's width. */
  lines(): string[] {
    const width = Math.max(...[...this.regions.keys()].map((r) => r.length))
    const columns = this.stream.columns || 100
    return [...this.regions].map(([region, state]) => {
      const seconds = ((this.now() - state.started) / 1000).toFixed(1).padStart(6)
      const line = `${region.padEnd(width)} ${seconds}s  ${state.warning ? '! ' : ''}${logSafe(state.phase)}`
      return line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line
    })
  }

  private render(): void {
    if (this.regions.size > 0) this.update(this.lines().join('\n'))
  }
}
