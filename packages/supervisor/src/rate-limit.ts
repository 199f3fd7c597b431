/**
 * The respawn brake of oslo.service's ProcessLauncher._start_child, without
 * its stall: workers may all start at once (a burst of `workers + 1` forks),
 * and when they keep dying, forks go on at the same long-run rate as a
 * window of `workers + 1` forks per `workers / perWorkerPerSecond` seconds —
 * about one fork a second — but as a token bucket: the next fork never waits
 * more than `windowMs / (workers + 1)` (0.75 s with 3 workers, 0.89 s with 8;
 * oslo sleeps a flat 1 s, a sliding window up to `workers` seconds). Callers
 * log "Forking too fast, sleeping" when `delayMs()` is positive, wait that
 * long, then `record()`.
 */

/** Options of a ForkRateLimiter. */
export interface ForkRateLimiterOptions {
  /** Sets the long-run rate with `workers`: `workers + 1` forks per `workers / perWorkerPerSecond` s; default 1. */
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
  /** Forks that may happen now (a token bucket holding at most `workers + 1`). */
  #tokens: number
  /** When #tokens was last brought up to date; undefined before the first fork. */
  #at: number | undefined

  constructor(options: ForkRateLimiterOptions = {}) {
    const { perWorkerPerSecond = 1, workers = 1 } = options
    if (!(perWorkerPerSecond > 0) || !Number.isFinite(perWorkerPerSecond)) {
      throw new TypeError(
        `perWorkerPerSecond must be a positive number, got ${String(perWorkerPerSecond)}`,
      )
    }
    this.#perWorkerPerSecond = perWorkerPerSecond
    this.#workers = ForkRateLimiter.#checkWorkers(workers)
    this.#tokens = this.burst
  }

  static #checkWorkers(workers: number): number {
    if (!Number.isInteger(workers) || workers < 1) {
      throw new TypeError(`workers must be an integer >= 1, got ${String(workers)}`)
    }
    return workers
  }

  /** The worker slots; changing it (a reload with another `workers`) keeps the history, and new slots may fork at once. */
  get workers(): number {
    return this.#workers
  }

  set workers(workers: number) {
    const before = this.burst
    this.#workers = ForkRateLimiter.#checkWorkers(workers)
    this.#tokens = Math.min(this.burst, this.#tokens + Math.max(0, this.burst - before))
  }

  /** Forks that may happen at once: `workers + 1`. */
  get burst(): number {
    return this.#workers + 1
  }

  /** The window in which `workers + 1` forks are allowed in the long run, in ms. */
  get windowMs(): number {
    return (this.#workers * 1000) / this.#perWorkerPerSecond
  }

  /** The longest a fork can be asked to wait, in ms: one token's refill. */
  get maxDelayMs(): number {
    return Math.ceil(this.windowMs / this.burst)
  }

  /** Milliseconds to wait before the next fork may happen; 0 when it may happen now. */
  delayMs(now: number = Date.now()): number {
    this.#refill(now)
    // (1e-9: a wait of exactly the computed length must be enough despite rounding.)
    if (this.#tokens >= 1 - 1e-9) return 0
    return Math.ceil(((1 - this.#tokens) * this.windowMs) / this.burst)
  }

  /** Records a fork made at `now`. */
  record(now: number = Date.now()): void {
    this.#refill(now)
    // Never below empty: a fork recorded without asking must not lengthen the next wait.
    this.#tokens = Math.max(0, this.#tokens - 1)
  }

  /** Forgets the history (e.g. after a deliberate restart of every worker). */
  reset(): void {
    this.#tokens = this.burst
    this.#at = undefined
  }

  #refill(now: number): void {
    if (this.#at !== undefined && now > this.#at) {
      this.#tokens = Math.min(
        this.burst,
        this.#tokens + ((now - this.#at) * this.burst) / this.windowMs,
      )
    }
    if (this.#at === undefined || now > this.#at) this.#at = now
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
