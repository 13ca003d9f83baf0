// Loaded with --import into a bundle that bench/multi-account.ts runs as a step:
// writes the process's own resource usage as it exits (its peak RSS and CPU
// time, which the parent cannot read from Node once the child is gone), and the
// V8 heap at the moment of the highest RSS it sampled: how much of the peak is
// live JavaScript objects and how much is memory the heap holds in reserve.
import { writeFileSync } from 'node:fs'
import { setInterval } from 'node:timers'

let atPeak = process.memoryUsage()
setInterval(() => {
  const now = process.memoryUsage()
  if (now.rss > atPeak.rss) atPeak = now
}, 20).unref()

process.on('exit', () => {
  if (!process.env.BENCH_USAGE_FILE) return
  writeFileSync(process.env.BENCH_USAGE_FILE, JSON.stringify({ usage: process.resourceUsage(), atPeak }))
})
