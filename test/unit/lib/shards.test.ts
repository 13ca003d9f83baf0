import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mergeShards, sliceCanaries, sliceMatrix, splitTargets, type Slice } from '../../../lib/shards.js'

const account = (n: number) => String(n).padStart(12, '0')
const accounts = (n: number) => Array.from({ length: n }, (_, i) => account(i + 1))
const regions = (n: number) => Array.from({ length: n }, (_, i) => `r-${i + 1}`)

function covers(slices: Slice[], accs: string[], regs: string[]) {
  const got = slices.flatMap((s) =>
    (s.accounts.length ? s.accounts : ['']).flatMap((a) => s.regions.map((r) => `${a}/${r}`)),
  )
  const want = (accs.length ? accs : ['']).flatMap((a) => regs.map((r) => `${a}/${r}`))
  expect(got.sort()).toEqual(want.sort())
}

describe('splitTargets', () => {
  it('puts whole accounts in a slice while their regions fit, as evenly as possible', () => {
    const slices = splitTargets(accounts(20), regions(16), 50)
    // 3 accounts x 16 regions = 48 per slice at most: 7 slices of 3 or 2 accounts.
    expect(slices).toHaveLength(7)
    expect(slices.map((s) => s.accounts.length)).toEqual([3, 3, 3, 3, 3, 3, 2])
    expect(slices.every((s) => s.targets <= 50 && s.regions.length === 16)).toBe(true)
    covers(slices, accounts(20), regions(16))
  })

  it('splits each account’s regions when they do not fit in one slice', () => {
    const slices = splitTargets(accounts(2), regions(16), 5)
    expect(slices.map((s) => [s.accounts, s.regions.length])).toEqual([
      [[account(1)], 4],
      [[account(1)], 4],
      [[account(1)], 4],
      [[account(1)], 4],
      [[account(2)], 4],
      [[account(2)], 4],
      [[account(2)], 4],
      [[account(2)], 4],
    ])
    covers(slices, accounts(2), regions(16))
  })

  it('slices the job’s own account by region when no accounts are given', () => {
    const slices = splitTargets([], regions(10), 4)
    expect(slices.map((s) => s.regions.length)).toEqual([4, 3, 3])
    expect(slices.every((s) => s.accounts.length === 0)).toBe(true)
    covers(slices, [], regions(10))
  })

  it('makes one slice when the targets fit', () => {
    expect(splitTargets(accounts(3), regions(2), 100)).toEqual([
      { shard: 1, accounts: accounts(3), regions: regions(2), targets: 6 },
    ])
  })

  it('refuses a matrix over 256 jobs, a shard-size below 1 and bad accounts before any job starts', () => {
    expect(() => splitTargets(accounts(300), regions(2), 1)).toThrow(/at most 256/)
    expect(() => splitTargets(accounts(1), regions(1), 0)).toThrow(/shard-size/)
    expect(() => splitTargets(['11111111111'], regions(1), 5)).toThrow(/12 digits/)
    expect(() => splitTargets([account(1), account(1)], regions(1), 5)).toThrow(/listed twice/)
  })
})

describe('sliceCanaries', () => {
  it('gives each slice the canary entries that name its targets', () => {
    const [first, second] = splitTargets(accounts(2), ['us-east-1', 'eu-west-1'], 2)
    const canaries = ['eu-west-1', `${account(2)}/us-east-1`]
    expect(sliceCanaries(first!, canaries)).toEqual(['eu-west-1'])
    expect(sliceCanaries(second!, canaries)).toEqual(['eu-west-1', `${account(2)}/us-east-1`])
    expect(sliceMatrix([first!, second!], canaries).include.map((m) => m['canary-regions'])).toEqual([
      'eu-west-1',
      `eu-west-1,${account(2)}/us-east-1`,
    ])
  })
})

