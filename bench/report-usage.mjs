// Loaded with --import into a bundle that bench/multi-account.ts runs as a step:
// writes the process's own resource usage as it exits (its peak RSS and CPU
// time, which the parent cannot read from Node once the child is gone).
import { writeFileSync } from 'node:fs'

process.on('exit', () => {
  if (process.env.BENCH_USAGE_FILE)
    writeFileSync(process.env.BENCH_USAGE_FILE, JSON.stringify(process.resourceUsage()))
})
