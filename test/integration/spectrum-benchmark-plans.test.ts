import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { run } from '../../actions/spectrum-benchmark/src/main.js'
import { parseResults } from '../../actions/spectrum-benchmark/src/results.js'
import { runActionInProcess } from '../support/action-runner.js'
import { localAwsEnv } from '../support/moto.js'
import { startRedshiftDataApi, type RedshiftDataApi } from '../support/redshift-data-server.js'

/**
 * What decides a Spectrum query's cost, gated end to end on the local Redshift
 * Data API: plans (EXPLAIN in Redshift's shape), bytes scanned and partitions,
 * compile time apart from execution time, and interleaved A/B and A/A runs.
 */

const Q1 = '01-revenue-flat-surrogate-keys'
const Q2 = '02-revenue-partition-customer'
const Q3 = '03-revenue-partition-customer-month'
/** Q2's comment, kept in the changed copy: a pattern for both versions of the query. */
const Q2_TEXT = /filtered on the customer/
const Q3_TEXT = /nine customer-month partitions/

interface Report {
  queries: Array<{
    name: string
    verdict: string
    change: number | null
    basis: string
    compileMedianMs: number | null
    noise: number | null
    planChanged: boolean
  }>
  scanGrowth: Array<{ query: string; message: string }>
}

