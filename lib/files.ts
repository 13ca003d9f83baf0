import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { InputError } from './inputs.js'

/** The job's workspace: GITHUB_WORKSPACE on a runner, the current directory elsewhere. */
export function workspaceRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.GITHUB_WORKSPACE || process.cwd())
}

function outsideOf(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)
}

/**
 * Resolves a path given in an input against the workspace and refuses one that
 * leaves it (`../`, an absolute path elsewhere, a symlink out), so an input cannot
 * make the action read the runner's other files.
 */
export function workspaceFile(input: string, value: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = workspaceRoot(env)
  const full = resolve(root, value)
  const accepted = 'a path to an existing file inside the workspace'
  if (value.includes('\0') || outsideOf(root, full)) throw new InputError(input, value, accepted)
  if (!existsSync(full)) throw new InputError(input, value, `${accepted} (no such file)`)
  if (outsideOf(realpathSync(root), realpathSync(full))) throw new InputError(input, value, accepted)
  if (!statSync(full).isFile())
    throw new InputError(input, value, `${accepted} (it is a directory, not a file)`)
  return full
}

export function readWorkspaceFile(
  input: string,
  value: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const full = workspaceFile(input, value, env)
  try {
    return readFileSync(full, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error)
    throw new InputError(input, value, `a readable file inside the workspace (reading it failed: ${reason})`)
  }
}
