/**
 * `npm run demo`: the toolkit's story end to end against local endpoints that
 * it starts and stops itself (moto_server, the Route 53, StackSet and EC2
 * layers, health endpoints, a Redshift Data API). Each action's real run()
 * does the work; what it prints is shown and its job summary is written to
 * demo-output/<action>.md. Exits 0 only when every step succeeded.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { markdownTable } from '../lib/summary.js'
import { startDemoEnvironment, type DemoEnvironment } from './environment.js'
import { runSteps, type StepResult } from './steps.js'

function resultTable(results: readonly StepResult[]): string {
  const rows = results.map((r, i) => [
    String(i + 1),
    r.title,
    r.ok ? 'ok' : r.skipped ? 'skipped' : 'FAILED',
    r.seconds.toFixed(1),
  ])
  const headers = ['#', 'Step', 'Result', 'Seconds']
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)))
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ')
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** demo-output/README.md: the steps' results and a link to every job summary. */
function writeIndex(demo: DemoEnvironment, results: readonly StepResult[], seconds: number): string {
  const steps = markdownTable(
    ['#', 'Step', 'Result', 'Seconds'],
    results.map((r, i) => [
      i + 1,
      r.title,
      r.ok
        ? '✅ ok'
        : r.skipped
          ? '⏭️ not started (interrupted)'
          : `❌ failed${r.error ? `: ${r.error}` : ''}`,
      r.seconds.toFixed(1),
    ]),
  )
  const summaries = ['route53-records', ...new Set(demo.runs.map((r) => r.label))].map(
    (label) => `- [${label}](${label}.md) ([as rendered](png/${label}.png))`,
  )
  return demo.writeOutput(
    'README.md',
    `# Demo run

${steps}

Total ${seconds.toFixed(1)} s.

## Job summaries

Each links its markdown and a picture of it as GitHub shows it: \`npm run render:summaries\`
draws them in Chromium with mermaid into \`png/\`.

${summaries.join('\n')}
`,
  )
}

async function main(): Promise<number> {
  const started = performance.now()
  // Each run starts from an empty output folder, so what is there belongs to this run.
  rmSync(join(import.meta.dirname, '..', 'demo-output'), { recursive: true, force: true })
  // Ctrl-C: the running action winds down (its own handler), no further step starts, and
  // the local endpoints are still stopped below.
  const interrupted = new AbortController()
  const onSignal = () => interrupted.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const demo = await startDemoEnvironment()
  console.log(`moto_server:            ${demo.moto.endpoint}`)
  console.log(`Route 53 layer:         ${demo.endpoints.route53}`)
  console.log(`StackSet layer:         ${demo.endpoints.stacksets}`)
  console.log(`EC2 snapshot layer:     ${demo.endpoints.ec2}`)
  console.log(`Redshift Data API:      ${demo.endpoints.redshiftData}`)
  for (const [region, endpoint] of Object.entries(demo.health))
    console.log(`health ${region.padEnd(16)} ${endpoint.url}`)
  let results: StepResult[]
  try {
    results = await runSteps(demo, undefined, interrupted.signal)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await demo.stop()
  }
  const failures = results.filter((r) => !r.ok).length
  const total = (performance.now() - started) / 1000
  console.log(`\n${resultTable(results)}\n`)
  console.log(`Job summaries in ${demo.outputDir} (index: ${writeIndex(demo, results, total)})`)
  console.log(
    failures === 0
      ? `Demo finished in ${total.toFixed(1)} s: every step succeeded.`
      : `Demo finished in ${total.toFixed(1)} s: ${failures} step(s) failed.`,
  )
  return failures === 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
