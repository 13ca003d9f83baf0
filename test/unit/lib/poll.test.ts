import { AbortedError, backoffDelays, pollUntil, retryWhile, sleep, TimeoutError } from '../../../lib/poll.js'

describe('backoffDelays', () => {
  it('starts short, grows and is capped', () => {
    const it = backoffDelays({ initialMs: 200, factor: 1.5, maxMs: 1000 })
    expect(Array.from({ length: 7 }, () => it.next().value)).toEqual([200, 300, 450, 675, 1000, 1000, 1000])
  })
})

describe('pollUntil', () => {
  it('returns the first defined value', async () => {
    let calls = 0
    const value = await pollUntil(async () => (++calls === 3 ? 'done' : undefined), {
      what: 'x',
      initialMs: 1,
    })
    expect(value).toBe('done')
    expect(calls).toBe(3)
  })
  it('times out with a message naming what was awaited', async () => {
    await expect(
      pollUntil(async () => undefined, { what: 'stack us-east-1', initialMs: 5, timeoutMs: 20 }),
    ).rejects.toThrow(TimeoutError)
  })
  it('stops when the signal is aborted', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 10)
    await expect(
      pollUntil(async () => undefined, { what: 'x', initialMs: 50, signal: controller.signal }),
    ).rejects.toThrow(AbortedError)
  })
})

describe('retryWhile', () => {
  const busy = Object.assign(new Error('busy'), { name: 'OperationInProgressException' })
  it('retries retryable errors and reports each retry', async () => {
    const retries: number[] = []
    let calls = 0
    const result = await retryWhile(
      async () => {
        if (++calls < 3) throw busy
        return 'ok'
      },
      {
        retryable: (e) => e === busy,
        timeoutMs: 1000,
        initialMs: 1,
        onRetry: (_e, attempt) => retries.push(attempt),
      },
    )
    expect(result).toBe('ok')
    expect(retries).toEqual([1, 2])
  })
  it('rethrows other errors at once and retryable ones after the timeout', async () => {
    await expect(
      retryWhile(async () => Promise.reject(new Error('bad')), { retryable: () => false, timeoutMs: 1000 }),
    ).rejects.toThrow('bad')
    await expect(
      retryWhile(async () => Promise.reject(busy), { retryable: () => true, timeoutMs: 30, initialMs: 10 }),
    ).rejects.toBe(busy)
  })
})

describe('sleep', () => {
  it('rejects at once when already aborted', async () => {
    await expect(sleep(1000, AbortSignal.abort())).rejects.toThrow(AbortedError)
  })
})
