// Loaded with --import into a bundle that bench/multi-account.ts runs as a step:
// writes the process's own resource usage as it exits (its peak RSS and CPU
// time, which the parent cannot read from Node once the child is gone), and the
// V8 heap at the moment of the highest RSS it sampled: how much of the peak is
// live JavaScript objects and how much is memory the heap holds in reserve.
// An action that runs in a worker thread (lib/worker.ts) loads this in both
// threads: the worker leaves its heap beside the file, and the main thread,
// which exits last, adds it to its own.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { setInterval } from 'node:timers'
import { isMainThread } from 'node:worker_threads'

let atPeak = process.memoryUsage()
setInterval(() => {
  const now = process.memoryUsage()
  if (now.rss > atPeak.rss) atPeak = now
}, 20).unref()

process.on('exit', () => {
  const file = process.env.BENCH_USAGE_FILE
  if (!file) return
  const workerFile = `${file}.worker`
  if (!isMainThread) return writeFileSync(workerFile, JSON.stringify(atPeak))
  if (existsSync(workerFile)) {
    const worker = JSON.parse(readFileSync(workerFile, 'utf8'))
    rmSync(workerFile)
    atPeak = {
      ...atPeak,
      heapUsed: atPeak.heapUsed + worker.heapUsed,
      heapTotal: atPeak.heapTotal + worker.heapTotal,
    }
  }
  writeFileSync(file, JSON.stringify({ usage: process.resourceUsage(), atPeak }))
})
