/**
 * The one child-supervision core: a forked Node child with explicit states
 * (starting → ready → stopping → exited), exits that say whether the
 * supervisor asked for them, `terminate(graceMs)` (SIGTERM or a stop message,
 * SIGKILL when the grace runs out), sends that never throw, and timers that
 * die with the child. WorkerPool and ProcessLauncher are policies over it:
 * what "ready" means, when to respawn (through a `Respawner`), what to say.
 *
 * Every child is forked with `--disable-sigusr1` (where Node has it): a
 * SIGUSR1 — swift-init's reload-seamless sent to a process group, say —
 * would otherwise open Node's inspector in a child still starting, before any
 * handler of its own is installed. Children get their orders over IPC, never
 * by SIGUSR1.
 */
import { type ChildProcess, fork, type StdioOptions } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { type MinimalLogger as Logger, relayLine, silentLogger } from '@forklift/log'
import { envWithoutNotifySocket } from '@forklift/notify'
import { SupervisorError } from './errors.js'
import {
  type ChildMessage,
  isProtocolMessage,
  type ParentMessage,
  type ReadyMessage,
  type SerializedError,
} from './protocol.js'

/** Where a child is in its life. */
export type ChildState = 'starting' | 'ready' | 'stopping' | 'exited'

/** How a child ended. */
export interface ChildExit {
  code: number | null
  signal: NodeJS.Signals | null
  /** The supervisor asked it to go (`terminate()`), rather than a crash or a kill from outside. */
  intentional: boolean
  /** It was SIGKILLed by `forceKill()` or because its grace ran out. */
  forced: boolean
  /** Whether it had reported ready before it exited. */
  wasReady: boolean
  /** What it reported with a `failed` message before it went, if it did. */
  failure?: SerializedError
  /** The fork itself failed (EAGAIN, ENOMEM): there never was a process. */
  spawnError?: Error
}

/** Options of forkChild. */
export interface ForkChildOptions {
  /** The module to run (an absolute path). */
  module: string
  args?: string[]
  /** Node options; default `process.execArgv`. `--disable-sigusr1` is always added where Node has it. */
  execArgv?: string[]
  /** Environment; default `process.env`. NOTIFY_SOCKET and LISTEN_* are always removed. */
  env?: NodeJS.ProcessEnv
  cwd?: string
  /**
   * Where stdout/stderr go: `log` reads them line by line into `logger` (JSON
   * log lines keep their level and fields; other lines become `STDOUT: …` at
   * info and `STDERR: …` at error, as Swift's capture_stdio), `inherit` (the
   * default), `ignore`.
   */
  output?: 'log' | 'inherit' | 'ignore'
  /** Descriptors for the stdio slots after the IPC channel (slot 4, 5, …): a listening socket. */
  fds?: number[]
  /** Where `output: 'log'` lines go (a function: a logger for the child's pid); default silent. */
  logger?: Logger | ((pid: number) => Logger)
  /** Called for errors of the process object (a failed fork, an IPC write error). */
  onError?: (err: Error) => void
}

/** Events of a Child. */
export interface ChildEvents {
  /** Every protocol message it sends (after the core has read `ready` and `failed`). */
  message: [message: ChildMessage]
  /** Each `ready` message: the first moves it from starting to ready. */
  ready: [message: ReadyMessage]
  /** It exited and its IPC channel delivered its last messages. */
  exit: [exit: ChildExit]
}

/** Options of `Child#terminate`. */
export interface TerminateOptions {
  /** Ask with this message instead of a signal (a drain); if it cannot be sent, `signal` is sent. */
  message?: ParentMessage
  /** The signal that asks it to go; default SIGTERM. */
  signal?: NodeJS.Signals
  /** Called when the grace ran out, just before the SIGKILL. */
  onForce?: () => void
}

/** How long an exited child's IPC channel may take to deliver its last messages. */
const IPC_DRAIN_TIMEOUT_MS = 500
/** setTimeout fires at once beyond 2^31-1 ms (~24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1
const LISTEN_ENV = ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES']

let disableSigusr1: boolean | undefined
/** Node >= 22.14 / 23.7 has --disable-sigusr1; an older one would refuse to start with it. */
function hasDisableSigusr1(): boolean {
  disableSigusr1 ??= process.allowedNodeEnvironmentFlags.has('--disable-sigusr1')
  return disableSigusr1
}

