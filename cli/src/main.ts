/**
 * `multi-region-actions <action> --<input> <value> ...`: runs an action's
 * committed bundle the way the runner does (INPUT_* variables with the
 * action.yml defaults, output, state and summary files, then the post step
 * with the saved state), and reports its outputs and job summary.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { BAD_INPUT_EXIT_CODE } from '../../lib/action.js'
import { parseActionArguments, UsageError, type StepRequest } from './args.js'
import { parseCommandFile, stateEnvironment } from './command-files.js'
import { Masker } from './console-lines.js'
import { LiveDisplay, PlainDisplay, type Display } from './display.js'
import { actionHelp, overviewHelp } from './help.js'
import { ACTION_NAMES, readActionMetadata, type ActionMetadata } from './metadata.js'
import { createStepFiles, runBundle, stepEnvironment } from './step.js'

export interface Io {
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  env: NodeJS.ProcessEnv
  cwd: string
}

const processIo = (): Io => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
})

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '-h' || name === '--help') {
    const text = overviewHelp(ACTION_NAMES.map((n) => readActionMetadata(n)))
    ;(name === undefined ? io.stderr : io.stdout).write(text)
    return name === undefined ? BAD_INPUT_EXIT_CODE : 0
  }
  let metadata: ActionMetadata
  let request: StepRequest
  try {
    if (!ACTION_NAMES.includes(name)) {
      throw new UsageError(`Unknown action '${name}': one of ${ACTION_NAMES.join(', ')}.`)
    }
    metadata = readActionMetadata(name)
    request = parseActionArguments(rest, metadata)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.stderr.write(`multi-region-actions: ${error.message}\n`)
    return BAD_INPUT_EXIT_CODE
  }
  if (request.help) {
    io.stdout.write(actionHelp(metadata))
    return 0
  }
  return runAction(metadata, request, io)
}

async function runAction(metadata: ActionMetadata, request: StepRequest, io: Io): Promise<number> {
  // With --json, stdout holds the outputs only.
  const log = request.json ? io.stderr : io.stdout
  const masker = new Masker()
  const debug = io.env.ACTIONS_STEP_DEBUG === 'true' || io.env.RUNNER_DEBUG === '1'
  const display: Display =
    log.isTTY && io.env.TERM !== 'dumb'
      ? new LiveDisplay(log, masker, debug)
      : new PlainDisplay(log, masker, debug)
  const dir = mkdtempSync(join(tmpdir(), 'multi-region-actions-'))
  try {
    const files = createStepFiles(dir)
    const env = stepEnvironment(io.env, request.inputs, files, io.cwd)
    const mainExit = await runBundle(metadata.main, env, display)
    let postExit = 0
    if (metadata.post) {
      // post-if: always(), with the state the main step saved.
      const state = parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8'))
      const postFiles = {
        ...files,
        GITHUB_OUTPUT: join(dir, 'post-output'),
        GITHUB_STATE: join(dir, 'post-state'),
      }
      writeFileSync(postFiles.GITHUB_OUTPUT, '')
      writeFileSync(postFiles.GITHUB_STATE, '')
      postExit = await runBundle(metadata.post, { ...env, ...postFiles, ...stateEnvironment(state) }, display)
    }
    display.finish()
    if (request.summaryFile) copyFileSync(files.GITHUB_STEP_SUMMARY, resolve(io.cwd, request.summaryFile))
    const outputs = reportableOutputs(
      parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
      masker,
      log,
    )
    if (request.json) io.stdout.write(`${JSON.stringify(outputs, null, 2)}\n`)
    else printOutputs(outputs, log)
    if (mainExit === BAD_INPUT_EXIT_CODE) return BAD_INPUT_EXIT_CODE
    return mainExit === 0 && postExit === 0 ? 0 : 1
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** As the runner: an output that holds a masked secret is left out, with a warning. */
function reportableOutputs(outputs: Record<string, string>, masker: Masker, log: NodeJS.WritableStream) {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(outputs)) {
    if (masker.contains(value)) log.write(`warning: output '${name}' is left out: it may contain a secret.\n`)
    else kept[name] = value
  }
  return kept
}

function printOutputs(outputs: Record<string, string>, log: NodeJS.WritableStream): void {
  const entries = Object.entries(outputs)
  if (entries.length === 0) return
  log.write('\nOutputs:\n')
  for (const [name, value] of entries) log.write(`  ${name}: ${value}\n`)
}
