/**
 * oslo.service's ProcessLauncher for Node: every service runs in N worker
 * processes (a fork of the worker entry, which imports the service's module),
 * dead workers are respawned at a limited rate, and the launcher owns the
 * parent's signals. Where oslo falls short, this one: acts on signals at
 * once, kills what is left when graceful_shutdown_timeout runs out (status 1)
 * and never spins with a timeout of 0, never respawns once stopping began,
 * and sends READY=1 only after every worker's service has started. A policy
 * over the supervision core (`./child`, and the `Respawner` of
 * `./rate-limit`).
 */

import { fileURLToPath } from 'node:url'
import type { CreateLoggerOptions } from '@forklift/log'
import { type Deferred, deferred } from './_deferred.js'
import { type Child, type ChildExit, checkWorkers, forkChild } from './child.js'
import { SupervisorError } from './errors.js'
import {
  type LaunchedService,
  type LaunchedServiceState,
  LauncherBase,
  type LauncherOptions,
  type StartResult,
  timeoutPromise,
} from './launcher-base.js'
import {
  type ChildMessage,
  DEFAULT_ORPHAN_GRACE_MS,
  deserializeError,
  type JsonValue,
  type ServiceInitMessage,
} from './protocol.js'
import { FORKING_TOO_FAST_MESSAGE, ForkRateLimiter, Respawner } from './rate-limit.js'
import {
  checkServiceArg,
  type ResolvedServiceSpec,
  resolveServiceSpec,
  type ServiceSpec,
} from './service-spec.js'

/** Options of a ProcessLauncher. */
export interface ProcessLauncherOptions extends LauncherOptions {
  /**
   * How each worker logs (a `createLogger` options object, bindings gain
   * `service` and `worker`), or false for silence. Default: the launcher
   * logger's `server` name and level, to standard error.
   */
  workerLog?: CreateLoggerOptions | false
  /** Environment of the workers; default `process.env`. NOTIFY_SOCKET is always removed. */
  workerEnv?: NodeJS.ProcessEnv
  /** Node options of the workers; default `process.execArgv`. */
  execArgv?: string[]
  /** How long an orphaned worker may spend stopping once its parent died; default 1000 ms. */
  orphanGraceMs?: number
}

/** Per-service options of `ProcessLauncher#launchService`. */
export interface ProcessLaunchOptions {
  /**
   * Respawn (rate-limited) a worker whose service failed its first start,
   * instead of giving up on the service; default false.
   */
  respawnOnStartFailure?: boolean
}

/** What `spawn`, `worker-started` and `worker-exit` events carry. */
export interface WorkerEvent {
  pid: number
  service: string
  workerIndex: number
  code?: number | null
  signal?: NodeJS.Signals | null
}

/** How long a worker that died of a SIGTERM we did not send waits to be respawned: the group may be stopping. */
const FOREIGN_SIGTERM_RESPAWN_DELAY_MS = 200

const WORKER_ENTRY = fileURLToPath(new URL('./_launcher-child.js', import.meta.url))

/** The launcher's record of one child: its service, slot, and what it told us. */
interface Worker {
  pid: number
  child: Child
  wrap: Wrap
  slot: number
  respawns: number
  /** The reload epoch in which it last reported started. */
  readyEpoch: number
  /** It reported receiving this signal. */
  sawSignal?: NodeJS.Signals
}

interface Wrap {
  handle?: LaunchedService
  spec: ResolvedServiceSpec
  workers: number
  respawner: Respawner
  state: LaunchedServiceState
  started: Deferred<StartResult>
  settled: boolean
  respawnOnStartFailure: boolean
  slots: (Worker | undefined)[]
  everStarted: boolean[]
  respawns: number[]
}

/** Runs services in worker processes (oslo.service's ProcessLauncher). */
export class ProcessLauncher extends LauncherBase {
  #options: ProcessLauncherOptions
  #wraps: Wrap[] = []
  #workers = new Map<number, Worker>()
  #timers = new Set<NodeJS.Timeout>()
  #noWorkers: Deferred<void> | undefined
  #stopping: Promise<number> | undefined
  #epoch = 0
  #readySentEpoch = -1
  #unclean = false

