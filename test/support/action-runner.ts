import * as core from '@actions/core'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface ActionRun {
  outputs: Record<string, string>
  summary: string
  stdout: string
  failed: boolean
  /** The message given to core.setFailed, from the `::error::` line. */
  errors: string[]
  warnings: string[]
  state: Record<string, string>
}

/** Parses a GITHUB_OUTPUT / GITHUB_STATE file (`name<<delim` blocks). */
export function parseCommandFile(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i]!)
    if (m) {
      const [, name, delimiter] = m
      const body: string[] = []
      for (i++; i < lines.length && lines[i] !== delimiter; i++) body.push(lines[i]!)
      values[name!] = body.join('\n')
    } else {
      const eq = lines[i]!.indexOf('=')
      if (eq > 0) values[lines[i]!.slice(0, eq)] = lines[i]!.slice(eq + 1)
    }
  }
  return values
}

function unescapeCommand(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
}

/**
 * Runs an action's `run()` in this process the way the runner would: inputs
 * as INPUT_* variables, output, state and summary files, stdout captured.
 * The environment is restored afterwards.
 */
export async function runActionInProcess(
  run: () => Promise<void>,
  inputs: Record<string, string | number | boolean>,
  env: Record<string, string> = {},
  options: { echo?: boolean } = {},
): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'action-run-'))
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    GITHUB_STATE: join(dir, 'state'),
  }
  for (const file of Object.values(files)) writeFileSync(file, '')
  const saved = { ...process.env }
  for (const key of Object.keys(process.env)) if (key.startsWith('INPUT_')) delete process.env[key]
  for (const [name, value] of Object.entries(inputs)) {
    process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = String(value)
  }
  Object.assign(process.env, files, env)
  // @actions/core remembers the first summary file it wrote to; each run has its own.
  ;(core.summary as unknown as { _filePath?: string })._filePath = undefined
  core.summary.emptyBuffer()
  let stdout = ''
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()
    if (options.echo) return (write as (...a: unknown[]) => boolean)(chunk, ...rest)
    return true
  }) as typeof process.stdout.write
  const savedExitCode = process.exitCode
  process.exitCode = undefined
  try {
    await run()
  } finally {
    process.stdout.write = write
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
    Object.assign(process.env, saved)
  }
  // 1 for a failed run, 2 for bad input (lib/action.ts).
  const failed = process.exitCode === 1 || process.exitCode === 2
  process.exitCode = savedExitCode
  const lines = stdout.split('\n')
  const messages = (kind: string) =>
    lines
      .filter((l) => l.startsWith(`::${kind}`))
      .map((l) => unescapeCommand(l.slice(l.indexOf('::', 2) + 2)))
  return {
    outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    state: parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8')),
    stdout,
    failed,
    errors: messages('error'),
    warnings: messages('warning'),
  }
}
