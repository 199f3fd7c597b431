/**
 * run_wsgi's worker supervision for Node: N forked workers share one
 * listening socket that the parent bound (and never accepts on), report when
 * they listen, are respawned at a limited rate when they die, drain on
 * request, and are replaced generation by generation on a seamless reload.
 * The worker side is `runPoolWorker()`, called by the worker module.
 *
 * How workers share the port was decided by measurement (README, "Worker
 * pool"): the parent binds without listening (`bindHandoffSocket` of
 * @forklift/socket, or systemd's LISTEN_FDS) and puts the descriptor in each
 * worker's stdio slot 4; every worker listens on that same socket, so the
 * kernel's one accept queue survives dead and draining workers, and a port
 * below 1024 bound as root keeps working after privileges are dropped.
 */
import { EventEmitter } from 'node:events'
import { Server as NetServer, Socket as NetSocket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type MinimalLogger as Logger, silentLogger } from '@forklift/log'
// The options module alone: a worker module that imports runPoolWorker from
// here must not load the socket package's binding code.
import { DEFAULT_BACKLOG } from '@forklift/socket/options'
import { type Deferred, deferred } from './_deferred.js'
import { procRssBytes } from './_proc-rss.js'
import { type Child, checkWorkers, describeExit, forkChild } from './child.js'
import { SupervisorError } from './errors.js'
import {
  DEFAULT_ORPHAN_GRACE_MS,
  LISTEN_FD,
  type ListenPlan,
  type PoolDrainMessage,
  type PoolHandoverMessage,
  type PoolInitMessage,
} from './protocol.js'
import { FORKING_TOO_FAST_MESSAGE, ForkRateLimiter, Respawner } from './rate-limit.js'

export {
  type PoolWorker,
  type PoolWorkerContext,
  type RunPoolWorkerOptions,
  runPoolWorker,
} from './pool-worker.js'
export { DEFAULT_BACKLOG, DEFAULT_ORPHAN_GRACE_MS }

/**
 * The listening socket the workers share.
 * - `{ fd }`: a bound socket the caller owns (`bindHandoffSocket()` of
 *   @forklift/socket, whose result fits as is, or a LISTEN_FDS descriptor).
 *   The parent never listens or accepts on it; each worker does. The pool
 *   never closes it: close it after `stop()`/`drain()` resolve, or after a
 *   `reload()` that moved to another socket.
 * - `{ reusePort }`: each worker binds its own SO_REUSEPORT socket (measured
 *   beside the shared socket; kept for comparison and for callers who want
 *   it). Workers must be allowed to bind the port.
 */
export type PoolSocket = { readonly fd: number } | { readonly reusePort: ReusePortSocket }

/** Where `{ reusePort }` workers bind. */
export interface ReusePortSocket {
  port: number
  host?: string
  ipv6Only?: boolean
}

