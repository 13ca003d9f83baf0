/**
 * Runs across accounts: 20 accounts x 16 regions (320 targets) against one
 * target, every call delayed 250 ms by the loopback delay proxy (AWS answers in
 * 100-300 ms), for the two actions that take `accounts`.
 *
 * Each run is the shipped bundle run as the runner runs a step: `node
 * dist/<action>/index.js` in a process of its own, with INPUT_* variables and the
 * step's command files (cli/src/step.ts), so the figures are what a job waits
 * for, Node's start and the bundle's load included, and the peak memory is the
 * step's own (not this script's). The actions declare node24; `npm run
 * bench:accounts` runs under Node 24 (from the npm registry), and the table says
 * which Node ran.
 *
 * Behind the proxy a stand-in for AWS (bench/stand-in.ts) answers in the proxy's
 * own process with AWS's response shapes: one AssumeRole per account, then per
 * target
 * - deploy-multi-region (templates/sample-queue.yaml, a new stack): DescribeStacks,
 *   CreateChangeSet, DescribeChangeSet until the change set is ready (1.5 s),
 *   ExecuteChangeSet, then the stack's events until it is created (6 s);
 * - prune-snapshots (`--snapshots 3` of one volume, keep-last 1): DescribeSnapshots,
 *   DescribeImages, DescribeLockedSnapshots, Recycle Bin ListRules, and one
 *   DeleteSnapshot per snapshot the plan deletes (two per target).
 *
 * Peak RSS is the step's highest resident memory (getrusage), its main thread
 * and the action's worker thread (lib/worker.ts) together. Beside it, the V8
 * heap at that moment, both threads' heaps summed: what objects used (live or
 * not yet collected) and what the heaps had reserved.
 *
 *   npm run bench:accounts [-- --deploy | --prune] [--accounts 20] [--regions 16] [--snapshots 3]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseCommandFile } from '../cli/src/command-files.js'
import { createStepFiles, runBundle, stepEnvironment } from '../cli/src/step.js'
import { PARTITION_REGIONS } from '../lib/regions.js'
import { startDelayProxyProcess, type DelayProxyProcess } from '../test/support/delay-proxy.js'
import { localAwsEnv } from '../test/support/moto.js'
import { numberArg } from './args.js'

const DELAY_MS = 250
const REPEATS = 3
const ROOT = resolve(import.meta.dirname, '..')
const STAND_IN = resolve(import.meta.dirname, 'stand-in.ts')
const REPORT_USAGE = resolve(import.meta.dirname, 'report-usage.mjs')
const ROLE_NAME = 'multi-region-actions-target'

const ACCOUNT_COUNT = numberArg('accounts', 20)
const REGION_COUNT = numberArg('regions', 16)
const SNAPSHOTS_PER_TARGET = numberArg('snapshots', 3)
const only = ['deploy', 'prune'].filter((a) => process.argv.includes(`--${a}`))
const ACTIONS = only.length > 0 ? only : ['deploy', 'prune']

interface Measure {
  label: string
  targets: number
  seconds: number
  cpuSeconds: number
  peakRssMb: number
  /** The V8 heap when the RSS peaked: in use, and reserved by the heap. */
  heapUsedMb: number
  heapTotalMb: number
  total: number
  peakInFlight: number
  failed: number
}

interface StepRun {
  seconds: number
  exitCode: number
  outputs: Record<string, string>
  cpuSeconds: number
  peakRssMb: number
  heapUsedMb: number
  heapTotalMb: number
  stderr: string
}

