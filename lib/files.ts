import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
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
 * Resolves a path given in an input against `root` and refuses one that leaves
 * it (`../`, an absolute path elsewhere, a symlink out), that does not exist, or
 * that is not a regular file (a directory), all as input errors naming the input.
 */
function fileInside(root: string, place: string, input: string, value: string): string {
  const full = resolve(root, value)
  const accepted = `a path to an existing file inside ${place}`
  if (value.includes('\0') || outsideOf(root, full)) throw new InputError(input, value, accepted)
  if (!existsSync(full)) throw new InputError(input, value, `${accepted} (no such file)`)
  if (outsideOf(realpathSync(root), realpathSync(full))) throw new InputError(input, value, accepted)
  if (!statSync(full).isFile())
    throw new InputError(input, value, `${accepted} (it is a directory, not a file)`)
  return full
}

function readFileInside(root: string, place: string, input: string, value: string): string {
  const full = fileInside(root, place, input, value)
  try {
    return readFileSync(full, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error)
    throw new InputError(input, value, `a readable file inside ${place} (reading it failed: ${reason})`)
  }
}

/**
 * Resolves a path given in an input against the workspace and refuses one that
 * leaves it (`../`, an absolute path elsewhere, a symlink out), so an input cannot
 * make the action read the runner's other files; a directory is refused too.
 */
export function workspaceFile(input: string, value: string, env: NodeJS.ProcessEnv = process.env): string {
  return fileInside(workspaceRoot(env), 'the workspace', input, value)
}

export function readWorkspaceFile(
  input: string,
  value: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return readFileInside(workspaceRoot(env), 'the workspace', input, value)
}

/** Reads a file inside the runner's temporary directory (RUNNER_TEMP), with the same rules. */
export function readRunnerTempFile(input: string, value: string, runnerTemp: string): string {
  return readFileInside(resolve(runnerTemp), "the runner's temporary directory", input, value)
}

function linkExists(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}

/** Where a path leads once every symbolic link in it is followed, whether or not the file exists yet. */
function resolvedTarget(full: string): string {
  let existing = full
  while (!linkExists(existing)) existing = dirname(existing)
  // realpathSync throws on a link to nothing: writing through it would create its target, wherever it is.
  return join(realpathSync(existing), relative(existing, full))
}

/**
 * Resolves a path an action writes to, given in an input, and refuses one that
 * leaves the workspace: `../`, an absolute path elsewhere, or a symbolic link
 * anywhere along it (the file itself included) that leads out, so an input cannot
 * make the action overwrite the runner's other files. A directory, the
 * workspace itself, a link to nothing, or a path under a file is refused too.
 * Returns the absolute path inside the workspace.
 */
export function workspaceOutputFile(
  input: string,
  value: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const root = workspaceRoot(env)
  const full = resolve(root, value)
  const accepted = 'a file path inside the workspace'
  if (value.trim() === '' || value.includes('\0') || outsideOf(root, full) || full === root)
    throw new InputError(input, value, accepted)
  let target: string
  try {
    target = resolvedTarget(full)
  } catch {
    throw new InputError(input, value, `${accepted} (it is a symbolic link to nothing)`)
  }
  if (outsideOf(realpathSync(root), target))
    throw new InputError(input, value, `${accepted} (a symbolic link leads outside it)`)
  if (existsSync(target) && statSync(target).isDirectory())
    throw new InputError(input, value, `${accepted} (it is a directory, not a file)`)
  // mkdir -p would fail on a file where a folder is meant: say which.
  let parent = dirname(target)
  while (!existsSync(parent)) parent = dirname(parent)
  if (!statSync(parent).isDirectory())
    throw new InputError(
      input,
      value,
      `${accepted} (${relative(realpathSync(root), parent)} is a file, not a folder)`,
    )
  return full
}

/**
 * Writes a file the run produces for later steps (a plan, a full listing) in the runner's
 * temp directory, or outside a runner (the command line) in a directory of its own under
 * the system's, which every user can list; never in the workspace, where a later
 * `git add` step could commit it. The file is the user's alone (mode 0600: a plan names
 * accounts, stacks and snapshots) and is created new, never through a planted file or
 * link of that name. Returns its path.
 */
export function writeRunFile(prefix: string, content: string, env: NodeJS.ProcessEnv = process.env): string {
  // mkdtemp makes the directory with mode 0700.
  const dir = env.RUNNER_TEMP || mkdtempSync(join(tmpdir(), 'multi-region-actions-'))
  mkdirSync(dir, { recursive: true })
  const unique = `${Date.now()}-${randomBytes(4).toString('hex')}`
  const path = join(dir, `${prefix}-${env.GITHUB_RUN_ID ?? 'local'}-${unique}.json`)
  writeFileSync(path, content, { mode: 0o600, flag: 'wx' })
  return path
}
