import { describe, expect, it } from 'vitest'
import { ForkRateLimiter } from './rate-limit.js'

/** Forks as fast as the limiter allows from t=0 until `untilMs`; returns the fork times. */
function crashLoop(limiter: ForkRateLimiter, untilMs: number): number[] {
  const times: number[] = []
  let now = 0
  while (now < untilMs) {
    now += limiter.delayMs(now)
    limiter.record(now)
    times.push(now)
  }
  return times
}

describe('ForkRateLimiter', () => {
  it('lets workers + 1 forks through at once, then one per worker per second', () => {
    const limiter = new ForkRateLimiter({ workers: 2 })
    expect(limiter.windowMs).toBe(2000)
    for (let i = 0; i < 3; i++) {
      expect(limiter.delayMs(0)).toBe(0)
      limiter.record(0)
    }
    expect(limiter.delayMs(0)).toBe(2000)
    expect(limiter.delayMs(500)).toBe(1500)
    expect(limiter.delayMs(2000)).toBe(0)
  })

  it('never allows more than workers + 1 forks in any window', () => {
    for (const workers of [1, 2, 4]) {
      const limiter = new ForkRateLimiter({ workers })
      const times = crashLoop(limiter, 20_000)
      for (const start of times) {
        const inWindow = times.filter((t) => t >= start && t < start + limiter.windowMs)
        expect(inWindow.length).toBeLessThanOrEqual(workers + 1)
      }
      // ...so a long crash loop forks workers + 1 times per workers-second, no more.
      const windows = Math.ceil(20_000 / limiter.windowMs)
      expect(times.length).toBeLessThanOrEqual((workers + 1) * (windows + 1))
      expect(times.length).toBeGreaterThanOrEqual((workers + 1) * windows)
    }
  })

  it('scales with perWorkerPerSecond and a changed worker count', () => {
    const limiter = new ForkRateLimiter({ workers: 1, perWorkerPerSecond: 4 })
    expect(limiter.windowMs).toBe(250)
    limiter.workers = 3
    expect(limiter.windowMs).toBe(750)
    limiter.record(0)
    limiter.reset()
    expect(limiter.delayMs(0)).toBe(0)
  })

  it('rejects nonsense options with a TypeError naming the value', () => {
    expect(() => new ForkRateLimiter({ workers: 0 })).toThrow(
      /workers must be an integer >= 1, got 0/,
    )
    expect(() => new ForkRateLimiter({ perWorkerPerSecond: -1 })).toThrow(/got -1/)
  })
})
