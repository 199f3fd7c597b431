/**
 * What both launchers share: the options, the handle `launchService()`
 * returns, daemon detection, and the base class that owns signal handling,
 * systemd notification and the exit status.
 */
import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import { isForkliftError } from '@forklift/errors'
import { type Logger, silentLogger } from '@forklift/log'
import { armDeadline } from './_deadline.js'
import { deferred } from './_deferred.js'
import { procStatFields } from './_proc-stat.js'
import { SupervisorError } from './errors.js'

/** How SIGHUP restarts services (oslo.service's `restart_method`). */
export type RestartMethod = 'reload' | 'mutate'
/** Every restart method. */
export const RESTART_METHODS = ['reload', 'mutate'] as const

/**
 * True when this process has no controlling terminal, or is not in its
 * terminal's foreground process group — oslo.service's `is_daemon()`: there,
 * SIGHUP is an operator's "reload"; in a terminal it is a hang-up. Reads
 * /proc/self/stat (tty_nr, tpgid, pgrp); without /proc, falls back on
 * whether stdout is a TTY.
 */
export function isDaemon(): boolean {
  // proc(5) fields 5 (pgrp), 7 (tty_nr) and 8 (tpgid).
  const f = procStatFields()
  if (!f) return !process.stdout.isTTY
  return Number(f[4]) === 0 || Number(f[5]) !== Number(f[2])
}

/** The result of one service's first start. */
export type StartResult = { ok: true } | { ok: false; error: Error }

/** Where a launched service stands. */
export type LaunchedServiceState = 'starting' | 'running' | 'failed' | 'stopped'

/** The handle `launchService()` returns. */
export interface LaunchedService {
  readonly name: string
  readonly workers: number
  /** Where it stands now. */
  readonly state: LaunchedServiceState
  /**
   * Settles once, when the first start of every worker is known; never
   * rejects. `{ ok: false }` means it failed to start (and, in a
   * ProcessLauncher, is not respawned).
   */
  readonly started: Promise<StartResult>
  /** Pids of its live worker processes (this process's pid in a ServiceLauncher). */
  pids(): number[]
}

/** Options both launchers take. */
export interface LauncherOptions {
  logger?: Logger
  /** Seconds a graceful stop may take before what is left is killed (exit status 1); 0 = wait forever. Default 60. */
  gracefulShutdownTimeout?: number
  /** What SIGHUP does when running as a daemon; default `reload`. */
  restartMethod?: RestartMethod
  /** With restart_method `reload`: re-reads the configuration before services restart. */
  reloadConfig?: () => void | Promise<void>
  /** With restart_method `mutate`: applies the mutable configuration; services are reset, not restarted. */
  mutateConfig?: () => void | Promise<void>
  /** Install SIGTERM / SIGINT / SIGHUP handlers (removed when `wait()` settles); default true. */
  handleSignals?: boolean
  /** Call `process.exit(code)` when done; default false (`wait()` resolves the code). */
  exit?: boolean
  /**
   * Hold the stop deadline whatever the services do, as oslo's alarm and
   * `os._exit(1)`: when graceful_shutdown_timeout runs out (or on SIGINT),
   * the process exits with status 1 shortly after `wait()` resolves, even if
   * something still holds its event loop — or blocks it (a watchdog thread
   * interrupts a blocked main thread; SIGKILL is its last resort). Default:
   * true when the launcher handles signals, i.e. owns the process.
   */
  hardExit?: boolean
  /** Override the daemon check used on SIGHUP (see `isDaemon()`). */
  daemon?: boolean | (() => boolean)
  /** Send READY=1 / RELOADING=1 / STOPPING=1 when NOTIFY_SOCKET is set; default true. */
  notify?: boolean
  /** Where NOTIFY_SOCKET is read; default `process.env`. */
  env?: NodeJS.ProcessEnv
}

/** What a launcher is doing. */
export type LauncherState = 'running' | 'reloading' | 'stopping' | 'done'

/** Events both launchers emit (all informational; nothing needs to listen). */
export interface LauncherEvents {
  /** Every launched service is started (again, after a reload). */
  ready: []
  /** A handled signal arrived. */
  signal: [signal: NodeJS.Signals]
  /** A restart (SIGHUP) was decided: `ok` when the configuration applied and the services were told to restart, `refused` when it did not apply (they keep running). */
  reloaded: [result: 'ok' | 'refused', reason: string | null]
  /** A stop began. */
  stopping: []
  /** `wait()` settled with this exit status. */
  done: [code: number]
}

/**
 * Signal handling, notification and the exit status, shared by both
 * launchers. Subclasses implement the three reactions.
 */
