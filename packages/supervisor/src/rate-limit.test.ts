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
  it('lets workers + 1 forks through at once, then waits at most one refill, never a window', () => {
    const limiter = new ForkRateLimiter({ workers: 2 })
    expect(limiter.windowMs).toBe(2000)
    expect(limiter.maxDelayMs).toBe(667)
    for (let i = 0; i < 3; i++) {
      expect(limiter.delayMs(0)).toBe(0)
      limiter.record(0)
    }
    // The old sliding window made this fork wait 2000 ms.
    expect(limiter.delayMs(0)).toBe(667)
    expect(limiter.delayMs(500)).toBe(167)
    expect(limiter.delayMs(667)).toBe(0)
  })

  it('8 workers: two respawns soon after the start wait well under a second', () => {
    const limiter = new ForkRateLimiter({ workers: 8 })
    for (let i = 0; i < 8; i++) limiter.record(0)
    expect(limiter.delayMs(300)).toBe(0)
    limiter.record(300)
    // The old brake: 6400 ms (until the first fork was 8 s old).
    expect(limiter.delayMs(600)).toBeLessThan(1000)
    expect(limiter.maxDelayMs).toBe(889)
  })

  it('keeps the long-run bound: workers + 1 per window, plus the burst', () => {
    for (const workers of [1, 2, 4, 8]) {
      const limiter = new ForkRateLimiter({ workers })
      const times = crashLoop(limiter, 20_000)
      const burst = workers + 1
      for (const start of times) {
        for (const len of [500, 1000, limiter.windowMs, 5000]) {
          const n = times.filter((t) => t >= start && t < start + len).length
          expect(n).toBeLessThanOrEqual(burst + Math.ceil((len * burst) / limiter.windowMs))
        }
      }
      // ...so a long crash loop forks about workers + 1 times per workers-second.
      const windows = 20_000 / limiter.windowMs
      expect(times.length).toBeLessThanOrEqual(burst * (windows + 1) + 1)
      expect(times.length).toBeGreaterThanOrEqual(burst * windows)
      // ...and no fork ever waited longer than one refill.
      for (let i = 1; i < times.length; i++) {
        expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(limiter.maxDelayMs)
      }
    }
  })

  it('scales with perWorkerPerSecond and a changed worker count', () => {
    const limiter = new ForkRateLimiter({ workers: 1, perWorkerPerSecond: 4 })
    expect(limiter.windowMs).toBe(250)
    limiter.record(0)
    limiter.record(0)
    expect(limiter.delayMs(0)).toBe(125)
    // Two more slots: they may fork at once.
    limiter.workers = 3
    expect(limiter.windowMs).toBe(750)
    expect(limiter.delayMs(0)).toBe(0)
    limiter.record(0)
    limiter.record(0)
    expect(limiter.delayMs(0)).toBeGreaterThan(0)
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
      expect(waits).toEqual([[500, 2]])
      expect(respawner.pending).toBe(3)
      vi.advanceTimersByTime(499)
      expect(forks).toEqual([0, 1])
      vi.advanceTimersByTime(1)
      expect(forks).toEqual([0, 1, 2])
      vi.advanceTimersByTime(500)
      // One refill later the next; 'skip' did not use up a fork.
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