/** One step: the bundle in a child process with the runner's environment and command files. */
async function runStep(action: string, inputs: Record<string, string>): Promise<StepRun> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-step-'))
  try {
    const files = createStepFiles(dir)
    const usageFile = join(dir, 'usage.json')
    const env = {
      ...stepEnvironment(process.env, inputs, files, ROOT),
      RUNNER_TEMP: dir,
      BENCH_USAGE_FILE: usageFile,
    }
    // The step's log is read as the runner reads it; only the end of stderr is kept, for a failure.
    const stderr: string[] = []
    const display = {
      line: () => undefined,
      note: (text: string) => {
        stderr.push(text)
        if (stderr.length > 40) stderr.shift()
      },
      finish: () => undefined,
    }
    const started = performance.now()
    const exitCode = await runBundle(join(ROOT, 'dist', action, 'index.js'), env, display, [
      '--import',
      REPORT_USAGE,
    ])
    const seconds = (performance.now() - started) / 1000
    const { usage, atPeak } = JSON.parse(await readFile(usageFile, 'utf8')) as {
      usage: NodeJS.ResourceUsage
      atPeak: NodeJS.MemoryUsage
    }
    return {
      seconds,
      exitCode,
      stderr: stderr.join('\n'),
      outputs: parseCommandFile(await readFile(files.GITHUB_OUTPUT, 'utf8')),
      cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
      peakRssMb: usage.maxRSS / 1024,
      heapUsedMb: atPeak.heapUsed / 1024 / 1024,
      heapTotalMb: atPeak.heapTotal / 1024 / 1024,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The inputs of one run; `generation` makes each run's stacks and snapshots new. */
function inputsFor(action: string, accounts: string[], regions: string[], generation: string) {
  const common = { accounts: accounts.join(','), 'role-name': ROLE_NAME, regions: regions.join(',') }
  if (action === 'deploy')
    return { ...common, 'stack-name': `bench-${generation}`, template: 'templates/sample-queue.yaml' }
  return { ...common, filters: `Bench=${generation}`, 'keep-last': '1', 'max-delete': '100000' }
}

/** Targets that did not come out as the run meant: created stacks, or two deletions each. */
function failedTargets(action: string, step: StepRun, targets: number): number {
  const results = JSON.parse(step.outputs.results ?? '[]') as Array<{ status: string; deleted?: string[] }>
  const good =
    action === 'deploy'
      ? results.filter((r) => r.status === 'created').length
      : results.filter((r) => r.status === 'applied' && r.deleted?.length === SNAPSHOTS_PER_TARGET - 1).length
  return targets - good
}

async function measure(
  action: string,
  proxy: DelayProxyProcess,
  accounts: string[],
  regions: string[],
  generation: string,
): Promise<Measure> {
  await proxy.resetStats()
  const targets = accounts.length * regions.length
  const bundle = action === 'deploy' ? 'deploy-multi-region' : 'prune-snapshots'
  const step = await runStep(bundle, inputsFor(action, accounts, regions, generation))
  const failed = failedTargets(action, step, targets)
  if (step.exitCode !== 0 || failed > 0)
    console.error(
      `${bundle} ${generation}: exit ${step.exitCode}, ${failed} target(s) failed\n${step.stderr}`,
    )
  return {
    label: `${accounts.length} account(s) x ${regions.length} region(s)`,
    targets,
    seconds: step.seconds,
    cpuSeconds: step.cpuSeconds,
    peakRssMb: step.peakRssMb,
    heapUsedMb: step.heapUsedMb,
    heapTotalMb: step.heapTotalMb,
    failed,
    ...(await proxy.counts()),
  }
}

function median(runs: Measure[]): Measure {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds)
  const middle = sorted[Math.floor(sorted.length / 2)]!
  const highest = runs.reduce((a, b) => (b.peakRssMb > a.peakRssMb ? b : a))
  return {
    ...middle,
    peakRssMb: highest.peakRssMb,
    heapUsedMb: highest.heapUsedMb,
    heapTotalMb: highest.heapTotalMb,
    label: `${middle.label} (median of ${runs.length}: ${runs.map((r) => r.seconds.toFixed(2)).join(', ')} s)`,
  }
}

async function main(): Promise<void> {
  process.env.BENCH_SNAPSHOTS = String(SNAPSHOTS_PER_TARGET)
  const proxy = await startDelayProxyProcess('http://127.0.0.1:9', DELAY_MS, { answerModule: STAND_IN })
  Object.assign(process.env, localAwsEnv(proxy.endpoint), { AWS_MAX_ATTEMPTS: '3' })
  const accounts = Array.from({ length: ACCOUNT_COUNT }, (_, i) => String(100000000001 + i))
  const regions = PARTITION_REGIONS.aws!.slice(0, REGION_COUNT)
  const verdicts: string[] = []
  try {
    for (const action of ACTIONS) {
      // Brings the bundle's files into the page cache, so no timed run pays for reading them.
      await measure(action, proxy, accounts.slice(0, 1), regions.slice(0, 1), `${action}-warm-up`)
      const ones: Measure[] = []
      const manys: Measure[] = []
      for (let i = 1; i <= REPEATS; i++) {
        ones.push(
          await measure(action, proxy, accounts.slice(0, 1), regions.slice(0, 1), `${action}-one-${i}`),
        )
        manys.push(await measure(action, proxy, accounts, regions, `${action}-many-${i}`))
      }
      const one = median(ones)
      const many = median(manys)
      console.log(
        `\n${action === 'deploy' ? 'deploy-multi-region (a new stack from templates/sample-queue.yaml)' : `prune-snapshots (${SNAPSHOTS_PER_TARGET} snapshots per target, keep-last 1)`}: the bundle run as a step, every call delayed by ${DELAY_MS} ms`,
      )
      console.log(
        `(Node ${process.version}; load average at the end: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(', ')} on ${cpus().length} CPUs).\n`,
      )
      console.log(
        '| Run | Targets | Wall time | CPU time | API calls | Peak calls in flight | Peak RSS | V8 heap then: in use / reserved | Failed |',
      )
      console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
      for (const m of [one, many]) {
        console.log(
          `| ${m.label} | ${m.targets} | ${m.seconds.toFixed(2)} s | ${m.cpuSeconds.toFixed(2)} s | ${m.total} | ${m.peakInFlight} | ${m.peakRssMb.toFixed(0)} MB | ${m.heapUsedMb.toFixed(0)} / ${m.heapTotalMb.toFixed(0)} MB | ${m.failed} |`,
        )
      }
      const ratio = many.seconds / one.seconds
      verdicts.push(
        `${action}: ${many.targets} targets / 1 target: ${ratio.toFixed(2)}x (target: at most 3x) ${ratio <= 3 ? 'met' : 'NOT met'}; ` +
          `peak RSS ${many.peakRssMb.toFixed(0)} MB (target: under 300 MB) ${many.peakRssMb < 300 ? 'met' : 'NOT met'}`,
      )
    }
    console.log(`\n${verdicts.join('\n')}`)
    if (!process.version.startsWith('v24.'))
      console.log(
        `(The actions run on node24; this ran on Node ${process.version}: use npm run bench:accounts.)`,
      )
  } finally {
    await proxy.close()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