/** The Node options of a child: the given ones (or ours) with `--disable-sigusr1`. */
export function childExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out = [...execArgv]
  if (hasDisableSigusr1() && !out.includes('--disable-sigusr1')) out.push('--disable-sigusr1')
  return out
}

/**
 * Checks a worker count: an integer >= 1. The one check every supervisor
 * shares; SupervisorError E_SUPERVISOR_WORKERS otherwise.
 */
export function checkWorkers(workers: number): number {
  if (!Number.isInteger(workers) || workers < 1) {
    throw new SupervisorError(
      'E_SUPERVISOR_WORKERS',
      `number of workers must be a positive integer, got ${String(workers)}`,
    )
  }
  return workers
}

/** Forks `options.module` with an IPC channel and supervises it. Never throws: a failed fork is an exit. */
export function forkChild(options: ForkChildOptions): Child {
  return new Child(options)
}

/** One forked child; see forkChild. */
export class Child extends EventEmitter<ChildEvents> {
  /** The process, for its stdout/stderr with `output: 'inherit'`'s siblings; signal it through the Child. */
  readonly process: ChildProcess
  /** Its pid; -1 when the fork failed. */
  readonly pid: number
  /** `Date.now()` at fork. */
  readonly startedAt = Date.now()
  /** Resolves once it exited and its channel is drained (never rejects). */
  readonly exited: Promise<ChildExit>
  #state: ChildState = 'starting'
  #readyAt: number | undefined
  #intentional = false
  #signalled = false
  #messaged = false
  #forced = false
  #failure: SerializedError | undefined
  readonly #timers = new Set<NodeJS.Timeout>()
  #resolveExit!: (exit: ChildExit) => void
  readonly #onError: ((err: Error) => void) | undefined

