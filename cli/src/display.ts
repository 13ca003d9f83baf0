import { createLogUpdate } from 'log-update'
import { Masker, parseConsoleLine, plainText, type ConsoleLine } from './console-lines.js'

/** Where an action's printed lines go while the command line runs it. */
export interface Display {
  /** One line the action printed (workflow commands included). */
  line(raw: string): void
  /** A line of the command line's own. */
  note(text: string): void
  /** Stops any live lines, leaving their last state on screen. */
  finish(): void
}

/** Reads a line: registers masks, drops what is only for the runner, masks the rest. */
function readLine(raw: string, masker: Masker, debug: boolean): ConsoleLine | undefined {
  const line = parseConsoleLine(raw)
  if (line.kind === 'mask') {
    masker.add(line.text)
    return undefined
  }
  if (line.kind === 'command' || line.kind === 'endgroup' || (line.kind === 'debug' && !debug))
    return undefined
  return { ...line, text: masker.mask(line.text) }
}

/** Not a terminal (CI logs, files): every line as it comes, region prefix kept. */
export class PlainDisplay implements Display {
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly masker: Masker,
    private readonly debug = false,
  ) {}

  line(raw: string): void {
    const line = readLine(raw, this.masker, this.debug)
    if (line) this.stream.write(`${plainText(line)}\n`)
  }

  note(text: string): void {
    this.stream.write(`${this.masker.mask(text)}\n`)
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

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly masker: Masker,
    private readonly debug = false,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.update = createLogUpdate(stream)
    this.timer = setInterval(() => this.render(), 250)
    this.timer.unref()
  }

  line(raw: string): void {
    const line = readLine(raw, this.masker, this.debug)
    if (!line) return
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
    this.update.persist(this.masker.mask(text))
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
      const line = `${region.padEnd(width)} ${seconds}s  ${state.warning ? '! ' : ''}${state.phase.split('\n')[0]}`
      return line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line
    })
  }

  private render(): void {
    if (this.regions.size > 0) this.update(this.lines().join('\n'))
  }
}