  constructor(options: ProcessLauncherOptions = {}) {
    super(options)
    this.#options = options
  }

  /**
   * Forks `workers` processes for the service described by `spec` and keeps
   * them alive. Its module is resolved here (SupervisorError
   * E_SUPERVISOR_SERVICE_LOAD at once when it cannot be); everything else
   * — a failing import, factory or start — is reported through the handle's
   * `started`, and such a service is not respawned (see
   * `respawnOnStartFailure`). A respawned worker gets the same options.
   */
  launchService(
    spec: ServiceSpec,
    workers = 1,
    options: ProcessLaunchOptions = {},
  ): LaunchedService {
    checkServiceArg(spec, false)
    checkWorkers(workers)
    if (this.stopping) {
      throw new SupervisorError(
        'E_SUPERVISOR_STATE',
        'launchService called after the launcher began stopping',
      )
    }
    const resolved = resolveServiceSpec(spec)
    const wrap: Wrap = {
      spec: resolved,
      workers,
      respawner: new Respawner(new ForkRateLimiter({ workers }), {
        onWait: (delayMs) =>
          this.logger.info({ service: resolved.name, delayMs }, FORKING_TOO_FAST_MESSAGE),
      }),
      state: 'starting',
      started: deferred<StartResult>(),
      settled: false,
      respawnOnStartFailure: options.respawnOnStartFailure ?? false,
      slots: new Array(workers).fill(undefined),
      everStarted: new Array(workers).fill(false),
      respawns: new Array(workers).fill(0),
    }
    this.#wraps.push(wrap)
    this.logger.info({ service: resolved.name, workers }, `Starting ${workers} workers`)
    for (let slot = 0; slot < workers; slot++) this.#queue(wrap, slot)
    wrap.handle = {
      name: resolved.name,
      workers,
      get state() {
        return wrap.state
      },
      started: wrap.started.promise,
      pids: () => wrap.slots.filter((w) => w !== undefined).map((w) => w.pid),
    }
    return wrap.handle
  }

