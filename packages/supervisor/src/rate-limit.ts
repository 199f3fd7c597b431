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

/** What a Respawner's `onWait` is told: the key of the fork that waits, and how long. */
export type RespawnKey = string | number

/** Options of a Respawner. */
export interface RespawnerOptions {
  /** Called each time a fork has to wait for the brake (log FORKING_TOO_FAST_MESSAGE here). */
  onWait?: (delayMs: number, key: RespawnKey) => void
}

/**
 * The one respawner: forks wait for their ForkRateLimiter, first asked first
 * served, one pending fork per key (a worker slot). A fork function returns
 * `false` when it decided not to fork after all (the slot was filled, the
 * supervisor is stopping): only real forks are recorded.
 */
export class Respawner {
  readonly limiter: ForkRateLimiter
  readonly #onWait: RespawnerOptions['onWait']
  readonly #queue = new Map<RespawnKey, () => boolean>()
  #timer: NodeJS.Timeout | undefined

  constructor(limiter: ForkRateLimiter, options: RespawnerOptions = {}) {
    this.limiter = limiter
    this.#onWait = options.onWait
  }

  /** Forks scheduled and not yet run. */
  get pending(): number {
    return this.#queue.size
  }

  /** Runs `fork` now if the brake allows, else once it does; a key already pending keeps its place. */
  schedule(key: RespawnKey, fork: () => boolean): void {
    if (this.#queue.has(key)) return
    this.#queue.set(key, fork)
    this.#run()
  }

  /** Forgets every pending fork. */
  cancel(): void {
    this.#queue.clear()
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #run(): void {
    if (this.#timer) return
    for (const [key, fork] of this.#queue) {
      const delayMs = this.limiter.delayMs()
      if (delayMs > 0) {
        this.#onWait?.(delayMs, key)
        this.#timer = setTimeout(() => {
          this.#timer = undefined
          this.#run()
        }, delayMs)
        return
      }
      this.#queue.delete(key)
      if (fork()) this.limiter.record()
    }
  }
}