describe('spectrum-benchmark: plans, scans, compile time and noise', () => {
  let api: RedshiftDataApi
  let workspace: string
  let env: Record<string, string>

  beforeAll(async () => {
    api = await startRedshiftDataApi()
    workspace = mkdtempSync(join(tmpdir(), 'spectrum-plans-'))
    cpSync(resolve('queries'), join(workspace, 'queries'), { recursive: true })
    // The same suite with Q2's partition filter moved to the dimension: the same answer, every partition read.
    mkdirSync(join(workspace, 'changed'))
    cpSync(resolve('queries/spectrum-poc'), join(workspace, 'changed'), { recursive: true })
    const q2 = join(workspace, 'changed', `${Q2}.sql`)
    writeFileSync(
      q2,
      readFileSync(q2, 'utf8').replace('WHERE uv.customer IN (1, 2, 3)', 'WHERE c.c_custkey IN (1, 2, 3)'),
    )
    env = { ...localAwsEnv(api.endpoint), GITHUB_WORKSPACE: workspace }
  }, 240_000)

  afterAll(async () => {
    await api?.close()
    if (workspace) rmSync(workspace, { recursive: true, force: true })
  })

  beforeEach(() => api.engine.clearSlowdowns())

  const inputs = (extra: Record<string, string | number> = {}) => ({
    'workgroup-name': 'spectrum-poc',
    database: 'dev',
    queries: 'queries/spectrum-poc/*.sql',
    iterations: 3,
    warmup: 0,
    ...extra,
  })
  const planChanges = (outputs: Record<string, string>) =>
    JSON.parse(outputs['plan-changes']!) as Array<{ query: string; description: string }>

  describe('against a baseline file', () => {
    beforeAll(async () => {
      api.engine.addSlowdown({ pattern: Q2_TEXT, fixedMs: 20 })
      const base = await runActionInProcess(run, inputs({ 'results-file': 'out/base.json' }), env)
      expect(base.errors).toEqual([])
    }, 120_000)

    beforeEach(() => {
      // Q2 takes 20 ms whatever its plan: its time is unchanged, so only the plan and the scan can tell.
      api.engine.addSlowdown({ pattern: Q2_TEXT, fixedMs: 20 })
    })

    it('keeps every query plan in the results file, in Redshift shape', () => {
      const saved = parseResults(readFileSync(join(workspace, 'out/base.json'), 'utf8'))
      expect(saved.queries.every((q) => (q.plan ?? []).length > 0)).toBe(true)
      const plan = new Map(saved.queries.map((q) => [q.name, q.plan!.join('\n')]))
      expect(plan.get(Q2)).toContain('XN Partition Loop')
      expect(plan.get(Q2)).toMatch(
        /XN Seq Scan PartitionInfo of spectrum\.uservisits_partitioned uv.*\n\s+Filter: \(customer = ANY/,
      )
      expect(plan.get(Q2)).toMatch(
        /XN S3 Query Scan uv[\s\S]*S3 Seq Scan spectrum\.uservisits_partitioned uv location:"s3:/,
      )
      expect(plan.get(Q1)).toContain('S3 Seq Scan spectrum.uservisits_flat uv')
      expect(plan.get(Q1)).not.toContain('Partition Loop')
      // Partitions read next to the plan: 3 customers x 24 months of 6 x 24.
      const q2 = saved.queries.find((q) => q.name === Q2)!
      expect(q2.scan).toMatchObject({ partitionsTotal: 144, partitionsQualified: 72 })
      expect(saved.queries.find((q) => q.name === Q1)!.scan).toMatchObject({ partitionsTotal: null })
      expect(q2.timings?.executionMs).toEqual([20, 20, 20])
    })

    it('does not report a plan that did not change', async () => {
      const same = await runActionInProcess(
        run,
        inputs({ baseline: 'out/base.json', 'results-file': 'out/same.json', 'max-scan-growth': '0%' }),
        env,
      )
      expect(same.failed).toBe(false)
      expect(planChanges(same.outputs)).toEqual([])
      expect(same.summary.split('\n')[0]).toContain('✅')
      expect(same.summary).toContain('| Partitions read |')
      expect(same.summary).toContain('| 72 of 144 |')
    })

    it('reports the partition filter removed from one query for that query alone, with its time unchanged', async () => {
      const changed = await runActionInProcess(
        run,
        inputs({ queries: 'changed/*.sql', baseline: 'out/base.json', 'results-file': 'out/changed.json' }),
        env,
      )
      expect(changed.failed).toBe(false)
      const changes = planChanges(changed.outputs)
      expect(changes).toEqual([
        { query: Q2, description: expect.stringContaining('lost its partition loop') },
      ])
      expect(changes[0]!.description).toContain('spectrum.uservisits_partitioned')
      const report = JSON.parse(changed.outputs.report!) as Report
      expect(report.queries.find((q) => q.name === Q2)).toMatchObject({
        verdict: 'unchanged',
        change: 0,
        planChanged: true,
      })
      expect(JSON.parse(changed.outputs.regressions!)).toEqual([])
      expect(changed.warnings.some((w) => w.includes(Q2) && w.includes('plan changed'))).toBe(true)
      expect(changed.summary.split('\n')[0]).toMatch(
        /^## ⚠️ .*1 query plan changed: 02-revenue-partition-customer/,
      )
      expect(changed.summary).toContain('| Query | Plan change |')
      // Beside the timings: twice the bytes, every partition.
      expect(changed.summary).toMatch(/\| [\d.]+ MB \(\+100%\), 144\/144 partitions \|/)
      // Without max-scan-growth, the doubled scan is a warning.
      expect(changed.summary).toMatch(/bytes scanned rose from \d+ to \d+ .*partitions 72 -> 144/)
    })

    it('fails the step on the changed plan with plan-changes: fail', async () => {
      const failing = await runActionInProcess(
        run,
        inputs({
          queries: 'changed/*.sql',
          baseline: 'out/base.json',
          'results-file': 'out/fail.json',
          'plan-changes': 'fail',
        }),
        env,
      )
      expect(failing.failed).toBe(true)
      expect(failing.errors.some((e) => e.includes(Q2) && e.includes('plan changed'))).toBe(true)
      expect(failing.errors.join('\n')).toContain('1 query plan changed (plan-changes: fail)')
      expect(JSON.parse(failing.outputs.regressions!)).toEqual([])
    })

    it('fails on bytes scanned grown past max-scan-growth, independently of time and plans', async () => {
      const grown = await runActionInProcess(
        run,
        inputs({
          queries: 'changed/*.sql',
          baseline: 'out/base.json',
          'results-file': 'out/grown.json',
          'plan-changes': 'ignore',
          'max-scan-growth': '10%',
        }),
        env,
      )
      expect(grown.failed).toBe(true)
      const report = JSON.parse(grown.outputs.report!) as Report
      expect(report.scanGrowth.map((f) => f.query)).toEqual([Q2])
      expect(JSON.parse(grown.outputs.regressions!)).toEqual([])
      expect(planChanges(grown.outputs)).toEqual([])
      expect(grown.errors.some((e) => e.includes(Q2) && e.includes('max-scan-growth'))).toBe(true)
      expect(grown.summary.split('\n')[0]).toContain(
        '1 query scanned more than 10% more bytes: 02-revenue-partition-customer',
      )
    })

    it('does not fail the time gate on compile time alone, and shows it', async () => {
      api.engine.addSlowdown({ pattern: Q3_TEXT, compileMs: 400 })
      const cold = await runActionInProcess(
        run,
        inputs({ baseline: 'out/base.json', 'results-file': 'out/cold.json', iterations: 5 }),
        env,
      )
      expect(cold.failed).toBe(false)
      expect(JSON.parse(cold.outputs.regressions!)).toEqual([])
      const q3 = (JSON.parse(cold.outputs.report!) as Report).queries.find((q) => q.name === Q3)!
      expect(q3).toMatchObject({ verdict: 'unchanged', basis: 'execution', compileMedianMs: 400 })
      // The statement's own Duration holds the compile time; the gate looked past it.
      const saved = parseResults(readFileSync(join(workspace, 'out/cold.json'), 'utf8'))
      expect(Math.min(...saved.queries.find((q) => q.name === Q3)!.durationsMs)).toBeGreaterThan(400)
      expect(cold.summary).toContain('| Compile (median) | Queue (median) |')
      expect(cold.summary).toContain('| 400 ms |')
    })
  })

  describe('history of the default branch', () => {
    it('draws each query over the earlier runs and gates against the last N of them', async () => {
      for (const n of [1, 2, 3]) {
        const earlier = await runActionInProcess(
          run,
          inputs({ 'results-file': `history/${n}/spectrum-benchmark.json`, 'scan-stats': 'false' }),
          env,
        )
        expect(earlier.failed).toBe(false)
      }
      api.engine.addSlowdown({ pattern: Q3_TEXT, factor: 1.5 })
      const now = await runActionInProcess(
        run,
        inputs({
          history: 'history/*/spectrum-benchmark.json',
          'history-baseline': 3,
          iterations: 5,
          'results-file': 'out/after-history.json',
        }),
        env,
      )
      // 5 runs against the 3 x 3 runs of the history, pooled: Q3 is 50% slower than their median.
      expect(JSON.parse(now.outputs.regressions!)).toEqual([Q3])
      expect(now.summary).toContain('`baseline` the last 3 runs of the history')
      expect(now.summary).toContain('### Trend on the default branch')
      expect(now.summary).toMatch(/\| \*\*Q3\*\* 03-revenue-partition-customer-month \| [▁-█]{3}●█ \|/)
    })
  })

  describe('interleaved with the base branch', () => {
    it('A/B: the base and the change alternate in one window, and the noise is measured', async () => {
      const ab = await runActionInProcess(
        run,
        inputs({
          queries: 'changed/*.sql',
          interleave: 'true',
          'base-queries': 'queries/spectrum-poc/*.sql',
          iterations: 5,
          'results-file': 'out/ab.json',
        }),
        env,
      )
      // Q2 without its partition filter reads every partition: slower, beyond the noise, and a new plan.
      expect(JSON.parse(ab.outputs.regressions!)).toEqual([Q2])
      expect(ab.failed).toBe(true)
      expect(planChanges(ab.outputs).map((c) => c.query)).toEqual([Q2])
      const report = JSON.parse(ab.outputs.report!) as Report
      const others = report.queries.filter((q) => q.name !== Q2)
      expect(others.every((q) => q.verdict === 'unchanged')).toBe(true)
      expect(report.queries.every((q) => q.noise !== null && q.noise < 0.05)).toBe(true)
      expect(ab.summary).toContain('Noise (A/A)')
      expect(ab.summary).toMatch(
        /Noise measured in this window \(the base against itself, A\/A\): at most ±\d/,
      )
      // The results file holds this change's runs only, and can be a later run's baseline.
      const saved = parseResults(readFileSync(join(workspace, 'out/ab.json'), 'utf8'))
      expect(saved.settings.interleave).toBe(true)
      expect(saved.queries.every((q) => q.durationsMs.length === 5)).toBe(true)
    })

    it('A/A: the base against itself flags nothing and shows the noise figure', async () => {
      const aa = await runActionInProcess(
        run,
        inputs({
          interleave: 'true',
          'base-queries': 'queries/spectrum-poc/*.sql',
          iterations: 5,
          'results-file': 'out/aa.json',
        }),
        env,
      )
      expect(aa.errors).toEqual([])
      expect(aa.failed).toBe(false)
      expect(JSON.parse(aa.outputs.regressions!)).toEqual([])
      expect(planChanges(aa.outputs)).toEqual([])
      const noise = (JSON.parse(aa.outputs.report!) as Report).queries.map((q) => q.noise!)
      expect(noise.every((n) => n >= 0 && n < 0.05)).toBe(true)
      expect(aa.summary).toMatch(/Noise measured in this window .* at most ±\d+(\.\d)?%/)
      console.log(
        `A/A noise per query on the local engine: ${noise.map((n) => `${(n * 100).toFixed(2)}%`).join(', ')}`,
      )
    })
  })
})
