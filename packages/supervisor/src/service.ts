/**
 * The service contract the launchers run (oslo.service's ServiceBase) and a
 * base class with the bookkeeping most services need: timers and tasks that
 * end when the service stops (what oslo's ThreadGroup gives a Service).
 */

import { type Logger, silentLogger } from '@forklift/log'
import { type Deferred, deferred } from './_deferred.js'
import type { JsonValue } from './protocol.js'

/**
 * What a launcher runs. Every method may return a promise; the launcher
 * awaits it.
 * - `start()` begins the work and settles once the service is started (a
 *   rejection means it failed to start).
 * - `stop(graceful)` asks it to stop: `graceful` lets work in flight finish.
 * - `wait()` settles when the service has stopped — after `stop()`, or when it
 *   ran out of work on its own.
 * - `reset()` prepares a stopped (or, with restart_method `mutate`, running)
 *   service for a restart after SIGHUP, e.g. re-reads its configuration.
 * - `mutate(options)`, optional: with restart_method `mutate`, the running
 *   service applies new options in place (before `reset()`), when its
 *   launcher was given them (`updateService`).
 */
export interface ServiceBase {
  start(): void | Promise<void>
  stop(graceful?: boolean): void | Promise<void>
  wait(): void | Promise<void>
  reset(): void | Promise<void>
  mutate?(options: JsonValue | undefined): void | Promise<void>
}

/** True for anything with the four methods of the service contract. */
export function isServiceBase(value: unknown): value is ServiceBase {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false
  const v = value as Record<string, unknown>
  return (['start', 'stop', 'wait', 'reset'] as const).every((m) => typeof v[m] === 'function')
}

/** Options of an interval timer added with `Service#addTimer`. */
export interface TimerOptions {
  /** Delay before the first run; default `intervalMs` (0 runs at once). */
  initialDelayMs?: number
  /** Stop the timer when a run throws; default false (the error is logged and the timer goes on). */
  stopOnError?: boolean
  /** A name for the logs. */
  name?: string
}

/** Options of a Service. */
export interface ServiceOptions {
  logger?: Logger
}

/**
 * A base for services: override `start()` (and `stop()` calling `super.stop()`
 * when you hold more than timers and tasks). `signal` aborts when the service
 * stops; timers and tasks added while running are stopped or awaited by
 * `stop(graceful)`. Not abstract: `new Service()` is a service that does
 * nothing until stopped.
 */
export class Service implements ServiceBase {
  protected readonly logger: Logger
  #controller = new AbortController()
  #timers = new Set<() => void>()
  #tasks = new Set<Promise<unknown>>()
  #stopped: Deferred<void> = deferred<void>()

  constructor(options: ServiceOptions = {}) {
    this.logger = options.logger ?? silentLogger()
  }

  /** Aborted when the service stops; a new one after `reset()`. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** True once `stop()` was called (until `reset()`). */
  get stopping(): boolean {
    return this.#controller.signal.aborted
  }

  /** Starts the service; the base does nothing. */
  start(): void | Promise<void> {}

  /**
   * Stops timers at once and aborts `signal`; with `graceful`, awaits the
   * tasks and timer runs in flight first. Idempotent.
   */
  async stop(graceful = false): Promise<void> {
    if (!this.#controller.signal.aborted) this.#controller.abort()
    for (const cancel of this.#timers) cancel()
    this.#timers.clear()
    if (graceful) await Promise.allSettled([...this.#tasks])
    this.#stopped.resolve()
  }

  /** Settles when the service has stopped. */
  wait(): Promise<void> {
    return this.#stopped.promise
  }

  /** Makes a stopped service startable again: a fresh `signal` and `wait()`. */
  reset(): void | Promise<void> {
    if (!this.#controller.signal.aborted) return
    this.#controller = new AbortController()
    this.#stopped = deferred<void>()
  }

  /**
   * Runs `fn` every `intervalMs` (measured from the end of one run to the
   * start of the next, so runs never overlap) until the service stops or the
   * returned cancel function is called. `fn` gets the service's `signal`.
   */
  addTimer(
    intervalMs: number,
    fn: (signal: AbortSignal) => unknown,
    options: TimerOptions = {},
  ): () => void {
    if (!(intervalMs >= 0) || !Number.isFinite(intervalMs)) {
      throw new TypeError(`intervalMs must be a finite number >= 0, got ${String(intervalMs)}`)
    }
    const { initialDelayMs = intervalMs, stopOnError = false, name = fn.name || 'timer' } = options
    const signal = this.#controller.signal
    let timer: NodeJS.Timeout | undefined
    let cancelled = false
    const cancel = () => {
      cancelled = true
      clearTimeout(timer)
      this.#timers.delete(cancel)
    }
    if (signal.aborted) return cancel
    const run = () => {
      timer = undefined
      const task = this.addTask(async () => fn(signal))
      task.then(
        () => schedule(intervalMs),
        (err) => {
          this.logger.error(
            { err, timer: name },
            `timer ${name} failed: ${(err as Error)?.message}`,
          )
          if (stopOnError) cancel()
          else schedule(intervalMs)
        },
      )
    }
    const schedule = (ms: number) => {
      if (!cancelled && !signal.aborted) timer = setTimeout(run, ms)
    }
    this.#timers.add(cancel)
    schedule(initialDelayMs)
    return cancel
  }

  /** Tracks an async task: a graceful `stop()` waits for it. Returns the task's promise. */
  addTask<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const task = Promise.resolve().then(() => fn(this.#controller.signal))
    this.#tasks.add(task)
    const forget = () => this.#tasks.delete(task)
    task.then(forget, forget)
    return task
  }
}