describe('mergeShards', () => {
  const slices = splitTargets(accounts(3), ['us-east-1', 'eu-west-1'], 4)
  // slice 1: accounts 1-2 (could hold 2 accounts x 2 regions), slice 2: account 3.

  it('merges slices into one result set in the plan’s order and fills a one-account slice’s account', () => {
    expect(slices.map((s) => s.accounts)).toEqual([[account(1), account(2)], [account(3)]])
    const outputs = new Map<number, unknown>([
      [
        1,
        [
          { account: account(2), region: 'eu-west-1', status: 'created', stackId: 's4' },
          { account: account(1), region: 'us-east-1', status: 'created', stackId: 's1' },
          { account: account(1), region: 'eu-west-1', status: 'unchanged', stackId: 's2' },
          { account: account(2), region: 'us-east-1', status: 'failed', reason: 'AccessDenied: ...' },
        ],
      ],
      [
        2,
        [
          { region: 'us-east-1', status: 'created', stackId: 's5' },
          { region: 'eu-west-1', status: 'created', stackId: 's6' },
        ],
      ],
    ])
    const merged = mergeShards(slices, outputs)
    expect(merged.results.map((r) => `${r.account}/${r.region}:${r.status}`)).toEqual([
      `${account(1)}/us-east-1:created`,
      `${account(1)}/eu-west-1:unchanged`,
      `${account(2)}/us-east-1:failed`,
      `${account(2)}/eu-west-1:created`,
      `${account(3)}/us-east-1:created`,
      `${account(3)}/eu-west-1:created`,
    ])
    expect(merged.counts).toEqual({ created: 4, unchanged: 1, failed: 1 })
    expect(merged.missing).toEqual([])
  })

  it('counts every target of a slice that left no results as failed, saying why', () => {
    const merged = mergeShards(
      slices,
      new Map([
        [
          2,
          [
            { region: 'us-east-1', status: 'created' },
            { region: 'eu-west-1', status: 'created' },
          ],
        ],
      ]),
    )
    expect(merged.missing).toEqual([1])
    expect(merged.results.filter((r) => r.status === 'failed')).toHaveLength(4)
    expect(merged.results[0]!.reason).toMatch(/shard 1 left no results/)
  })

  it('refuses a result outside its slice or a target reported twice', () => {
    const twice = { region: 'us-east-1', status: 'created' }
    expect(() => mergeShards(slices, new Map([[2, [twice, twice]]]))).toThrow(/reported twice/)
    expect(() =>
      mergeShards(slices, new Map([[2, [{ account: account(1), region: 'us-east-1', status: 'created' }]]])),
    ).toThrow(/not one of its targets/)
    expect(() => mergeShards(slices, new Map([[2, { not: 'a list' }]]))).toThrow(/not a JSON array/)
  })
})

