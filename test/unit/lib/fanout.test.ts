import { fanOut } from '../../../lib/fanout.js'

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
