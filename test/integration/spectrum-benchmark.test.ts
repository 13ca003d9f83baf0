import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data'
import { awsClientConfig } from '../../lib/aws.js'
import { AbortedError } from '../../lib/poll.js'
import { Inputs, mapInputReader } from '../../lib/inputs.js'
import { benchmark, run } from '../../actions/spectrum-benchmark/src/main.js'
import { getSettings } from '../../actions/spectrum-benchmark/src/input-helper.js'
import { parseResults } from '../../actions/spectrum-benchmark/src/results.js'
import { runActionInProcess } from '../support/action-runner.js'
import { startLoopbackProxy, type LoopbackProxy } from '../support/loopback-proxy.js'
import { localAwsEnv } from '../support/moto.js'
import { startRedshiftDataApi, type RedshiftDataApi } from '../support/redshift-data-server.js'

const SUITE = 'queries/spectrum-poc/*.sql'
const Q3 = '03-revenue-partition-customer-month'

describe('spectrum-benchmark through the local Redshift Data API', () => {
  let api: RedshiftDataApi
  let proxy: LoopbackProxy
  let workspace: string
  let env: Record<string, string>
  /** When set, the proxy drops the answer of the first ExecuteStatement after carrying it out. */
  let loseNextExecuteReply = false
  let lostReplies = 0

  beforeAll(async () => {
    api = await startRedshiftDataApi()
    proxy = await startLoopbackProxy(api.endpoint, async (req, forward) => {
      const reply = await forward()
      if (
        loseNextExecuteReply &&
        req.operation === 'ExecuteStatement' &&
        req.body.toString().includes('customer-month')
      ) {
        loseNextExecuteReply = false
        lostReplies++
        return 'drop'
      }
      return reply
    })
    workspace = mkdtempSync(join(tmpdir(), 'spectrum-ws-'))
    cpSync(resolve('queries'), join(workspace, 'queries'), { recursive: true })
    mkdirSync(join(workspace, 'broken'))
    writeFileSync(join(workspace, 'broken', 'count-customers.sql'), 'SELECT COUNT(*) FROM customer;\n')
    writeFileSync(join(workspace, 'broken', 'bad-column.sql'), 'SELECT c_nope FROM customer\n')
    env = { ...localAwsEnv(proxy.endpoint), GITHUB_WORKSPACE: workspace }
  }, 240_000)

  afterAll(async () => {
    await proxy?.close()
    await api?.close()
    if (workspace) rmSync(workspace, { recursive: true, force: true })
  })

  beforeEach(() => {
    api.engine.clearSlowdowns()
    proxy.resetStats()
  })

  const inputs = (extra: Record<string, string | number> = {}) => ({
    'workgroup-name': 'spectrum-poc',
    database: 'dev',
    queries: SUITE,
    iterations: 3,
    warmup: 1,
    ...extra,
  })

  it('runs the suite in one session with the result cache off, and writes results, outputs and summary', async () => {
    const before = api.engine.executed.length
    const result = await runActionInProcess(
      run,
      inputs({ 'query-group': 'pr-42', 'results-file': 'out/run1.json' }),
      env,
    )
    expect(result.errors).toEqual([])
    expect(result.failed).toBe(false)
    expect(Object.keys(result.outputs).sort()).toEqual([
      'plan-changes',
      'regressions',
      'report',
      'results-file',
    ])
    expect(result.outputs['results-file']).toBe('out/run1.json')
    expect(JSON.parse(result.outputs.regressions!)).toEqual([])
    const report = JSON.parse(result.outputs.report!) as {
      queries: Array<{ name: string; verdict: string; runs: number }>
    }
    expect(report.queries.map((q) => [q.name, q.verdict, q.runs])).toEqual(
      [
        '01-revenue-flat-surrogate-keys',
        '02-revenue-partition-customer',
        Q3,
        '04-revenue-aggregation-pushdown',
        '05-full-scan-aggregation',
      ].map((n) => [n, 'new', 3]),
    )
    const saved = parseResults(readFileSync(join(workspace, 'out/run1.json'), 'utf8'))
    expect(saved.queries).toHaveLength(5)
    for (const q of saved.queries) {
      expect(q.durationsMs).toHaveLength(3)
      expect(q.durationsMs.every((d) => d > 0)).toBe(true)
    }
    // Partition pruning shows in the scan statistics: 1 flat file, 3 x 24 and 3 x 3 partitions.
    const scan = new Map(saved.queries.map((q) => [q.name, q.scan]))
    expect(scan.get('01-revenue-flat-surrogate-keys')?.files).toBe(1)
    expect(scan.get('02-revenue-partition-customer')?.files).toBe(72)
    expect(scan.get(Q3)?.files).toBe(9)
    expect(scan.get(Q3)!.bytesScanned).toBeLessThan(scan.get('01-revenue-flat-surrogate-keys')!.bytesScanned)
    // A workgroup's SYS_EXTERNAL_QUERY_DETAIL has no rows-returned count and no request parallelism.
    expect(scan.get(Q3)).toMatchObject({ rowsScanned: 3 * 3 * 160, rowsReturned: null, parallelism: null })
    expect(result.warnings.filter((w) => w.includes('scan statistics'))).toEqual([])

    const ran = api.engine.executed.slice(before)
    const measured = ran.filter((s) => s.sql.includes('spectrum.uservisits') && !s.sql.startsWith('EXPLAIN'))
    expect(measured).toHaveLength(5 * 4)
    expect(ran.filter((s) => s.sql.startsWith('EXPLAIN'))).toHaveLength(5)
    expect(
      measured.every(
        (s) => s.queryGroup === 'pr-42' && !s.fromResultCache && s.sessionId === ran[0]!.sessionId,
      ),
    ).toBe(true)
    expect(proxy.stats.byOperation.get('BatchExecuteStatement')).toBe(1)
    // 4 runs of each query, its EXPLAIN, the scan statistics and the query history.
    expect(proxy.stats.byOperation.get('ExecuteStatement')).toBe(5 * 4 + 5 + 1 + 1)

    expect(result.summary).toContain('| Query | Runs | Median | p95 |')
    expect(result.summary).toContain('```mermaid')
    expect(result.summary).toContain('### Spectrum scans')
  })

  it('reads scan statistics of a provisioned cluster from SVL_S3QUERY_SUMMARY', async () => {
    // A cold compile of Q3: STL_WLM_QUERY counts it in total_exec_time, SVL_COMPILE says how long it took.
    api.engine.addSlowdown({ pattern: /nine customer-month partitions/, compileMs: 100 })
    const result = await runActionInProcess(
      run,
      inputs({
        'workgroup-name': '',
        'cluster-identifier': 'poc-cluster',
        'db-user': 'bench',
        iterations: 1,
        warmup: 0,
        'results-file': 'out/cluster.json',
      }),
      env,
    )
    expect(result.failed).toBe(false)
    expect(result.warnings.filter((w) => w.includes('scan statistics'))).toEqual([])
    const saved = parseResults(readFileSync(join(workspace, 'out/cluster.json'), 'utf8'))
    const q3 = saved.queries.find((q) => q.name === Q3)!.scan
    expect(q3).toMatchObject({ files: 9, rowsScanned: 3 * 3 * 160, parallelism: 9 })
    expect(q3!.rowsReturned).toBeGreaterThan(0)
    // Partitions from SVL_S3PARTITION_SUMMARY; queue, compile and execution from STL_WLM_QUERY less SVL_COMPILE.
    expect(q3).toMatchObject({ partitionsTotal: 144, partitionsQualified: 9 })
    const timings = saved.queries.find((q) => q.name === Q3)!.timings!
    expect(timings.compileMs).toEqual([100])
    expect(timings.executionMs[0]).toBeCloseTo(
      saved.queries.find((q) => q.name === Q3)!.durationsMs[0]! - 100,
      0,
    )
    expect(result.warnings.filter((w) => w.includes('not available'))).toEqual([])
  })

  it('is answered from the result cache when result-cache is on, which is why it is off by default', async () => {
    const before = api.engine.executed.length
    const result = await runActionInProcess(
      run,
      inputs({ 'result-cache': 'on', iterations: 2, 'scan-stats': 'false' }),
      env,
    )
    expect(result.failed).toBe(false)
    const measured = api.engine.executed.slice(before).filter((s) => s.sql.includes('spectrum.uservisits'))
    expect(measured.filter((s) => s.fromResultCache).length).toBeGreaterThanOrEqual(5 * 2)
  })

  it('compares with a baseline: noise passes, an injected slowdown of one query fails the step', async () => {
    const first = await runActionInProcess(
      run,
      inputs({ iterations: 5, 'results-file': 'out/base.json' }),
      env,
    )
    expect(first.failed).toBe(false)

    const same = await runActionInProcess(
      run,
      inputs({
        iterations: 5,
        baseline: 'out/base.json',
        'max-regression': '10%',
        'results-file': 'out/same.json',
      }),
      env,
    )
    expect(same.failed).toBe(false)
    expect(JSON.parse(same.outputs.regressions!)).toEqual([])
    expect(same.summary).toContain('No query regressed')
    // This run as bars and the baseline as a line: mermaid draws two bar series over each other.
    expect(same.summary).toMatch(/xychart-beta[\s\S]*bar "this run" \[[\s\S]*line "baseline" \[/)

    api.engine.addSlowdown({ pattern: /nine customer-month partitions/, extraMs: 600 })
    const slow = await runActionInProcess(
      run,
      inputs({
        iterations: 5,
        baseline: 'out/base.json',
        'max-regression': '10%',
        'results-file': 'out/slow.json',
      }),
      env,
    )
    expect(slow.failed).toBe(true)
    expect(JSON.parse(slow.outputs.regressions!)).toEqual([Q3])
    expect(slow.errors.some((e) => e.includes(Q3) && e.includes('regressed'))).toBe(true)
    const report = JSON.parse(slow.outputs.report!) as {
      queries: Array<{ name: string; verdict: string; pValue: number }>
    }
    expect(report.queries.find((q) => q.name === Q3)).toMatchObject({ verdict: 'regressed', pValue: 0.00397 })
    // The run that failed still leaves a results file that the next run can use as its baseline.
    const next = parseResults(readFileSync(join(workspace, 'out/slow.json'), 'utf8'))
    expect(next.queries.find((q) => q.name === Q3)!.stats.median).toBeGreaterThan(600)

    // Against the slow run, the query is faster again: improved, with the p-value of a speed-up.
    api.engine.clearSlowdowns()
    const fixed = await runActionInProcess(
      run,
      inputs({
        iterations: 5,
        baseline: 'out/slow.json',
        'max-regression': '10%',
        'results-file': 'out/fixed.json',
      }),
      env,
    )
    expect(fixed.failed).toBe(false)
    const fixedReport = JSON.parse(fixed.outputs.report!) as {
      improvements: string[]
      queries: Array<{ name: string; verdict: string; pValue: number; change: number }>
    }
    expect(fixedReport.improvements).toEqual([Q3])
    expect(fixedReport.queries.find((q) => q.name === Q3)).toMatchObject({
      verdict: 'improved',
      pValue: 0.00397,
    })
    expect(fixedReport.queries.find((q) => q.name === Q3)!.change).toBeLessThan(-0.5)
  }, 240_000)

  it('fails the step with the query name and the database error', async () => {
    const result = await runActionInProcess(
      run,
      inputs({ queries: 'broken/*.sql', iterations: 1, warmup: 0 }),
      env,
    )
    expect(result.failed).toBe(true)
    expect(result.errors.join('\n')).toMatch(
      /Query 'bad-column' \(run 1\/1\) failed: ERROR: column "c_nope" does not exist/,
    )
    expect(result.summary).toContain('bad-column')
    expect(result.outputs.regressions).toBeUndefined()
  })

  it('cancels a statement that runs past query-timeout-seconds and fails with its name', async () => {
    api.engine.addSlowdown({ pattern: /nine customer-month partitions/, extraMs: 15_000 })
    const before = api.engine.executed.length
    const result = await runActionInProcess(
      run,
      inputs({ iterations: 1, warmup: 0, 'query-timeout-seconds': 1 }),
      env,
    )
    expect(result.failed).toBe(true)
    expect(result.errors.join('\n')).toMatch(
      new RegExp(`Query '${Q3}' \\(run 1/1\\) failed: did not finish within 1 s and was cancelled`),
    )
    const q3 = api.engine.executed.slice(before).find((s) => s.sql.includes('nine customer-month'))
    expect(q3?.status).toBe('ABORTED')
    expect(proxy.stats.byOperation.get('CancelStatement')).toBe(1)
  })

  it.each([
    [
      'iterations',
      { iterations: 0 },
      /Input 'iterations': "0" is not valid\. Expected a whole number from 1 to 1000/,
    ],
    ['an empty glob', { queries: 'nothing-here/*.sql' }, /Input 'queries'.*no \.sql file matched/],
    [
      'a glob leaving the workspace',
      { queries: '../*.sql' },
      /Input 'queries': "\.\.\/\*\.sql" is not valid/,
    ],
    [
      'max-regression',
      { 'max-regression': 'ten percent' },
      /Input 'max-regression': "ten percent" is not valid\. Expected a percentage/,
    ],
    ['a negative max-regression', { 'max-regression': '-5%' }, /Input 'max-regression': "-5%"/],
    ['a zero max-regression', { 'max-regression': '0%' }, /Input 'max-regression': "0%"/],
    ['both targets', { 'cluster-identifier': 'poc-cluster' }, /Input 'workgroup-name'/],
    [
      'a malformed secret ARN',
      { 'secret-arn': 'arn:aws:secretsmanager:nope' },
      /Input 'secret-arn': \(value hidden\)/,
    ],
    ['a baseline outside the workspace', { baseline: '../../etc/passwd' }, /Input 'baseline'/],
  ])('rejects %s before any statement is sent', async (_label, extra, message) => {
    const executed = api.engine.executed.length
    const result = await runActionInProcess(run, inputs(extra as Record<string, string | number>), env)
    expect(result.failed).toBe(true)
    expect(result.errors.join('\n')).toMatch(message)
    expect(proxy.stats.total).toBe(0)
    expect(api.engine.executed.length).toBe(executed)
  })

  it('rejects a baseline that is not a results file', async () => {
    writeFileSync(join(workspace, 'not-results.json'), '{"queries": 3}')
    const result = await runActionInProcess(run, inputs({ baseline: 'not-results.json' }), env)
    expect(result.errors.join('\n')).toMatch(
      /Input 'baseline': "not-results.json" is not valid.*format is not spectrum-benchmark\/v1/,
    )
    expect(proxy.stats.total).toBe(0)
  })

  it('measures the statement it started when the reply to ExecuteStatement is lost (ClientToken)', async () => {
    const before = api.engine.executed.length
    loseNextExecuteReply = true
    const result = await runActionInProcess(
      run,
      inputs({ iterations: 2, warmup: 0, 'scan-stats': 'false' }),
      env,
    )
    expect(result.failed).toBe(false)
    expect(lostReplies).toBe(1)
    const q3Runs = api.engine.executed
      .slice(before)
      .filter((s) => s.sql.includes('nine customer-month') && !s.sql.startsWith('EXPLAIN'))
    expect(q3Runs).toHaveLength(2)
    // Two runs of each query, its EXPLAIN, the scan statistics and the query history.
    expect(proxy.stats.byOperation.get('ExecuteStatement')).toBe(5 * 2 + 5 + 1 + 1)
  })

  it('cancels the running statement and starts nothing more when the job is cancelled', async () => {
    api.engine.addSlowdown({ pattern: /nine customer-month partitions/, extraMs: 20_000 })
    const controller = new AbortController()
    const savedEnv = { ...process.env }
    Object.assign(process.env, env)
    let client: RedshiftDataClient | undefined
    try {
      const settings = getSettings(
        new Inputs(mapInputReader(inputs({ iterations: 1, warmup: 0, 'results-file': 'out/cancel.json' }))),
        process.env,
      )
      client = new RedshiftDataClient(awsClientConfig('us-east-1'))
      const before = api.engine.executed.length
      setTimeout(() => controller.abort(new Error('Cancelled by SIGTERM')), 1500)
      const started = Date.now()
      await expect(
        benchmark(settings, { signal: controller.signal }, { client, now: () => new Date() }),
      ).rejects.toBeInstanceOf(AbortedError)
      expect(Date.now() - started).toBeLessThan(10_000)
      const ran = api.engine.executed.slice(before)
      expect(ran.at(-1)!.sql).toContain('nine customer-month')
      expect(ran.at(-1)!.status).toBe('ABORTED')
      expect(ran.some((s) => s.sql.includes('aggregation pushed down'))).toBe(false)
      expect(proxy.stats.byOperation.get('CancelStatement')).toBe(1)
      expect(existsSync(settings.resultsFile)).toBe(false)
    } finally {
      client?.destroy()
      process.env = savedEnv
    }
  })
})
