import { logSafe } from '../../lib/foreign-text.js'
import { HEARTBEAT_PREFIX } from '../../lib/log.js'

/**
 * What one line an action printed means, with the workflow commands of
 * @actions/core (`::error::`, `::add-mask::`, ...) turned back into plain text.
 * A line prefixed `[region] ` (lib/log.ts RegionLog) belongs to that region.
 */
export interface ConsoleLine {
  kind: 'info' | 'notice' | 'warning' | 'error' | 'debug' | 'group' | 'endgroup' | 'mask' | 'command'
  text: string
  region?: string
}

const COMMAND = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/

function unescapeData(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

function withRegion(kind: ConsoleLine['kind'], text: string): ConsoleLine {
  const m = /^\[([^\]\s]+)\] (.*)$/s.exec(text)
  return m ? { kind, text: m[2]!, region: m[1]! } : { kind, text }
}

export function parseConsoleLine(line: string): ConsoleLine {
  const m = COMMAND.exec(line)
  if (!m) return withRegion('info', line)
  const [, command, , data] = m
  const text = unescapeData(data!)
  switch (command) {
    case 'error':
    case 'warning':
    case 'notice':
    case 'debug':
      return withRegion(command, text)
    case 'group':
      return { kind: 'group', text }
    case 'endgroup':
      return { kind: 'endgroup', text: '' }
    case 'add-mask':
      return { kind: 'mask', text }
    default:
      // set-output, save-state, echo, ...: for the runner, not for people.
      return { kind: 'command', text: line }
  }
}

/** True for the line lib/log.ts prints while targets are in progress and the log is quiet. */
export function isHeartbeat(line: ConsoleLine): boolean {
  return line.kind === 'info' && !line.region && line.text.startsWith(HEARTBEAT_PREFIX)
}

/**
 * The line as a person reads it: annotations named, the region prefix kept.
 * One line that starts no workflow command, whatever the action's text held:
 * the command line may itself run inside a job.
 */
export function plainText(line: ConsoleLine): string {
  const prefix = line.region ? `[${line.region}] ` : ''
  const text = logSafe(line.text)
  switch (line.kind) {
    case 'error':
      return `${prefix}error: ${text}`
    case 'warning':
      return `${prefix}warning: ${text}`
    case 'notice':
      return `${prefix}notice: ${text}`
    case 'group':
      return `== ${text}`
    default:
      return `${prefix}${text}`
  }
}

/** Replaces every registered secret with ***, as the runner masks the job log. */
export class Masker {
  private readonly secrets = new Set<string>()

  add(secret: string): void {
    if (secret.trim() !== '') this.secrets.add(secret)
  }

  contains(text: string): boolean {
    return [...this.secrets].some((secret) => text.includes(secret))
  }

  mask(text: string): string {
    let out = text
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length))
      out = out.split(secret).join('***')
    return out
  }
}