describe('scripts/shards.mjs', () => {
  const run = (command: string, env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/shards.mjs', command], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
    })

  const readOutput = (file: string) => {
    const out: Record<string, string> = {}
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) out[m[1]!] = m[3]!
    return out
  }

  it('splits into a matrix, then merges the slice artifacts into results and one summary by account', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shards-'))
    const outputFile = join(dir, 'output')
    writeFileSync(outputFile, '')
    const planned = run('split', {
      ACCOUNTS: accounts(3).join('\n'),
      REGIONS: 'us-east-1, eu-west-1',
      SHARD_SIZE: '2',
      CANARY_REGIONS: 'eu-west-1',
      GITHUB_OUTPUT: outputFile,
    })
    expect(planned.status).toBe(0)
    const plan = readOutput(outputFile)
    expect(plan.count).toBe('3')
    const matrix = JSON.parse(plan.matrix!) as { include: Array<{ shard: number; accounts: string }> }
    expect(matrix).toEqual(
      sliceMatrix(splitTargets(accounts(3), ['us-east-1', 'eu-west-1'], 2), ['eu-west-1']),
    )

    // Slices 1 and 3 uploaded their results; slice 2's job failed before reporting.
    for (const shard of [1, 3]) {
      const accountOf = matrix.include[shard - 1]!.accounts
      mkdirSync(join(dir, 'artifacts', `deploy-results-api-${shard}`), { recursive: true })
      writeFileSync(
        join(dir, 'artifacts', `deploy-results-api-${shard}`, 'results.json'),
        JSON.stringify([
          { region: 'us-east-1', status: 'created', stackId: `arn-${accountOf}-1`, outputs: { Url: 'u' } },
          { region: 'eu-west-1', status: 'unchanged', stackId: `arn-${accountOf}-2`, outputs: {} },
        ]),
      )
    }
    const mergedOutput = join(dir, 'merged-output')
    const summary = join(dir, 'summary.md')
    writeFileSync(mergedOutput, '')
    const merged = run('merge', {
      SHARD_MATRIX: plan.matrix!,
      RESULTS_DIR: join(dir, 'artifacts'),
      ARTIFACT_PREFIX: 'deploy-results-api-',
      FAILURE_TOLERANCE: '1',
      GITHUB_OUTPUT: mergedOutput,
      GITHUB_STEP_SUMMARY: summary,
    })
    // Two targets of slice 2 count as failed: more than the tolerance of 1.
    expect(merged.status).toBe(1)
    const out = readOutput(mergedOutput)
    const results = JSON.parse(out.results!) as Array<{ account: string; status: string }>
    expect(results.map((r) => `${r.account}:${r.status}`)).toEqual([
      `${account(1)}:created`,
      `${account(1)}:unchanged`,
      `${account(2)}:failed`,
      `${account(2)}:failed`,
      `${account(3)}:created`,
      `${account(3)}:unchanged`,
    ])
    expect(Object.keys(JSON.parse(out['stack-ids']!) as object)).toEqual([
      `${account(1)}/us-east-1`,
      `${account(1)}/eu-west-1`,
      `${account(3)}/us-east-1`,
      `${account(3)}/eu-west-1`,
    ])
    const markdown = readFileSync(summary, 'utf8')
    expect(markdown).toContain('6 target(s): 2 created, 2 unchanged, 2 failed.')
    expect(markdown).toContain('Shards without results: 2.')
    expect(markdown).toContain(`### ${account(2)}`)
    expect(markdown).toContain('| us-east-1 | failed | shard 2 left no results')
  })

  it('rebuilds prune-snapshots’ deleted, copied and kept over every shard', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shards-'))
    const slices = splitTargets(accounts(2), ['eu-west-1'], 1)
    for (const s of slices) {
      mkdirSync(join(dir, `results-${s.shard}`), { recursive: true })
      writeFileSync(
        join(dir, `results-${s.shard}`, 'results.json'),
        JSON.stringify([
          {
            region: 'eu-west-1',
            status: 'pruned',
            deleted: [`snap-${s.shard}`],
            copied: [{ region: 'eu-west-2', snapshotId: `snap-dr-${s.shard}` }],
            kept: 3,
            // An account's first target carries its dr-region's share.
            drRegion: 'eu-west-2',
            drDeleted: s.shard === 1 ? ['snap-old-copy'] : [],
            drKept: 1,
          },
        ]),
      )
    }
    const outputFile = join(dir, 'output')
    writeFileSync(outputFile, '')
    const merged = run('merge', {
      SHARD_MATRIX: JSON.stringify(sliceMatrix(slices)),
      RESULTS_DIR: dir,
      GITHUB_OUTPUT: outputFile,
    })
    expect(merged.status).toBe(0)
    const out = readOutput(outputFile)
    expect(JSON.parse(out.deleted!)).toEqual({
      [`${account(1)}/eu-west-1`]: ['snap-1'],
      [`${account(2)}/eu-west-1`]: ['snap-2'],
      [`${account(1)}/eu-west-2`]: ['snap-old-copy'],
    })
    expect(JSON.parse(out.copied!)).toHaveLength(2)
    expect(out.kept).toBe('8')
  })

  it('makes one shard when shard-size is empty', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shards-'))
    const outputFile = join(dir, 'output')
    writeFileSync(outputFile, '')
    const planned = run('split', {
      ACCOUNTS: accounts(30).join(','),
      REGIONS: 'us-east-1',
      GITHUB_OUTPUT: outputFile,
    })
    expect(planned.status).toBe(0)
    expect(readOutput(outputFile).count).toBe('1')
  })

  it('fails the plan job on a bad account, naming the input', () => {
    const result = run('split', { ACCOUNTS: '11111111111', REGIONS: 'us-east-1', SHARD_SIZE: '10' })
    expect(result.status).toBe(1)
    expect(result.stdout).toContain('::error::accounts: "11111111111" is not valid')
  })
})
