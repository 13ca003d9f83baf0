/** Runs one action the way the runner would, prints what it printed and keeps its job summary. */
import { runActionInProcess, type ActionRun } from '../test/support/action-runner.js'
import type { DemoEnvironment } from './environment.js'

export interface ActionStepRun {
  action: string
  /** Names this run in the record and its summary file (`<action>.md` when omitted). */
  label?: string
  run: () => Promise<void>
  inputs: Record<string, string | number | boolean>
  env: Record<string, string>
}

export async function runActionStep(demo: DemoEnvironment, step: ActionStepRun): Promise<ActionRun> {
  const label = step.label ?? step.action
  const result = demo.runner
    ? await demo.runner(step, step.env, { echo: demo.echo })
    : await runActionInProcess(step.run, step.inputs, step.env, { echo: demo.echo })
  demo.runs.push({ action: step.action, label, run: result })
  const file = demo.writeOutput(`${label}.md`, result.summary)
  if (demo.echo) {
    console.log(`\nJob summary written to ${file}`)
    const outputs = Object.entries(result.outputs)
    if (outputs.length > 0) console.log('Outputs:')
    for (const [name, value] of outputs) console.log(`  ${name}: ${shorten(value)}`)
  }
  return result
}

function shorten(value: string): string {
  const line = value.replace(/\s+/g, ' ')
  return line.length > 160 ? `${line.slice(0, 157)}...` : line
}