/** Options of a WorkerPool. */
export interface WorkerPoolOptions {
  /** The worker module (absolute path or file: URL); it calls `runPoolWorker()`. */
  module: string | URL
  /** How many workers to keep (an integer ≥ 1; `0` and `auto` are the caller's business). */
  workers: number
  socket: PoolSocket
  /** The listen backlog each worker applies (listen(2) on a shared socket resets it); default 4096. */
  backlog?: number
  /** JSON-serialisable data for the workers' `createServer` (`context.data`), e.g. the config path. */
  data?: unknown
  /** Arguments after the module; default none. */
  args?: string[]
  /** Node options of the workers; default `process.execArgv`. */
  execArgv?: string[]
  /** Environment of the workers; default `process.env`. NOTIFY_SOCKET and LISTEN_* are always removed. */
  env?: NodeJS.ProcessEnv
  cwd?: string
  /**
   * Where workers' stdout/stderr go: `log` (default) reads them line by line
   * into `logger` — JSON log lines keep their level, other lines become
   * `STDOUT: …` at info and `STDERR: …` at error, as Swift's capture_stdio —
   * so that no worker holds the pipe a starter such as swift-init waits on;
   * `inherit`; `ignore`.
   */
  output?: 'log' | 'inherit' | 'ignore'
  logger?: Logger
  /** A worker must report listening within this; default 30 000 ms. */
  startTimeoutMs?: number
  /** `stop()`: SIGTERM, then SIGKILL after this; default 5000 ms. */
  stopGraceMs?: number
  /** Draining workers (old generations, `drain()`) are SIGKILLed after this; default 86 400 000 ms (Swift's stale_worker_timeout). */
  staleWorkerTimeoutMs?: number
  /** While draining, idle keep-alive connections get this long to send one more request (answered with `Connection: close`) before they are closed; default 1000 ms. */
  idleGraceMs?: number
  /** How long a worker may drain once the parent is gone; default 1000 ms. */
  orphanGraceMs?: number
  /** The respawn brake; default `new ForkRateLimiter({ workers })`. */
  rateLimiter?: ForkRateLimiter
  /**
   * Keep one extra worker process booted (Node started, module loaded) but
   * not serving, to take the place of the next worker that dies: a
   * replacement then only builds its server and listens. Costs one idle
   * process; default false.
   */
  standby?: boolean
  /**
   * Worker liveness check (gunicorn's `timeout`): a listening or draining
   * worker whose event loop sent no heartbeat for this long is SIGKILLed,
   * logged with its pid and how long it was stuck, and replaced like any
   * worker that died. Default off (0 or absent).
   */
  workerTimeoutMs?: number
  /**
   * Recycle a worker after it served this many requests (gunicorn's
   * `max_requests`; http(s) servers), each worker at a limit raised by a
   * random 0 … `maxRequestsJitter` so that they do not all go at once.
   * Recycling is seamless: the replacement listens before the old worker
   * drains. Default off.
   */
  maxRequests?: number
  /** See `maxRequests`; default 0. */
  maxRequestsJitter?: number
  /** Recycle (seamlessly, as `maxRequests`) a worker whose resident set grows beyond this many bytes; default off. */
  maxRssBytes?: number
  /** How often the pool reads each worker's RSS for `maxRssBytes`; default 1000 ms. */
  rssCheckIntervalMs?: number
}

/** What `reload()` may change; everything else stays as it was. */
export interface ReloadOptions {
  socket?: PoolSocket
  backlog?: number
  data?: unknown
  module?: string | URL
  workers?: number
  args?: string[]
  execArgv?: string[]
  env?: NodeJS.ProcessEnv
}

/** The life of one worker: (standby →) starting → listening → draining/stopping → gone. */
export type PoolWorkerState = 'standby' | 'starting' | 'listening' | 'draining' | 'stopping'

/** One worker, as `workers()` and the events show it. */
export interface PoolWorkerInfo {
  pid: number
  index: number
  generation: number
  state: PoolWorkerState
  /** `Date.now()` at fork. */
  startedAt: number
  /** `Date.now()` when it reported listening. */
  listeningAt?: number
}

/** A worker that exited. */
export interface PoolWorkerExit extends PoolWorkerInfo {
  code: number | null
  signal: NodeJS.Signals | null
  /** True when the pool asked for it (drain, stop, reload), false for a crash or a kill from outside. */
  expected: boolean
}

/** The pool's life: new → starting → running ⇄ reloading → draining|stopping → stopped. */
export type WorkerPoolState =
  | 'new'
  | 'starting'
  | 'running'
  | 'reloading'
  | 'draining'
  | 'stopping'
  | 'stopped'

/** Events of a WorkerPool. */
export interface WorkerPoolEvents {
  /** A worker was forked. */
  spawn: [worker: PoolWorkerInfo]
  /** A worker reported listening. */
  listening: [worker: PoolWorkerInfo]
  /** A worker exited. */
  exit: [worker: PoolWorkerExit]
  /** `start()`: every worker listens (swift-init: close stdout; systemd: READY=1). */
  ready: []
  /** `reload()`: the new generation listens and the old one drains (systemd: READY=1). */
  reloaded: [generation: number]
  /** Every worker is gone after `stop()` or `drain()`. */
  stopped: []
}

/** Swift's default stale_worker_timeout: a day. */
export const DEFAULT_STALE_WORKER_TIMEOUT_MS = 86_400_000
export const DEFAULT_STOP_GRACE_MS = 5000
export const DEFAULT_START_TIMEOUT_MS = 30_000
export const DEFAULT_IDLE_GRACE_MS = 1000

interface Generation {
  number: number
  module: string
  args: string[]
  execArgv: string[] | undefined
  env: NodeJS.ProcessEnv
  data: unknown
  socket: PoolSocket
  backlog: number
  workers: number
}

