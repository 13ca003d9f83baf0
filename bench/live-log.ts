/**
 * The live log, in real time: a deploy to three regions whose stacks take 40 s,
 * one of which fails and rolls back for 25 s more (test/support/cfn-timeline-layer.ts
 * in front of moto). Prints the longest time the step's log was silent while
 * targets were in progress (the aim: under 30 s) and how long after
 * CloudFormation listed the failing resource's CREATE_FAILED the log printed it
 * (the aim: under 5 s).
 *
 *   npm run bench:live-log
 */
import { deployWithTimeline, FAILING_REGION } from '../test/support/live-log-run.js'
import { startMoto } from '../test/support/moto.js'

async function main(): Promise<void> {
  const moto = await startMoto()
  try {
    const run = await deployWithTimeline(moto, { scale: 1, stackName: `live-log-${Date.now()}` })
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
    const beats = run.lines.filter((l) => l.text.startsWith('Still in progress')).length
    const eventLines = run.lines.filter((l) => / (CREATE|DELETE|ROLLBACK)_\w+ AWS::/.test(l.text)).length
    console.log(
      '\nDeploy to 3 regions, stacks 40 s, eu-west-1 fails and rolls back for 25 s more (real time)\n',
    )
    console.log('| Figure | Value | Aim |')
    console.log('| --- | ---: | --- |')
    console.log(`| Step time | ${seconds(run.endedAt)} | |`)
    console.log(
      `| Longest silence while targets were in progress | ${seconds(run.longestSilenceMs)} | under 30 s |`,
    )
    console.log(
      `| ${FAILING_REGION} CREATE_FAILED printed after CloudFormation listed it | ${seconds(run.failureShownAfterMs)} | under 5 s |`,
    )
    console.log(`| Heartbeat lines | ${beats} | |`)
    console.log(`| Stack event lines (live and in the records) | ${eventLines} | |`)
    const met = run.longestSilenceMs < 30_000 && run.failureShownAfterMs < 5_000
    console.log(`\n${met ? 'met' : 'NOT met'}`)
  } finally {
    await moto.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
