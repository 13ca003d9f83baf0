/**
 * Packaging benchmark: a 50 MB application folder (a Lambda function's code) packaged into a
 * bucket of each of 16 regions, through the delay proxy (250 ms a call, as AWS answers in
 * 100-300 ms) in front of an S3 stand-in (bench/s3-stand-in.ts, in the proxy's own process).
 *
 * - ours: `packageTemplate` once (zip time), then `uploadPackage` to the 16 buckets at once;
 *   then the same again (a rerun: nothing to upload);
 * - the anchor: `aws cloudformation package` once per region, one after another, as a user would
 *   loop over regions.
 *
 * Figures: zip time, bytes uploaded, wall time, this process's peak RSS (ours) and the CLI's
 * peak RSS per run (GNU time), objects uploaded on the rerun.
 *
 *   npm run bench:package [-- --megabytes 50] [-- --regions 16] [-- --anchor 0 to skip the CLI]
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { S3Client } from '@aws-sdk/client-s3'
import { packageTemplate, uploadPackage, type UploadCounts } from '../lib/package/index.js'
import { PARTITION_REGIONS } from '../lib/regions.js'
import { startDelayProxyProcess } from '../test/support/delay-proxy.js'
import { numberArg } from './args.js'

const DELAY_MS = 250
const execFileAsync = promisify(execFile)
const MEGABYTES = numberArg('megabytes', 50)
const REGIONS = PARTITION_REGIONS.aws!.filter((r) => r !== 'us-east-1')
  .slice(0, numberArg('regions', 16) - 1)
  .concat('us-east-1')
const CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'bench-secret' }

/** Half incompressible bytes, half text: about what a function's dependencies zip to. */
function makeApplication(root: string): void {
  const folder = join(root, 'functions/big')
  mkdirSync(join(folder, 'vendor'), { recursive: true })
  writeFileSync(join(folder, 'app.py'), 'def handler(event, context):\n    return "ok"\n')
  for (let i = 0; i < MEGABYTES; i++) {
    const body =
      i % 2 === 0
        ? randomBytes(1 << 20)
        : Buffer.from(`line ${i} of the vendored library\n`.repeat(1 << 15)).subarray(0, 1 << 20)
    writeFileSync(join(folder, 'vendor', `part-${String(i).padStart(3, '0')}.bin`), body)
  }
  writeFileSync(
    join(root, 'template.yaml'),
    `Resources:
  Big:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/big
      Code: functions/big
`,
  )
}

/** Peak RSS of this process while `work` runs, sampled every 20 ms. */
async function withPeakRss<T>(
  work: () => Promise<T>,
): Promise<{ result: T; peakMb: number; startMb: number }> {
  const start = process.memoryUsage.rss()
  let peak = start
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20)
  try {
    const result = await work()
    peak = Math.max(peak, process.memoryUsage.rss())
    return { result, peakMb: peak / 2 ** 20, startMb: start / 2 ** 20 }
  } finally {
    clearInterval(timer)
  }
}

async function standInStats(endpoint: string): Promise<{ receivedBytes: number; puts: number }> {
  return (await (await fetch(`${endpoint}/__bench/stats`)).json()) as { receivedBytes: number; puts: number }
}

async function main(): Promise<void> {
  const workspace = mkdtempSync(join(tmpdir(), 'bench-package-'))
  makeApplication(workspace)
  const proxy = await startDelayProxyProcess('http://127.0.0.1:9', DELAY_MS, {
    answerModule: resolve(import.meta.dirname, 's3-stand-in.ts'),
  })
  const s3 = new Map(
    REGIONS.map((region) => [
      region,
      new S3Client({ region, endpoint: proxy.endpoint, forcePathStyle: true, credentials: CREDENTIALS }),
    ]),
  )
  const lines: string[] = []
  try {
    // Ours: the local phase once, then every region at once; then a rerun.
    const ours = async () => {
      const zipStarted = performance.now()
      const pkg = await packageTemplate('template.yaml', workspace)
      const zipSeconds = (performance.now() - zipStarted) / 1000
      const uploads = await Promise.all(
        REGIONS.map((region) =>
          uploadPackage(pkg, {
            s3: s3.get(region)!,
            bucket: `bench-artifacts-${region}`,
            region,
            owner: '123456789012',
            prefix: 'app',
          }),
        ),
      )
      pkg.dispose()
      return { zipSeconds, zipBytes: pkg.artifacts[0]!.bytes, counts: uploads.map((u) => u.counts) }
    }
    const sum = (counts: UploadCounts[], field: keyof UploadCounts) =>
      counts.reduce((n, c) => n + c[field], 0)
    for (const label of ['ours, first run', 'ours, rerun']) {
      await fetch(`${proxy.endpoint}/__bench/reset`, { method: 'POST' })
      const started = performance.now()
      const { result, peakMb, startMb } = await withPeakRss(ours)
      const seconds = (performance.now() - started) / 1000
      const stats = await standInStats(proxy.endpoint)
      lines.push(
        `${label.padEnd(34)} wall ${seconds.toFixed(2)} s, zip ${result.zipSeconds.toFixed(2)} s (${(result.zipBytes / 2 ** 20).toFixed(1)} MB), uploaded ${sum(result.counts, 'uploaded')} objects / ${(stats.receivedBytes / 2 ** 20).toFixed(1)} MB, already there ${sum(result.counts, 'present')}, peak RSS ${peakMb.toFixed(0)} MB (${startMb.toFixed(0)} MB before)`,
      )
      console.log(lines.at(-1))
    }

    // The anchor: the AWS CLI once per region, one region after another.
    if (numberArg('anchor', 1) === 0) return
    await fetch(`${proxy.endpoint}/__bench/reset`, { method: 'POST' })
    const started = performance.now()
    let cliPeakKb = 0
    for (const region of REGIONS) {
      const { stderr } = await execFileAsync(
        '/usr/bin/time',
        [
          '-f',
          'maxrss=%M',
          'aws',
          'cloudformation',
          'package',
          '--template-file',
          'template.yaml',
          '--s3-bucket',
          `bench-artifacts-${region}`,
          '--output-template-file',
          `packaged-${region}.yaml`,
        ],
        {
          cwd: workspace,
          maxBuffer: 1 << 26,
          env: {
            ...process.env,
            AWS_ENDPOINT_URL: proxy.endpoint,
            AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
            AWS_DEFAULT_REGION: region,
          },
        },
      )
      cliPeakKb = Math.max(cliPeakKb, Number(/maxrss=(\d+)/.exec(stderr)?.[1] ?? 0))
    }
    const seconds = (performance.now() - started) / 1000
    const stats = await standInStats(proxy.endpoint)
    lines.push(
      `${'aws cloudformation package x regions'.padEnd(34)} wall ${seconds.toFixed(2)} s, uploaded ${stats.puts} objects / ${(stats.receivedBytes / 2 ** 20).toFixed(1)} MB, peak RSS per run ${(cliPeakKb / 1024).toFixed(0)} MB`,
    )
    console.log(lines.at(-1))
  } finally {
    for (const client of s3.values()) client.destroy()
    await proxy.close()
    rmSync(workspace, { recursive: true, force: true })
    console.log(
      `\n${MEGABYTES} MB application folder to ${REGIONS.length} regions, ${DELAY_MS} ms a call; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}`,
    )
    for (const line of lines) console.log(line)
  }
}

await main()