/** The pool's record of one child: which generation and slot, and what it was asked. */
interface Worker {
  info: PoolWorkerInfo
  child: Child
  gen: Generation
  log: Logger
  listening: Deferred<void>
  /** `Date.now()` of its last sign of life (heartbeat or ready), for workerTimeoutMs. */
  lastBeat: number
  /** A replacement is being started for it (max_requests, RSS). */
  recycling?: boolean
}

export const DEFAULT_RSS_CHECK_INTERVAL_MS = 1000
/** After a replacement failed to start, the next attempt for the same worker waits this long. */
const RECYCLE_RETRY_MS = 5000

/** How many heartbeats a worker sends per workerTimeoutMs (so one late beat is no kill). */
const BEATS_PER_TIMEOUT = 4

function checkSocket(socket: PoolSocket): PoolSocket {
  if (socket instanceof NetServer) {
    throw new TypeError(
      'socket must be { fd } (bindHandoffSocket) or { reusePort }, not a net.Server: a parent holding a listening server accepts connections too',
    )
  }
  if ('fd' in socket) {
    if (!Number.isInteger(socket.fd) || socket.fd < 0) {
      throw new TypeError(`socket.fd must be a descriptor, got ${String(socket.fd)}`)
    }
  } else if (!socket.reusePort || !Number.isInteger(socket.reusePort.port)) {
    throw new TypeError('socket must be { fd } or { reusePort: { port, host? } }')
  }
  return socket
}

function modulePath(module: string | URL): string {
  return module instanceof URL || module.startsWith('file:') ? fileURLToPath(module) : module
}

