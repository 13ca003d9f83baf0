/**
 * Runs an action in a worker thread of the step's process, for the actions that
 * fan out over many account and region targets at once (hundreds of calls in
 * flight). The reason is memory. On Node 24, V8 lets the young generation of a
 * busy process grow to 128 MB (Node 20's stopped at 32 MB), and only a flag given
 * when the process starts can change that; the runner starts `node
 * dist/<action>/index.js` with none. A worker's `resourceLimits` is the one way
 * a program sizes that space for itself. With 48 MB, 320 targets peaked at
 * 251-264 MB instead of about 343 MB (deploy-multi-region) and at 220-231 MB
 * instead of 285-300 MB (prune-snapshots), with wall times within the runs'
 * spread (bench/multi-account.ts); starting the thread costs about 50 ms
 * (bench/startup.ts).
 *
 * The main thread only starts the worker, passes on SIGINT and SIGTERM (signals
 * reach the main thread only; `runAction` in lib/action.ts takes them from
 * there) and ends with the worker's exit code. The worker runs the same file
 * (`index.js`), which then loads the action and runs it, so the main thread
 * never parses the action's code. The worker's stdout and stderr reach the
 * step's log through the main thread, in order.
 */
import { isMainThread, Worker } from 'node:worker_threads'

/** The young generation's cap in the worker; see above for the figures it gave. */
export const YOUNG_GENERATION_MB = 48

/** What the main thread sends the worker. */
export interface SignalMessage {
  type: 'signal'
  signal: NodeJS.Signals
}

export function isSignalMessage(message: unknown): message is SignalMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'signal'
}

/**
 * The whole of an action's index.ts: `runInWorker(import.meta.url, () =>
 * import('./main.js'))`. In the main thread it starts a worker on this same
 * file; in the worker it loads the action and runs it.
 */
export function runInWorker(entry: string, load: () => Promise<{ run(): Promise<void> }>): void {
  // A failure to load or a crash outside runAction ends the worker with an error event (below).
  if (!isMainThread || isSource(entry)) void load().then((action) => action.run())
  else startWorker(entry)
}

/**
 * The TypeScript source run through tsx (tests, `npm run demo`) stays in the
 * thread it started in: on Node 20, tsx's loader does not reach a worker.
 * The bundles in dist/, which the runner starts, are JavaScript.
 */
function isSource(entry: string): boolean {
  return entry.endsWith('.ts')
}

function startWorker(entry: string): void {
  const worker = new Worker(new URL(entry), {
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  })
  const forward = (signal: NodeJS.Signals) => {
    worker.postMessage({ type: 'signal', signal } satisfies SignalMessage)
  }
  process.on('SIGINT', forward)
  process.on('SIGTERM', forward)
  worker.on('error', (error: unknown) => {
    // runAction reports every failure of the action itself; this is a crash around it.
    process.stdout.write(
      `::error::${escapeCommand(error instanceof Error ? error.message : String(error))}\n`,
    )
    process.exitCode = 1
  })
  worker.on('exit', (code) => {
    process.off('SIGINT', forward)
    process.off('SIGTERM', forward)
    process.exitCode ??= code
  })
}

/**
 * A workflow command's message, escaped as @actions/core escapes it; written
 * out here so that the main thread does not load @actions/core (about 20 ms of
 * start-up that the worker then pays again).
 */
function escapeCommand(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
}
