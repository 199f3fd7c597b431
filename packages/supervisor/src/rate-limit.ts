/**
 * The respawn brake of oslo.service's ProcessLauncher._start_child: workers
 * may all start at once, but when they keep dying, forks are limited to about
 * one per worker per second — at most `workers + 1` forks in any window of
 * `workers / perWorkerPerSecond` seconds. Callers log "Forking too fast,
 * sleeping" when `delayMs()` is positive, wait that long, then `record()`.
 */

/** Options of a ForkRateLimiter. */
export interface ForkRateLimiterOptions {
  /** Forks per second each worker slot may use in a crash loop; default 1. */
  perWorkerPerSecond?: number
  /** Worker slots sharing this limiter; default 1. */
  workers?: number
}

/** The log line oslo.service prints when the limit applies. */
export const FORKING_TOO_FAST_MESSAGE = 'Forking too fast, sleeping'

/** Counts recent forks and says how long to wait before the next one. */
export class ForkRateLimiter {
  #perWorkerPerSecond: number
  #workers: number
  /** Times of the last `workers + 1` forks, oldest first. */
  #forkTimes: number[] = []

  constructor(options: ForkRateLimiterOptions = {}) {
    const { perWorkerPerSecond = 1, workers = 1 } = options
    if (!(perWorkerPerSecond > 0) || !Number.isFinite(perWorkerPerSecond)) {
      throw new TypeError(
        `perWorkerPerSecond must be a positive number, got ${String(perWorkerPerSecond)}`,
      )
    }
    this.#perWorkerPerSecond = perWorkerPerSecond
    this.#workers = ForkRateLimiter.#checkWorkers(workers)
  }

  static #checkWorkers(workers: number): number {
    if (!Number.isInteger(workers) || workers < 1) {
      throw new TypeError(`workers must be an integer >= 1, got ${String(workers)}`)
    }
    return workers
  }

  /** The worker slots; changing it (a reload with another `workers`) keeps the history. */
  get workers(): number {
    return this.#workers
  }

  set workers(workers: number) {
    this.#workers = ForkRateLimiter.#checkWorkers(workers)
    this.#trim()
  }

  /** The window within which at most `workers + 1` forks may happen, in ms. */
  get windowMs(): number {
    return (this.#workers * 1000) / this.#perWorkerPerSecond
  }

  /** Milliseconds to wait before the next fork may happen; 0 when it may happen now. */
  delayMs(now: number = Date.now()): number {
    if (this.#forkTimes.length <= this.#workers) return 0
    const oldest = this.#forkTimes[0]!
    return Math.max(0, Math.ceil(oldest + this.windowMs - now))
  }

  /** Records a fork made at `now`. */
  record(now: number = Date.now()): void {
    this.#forkTimes.push(now)
    this.#trim()
  }

  /** Forgets the history (e.g. after a deliberate restart of every worker). */
  reset(): void {
    this.#forkTimes = []
  }

  #trim(): void {
    const keep = this.#workers + 1
    if (this.#forkTimes.length > keep) this.#forkTimes.splice(0, this.#forkTimes.length - keep)
  }
}
