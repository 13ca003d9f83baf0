import * as core from '@actions/core'

/**
 * A log for one region (or account/region). Every line is printed at once,
 * prefixed with the region so interleaved lines from parallel regions stay
 * readable, and kept so the region's lines can be replayed in a collapsed group.
 */
export class RegionLog {
  readonly lines: string[] = []

  constructor(readonly region: string) {}

  private emit(line: string, print: (text: string) => void): void {
    this.lines.push(line)
    print(`[${this.region}] ${line}`)
  }

  info(line: string): void {
    this.emit(line, core.info)
  }

  warning(line: string): void {
    this.emit(line, (text) => core.warning(text))
  }

  /** An error annotation, titled with the region. */
  error(line: string, title?: string): void {
    this.emit(line, (text) => core.error(text, { title: title ?? `${this.region}` }))
  }
}

/** Prints each region's kept lines in its own collapsed group. */
export async function groupRegionLogs(logs: readonly RegionLog[], heading: (log: RegionLog) => string) {
  for (const log of logs) {
    await core.group(heading(log), async () => {
      for (const line of log.lines) core.info(`[${log.region}] ${line}`)
    })
  }
}
