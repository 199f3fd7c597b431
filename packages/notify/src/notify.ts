/**
 * systemd's sd_notify(3) protocol: one datagram of `KEY=value` lines sent to
 * the AF_UNIX SOCK_DGRAM socket named by `NOTIFY_SOCKET` (an absolute path,
 * or an abstract name written `@name`).
 *
 * The datagram goes out through `@forklift/posix/unix-dgram`, which passes
 * the address at its exact length: systemd, libsystemd and Python bind an
 * abstract name without padding, so a name padded to sun_path's 108 bytes is
 * another socket and is refused. Each send is one synchronous system call, so
 * a notification is in systemd's queue when the function returns, and
 * `STOPPING=1` survives a `process.exit()` on the next line. It is sent from
 * this process itself: systemd checks the sender's pid (`NotifyAccess=main`),
 * which a spawned `systemd-notify` would not have.
 *
 * A process without `NOTIFY_SOCKET` loads nothing native and sends nothing.
 */
import { UnixDatagramSocket } from '@forklift/posix/unix-dgram'

/** What the notify functions log to: pino's and most loggers' `warn(obj, msg)`. */
export interface NotifyLogger {
  warn(obj: Record<string, unknown>, msg: string): void
}

/** Options of {@link sdNotify}. */
export interface SdNotifyOptions {
  /** Told (at warn) when a notification could not be sent. */
  logger?: NotifyLogger
  /** How long a send may wait while systemd's queue is full; default 1000 ms. */
  timeoutMs?: number
}

/** The options every notify helper takes. */
export interface NotifyOptions extends SdNotifyOptions {
  /** Where to read `NOTIFY_SOCKET`; default `process.env`. */
  env?: NodeJS.ProcessEnv
}

const DEFAULT_TIMEOUT_MS = 1000

// One unbound socket per send timeout, kept for the process's life (an fd,
// close-on-exec): a daemon notifies all day, and each send names its target.
const sockets = new Map<number, UnixDatagramSocket>()

function socketFor(timeoutMs: number): UnixDatagramSocket {
  let socket = sockets.get(timeoutMs)
  if (!socket || socket.closed) {
    socket = new UnixDatagramSocket({ sendTimeoutMs: timeoutMs })
    sockets.set(timeoutMs, socket)
  }
  return socket
}

/**
 * Sends `state` (newline-separated `KEY=value` assignments) to
 * `NOTIFY_SOCKET`. Returns false, without loading anything, when
 * `NOTIFY_SOCKET` is unset. Never throws: a failed send is logged at warn and
 * returns false, because a daemon must not die for want of a status line.
 */
export function sdNotify(
  state: string,
  env: NodeJS.ProcessEnv = process.env,
  options: SdNotifyOptions = {},
): boolean {
  const target = env.NOTIFY_SOCKET
  if (!target) return false
  // Only absolute paths and abstract names are valid (sd_notify(3) rejects the rest too).
  if (!target.startsWith('/') && !target.startsWith('@')) {
    options.logger?.warn({ notifySocket: target }, 'NOTIFY_SOCKET is neither a path nor @abstract')
    return false
  }
  try {
    if (socketFor(options.timeoutMs ?? DEFAULT_TIMEOUT_MS).send(state, target)) return true
    options.logger?.warn(
      { notifySocket: target, state },
      `could not notify systemd on ${target}: its queue stayed full`,
    )
  } catch (err) {
    options.logger?.warn(
      { err, notifySocket: target, state },
      `could not notify systemd on ${target}: ${(err as Error).message}`,
    )
  }
  return false
}

function send(state: string, options: NotifyOptions): boolean {
  return sdNotify(state, options.env, options)
}

/** `READY=1`: start-up (or a reload) is complete. */
export function notifyReady(options: NotifyOptions = {}): boolean {
  return send('READY=1', options)
}

/**
 * `RELOADING=1` with `MONOTONIC_USEC`, as `Type=notify-reload` requires; send
 * `READY=1` again when the reload is done.
 */
export function notifyReloading(options: NotifyOptions = {}): boolean {
  return send(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}`, options)
}

/** `STOPPING=1`: shutdown began. Delivered before this returns, so exiting next is safe. */
export function notifyStopping(options: NotifyOptions = {}): boolean {
  return send('STOPPING=1', options)
}

/** `STATUS=<text>`: a one-line status shown by `systemctl status` (newlines become spaces). */
export function notifyStatus(text: string, options: NotifyOptions = {}): boolean {
  return send(`STATUS=${text.replace(/[\r\n]+/g, ' ')}`, options)
}

/** `WATCHDOG=1`: the service is alive; send it more often than {@link watchdogUsec}. */
export function notifyWatchdog(options: NotifyOptions = {}): boolean {
  return send('WATCHDOG=1', options)
}

/**
 * `EXTEND_TIMEOUT_USEC`: asks systemd for `ms` more milliseconds before its
 * start, stop or reload timeout fires (send it again before they run out).
 */
export function notifyExtendTimeout(ms: number, options: NotifyOptions = {}): boolean {
  if (!(ms >= 0) || !Number.isFinite(ms)) {
    throw new RangeError(`notifyExtendTimeout: ms must be a finite number >= 0, got ${ms}`)
  }
  return send(`EXTEND_TIMEOUT_USEC=${Math.round(ms * 1000)}`, options)
}

/** `MAINPID=<pid>`: another process is now the service's main process. */
export function notifyMainPid(pid: number, options: NotifyOptions = {}): boolean {
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new RangeError(`notifyMainPid: pid must be a positive integer, got ${pid}`)
  }
  return send(`MAINPID=${pid}`, options)
}

/**
 * The watchdog interval systemd expects `WATCHDOG=1` within, in
 * microseconds, as sd_watchdog_enabled(3) reads it: `WATCHDOG_USEC`, when
 * `WATCHDOG_PID` is unset or names this process; otherwise undefined.
 */
export function watchdogUsec(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const usec = Number(env.WATCHDOG_USEC)
  if (!env.WATCHDOG_USEC || !Number.isSafeInteger(usec) || usec <= 0) return undefined
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== process.pid) return undefined
  return usec
}

/** CLOCK_MONOTONIC in microseconds: libuv's hrtime reads that clock on Linux. */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n
}

/**
 * A copy of `env` without `NOTIFY_SOCKET`, `WATCHDOG_USEC` and
 * `WATCHDOG_PID`, for child processes: only the main process speaks to
 * systemd (sd_notify's `unset_environment`).
 */
export function envWithoutNotifySocket(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { NOTIFY_SOCKET: _n, WATCHDOG_USEC: _u, WATCHDOG_PID: _p, ...rest } = env
  return rest
}
