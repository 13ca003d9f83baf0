import * as core from '@actions/core'
import { appendFileSync } from 'node:fs'
import { parentPort } from 'node:worker_threads'
import { describeError } from './aws.js'
import { logSafe } from './foreign-text.js'
import { InputError } from './inputs.js'
import { isSignalMessage } from './worker.js'

export interface ActionContext {
  /** Aborted on SIGINT/SIGTERM (a cancelled job): stop starting work, clean up. */
  signal: AbortSignal
}

/**
 * Runs an action body: cancellation signals become an AbortSignal, a thrown
 * error fails the step with one clear message (input errors first of all).
 */
/** Credentials a job may carry in its environment; masked before anything is printed. */
export const SECRET_ENVIRONMENT = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']

/**
 * The exit code of a step that failed on bad input (1 is any other failure), so
 * the command line and other CI systems can tell a usage error from a failed run.
 */
export const BAD_INPUT_EXIT_CODE = 2

export async function runAction(body: (context: ActionContext) => Promise<void>): Promise<void> {
  for (const name of SECRET_ENVIRONMENT) {
    const value = process.env[name]
    if (value) core.setSecret(value)
  }
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      core.warning(`Received ${signal}: finishing what is in flight and starting nothing new.`)
      controller.abort(new Error(`Cancelled by ${signal}`))
    }
  }
  // In a worker (lib/worker.ts) the signals arrive as messages from the main thread.
  const onMessage = (message: unknown) => {
    if (isSignalMessage(message)) onSignal(message.signal)
  }
  const port = parentPort // null in the main thread
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  if (port) {
    port.on('message', onMessage)
    // Listening must not keep the worker alive once the action is done.
    port.unref()
  }
  try {
    await body({ signal: controller.signal })
  } catch (error) {
    // The message may carry foreign text (an AWS or database error): one line, no workflow command.
    if (error instanceof InputError) {
      core.setFailed(logSafe(error.message))
      process.exitCode = BAD_INPUT_EXIT_CODE
    } else core.setFailed(logSafe(describeError(error)))
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    port?.off('message', onMessage)
  }
}

export function setJsonOutput(name: string, value: unknown): void {
  core.setOutput(name, JSON.stringify(value))
}

/**
 * Appends markdown to the job summary file. The file is taken from the
 * environment at each call; core.summary keeps the first one it saw, which is
 * wrong for a second run in the same process (tests, the demo).
 */
export function writeJobSummary(markdown: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.GITHUB_STEP_SUMMARY
  if (file) appendFileSync(file, markdown)
}