export abstract class LauncherBase extends EventEmitter {
  protected readonly logger: Logger
  protected readonly gracefulShutdownMs: number
  protected readonly restartMethod: RestartMethod
  protected readonly reloadConfig: (() => void | Promise<void>) | undefined
  protected readonly mutateConfig: (() => void | Promise<void>) | undefined
  #options: LauncherOptions
  #result = deferred<number>()
  #undoSignals: (() => void) | undefined
  /** Holds the event loop open until done, as oslo's blocking wait() holds the process. */
  #keepAlive: NodeJS.Timeout | undefined
  readonly #hardExit: boolean
  #disarm: (() => void) | undefined
  #exitTimer: NodeJS.Timeout | undefined
  /** @forklift/notify, loaded only where NOTIFY_SOCKET is set: a worker never pays for it. */
  readonly #notifier: typeof import('@forklift/notify') | undefined
  #watchdog: import('@forklift/notify/keepalive').NotifyTimer | undefined
  #state: LauncherState = 'running'
  /** True once `wait()` was called: the caller has launched everything it will. */
  protected waiting = false

  constructor(options: LauncherOptions = {}) {
    super()
    this.#options = options
    this.logger = options.logger ?? silentLogger()
    const timeout = options.gracefulShutdownTimeout ?? 60
    if (!(timeout >= 0) || !Number.isFinite(timeout)) {
      throw new SupervisorError(
        'E_SUPERVISOR_OPTION',
        `graceful_shutdown_timeout must be a number of seconds >= 0, got ${String(timeout)}`,
      )
    }
    this.gracefulShutdownMs = timeout * 1000
    const method = options.restartMethod ?? 'reload'
    if (!RESTART_METHODS.includes(method)) {
      throw new SupervisorError(
        'E_SUPERVISOR_OPTION',
        `restart_method must be reload or mutate, got ${String(method)}`,
      )
    }
    this.restartMethod = method
    this.reloadConfig = options.reloadConfig
    this.mutateConfig = options.mutateConfig
    const handleSignals = options.handleSignals ?? true
    this.#hardExit = options.hardExit ?? handleSignals
    // Loaded synchronously (require of an ES module): STOPPING=1 must still
    // be sent before this returns, so that exiting next is safe.
    if (options.notify !== false && (options.env ?? process.env).NOTIFY_SOCKET) {
      this.#notifier = createRequire(import.meta.url)('@forklift/notify')
    }
    // Only once the options are accepted: a rejected launcher leaves nothing behind.
    this.#keepAlive = setInterval(() => {}, 1 << 30)
    if (handleSignals) this.#undoSignals = this.#installSignalHandlers()
  }

  /** running, reloading, stopping or done. */
  get state(): LauncherState {
    return this.#state
  }

