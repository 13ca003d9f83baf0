import { fanOut, fanOutTargets } from '../../../lib/fanout.js'

describe('fanOut', () => {
  it('keeps input order and collects failures without hiding others', async () => {
    const results = await fanOut(['a', 'b', 'c'], async (x) => {
      if (x === 'b') throw new Error('b failed')
      return x.toUpperCase()
    })
    expect(results.map((r) => r.state)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect(results[0]).toEqual({ item: 'a', state: 'fulfilled', value: 'A' })
  })
  it('never runs more than the concurrency limit at once', async () => {
    let running = 0
    let peak = 0
    await fanOut(
      Array.from({ length: 10 }, (_, i) => i),
      async () => {
        peak = Math.max(peak, ++running)
        await new Promise((r) => setTimeout(r, 5))
        running--
      },
      { concurrency: 3 },
    )
    expect(peak).toBe(3)
  })
  it('skips items once shouldStart says no', async () => {
    let failures = 0
    const results = await fanOut(
      [1, 2, 3, 4],
      async (n) => {
        if (n <= 2) {
          failures++
          throw new Error('x')
        }
        return n
      },
      { concurrency: 1, shouldStart: () => failures < 2 },
    )
    expect(results.map((r) => r.state)).toEqual(['rejected', 'rejected', 'skipped', 'skipped'])
  })
})

describe('fanOutTargets', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

  it('runs at most max-parallel targets in all and max-parallel-per-account in any account', async () => {
    const targets = ['111111111111', '222222222222', '333333333333'].flatMap((account) =>
      ['us-east-1', 'eu-west-1', 'ap-south-1', 'sa-east-1'].map((region) => ({ account, region })),
    )
    let running = 0
    let peak = 0
    const perAccount = new Map<string, number>()
    const peakPerAccount = new Map<string, number>()
    const results = await fanOutTargets(
      targets,
      async (t) => {
        peak = Math.max(peak, ++running)
        const n = (perAccount.get(t.account) ?? 0) + 1
        perAccount.set(t.account, n)
        peakPerAccount.set(t.account, Math.max(peakPerAccount.get(t.account) ?? 0, n))
        await sleep(5)
        perAccount.set(t.account, perAccount.get(t.account)! - 1)
        running--
        return `${t.account}/${t.region}`
      },
      { maxParallel: 5, maxParallelPerAccount: 2 },
    )
    expect(peak).toBe(5)
    expect([...peakPerAccount.values()]).toEqual([2, 2, 2])
    expect(results.map((r) => (r.state === 'fulfilled' ? r.value : r.state))).toEqual(
      targets.map((t) => `${t.account}/${t.region}`),
    )
  })

  it('lets other accounts go on while one account is at its cap', async () => {
    const started: string[] = []
    const targets = [
      { account: 'a', region: 'r1' },
      { account: 'a', region: 'r2' },
      { account: 'a', region: 'r3' },
      { account: 'b', region: 'r1' },
    ]
    await fanOutTargets(
      targets,
      async (t) => {
        started.push(`${t.account}/${t.region}`)
        await sleep(t.account === 'a' ? 20 : 1)
      },
      { maxParallel: 2, maxParallelPerAccount: 1 },
    )
    // b/r1 waits for no target of account a: it starts second, not last.
    expect(started.slice(0, 2)).toEqual(['a/r1', 'b/r1'])
  })

  it('treats targets of the job’s own account (no account) as one account', async () => {
    let running = 0
    let peak = 0
    const own: Array<{ account?: string; region: string }> = [
      { region: 'us-east-1' },
      { region: 'eu-west-1' },
      { region: 'ap-south-1' },
    ]
    await fanOutTargets(
      own,
      async () => {
        peak = Math.max(peak, ++running)
        await sleep(5)
        running--
      },
      { maxParallelPerAccount: 1 },
    )
    expect(peak).toBe(1)
  })
})