  constructor(options: ForkChildOptions) {
    super()
    this.#onError = options.onError
    this.exited = new Promise((resolve) => {
      this.#resolveExit = resolve
    })
    const output = options.output ?? 'inherit'
    const std = output === 'log' ? 'pipe' : output
    const stdio: StdioOptions = ['ignore', std, std, 'ipc', ...(options.fds ?? [])]
    const env = envWithoutNotifySocket(options.env ?? process.env)
    for (const key of LISTEN_ENV) delete env[key]
    this.process = fork(options.module, options.args ?? [], {
      stdio,
      env,
      execArgv: childExecArgv(options.execArgv),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      serialization: 'json',
    })
    const proc = this.process
    this.pid = proc.pid ?? -1
    if (output === 'log') {
      const { logger = silentLogger() } = options
      relayOutput(proc, typeof logger === 'function' ? logger(this.pid) : logger)
    }
    proc.on('message', (message: unknown) => this.#onMessage(message))
    proc.on('error', (err) => {
      this.#onError?.(err)
      // A failed spawn emits 'error' and never 'exit'.
      if (proc.pid === undefined) this.#finish(null, null, err)
    })
    proc.once('exit', (code, signal) => {
      // SIGCHLD can overtake the last IPC messages (a start failure's
      // reason): report the exit once the channel is drained and closed.
      if (!proc.connected) return this.#finish(code, signal)
      const fallback = setTimeout(() => proc.disconnect(), IPC_DRAIN_TIMEOUT_MS)
      proc.once('disconnect', () => {
        clearTimeout(fallback)
        this.#finish(code, signal)
      })
    })
  }

  /** starting, ready, stopping or exited. */
  get state(): ChildState {
    return this.#state
  }

  /** `Date.now()` when it first reported ready. */
  get readyAt(): number | undefined {
    return this.#readyAt
  }

  /** True once the supervisor asked it to go: its exit will not count as a crash. */
  get intentional(): boolean {
    return this.#intentional
  }

  /** What it reported with a `failed` message, if it did. */
  get failure(): SerializedError | undefined {
    return this.#failure
  }

  /** Records a failure found by the supervisor (a start timeout), reported with the exit. */
  set failure(failure: SerializedError | undefined) {
    this.#failure = failure
  }

  /**
   * Sends a message; resolves true once it is handed to the OS, false when the
   * channel is closed or the write failed (the child is going: its exit
   * follows). Never throws, never rejects.
   */
  send(message: ParentMessage): Promise<boolean> {
    const proc = this.process
    if (!proc.connected) return Promise.resolve(false)
    return new Promise((resolve) => {
      try {
        proc.send(message, (err: Error | null) => resolve(!err))
      } catch {
        resolve(false)
      }
    })
  }

  /** Sends a signal (not a request to go: see terminate); false when it is gone. Never throws. */
  kill(signal: NodeJS.Signals): boolean {
    // ChildProcess#kill does nothing once the process is reaped: no recycled pid is hit.
    if (this.#state === 'exited') return false
    try {
      return this.process.kill(signal)
    } catch {
      return false
    }
  }

  /**
   * Asks it to go: from now on its exit is intentional and it is `stopping`.
   * By `signal` (SIGTERM), or by `message` (a drain) when given. SIGKILL
   * after `graceMs` unless it is gone by then (Infinity: never). A later call
   * can only hurry it: a signal after a message, an earlier SIGKILL.
   * Resolves with its exit.
   */
  terminate(graceMs: number, options: TerminateOptions = {}): Promise<ChildExit> {
    if (this.#state === 'exited') return this.exited
    this.#intentional = true
    this.#state = 'stopping'
    const signal = options.signal ?? 'SIGTERM'
    if (options.message && !this.#messaged && !this.#signalled) {
      this.#messaged = true
      void this.send(options.message).then((sent) => {
        if (!sent && !this.#signalled) {
          this.#signalled = true
          this.kill(signal)
        }
      })
    } else if (!options.message && !this.#signalled) {
      this.#signalled = true
      this.kill(signal)
    }
    if (Number.isFinite(graceMs)) {
      this.timer(graceMs, () => {
        options.onForce?.()
        this.forceKill()
      })
    }
    return this.exited
  }

  /** SIGKILL now; the exit is intentional and `forced`. */
  forceKill(): void {
    if (this.#state === 'exited') return
    this.#intentional = true
    this.#forced = true
    if (this.#state !== 'stopping') this.#state = 'stopping'
    this.kill('SIGKILL')
  }

  /** Runs `fn` after `ms` unless the child exited first; returns a cancel function. */
  timer(ms: number, fn: () => void): () => void {
    if (this.#state === 'exited') return () => {}
    const t = setTimeout(
      () => {
        this.#timers.delete(t)
        fn()
      },
      Math.min(Math.max(0, ms), MAX_TIMER_MS),
    )
    this.#timers.add(t)
    return () => {
      clearTimeout(t)
      this.#timers.delete(t)
    }
  }

  #onMessage(message: unknown): void {
    if (!isProtocolMessage(message) || this.#state === 'exited') return
    const m = message as ChildMessage
    if (m.type === 'failed') this.#failure = m.error
    if (m.type === 'ready') {
      if (this.#state === 'starting') {
        this.#state = 'ready'
        this.#readyAt = Date.now()
      }
      this.emit('ready', m)
    }
    this.emit('message', m)
  }

  #finish(code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void {
    if (this.#state === 'exited') return
    const wasReady = this.#readyAt !== undefined
    this.#state = 'exited'
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    const exit: ChildExit = {
      code,
      signal,
      intentional: this.#intentional,
      forced: this.#forced,
      wasReady,
      ...(this.#failure ? { failure: this.#failure } : {}),
      ...(spawnError ? { spawnError } : {}),
    }
    this.#resolveExit(exit)
    this.emit('exit', exit)
  }
}

/** `code 3` or `signal SIGKILL`, for log lines. */
export function describeExit(exit: Pick<ChildExit, 'code' | 'signal'>): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`
}

function relayOutput(child: ChildProcess, log: Logger): void {
  // Loaded on first use: most supervisors never capture output, and every
  // parent would otherwise load readline at start-up.
  const { createInterface } = process.getBuiltinModule('node:readline')
  const pipe = (stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr') => {
    if (!stream) return
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })
    // @forklift/log parses and writes: a record line keeps its level,
    // pid, time and fields; any other line is STDOUT:/STDERR: output.
    lines.on('line', (line) => relayLine(log, line, name))
  }
  pipe(child.stdout, 'stdout')
  pipe(child.stderr, 'stderr')
}