  protected set state(state: LauncherState) {
    if (this.#state !== 'done') this.#state = state
  }

  /** True once a stop began (or the launcher is done). */
  get stopping(): boolean {
    return this.#state === 'stopping' || this.#state === 'done'
  }

  /** Resolves with the exit status once every service has stopped. */
  wait(): Promise<number> {
    if (!this.waiting) {
      this.waiting = true
      this.onWait()
    }
    return this.#result.promise
  }

  /** Called once, by the first `wait()`. */
  protected onWait(): void {}

  /** Graceful stop (as SIGTERM); resolves with the exit status. */
  abstract stop(): Promise<number>
  /**
   * SIGHUP as a daemon: RELOADING=1, `reloadConfig()` (restart_method
   * `reload`) or `mutateConfig()` (`mutate`), then the subclass restarts its
   * services; READY=1 once they all started again. When the configuration
   * cannot be applied, everything keeps running unchanged.
   */
  async restart(): Promise<void> {
    if (this.stopping) return
    if (this.state === 'reloading') {
      this.logger.info('restart already in progress')
      return
    }
    this.state = 'reloading'
    this.onRestartBegin()
    this.notify('reloading')
    try {
      if (this.restartMethod === 'reload') await this.reloadConfig?.()
      else await this.mutateConfig?.()
    } catch (err) {
      this.logger.error(
        { err },
        `reloading the configuration failed, ${this.restartSubject} keep running unchanged: ${formatMessage(err)}`,
      )
      this.state = 'running'
      this.onRestartAbandoned()
      this.emit('reloaded', 'refused', formatMessage(err))
      return
    }
    if (this.stopping) return
    await this.restartServices()
    if (!this.stopping) this.emit('reloaded', 'ok', null)
  }

  /** What keeps running when a restart is abandoned, for its log line: `services`, `children`. */
  protected abstract readonly restartSubject: string
  /** A restart began (before RELOADING=1). */
  protected onRestartBegin(): void {}
  /** The configuration could not be applied: the state is `running` again; say READY=1 if due. */
  protected abstract onRestartAbandoned(): void
  /** The configuration is applied: restart (`reload`) or reset (`mutate`) every service. */
  protected abstract restartServices(): Promise<void>
  /** SIGINT: exit at once, status 1. */
  protected abstract abort(): void

  /** Settles `wait()` (once), removes the signal handlers, exits if asked to. */
  protected finish(code: number): void {
    if (this.#state === 'done') return
    this.#state = 'done'
    this.#undoSignals?.()
    this.#undoSignals = undefined
    clearInterval(this.#keepAlive)
    this.#keepAlive = undefined
    this.#stopWatchdog()
    this.emit('done', code)
    this.#result.resolve(code)
    if (this.#options.exit) process.exit(code)
  }

  /**
   * Arms the stop deadline `ms` from now (with `hardExit`; 0 = no deadline):
   * a thread that interrupts a blocked main thread once it passed, so the
   * main loop's own deadline timer runs. Re-arming replaces it.
   */
  protected armStopDeadline(ms: number): void {
    if (!this.#hardExit || ms <= 0) return
    this.#disarm?.()
    this.#disarm = armDeadline(ms, (err) =>
      this.logger.warn({ err }, `stop deadline watchdog unavailable: ${err.message}`),
    )
  }

  /** The stop ended in time: no watchdog any more. */
  protected disarmStopDeadline(): void {
    this.#disarm?.()
    this.#disarm = undefined
  }

  /**
   * The deadline passed (or SIGINT): with `hardExit`, the process exits with
   * status 1 in a moment, whatever still holds (or blocks, through the
   * watchdog) its event loop — time for `wait()`'s callers to log.
   */
  protected exitSoon(): void {
    if (!this.#hardExit || this.#exitTimer) return
    process.exitCode = 1
    this.#exitTimer = setTimeout(() => process.exit(1), HARD_EXIT_AFTER_MS)
    // A blocked main thread never runs that timer: the watchdog interrupts it.
    this.armStopDeadline(1)
  }

  protected isDaemon(): boolean {
    const d = this.#options.daemon
    if (typeof d === 'boolean') return d
    return d ? d() : isDaemon()
  }

  protected notify(kind: 'ready' | 'reloading' | 'stopping'): void {
    const n = this.#notifier
    if (!n) return
    const opts = { logger: this.logger, ...(this.#options.env ? { env: this.#options.env } : {}) }
    if (kind === 'ready') void n.notifyReady(opts)
    else if (kind === 'reloading') void n.notifyReloading(opts)
    else void n.notifyStopping(opts)
    // WATCHDOG=1 from this loop's timers while running; none once stopping.
    // Loaded with the notifier, so a worker (no NOTIFY_SOCKET) never pays for it.
    if (kind === 'ready') {
      this.#watchdog ??= (
        createRequire(import.meta.url)(
          '@forklift/notify/keepalive',
        ) as typeof import('@forklift/notify/keepalive')
      ).startWatchdog(opts)
    } else if (kind === 'stopping') this.#stopWatchdog()
  }

  #stopWatchdog(): void {
    this.#watchdog?.stop()
    this.#watchdog = undefined
  }

  #installSignalHandlers(): () => void {
    const handlers: [NodeJS.Signals, () => void][] = [
      ['SIGTERM', () => this.#onSignal('SIGTERM')],
      ['SIGINT', () => this.#onSignal('SIGINT')],
      ['SIGHUP', () => this.#onSignal('SIGHUP')],
    ]
    for (const [sig, fn] of handlers) process.on(sig, fn)
    return () => {
      for (const [sig, fn] of handlers) process.removeListener(sig, fn)
    }
  }

  #onSignal(signal: NodeJS.Signals): void {
    this.emit('signal', signal)
    if (signal === 'SIGINT') {
      this.logger.info('Caught SIGINT signal, instantaneous exiting')
      // Before abort(): a service's stop(false) may block this very thread.
      this.exitSoon()
      this.abort()
      this.finish(1)
      return
    }
    if (this.stopping) {
      this.logger.info({ signal }, `Caught ${signal} while stopping; already stopping`)
      return
    }
    if (signal === 'SIGHUP' && this.isDaemon()) {
      this.logger.info({ signal }, 'Caught SIGHUP, restarting')
      this.restart().catch((err) =>
        this.logger.error({ err }, `restart failed: ${formatMessage(err)}`),
      )
      return
    }
    this.logger.info(
      { signal },
      signal === 'SIGHUP'
        ? 'Caught SIGHUP with a controlling terminal (a hang-up), stopping'
        : 'Caught SIGTERM, stopping',
    )
    void this.stop()
  }
}

/** How long `wait()`'s callers have after the deadline before a hard exit. */
const HARD_EXIT_AFTER_MS = 200

/** A one-line message for any thrown value. */
export function formatMessage(err: unknown): string {
  if (isForkliftError(err)) return err.message
  return err instanceof Error ? err.message : String(err)
}

/** Resolves 'timeout' after `ms`; with `ms` 0 (= forever) never resolves — and costs nothing while waiting. */
export function timeoutPromise(ms: number): { promise: Promise<'timeout'>; clear: () => void } {
  if (ms <= 0) return { promise: new Promise(() => {}), clear: () => {} }
  let timer: NodeJS.Timeout | undefined
  const promise = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms)
  })
  return { promise, clear: () => clearTimeout(timer) }
}