  #wrapOf(handle: LaunchedService, what: string): Wrap {
    const wrap = this.#wraps.find((w) => w.handle === handle)
    if (!wrap) {
      throw new SupervisorError(
        'E_SUPERVISOR_STATE',
        `${what}: ${handle.name} is not launched here`,
      )
    }
    return wrap
  }

  /**
   * New options for a launched service (cinder's `mutate` with a config the
   * parent re-read): respawned workers get them from now on, and with
   * restart_method `mutate` the next restart (SIGHUP) hands them to each
   * running worker in place — its service's `mutate(options)`, then
   * `reset()` — with no respawn and no gap.
   */
  updateService(handle: LaunchedService, options: JsonValue | undefined): void {
    const wrap = this.#wrapOf(handle, 'updateService')
    wrap.spec = { ...wrap.spec, options }
  }

  /**
   * Stops one service's workers (SIGTERM, SIGKILL after
   * graceful_shutdown_timeout) and forgets it: never respawned, not counted
   * for READY=1. Resolves once its workers are gone.
   */
  async stopService(handle: LaunchedService): Promise<void> {
    const wrap = this.#wrapOf(handle, 'stopService')
    this.#wraps.splice(this.#wraps.indexOf(wrap), 1)
    wrap.respawner.cancel()
    this.#markStopped(wrap)
    this.logger.info({ service: wrap.spec.name }, `Stopping service ${wrap.spec.name}`)
    const graceMs = this.gracefulShutdownMs > 0 ? this.gracefulShutdownMs : Number.POSITIVE_INFINITY
    await Promise.all(
      wrap.slots.map((w) => w?.child.terminate(graceMs)).filter((p) => p !== undefined),
    )
    this.#checkReady()
  }

  /** Pids of every live worker. */
  pids(): number[] {
    return [...this.#workers.keys()]
  }

  protected override onWait(): void {
    this.#checkAllFailed()
  }

  /** Forks a worker for `slot` as soon as the service's rate limiter allows. */
  #queue(wrap: Wrap, slot: number): void {
    if (this.stopping || wrap.state === 'failed' || wrap.state === 'stopped') return
    wrap.respawner.schedule(slot, () => {
      if (this.stopping || wrap.state === 'failed' || wrap.state === 'stopped') return false
      if (wrap.slots[slot]) return false
      this.#fork(wrap, slot)
      return true
    })
  }

  #fork(wrap: Wrap, slot: number): void {
    let pid = -1
    const child = forkChild({
      module: WORKER_ENTRY,
      env: this.#options.workerEnv ?? process.env,
      execArgv: this.#options.execArgv ?? process.execArgv,
      output: 'inherit',
      onError: (err) => {
        if (pid !== -1) this.logger.warn({ err, child: pid }, `worker ${pid}: ${err.message}`)
      },
    })
    const respawns = wrap.respawns[slot]!
    wrap.respawns[slot] = respawns + 1
    if (child.pid === -1) {
      // Spawning itself failed (e.g. EAGAIN): treat it as an exit.
      void child.exited.then((exit) => {
        const err = exit.spawnError
        this.logger.error(
          { err, service: wrap.spec.name },
          `Could not fork a worker: ${err?.message ?? 'unknown error'}`,
        )
        this.#afterExit(wrap, slot, undefined, { ...exit, code: 1 })
      })
      return
    }
    pid = child.pid
    const worker: Worker = { pid, child, wrap, slot, respawns, readyEpoch: -1 }
    this.#workers.set(pid, worker)
    wrap.slots[slot] = worker
    this.logger.info({ child: pid, service: wrap.spec.name, worker: slot }, `Started child ${pid}`)
    this.emit('spawn', {
      pid,
      service: wrap.spec.name,
      workerIndex: slot,
    } satisfies WorkerEvent)
    // At once, not in answer to its hello: the round trip to a busy parent was
    // part of every respawn, and the channel keeps the message until it listens.
    void child.send(this.#initMessage(worker))
    child.on('message', (msg) => this.#onMessage(worker, msg))
    child.on('ready', () => this.#onStarted(worker))
    child.on('exit', (exit) => this.#onExit(worker, exit))
  }

  #initMessage(worker: Worker): ServiceInitMessage {
    return {
      forklift: 1,
      type: 'service-init',
      spec: worker.wrap.spec,
      workerIndex: worker.slot,
      respawns: worker.respawns,
      gracefulShutdownTimeout: this.gracefulShutdownMs / 1000,
      restartMethod: this.restartMethod,
      log: this.#workerLog(),
      orphanGraceMs: this.#options.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS,
    }
  }

  #onMessage(worker: Worker, msg: ChildMessage): void {
    const { wrap } = worker
    switch (msg.type) {
      case 'hello':
        // Its init was sent at fork: the channel holds it until the worker listens.
        return
      case 'failed': {
        // A first-start failure is logged once, by #abandon, when the worker has exited.
        if (!wrap.everStarted[worker.slot] && !wrap.respawnOnStartFailure) return
        const error = deserializeError(msg.error)
        this.logger.error(
          { child: worker.pid, service: wrap.spec.name, err: error },
          `Service ${wrap.spec.name} failed to start in child ${worker.pid}: ${error.message}`,
        )
        return
      }
      case 'signal':
        worker.sawSignal = msg.signal
        return
    }
  }

  /** Its service started (again, after a restart in place). */
  #onStarted(worker: Worker): void {
    const { wrap } = worker
    worker.readyEpoch = this.#epoch
    wrap.everStarted[worker.slot] = true
    this.emit('worker-started', {
      pid: worker.pid,
      service: wrap.spec.name,
      workerIndex: worker.slot,
    } satisfies WorkerEvent)
    if (wrap.state === 'starting' && wrap.everStarted.every(Boolean)) {
      wrap.state = 'running'
      this.#settle(wrap, { ok: true })
    }
    this.#checkReady()
  }

  #onExit(worker: Worker, exit: ChildExit): void {
    const { wrap, slot } = worker
    const { code, signal } = exit
    this.#workers.delete(worker.pid)
    if (wrap.slots[slot] === worker) wrap.slots[slot] = undefined
    this.logger.info(
      { child: worker.pid, service: wrap.spec.name, worker: slot, code, signal },
      signal
        ? `Child ${worker.pid} killed by signal ${signal}`
        : `Child ${worker.pid} exited with status ${code}`,
    )
    this.emit('worker-exit', {
      pid: worker.pid,
      service: wrap.spec.name,
      workerIndex: slot,
      code,
      signal,
    } satisfies WorkerEvent)
    this.#afterExit(wrap, slot, worker, exit)
  }

  #afterExit(wrap: Wrap, slot: number, worker: Worker | undefined, exit: ChildExit): void {
    const { code, signal } = exit
    if (this.stopping) {
      // Stopping: a worker that had to be killed, or that says it did not stop cleanly, makes the exit status 1.
      if (exit.forced || signal === 'SIGKILL' || (code !== null && code !== 0)) this.#unclean = true
      if (this.#workers.size === 0) this.#noWorkers?.resolve()
      return
    }
    if (wrap.state === 'failed' || wrap.state === 'stopped') return
    if (!wrap.everStarted[slot] && !wrap.respawnOnStartFailure) {
      this.#abandon(
        wrap,
        exit.failure
          ? deserializeError(exit.failure)
          : new SupervisorError(
              'E_SUPERVISOR_SERVICE_START',
              `worker ${worker?.pid ?? '(not forked)'} of ${wrap.spec.name} exited (${signal ?? `status ${code}`}) before its service started`,
            ),
      )
      return
    }
    if (worker && worker.sawSignal === 'SIGTERM' && !exit.intentional) {
      // Someone else sent SIGTERM — perhaps to the whole process group, and
      // ours is on its way: give it a moment before respawning.
      const timer = setTimeout(() => {
        this.#timers.delete(timer)
        this.#queue(wrap, slot)
      }, FOREIGN_SIGTERM_RESPAWN_DELAY_MS)
      this.#timers.add(timer)
      return
    }
    this.#queue(wrap, slot)
  }

  #settle(wrap: Wrap, result: StartResult): void {
    if (wrap.settled) return
    wrap.settled = true
    wrap.started.resolve(result)
  }

  /** A service that failed its first start: stop its other workers, never respawn it. */
  #abandon(wrap: Wrap, error: Error): void {
    wrap.state = 'failed'
    wrap.respawner.cancel()
    this.logger.error(
      { service: wrap.spec.name, err: error },
      `Service ${wrap.spec.name} failed to start, not respawning it: ${error.message}`,
    )
    this.#settle(wrap, { ok: false, error })
    for (const w of wrap.slots) void w?.child.terminate(Number.POSITIVE_INFINITY)
    this.#checkAllFailed()
    this.#checkReady()
  }

  #checkAllFailed(): void {
    if (!this.waiting || this.stopping || this.#wraps.length === 0) return
    if (!this.#wraps.every((w) => w.state === 'failed')) return
    this.logger.error('No service started successfully, stopping')
    this.#unclean = true
    void this.stop()
  }

  #checkReady(): void {
    if (this.state !== 'running' && this.state !== 'reloading') return
    if (this.#readySentEpoch === this.#epoch) return
    if (this.#wraps.some((w) => w.state === 'starting')) return
    const running = this.#wraps.filter((w) => w.state === 'running')
    if (running.length === 0) return
    for (const w of running) {
      for (const worker of w.slots) {
        if (worker?.child.readyAt === undefined || worker.readyEpoch < this.#epoch) return
      }
    }
    this.#readySentEpoch = this.#epoch
    this.state = 'running'
    this.logger.info(
      { services: running.map((w) => w.spec.name), children: this.pids() },
      'All services started',
    )
    this.emit('ready')
    this.notify('ready')
  }

  #workerLog(): CreateLoggerOptions | false {
    const opt = this.#options.workerLog
    if (opt !== undefined) return opt
    const level = this.logger.level
    if (level === 'silent') return false
    const server = (this.logger.bindings() as { server?: unknown }).server
    return {
      name: typeof server === 'string' ? server : 'launcher',
      level: level as CreateLoggerOptions['level'],
    }
  }

  /**
   * Graceful stop (what SIGTERM does): SIGTERM to every worker, wait up to
   * graceful_shutdown_timeout (0 = forever), then SIGKILL what is left.
   * Resolves (and `wait()` resolves) 0, or 1 when a worker had to be killed
   * or did not stop cleanly, or no service ever started.
   */
  stop(): Promise<number> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  /** Marks a service stopped (unless it failed) and settles a start still waited on. */
  #markStopped(wrap: Wrap): void {
    if (wrap.state !== 'failed') wrap.state = 'stopped'
    this.#settle(wrap, {
      ok: false,
      error: new SupervisorError(
        'E_SUPERVISOR_STATE',
        `${wrap.spec.name} was stopped before it started`,
      ),
    })
  }

  async #stop(): Promise<number> {
    this.state = 'stopping'
    this.emit('stopping')
    this.notify('stopping')
    this.#clearTimers()
    for (const wrap of this.#wraps) this.#markStopped(wrap)
    // No deadline per child: the timeout below is one for the whole stop.
    for (const w of this.#workers.values()) void w.child.terminate(Number.POSITIVE_INFINITY)
    if (this.#workers.size > 0) {
      this.logger.info(
        { children: this.pids() },
        `Waiting on ${this.#workers.size} children to exit`,
      )
      const timeout = timeoutPromise(this.gracefulShutdownMs)
      const outcome = await Promise.race([this.#allExited(), timeout.promise])
      timeout.clear()
      if (outcome === 'timeout') {
        const pids = this.pids()
        this.logger.error(
          { children: pids, gracefulShutdownTimeout: this.gracefulShutdownMs / 1000 },
          `Graceful shutdown timeout exceeded (${this.gracefulShutdownMs / 1000} s), killing ${pids.length} children: ${pids.join(' ')}`,
        )
        this.#unclean = true
        for (const w of this.#workers.values()) w.child.forceKill()
        await this.#allExited()
      }
    }
    const code = this.#unclean ? 1 : 0
    this.finish(code)
    return code
  }

  #allExited(): Promise<void> {
    if (this.#workers.size === 0) return Promise.resolve()
    this.#noWorkers ??= deferred<void>()
    return this.#noWorkers.promise
  }

  #clearTimers(): void {
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    for (const wrap of this.#wraps) wrap.respawner.cancel()
  }

  protected readonly restartSubject = 'children'

  protected override onRestartBegin(): void {
    this.#epoch++
  }

  protected onRestartAbandoned(): void {
    this.#readySentEpoch = this.#epoch
    this.emit('ready')
    this.notify('ready')
  }

  /**
   * `reload`: each worker gets SIGTERM and is replaced by a fresh one as
   * soon as it exits (SIGKILL after graceful_shutdown_timeout). `mutate`:
   * SIGHUP to each worker, which `reset()`s its service in place. READY=1
   * once every worker reported started again.
   */
  protected async restartServices(): Promise<void> {
    this.logger.info({ restartMethod: this.restartMethod }, 'Restarting children')
    for (const wrap of this.#wraps) {
      if (wrap.state !== 'running') continue
      // A deliberate restart of every worker is not a crash loop.
      wrap.respawner.limiter.reset()
      for (const w of wrap.slots) {
        if (!w) continue
        if (this.restartMethod === 'mutate') {
          // What SIGHUP would do in the worker, with the options the parent
          // now holds (a signal carries none): applied in the same pid.
          void w.child.send({ forklift: 1, type: 'service-mutate', options: wrap.spec.options })
          continue
        }
        const graceMs =
          this.gracefulShutdownMs > 0 ? this.gracefulShutdownMs : Number.POSITIVE_INFINITY
        void w.child.terminate(graceMs, {
          onForce: () =>
            this.logger.error(
              { child: w.pid },
              `Child ${w.pid} did not stop within graceful_shutdown_timeout, killing it`,
            ),
        })
      }
    }
    this.#checkReady()
  }

  protected abort(): void {
    this.#clearTimers()
    for (const w of this.#workers.values()) {
      void w.child.terminate(Number.POSITIVE_INFINITY, { signal: 'SIGINT' })
    }
  }
}
