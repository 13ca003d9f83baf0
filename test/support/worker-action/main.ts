/**
 * The main of a stand-in action for test/unit/lib/worker.test.ts, which bundles
 * it with index.ts as scripts/build.mjs bundles an action and starts it as the
 * runner starts a step. WORKER_ACTION_MODE says how the run goes.
 */
import * as core from '@actions/core'
import { isMainThread, resourceLimits } from 'node:worker_threads'
import { runAction } from '../../../lib/action.js'
import { InputError } from '../../../lib/inputs.js'

export const LINES = 2000

export async function run(): Promise<void> {
  const mode = process.env.WORKER_ACTION_MODE
  if (mode === 'crash') {
    // A failure outside runAction, as a bug in an action's top level would be.
    setTimeout(() => {
      throw new Error('crashed outside runAction')
    }, 0)
    return
  }
  await runAction(async ({ signal }) => {
    core.info(
      `main thread: ${isMainThread}; young generation cap: ${resourceLimits.maxYoungGenerationSizeMb} MB`,
    )
    for (let i = 1; i <= LINES; i++) core.info(`line ${i}`)
    if (mode === 'bad-input') throw new InputError('accounts', '12345678901', '12-digit account ids')
    if (mode === 'fail') throw new Error('Throttling: Rate exceeded')
    if (mode === 'wait') {
      core.info('waiting for a signal')
      // As an action waits: a poll's timer keeps the thread alive (a bare promise would not).
      const poll = setInterval(() => undefined, 100)
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
      clearInterval(poll)
      core.info(`cleaning up after: ${String((signal.reason as Error).message)}`)
      throw signal.reason
    }
    core.setOutput('result', 'done')
  })
}
