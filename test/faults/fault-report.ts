import { appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ALL_FAULTS, type FaultKind, type FaultLog } from '../support/fault-proxy.js'
import { localAwsEnv } from '../support/moto.js'

/**
 * Book-keeping shared by the seeded fault suites: which seeds to run, the
 * environment the action runs in, and a record of every run's faults and
 * outcome, printed as one summary line and appended as a JSON line to
 * `fault-suite-results.jsonl` in the temp directory so totals can be collected.
 */
export type Outcome = 'correct' | 'failed-cleanly' | 'WRONG'

export interface SeedRecord {
  seed: number
  outcome: Outcome
  succeeded: boolean
  faults: Record<FaultKind, number>
  injected: number
  problems: string[]
  ms: number
}

const UNCLEAR = /^(Unknown|UnknownError|Error|undefined)?$/

/** Share of calls faulted in every suite (FAULT_RATE=0.4 stresses the actions harder). */
export const FAULT_RATE = Number(process.env.FAULT_RATE ?? '0.2')

export const RESULTS_FILE = join(tmpdir(), 'fault-suite-results.jsonl')

/** Seeds 1..20, or the single seed named by FAULT_SEED (to replay one run). */
export function faultSeeds(count = 20): number[] {
  const one = process.env.FAULT_SEED
  if (one !== undefined && one.trim() !== '') return [Number(one)]
  return Array.from({ length: count }, (_, i) => i + 1)
}

/**
 * localAwsEnv with the action's own retry budget (8 attempts) instead of the
 * low one integration tests use. Standard mode rather than the action's
 * adaptive default: adaptive mode only slows the client down after throttling,
 * which makes the runs longer without changing what is retried.
 */
export function faultEnv(endpoint: string): Record<string, string> {
  // FAULT_MAX_ATTEMPTS=2 exhausts retries often, to exercise the failed-cleanly path.
  const attempts = process.env.FAULT_MAX_ATTEMPTS ?? '8'
  return { ...localAwsEnv(endpoint), AWS_MAX_ATTEMPTS: attempts, AWS_RETRY_MODE: 'standard' }
}

/**
 * Seeds moto's own random generator (POST /moto-api/seed), so the ids it makes
 * (hosted zones, health checks, snapshots) are the same on every replay of a
 * seed. Route 53 is a REST protocol: its ids are part of the operation the
 * fault proxy keys its decisions on.
 */
export async function seedMoto(endpoint: string, seed: number): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/seed?a=${seed}`, { method: 'POST' })
  if (!res.ok) throw new Error(`seeding moto failed: ${res.status}`)
}

export class FaultReport {
  readonly records: SeedRecord[] = []
  private readonly started = Date.now()

  constructor(readonly action: string) {}

  /**
   * Classifies a run: correct when it succeeded with every invariant holding;
   * failed-cleanly when it failed with a clear error and every invariant holds;
   * WRONG otherwise. Throws on WRONG, naming the seed so it can be replayed.
   */
  record(
    seed: number,
    log: FaultLog,
    run: { failed: boolean; errors: string[] },
    problems: string[],
    startedAt: number,
  ): SeedRecord {
    const issues = [...problems]
    // A bare SDK code such as "Unknown" (a 5xx without an AWS error body) says nothing a user can act on.
    if (run.failed && !run.errors.some((e) => e.trim().length > 0 && !UNCLEAR.test(e.trim())))
      issues.push(`the run failed without a clear error message: ${JSON.stringify(run.errors)}`)
    const outcome: Outcome = issues.length > 0 ? 'WRONG' : run.failed ? 'failed-cleanly' : 'correct'
    const entry: SeedRecord = {
      seed,
      outcome,
      succeeded: !run.failed,
      faults: { ...log.byKind },
      injected: log.injected,
      problems: issues,
      ms: Date.now() - startedAt,
    }
    this.records.push(entry)
    // FAULT_VERBOSE=1 lists every injected fault, to read alongside a replayed seed.
    if (process.env.FAULT_VERBOSE === '1')
      console.log(
        `${this.action} seed ${seed}: ${outcome} ${run.errors.join(' | ')}\n${log.events.map((e) => `  ${e.kind} ${e.key}`).join('\n')}`,
      )
    if (outcome === 'WRONG') {
      throw new Error(
        `${this.action} seed ${seed} ended WRONG (replay with FAULT_SEED=${seed}):\n- ${issues.join('\n- ')}\n` +
          `faults: ${JSON.stringify(log.events)}\nerrors: ${run.errors.join(' | ')}`,
      )
    }
    return entry
  }

  /** The closing line, also appended to RESULTS_FILE as JSON. */
  finish(): string {
    const runs = this.records.length
    const injected = this.records.reduce((n, r) => n + r.injected, 0)
    const byKind = Object.fromEntries(
      ALL_FAULTS.map((k) => [k, this.records.reduce((n, r) => n + r.faults[k], 0)]),
    ) as Record<FaultKind, number>
    const count = (o: Outcome) => this.records.filter((r) => r.outcome === o).length
    const correct = count('correct') + count('failed-cleanly')
    const wrong = count('WRONG')
    const kinds = ALL_FAULTS.map((k) => `${k} ${byKind[k]}`).join(', ')
    const line =
      `${this.action}: ${runs} runs, ${injected} faults injected (${kinds}), ` +
      `${correct} correct (${count('correct')} succeeded, ${count('failed-cleanly')} failed cleanly)` +
      (wrong > 0
        ? `, ${wrong} WRONG (seeds ${this.records
            .filter((r) => r.outcome === 'WRONG')
            .map((r) => r.seed)
            .join(', ')})`
        : '')
    console.log(line)
    appendFileSync(
      RESULTS_FILE,
      JSON.stringify({
        action: this.action,
        at: new Date().toISOString(),
        rate: FAULT_RATE,
        runs,
        injected,
        byKind,
        succeeded: count('correct'),
        failedCleanly: count('failed-cleanly'),
        wrong,
        ms: Date.now() - this.started,
        seeds: this.records.map((r) => ({
          seed: r.seed,
          outcome: r.outcome,
          injected: r.injected,
          faults: r.faults,
        })),
      }) + '\n',
    )
    return line
  }
}
