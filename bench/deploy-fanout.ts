/**
 * Fan-out benchmark for deploy-multi-region. One moto server sits behind a
 * loopback proxy that delays every call by 250 ms, as AWS answers in 100-300 ms.
 * The same template is deployed to 1 region and to 16 regions with the action,
 * and to the same 16 regions with a sequential `aws cloudformation deploy` loop.
 *
 * The proxy runs in a child process (a network's delay costs the caller no CPU).
 * moto answers one call at a time, so the 16-region figure also carries the
 * server's own time for 96 calls; the last row (no added delay) measures it.
 * On a busy machine that time grows and the 16/1 ratio with it.
 *
 *   npm run bench:deploy
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { cpus, loadavg } from 'node:os'
import { resolve } from 'node:path'
import { run } from '../actions/deploy-multi-region/src/main.js'
import { PARTITION_REGIONS } from '../lib/regions.js'
import { runActionInProcess } from '../test/support/action-runner.js'
import { startDelayProxyProcess, type DelayProxyProcess } from '../test/support/delay-proxy.js'
import { localAwsEnv, startMoto } from '../test/support/moto.js'

const DELAY_MS = 250
const execFileAsync = promisify(execFile)
const REPEATS = 3

function median(runs: Measure[]): Measure {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds)
  const middle = sorted[Math.floor(sorted.length / 2)]!
  return {
    ...middle,
    label: `${middle.label} (median of ${runs.length}: ${runs.map((r) => r.seconds.toFixed(2)).join(', ')} s)`,
  }
}
const TEMPLATE = 'templates/sample-queue.yaml'
const WORKSPACE = resolve(import.meta.dirname, '..')
const SIXTEEN = PARTITION_REGIONS.aws!.filter((r) => r !== 'us-east-1')
  .slice(0, 15)
  .concat('us-east-1')

interface Measure {
  label: string
  regions: number
  seconds: number
  total: number
  peakInFlight: number
}

async function timeAction(
  label: string,
  proxy: DelayProxyProcess,
  env: Record<string, string>,
  stackName: string,
  regions: string[],
): Promise<Measure> {
  await proxy.resetStats()
  const started = performance.now()
  const result = await runActionInProcess(
    run,
    { 'stack-name': stackName, template: TEMPLATE, regions: regions.join(',') },
    env,
  )
  const seconds = (performance.now() - started) / 1000
  const statuses = JSON.parse(result.outputs.results ?? '[]') as Array<{ status: string }>
  if (result.failed || statuses.some((s) => s.status !== 'created')) {
    throw new Error(`${label}: the deploy did not create every stack:\n${result.stdout}`)
  }
  return {
    label,
    regions: regions.length,
    seconds,
    ...(await proxy.counts()),
  }
}

async function timeCliLoop(
  proxy: DelayProxyProcess,
  env: Record<string, string>,
  stackName: string,
  regions: string[],
): Promise<Measure> {
  await proxy.resetStats()
  const started = performance.now()
  for (const region of regions) {
    // Asynchronous: the delaying proxy runs in this process and must keep answering.
    await execFileAsync(
      'aws',
      [
        'cloudformation',
        'deploy',
        '--template-file',
        TEMPLATE,
        '--stack-name',
        stackName,
        '--region',
        region,
        '--endpoint-url',
        proxy.endpoint,
        '--no-fail-on-empty-changeset',
      ],
      { cwd: WORKSPACE, env: { ...process.env, ...env } },
    )
  }
  const seconds = (performance.now() - started) / 1000
  console.error(`aws cloudformation deploy loop: ${seconds.toFixed(2)} s`)
  return {
    label: 'aws cloudformation deploy, sequential loop',
    regions: regions.length,
    seconds,
    ...(await proxy.counts()),
  }
}

async function main(): Promise<void> {
  const moto = await startMoto()
  const proxy = await startDelayProxyProcess(moto.endpoint, DELAY_MS)
  const env = { ...localAwsEnv(proxy.endpoint), GITHUB_WORKSPACE: WORKSPACE }
  try {
    // Loads the SDK and compiles the action's code once, so neither timed run pays for it.
    await timeAction('warm-up', proxy, env, 'bench-warmup', ['sa-east-1'])
    // Three runs each, alternating, on fresh stacks; the median is reported (the machine may be shared).
    const ones: Measure[] = []
    const manys: Measure[] = []
    for (let i = 1; i <= REPEATS; i++) {
      ones.push(await timeAction('action, 1 region', proxy, env, `bench-one-${i}`, ['us-east-1']))
      manys.push(await timeAction('action, 16 regions', proxy, env, `bench-many-${i}`, SIXTEEN))
    }
    const one = median(ones)
    const many = median(manys)
    const cli = await timeCliLoop(proxy, env, 'bench-cli', SIXTEEN)
    // The same 16-region deploy with no added delay: what one moto server needs to answer
    // the calls (it handles them one at a time), the part of the 16-region time that
    // fan-out cannot overlap.
    const direct = await startDelayProxyProcess(moto.endpoint, 0)
    const serverOnly = await timeAction(
      'action, 16 regions, no added delay',
      direct,
      { ...env, ...localAwsEnv(direct.endpoint) },
      'bench-direct',
      SIXTEEN,
    ).finally(() => direct.close())

    console.log(`\nEvery call delayed by ${DELAY_MS} ms by a loopback proxy in front of one moto server`)
    console.log(
      `(load average at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(', ')} on ${cpus().length} CPUs).\n`,
    )
    console.log('| Run | Regions | Wall time | API calls | Peak calls in flight |')
    console.log('| --- | ---: | ---: | ---: | ---: |')
    for (const m of [one, many, cli, serverOnly]) {
      console.log(
        `| ${m.label} | ${m.regions} | ${m.seconds.toFixed(2)} s | ${m.total} | ${m.peakInFlight} |`,
      )
    }
    const fanOutRatio = many.seconds / one.seconds
    const cliRatio = cli.seconds / many.seconds
    console.log('')
    console.log(
      `16 regions / 1 region:        ${fanOutRatio.toFixed(2)}x (target: under 1.5x) ${fanOutRatio < 1.5 ? 'met' : 'NOT met'}`,
    )
    console.log(
      `CLI loop / action, 16 regions: ${cliRatio.toFixed(1)}x faster (target: at least 10x) ${cliRatio >= 10 ? 'met' : 'NOT met'}`,
    )
  } finally {
    await proxy.close()
    await moto.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