/**
 * Keeps `workers` forked workers serving one listening socket: a policy over
 * the supervision core (`./child`: forks, states, terminate, exits; the
 * `Respawner` of `./rate-limit`). Never installs signal handlers: the runner
 * maps SIGTERM → `stop()`, SIGHUP → `drain()`, SIGUSR1 → `reload()`, and
 * tells swift-init and systemd (on `ready`, `reloaded`, before
 * `stop()`/`drain()`).
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #logger: Logger
  readonly #options: WorkerPoolOptions
  readonly #respawner: Respawner
  #state: WorkerPoolState = 'new'
  #gen: Generation
  /** The current generation's workers by slot. */
  #slots: (Worker | undefined)[] = []
  /** Every live worker, any generation, standby included. */
  readonly #all = new Set<Worker>()
  /** The booted spare of `standby: true`, not yet told anything. */
  #standby: Worker | undefined
  /**
   * Per shared socket, a handle on its descriptor that fresh copies are sent
   * from (see #sendSocket). Never closed: it holds the caller's descriptor,
   * which the caller closes.
   */
  readonly #socketHandles = new WeakMap<PoolSocket, NetSocket>()
  #rssTimer: NodeJS.Timeout | undefined
  #reloadChain: Promise<void> = Promise.resolve()
  #finishing: Promise<void> | undefined
  readonly #stopped = deferred<void>()

  constructor(options: WorkerPoolOptions) {
    super()
    this.#options = options
    this.#logger = options.logger ?? silentLogger()
    const workers = checkWorkers(options.workers)
    this.#gen = {
      number: 1,
      module: modulePath(options.module),
      args: options.args ?? [],
      execArgv: options.execArgv,
      env: options.env ?? process.env,
      data: options.data ?? null,
      socket: checkSocket(options.socket),
      backlog: options.backlog ?? DEFAULT_BACKLOG,
      workers,
    }
    this.#respawner = new Respawner(options.rateLimiter ?? new ForkRateLimiter({ workers }), {
      onWait: (delayMs, key) => {
        if (key !== 'standby') {
          this.#logger.warn({ delayMs, index: key }, FORKING_TOO_FAST_MESSAGE)
        }
      },
    })
  }

  /** Where the pool is in its life. */
  get state(): WorkerPoolState {
    return this.#state
  }

  /** The generation now serving: 1 after `start()`, +1 per successful `reload()`. */
  get generation(): number {
    return this.#gen.number
  }

  /** Pids of the current generation's workers (those forked, listening or not). */
  pids(): number[] {
    return this.#slots.flatMap((w) => (w ? [w.info.pid] : []))
  }

  /** Every live worker, current and draining generations. */
  workers(): PoolWorkerInfo[] {
    return [...this.#all].map((w) => ({ ...w.info }))
  }

  /** Resolves once the pool stopped (after `stop()` or `drain()`). */
  wait(): Promise<void> {
    return this.#stopped.promise
  }

  /**
   * Forks the workers and resolves when every one of them listens. Rejects
   * (E_SUPERVISOR_SPAWN, after stopping what it started) when a worker exits
   * or fails before listening, or does not listen within `startTimeoutMs`.
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') {
      throw new SupervisorError('E_SUPERVISOR_STATE', `cannot start a pool that is ${this.#state}`)
    }
    this.#state = 'starting'
    const gen = this.#gen
    this.#slots = Array.from({ length: gen.workers }, (_, i) => {
      this.#respawner.limiter.record()
      return this.#spawn(gen, i)
    })
    try {
      await Promise.all(this.#slots.map((w) => w!.listening.promise))
    } catch (err) {
      if (this.#state === 'starting') await this.stop()
      throw err
    }
    if (this.#state !== 'starting') {
      throw new SupervisorError('E_SUPERVISOR_STATE', `pool ${this.#state} while starting`)
    }
    this.#state = 'running'
    this.#respawnDeadSlots()
    this.#logger.info({ workers: this.pids(), generation: gen.number }, 'all workers listening')
    // Forked after the workers, so that it does not slow their start.
    this.#refillStandby()
    if (this.#options.maxRssBytes) {
      this.#rssTimer = setInterval(
        () => this.#checkRss(),
        this.#options.rssCheckIntervalMs ?? DEFAULT_RSS_CHECK_INTERVAL_MS,
      )
      this.#rssTimer.unref()
    }
    this.emit('ready')
  }

  /**
   * Seamless reload: forks a new generation (new code: a fresh process loads
   * the module anew; new `data`; another `socket` when bind options changed),
   * waits until all of it listens, then tells the old generation to drain
   * (SIGKILL after `staleWorkerTimeoutMs`). When the new generation fails to
   * start, it is stopped, the old one keeps serving, and this rejects.
   * Concurrent calls run one after the other.
   */
  reload(options: ReloadOptions = {}): Promise<void> {
    const run = this.#reloadChain.then(() => this.#reload(options))
    this.#reloadChain = run.catch(() => {})
    return run
  }

  async #reload(options: ReloadOptions): Promise<void> {
    if (this.#state !== 'running') {
      throw new SupervisorError('E_SUPERVISOR_STATE', `cannot reload a pool that is ${this.#state}`)
    }
    const old = this.#gen
    const gen: Generation = {
      number: old.number + 1,
      module: options.module ? modulePath(options.module) : old.module,
      args: options.args ?? old.args,
      execArgv: options.execArgv ?? old.execArgv,
      env: options.env ?? old.env,
      data: options.data !== undefined ? options.data : old.data,
      socket: options.socket ? checkSocket(options.socket) : old.socket,
      backlog: options.backlog ?? old.backlog,
      workers: options.workers !== undefined ? checkWorkers(options.workers) : old.workers,
    }
    this.#state = 'reloading'
    this.#logger.info(
      { generation: gen.number, workers: gen.workers },
      'reloading: forking new workers',
    )
    const fresh = Array.from({ length: gen.workers }, (_, i) => this.#spawn(gen, i))
    try {
      await Promise.all(fresh.map((w) => w.listening.promise))
    } catch (err) {
      this.#logger.error({ err }, 'reload failed: stopping the new workers, keeping the old ones')
      await Promise.all(fresh.map((w) => this.#terminate(w, this.#options.stopGraceMs)))
      if (this.#state === 'reloading') this.#state = 'running'
      throw err
    }
    if (this.#state !== 'reloading') {
      // stop()/drain() began meanwhile and already took the new workers along.
      throw new SupervisorError('E_SUPERVISOR_STATE', `pool ${this.#state} while reloading`)
    }
    const stale = this.#slots
    this.#gen = gen
    this.#slots = fresh
    this.#respawner.limiter.workers = gen.workers
    this.#state = 'running'
    this.#respawner.cancel()
    this.#respawnDeadSlots()
    for (const w of stale) if (w) this.#drainWorker(w, this.#options.staleWorkerTimeoutMs)
    // The standby holds the old code and data: replace it.
    const oldStandby = this.#standby
    this.#standby = undefined
    if (oldStandby) void this.#terminate(oldStandby, this.#options.stopGraceMs)
    this.#refillStandby()
    this.#logger.info(
      {
        generation: gen.number,
        workers: this.pids(),
        draining: stale.flatMap((w) => (w ? [w.info.pid] : [])),
      },
      'reloaded: new workers listening, old ones draining',
    )
    this.emit('reloaded', gen.number)
  }

  /**
   * Before the parent re-execs itself (`process.execve`, same pid): tells
   * every listening worker to serve on after the IPC channel closes, until
   * the new image sends it SIGHUP (or `timeoutMs`, default
   * `staleWorkerTimeoutMs`, passes; or the parent pid changes). Resolves,
   * once the messages left, with every live worker's pid: the new image
   * must reap them all (see `retireWorkers`). The pool stays as it is, so
   * that a failed exec leaves it serving.
   */
  async handOver(options: { timeoutMs?: number } = {}): Promise<number[]> {
    const message: PoolHandoverMessage = {
      forklift: 1,
      type: 'pool-handover',
      parentPid: process.pid,
      idleGraceMs: this.#options.idleGraceMs ?? DEFAULT_IDLE_GRACE_MS,
      timeoutMs:
        options.timeoutMs ?? this.#options.staleWorkerTimeoutMs ?? DEFAULT_STALE_WORKER_TIMEOUT_MS,
    }
    const all = [...this.#all]
    await Promise.all(
      all.filter((w) => w.info.state === 'listening').map((w) => w.child.send(message)),
    )
    return all.map((w) => w.info.pid)
  }

  /**
   * Graceful stop (Swift's SIGHUP): every worker stops accepting, finishes
   * its in-flight requests and exits; resolves when all are gone. Workers
   * still draining after `timeoutMs` (default `staleWorkerTimeoutMs`) are
   * SIGKILLed. No respawn after this began.
   */
  drain(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#finishing) return this.#finishing
    this.#beginFinish('draining')
    for (const w of this.#all)
      this.#drainWorker(w, options.timeoutMs ?? this.#options.staleWorkerTimeoutMs)
    return this.#finish()
  }

  /**
   * Stops now (Swift's SIGTERM): SIGTERM to every worker, SIGKILL after
   * `graceMs` (default `stopGraceMs`); resolves when all are gone. Also ends
   * a `drain()` in progress. No respawn after this began.
   */
  stop(options: { graceMs?: number } = {}): Promise<void> {
    const graceMs = options.graceMs ?? this.#options.stopGraceMs
    if (this.#state === 'stopping' || this.#state === 'stopped')
      return this.#finishing ?? this.wait()
    const draining = this.#finishing
    this.#beginFinish('stopping')
    for (const w of this.#all) void this.#terminate(w, graceMs)
    return draining ?? this.#finish()
  }

  #beginFinish(state: 'draining' | 'stopping'): void {
    const from = this.#state
    this.#state = state
    this.#respawner.cancel()
    clearInterval(this.#rssTimer)
    this.#logger.info(
      { from, workers: [...this.#all].map((w) => w.info.pid) },
      state === 'draining' ? 'draining workers' : 'stopping workers',
    )
  }

  #finish(): Promise<void> {
    this.#finishing = (async () => {
      // Workers forked while we waited (none: spawning stops with the state) are covered by the loop.
      while (this.#all.size > 0) await Promise.all([...this.#all].map((w) => w.child.exited))
      this.#state = 'stopped'
      this.#logger.info('all workers exited')
      this.emit('stopped')
      this.#stopped.resolve()
    })()
    return this.#finishing
  }

  /** Forks a worker and sends it its instructions at once. */
  #spawn(gen: Generation, index: number): Worker {
    const worker = this.#fork(gen)
    this.#activate(worker, index)
    return worker
  }

  /**
   * Forks a worker process without telling it anything yet: it boots Node and
   * loads its module (static imports), then waits in `runPoolWorker()` for the
   * init message that `#activate` sends. A standby stays in this state.
   */
  #fork(gen: Generation): Worker {
    let log = this.#logger
    const child = forkChild({
      module: gen.module,
      args: gen.args,
      ...(gen.execArgv ? { execArgv: gen.execArgv } : {}),
      env: gen.env,
      ...(this.#options.cwd ? { cwd: this.#options.cwd } : {}),
      output: this.#options.output ?? 'log',
      fds: 'fd' in gen.socket ? [gen.socket.fd] : [],
      logger: (pid) => {
        log = this.#logger.child({ worker: pid, generation: gen.number })
        return log
      },
      // fork failures (EAGAIN, ENOMEM) and IPC errors
      onError: (err) => log.error({ err }, `worker error: ${err.message}`),
    })
    if (this.#options.output === 'inherit' || this.#options.output === 'ignore') {
      log = this.#logger.child({ worker: child.pid, generation: gen.number })
    }
    const info: PoolWorkerInfo = {
      pid: child.pid,
      index: -1,
      generation: gen.number,
      state: 'standby',
      startedAt: child.startedAt,
    }
    const listening = deferred<void>()
    // A respawned worker that fails is handled by the exit handler; nobody awaits it.
    listening.promise.catch(() => {})
    const worker: Worker = { info, child, gen, log, listening, lastBeat: Date.now() }
    this.#all.add(worker)
    child.on('ready', () => {
      if (info.state !== 'starting') return
      info.state = 'listening'
      worker.lastBeat = Date.now()
      this.#watchLiveness(worker)
      info.listeningAt = child.readyAt
      log.info(
        { index: info.index, startupMs: info.listeningAt! - info.startedAt },
        `Started child ${info.pid} from parent ${process.pid}`,
      )
      listening.resolve()
      this.emit('listening', { ...info })
    })
    child.on('message', (m) => {
      if (m.type === 'heartbeat') worker.lastBeat = Date.now()
      else if (m.type === 'pool-listen-again') this.#sendSocket(worker)
      else if (m.type === 'pool-recycle') {
        this.#recycle(worker, `served ${m.requests} requests (max_requests)`)
      }
    })
    child.on('exit', (exit) => {
      this.#all.delete(worker)
      const { index } = info
      const expected = exit.intentional
      if (!exit.wasReady) {
        const why = exit.failure ? `: ${exit.failure.message}` : ''
        listening.reject(
          new SupervisorError(
            'E_SUPERVISOR_SPAWN',
            `worker ${index} (pid ${info.pid}) exited before listening (${describeExit(exit)})${why}`,
          ),
        )
      }
      if (expected) {
        log.info(
          { index, code: exit.code, signal: exit.signal },
          `Child ${info.pid} exited (${describeExit(exit)})`,
        )
      } else {
        log.error(
          { index, code: exit.code, signal: exit.signal },
          `Removing dead child ${info.pid} from parent ${process.pid} (${describeExit(exit)})`,
        )
      }
      this.emit('exit', { ...info, code: exit.code, signal: exit.signal, expected })
      const serving = this.#state === 'running' || this.#state === 'reloading'
      if (this.#standby === worker) {
        this.#standby = undefined
        if (!expected && serving) this.#refillStandby()
      } else if (index >= 0 && this.#slots[index] === worker && gen === this.#gen) {
        this.#slots[index] = undefined
        if (!expected && serving) this.#respawn(index)
      }
    })
    return worker
  }

  /** Gives a forked worker its slot and instructions; it must listen within startTimeoutMs. */
  #activate(worker: Worker, index: number): void {
    const { info, gen, log, child } = worker
    info.index = index
    info.state = 'starting'
    const timeoutMs = this.#options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS
    const cancel = child.timer(timeoutMs, () => {
      const msg = `worker ${index} (pid ${info.pid}) did not listen within ${timeoutMs} ms`
      child.failure = { name: 'SupervisorError', message: msg }
      worker.listening.reject(new SupervisorError('E_SUPERVISOR_SPAWN', msg))
      log.error(msg)
      child.kill('SIGKILL')
    })
    child.once('ready', cancel)
    const init: PoolInitMessage = {
      forklift: 1,
      type: 'pool-init',
      index,
      generation: gen.number,
      data: gen.data,
      listen: this.#listenPlan(gen),
      idleGraceMs: this.#options.idleGraceMs ?? DEFAULT_IDLE_GRACE_MS,
      orphanGraceMs: this.#options.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS,
      ...(this.#heartbeatMs() ? { heartbeatMs: this.#heartbeatMs() } : {}),
      ...(this.#options.maxRequests ? { maxRequests: this.#requestLimit() } : {}),
    }
    void child.send(init).then((sent) => {
      if (!sent) log.debug('could not send init (worker already gone)')
    })
    this.emit('spawn', { ...info })
  }

  /** max_requests plus this worker's share of the jitter (gunicorn: randint(0, jitter)). */
  #requestLimit(): number {
    const jitter = Math.max(0, Math.floor(this.#options.maxRequestsJitter ?? 0))
    return this.#options.maxRequests! + Math.floor(Math.random() * (jitter + 1))
  }

  /**
   * Replaces a serving worker seamlessly: a new worker for its slot is
   * forked and, once it listens, takes the slot while the old one drains
   * (staleWorkerTimeoutMs bounds it). A replacement that fails leaves the
   * old worker serving; it is tried again later.
   */
  #recycle(w: Worker, why: string): void {
    const { index } = w.info
    if (
      w.recycling ||
      this.#state !== 'running' ||
      w.gen !== this.#gen ||
      w.info.state !== 'listening' ||
      this.#slots[index] !== w
    ) {
      return
    }
    w.recycling = true
    w.log.info({ index, reason: why }, `Recycling worker ${w.info.pid}: ${why}`)
    const fresh = this.#fork(w.gen)
    this.#activate(fresh, index)
    fresh.listening.promise.then(
      () => {
        const mine = this.#slots[index]
        const serving = this.#state === 'running' && fresh.gen === this.#gen
        if (serving && (mine === w || mine === undefined)) {
          this.#slots[index] = fresh
          if (mine === w) this.#drainWorker(w, this.#options.staleWorkerTimeoutMs)
          w.log.info(
            { index, replacement: fresh.info.pid },
            `Worker ${fresh.info.pid} replaced worker ${w.info.pid}`,
          )
        } else {
          void this.#terminate(fresh, this.#options.stopGraceMs)
        }
      },
      (err: Error) => {
        w.log.error({ err, index }, `replacement for worker ${w.info.pid} failed: ${err.message}`)
        w.child.timer(RECYCLE_RETRY_MS, () => {
          w.recycling = false
          this.#recycle(w, why)
        })
      },
    )
  }

  /** Reads the RSS of each serving worker and recycles those above maxRssBytes. */
  #checkRss(): void {
    const limit = this.#options.maxRssBytes
    if (!limit || this.#state !== 'running') return
    for (const w of this.#slots) {
      if (!w || w.recycling || w.info.state !== 'listening') continue
      const rss = procRssBytes(w.info.pid)
      if (rss !== undefined && rss > limit) {
        const mib = (n: number) => `${Math.round(n / 1048576)} MiB`
        this.#recycle(w, `RSS ${mib(rss)} above ${mib(limit)} (max_worker_rss)`)
      }
    }
  }

  #heartbeatMs(): number | undefined {
    const timeoutMs = this.#options.workerTimeoutMs
    if (!timeoutMs || timeoutMs <= 0) return undefined
    return Math.max(1, Math.floor(timeoutMs / BEATS_PER_TIMEOUT))
  }

  /**
   * Checks a listening worker's heartbeats until it exits: silent for
   * workerTimeoutMs means its event loop is stuck (an app blocking it); it
   * is SIGKILLed, and its exit, not asked for, respawns it as a crash does.
   * A worker the pool asked to stop is left to stopGraceMs.
   */
  #watchLiveness(w: Worker): void {
    const timeoutMs = this.#options.workerTimeoutMs
    const beatMs = this.#heartbeatMs()
    if (!timeoutMs || !beatMs) return
    // Decided after the poll phase (setImmediate): beats that arrived while
    // this parent itself was busy are read first, and count.
    const check = () => setImmediate(decide)
    const decide = () => {
      if (w.info.state !== 'listening' && w.info.state !== 'draining') return
      const stuckMs = Date.now() - w.lastBeat
      if (stuckMs <= timeoutMs) {
        w.child.timer(beatMs, check)
        return
      }
      w.log.error(
        { worker: w.info.pid, index: w.info.index, stuckMs, workerTimeoutMs: timeoutMs },
        `Worker ${w.info.pid} stuck for ${stuckMs} ms (no heartbeat within ${timeoutMs} ms): killing it`,
      )
      w.child.kill('SIGKILL')
    }
    w.child.timer(beatMs, check)
  }

  /**
   * A worker that stopped accepting at max_clients closed its descriptor of
   * the shared socket; below the limit it asks for the socket again. Node's
   * IPC passes a descriptor (SCM_RIGHTS) only from a handle: the pool wraps
   * the caller's descriptor in one, never reading, once per socket.
   */
  #sendSocket(w: Worker): void {
    const { socket } = w.gen
    if (!('fd' in socket) || w.info.state !== 'listening') return
    let holder = this.#socketHandles.get(socket)
    if (!holder) {
      holder = new NetSocket({ fd: socket.fd, readable: false, writable: false })
      holder.on('error', (err) => w.log.error({ err }, `shared socket: ${err.message}`))
      this.#socketHandles.set(socket, holder)
    }
    const handle = (holder as NetSocket & { _handle?: unknown })._handle
    const proc = w.child.process
    if (!handle || !proc.connected) return
    try {
      proc.send(
        { forklift: 1, type: 'pool-socket' },
        handle as never,
        { keepOpen: true },
        (err) => {
          if (err) w.log.debug({ err }, 'could not send the socket (worker going)')
        },
      )
    } catch (err) {
      w.log.debug({ err }, 'could not send the socket (worker going)')
    }
  }

  #listenPlan(gen: Generation): ListenPlan {
    if ('fd' in gen.socket) return { kind: 'fd', fd: LISTEN_FD, backlog: gen.backlog }
    const { port, host, ipv6Only } = gen.socket.reusePort
    return {
      kind: 'reusePort',
      port,
      ...(host !== undefined ? { host } : {}),
      ...(ipv6Only ? { ipv6Only } : {}),
      backlog: gen.backlog,
    }
  }

  /**
   * A worker that listened and then died while its generation was still
   * starting was not respawned (its generation was not serving yet): do it
   * now that it is.
   */
  #respawnDeadSlots(): void {
    this.#slots.forEach((w, index) => {
      if (w && this.#all.has(w)) return
      this.#slots[index] = undefined
      this.#respawn(index)
    })
  }

  /** Forks a fresh standby for the serving generation (rate-limited like any fork). */
  #refillStandby(): void {
    if (!this.#options.standby || this.#standby) return
    const gen = this.#gen
    this.#respawner.schedule('standby', () => {
      if (this.#state !== 'running' || this.#standby || gen !== this.#gen) return false
      this.#standby = this.#fork(gen)
      return true
    })
  }

  #respawn(index: number): void {
    // A standby of the serving generation takes the slot at once: it only has
    // to build its server and listen. Its own replacement is what gets forked.
    const standby = this.#standby
    if (standby && standby.gen === this.#gen && standby.info.state === 'standby') {
      this.#standby = undefined
      this.#slots[index] = standby
      this.#activate(standby, index)
      this.#refillStandby()
      return
    }
    this.#respawner.schedule(index, () => {
      if (this.#state !== 'running' && this.#state !== 'reloading') return false
      if (this.#slots[index]) return false
      this.#slots[index] = this.#spawn(this.#gen, index)
      return true
    })
  }

  /** Tells a worker to drain; SIGKILL after `timeoutMs`. A worker not yet listening is simply stopped. */
  #drainWorker(w: Worker, timeoutMs = DEFAULT_STALE_WORKER_TIMEOUT_MS): void {
    if (w.info.state === 'draining' || w.info.state === 'stopping') return
    if (w.info.state === 'starting' || w.info.state === 'standby') {
      void this.#terminate(w, this.#options.stopGraceMs)
      return
    }
    w.info.state = 'draining'
    const message: PoolDrainMessage = {
      forklift: 1,
      type: 'pool-drain',
      idleGraceMs: this.#options.idleGraceMs ?? DEFAULT_IDLE_GRACE_MS,
    }
    void w.child.terminate(timeoutMs, {
      message,
      onForce: () =>
        this.#logger.warn(
          { worker: w.info.pid },
          `Killing long-running stale worker ${w.info.pid} after ${Math.round(timeoutMs / 1000)}s`,
        ),
    })
  }

  /** SIGTERM now, SIGKILL after `graceMs`; resolves when the worker is gone. */
  #terminate(w: Worker, graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    if (w.info.state !== 'stopping' && this.#all.has(w)) w.info.state = 'stopping'
    return w.child.terminate(graceMs).then(() => {})
  }
}
