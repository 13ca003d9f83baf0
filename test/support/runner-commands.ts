/**
 * A step's output read as the runner reads it (GitHub docs, "Workflow commands
 * for GitHub Actions"): line by line, a line that starts with `::` after leading
 * white space is a command `::name properties::data`; `::stop-commands::token`
 * turns command processing off until a line `::token::`, so commands printed
 * meanwhile (an `::add-mask::` among them) are not processed. The older
 * `##[name properties]data` form is looked for anywhere in a line. The runner
 * splits lines at `\n`, `\r` and `\r\n`.
 */
export interface RunnerCommand {
  name: string
  properties: string
  data: string
}

export interface RunnerView {
  /** The commands the runner carried out, in order. */
  commands: RunnerCommand[]
  /** Set when the step's output left command processing off: the token that would resume it. */
  stoppedUntil?: string
}

const COMMAND = /^::([A-Za-z0-9_-]+)(?: ([^:]*))?::(.*)$/
const LEGACY = /##\[([A-Za-z0-9_-]+)(?: ([^\]]*))?\](.*)$/

export function runnerView(output: string): RunnerView {
  const commands: RunnerCommand[] = []
  let stoppedUntil: string | undefined
  for (const line of output.split(/\r\n|\r|\n/)) {
    const trimmed = line.trimStart()
    if (stoppedUntil !== undefined) {
      if (trimmed === `::${stoppedUntil}::`) stoppedUntil = undefined
      continue
    }
    const m = COMMAND.exec(trimmed) ?? LEGACY.exec(line)
    if (!m) continue
    const command = { name: m[1]!, properties: m[2] ?? '', data: m[3]! }
    commands.push(command)
    if (command.name === 'stop-commands') stoppedUntil = command.data
  }
  return { commands, ...(stoppedUntil !== undefined ? { stoppedUntil } : {}) }
}
