import { describe, expect, it, vi } from 'vitest'
import { ForkRateLimiter, Respawner } from './rate-limit.js'

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

describe('Respawner', () => {
  it('forks through the brake in the order asked, one pending fork per key, recording real forks only', () => {
    vi.useFakeTimers({ now: 0 })
    try {
      const waits: [number, string | number][] = []
      const respawner = new Respawner(new ForkRateLimiter({ workers: 1 }), {
        onWait: (delayMs, key) => waits.push([delayMs, key]),
      })
      const forks: (string | number)[] = []
      const fork = (key: string | number) => () => {
        forks.push(key)
        return true
      }
      respawner.schedule(0, fork(0))
      respawner.schedule(1, fork(1))
      expect(forks).toEqual([0, 1]) // workers + 1 at once
      respawner.schedule(2, fork(2))
      respawner.schedule(2, fork('again')) // already pending: keeps its place
      respawner.schedule('skip', () => false) // decides not to fork: not recorded
      respawner.schedule(3, fork(3))
      expect(waits).toEqual([[1000, 2]])
      expect(respawner.pending).toBe(3)
      vi.advanceTimersByTime(999)
      expect(forks).toEqual([0, 1])
      vi.advanceTimersByTime(1)
      // Two more in the next window; 'skip' did not use up the second one.
      expect(forks).toEqual([0, 1, 2, 3])
      respawner.schedule(4, fork(4))
      respawner.cancel()
      vi.advanceTimersByTime(5000)
      expect(forks).toEqual([0, 1, 2, 3])
      expect(respawner.pending).toBe(0)
    } finally {
      vi.useRealTimers()
    }
  })
})
