/**
 * systemd's sd_notify(3) protocol: one datagram of `KEY=value` lines sent to
 * the AF_UNIX SOCK_DGRAM socket named by `NOTIFY_SOCKET` (a path, or an
 * abstract name written `@name`).
 *
 * Node has no unix datagram sockets, so the datagram goes through the
 * `node-unix-socket` addon (napi-rs, prebuilt per platform, loaded lazily: a
 * process without `NOTIFY_SOCKET` never loads it). Spawning `systemd-notify`
 * instead is wrong: systemd checks the sender's pid against the main pid
 * (`NotifyAccess=main`), and a helper process has another.
 */
import type { Logger } from '@forklift/log'

/** The options every notify helper takes. */
export interface NotifyOptions {
  /** Where to read `NOTIFY_SOCKET`; default `process.env`. */
  env?: NodeJS.ProcessEnv
  /** Told (at warn) when a notification could not be sent. */
  logger?: Logger
}

type DgramSocketClass = typeof import('node-unix-socket').DgramSocket
let dgramSocketClass: Promise<DgramSocketClass> | undefined

function loadDgramSocket(): Promise<DgramSocketClass> {
  dgramSocketClass ??= import('node-unix-socket').then((m) => m.DgramSocket)
  return dgramSocketClass
}

/** The socket address the addon understands: abstract names start with NUL instead of `@`. */
export function notifySocketAddress(value: string): string {
  return value.startsWith('@') ? `\0${value.slice(1)}` : value
}

/**
 * Sends `state` (newline-separated `KEY=value` assignments) to `NOTIFY_SOCKET`.
 * Resolves false, without loading anything, when `NOTIFY_SOCKET` is unset; never
 * rejects: a failed send is logged at warn and resolves false, because a
 * daemon must not die for want of a status line.
 */
export async function sdNotify(
  state: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { logger?: Logger } = {},
): Promise<boolean> {
  const target = env.NOTIFY_SOCKET
  if (!target) return false
  // Only absolute paths and abstract names are valid (sd_notify(3) rejects the rest too).
  if (!target.startsWith('/') && !target.startsWith('@')) {
    options.logger?.warn({ notifySocket: target }, 'NOTIFY_SOCKET is neither a path nor @abstract')
    return false
  }
  try {
    const DgramSocket = await loadDgramSocket()
    const socket = new DgramSocket()
    const buf = Buffer.from(state)
    try {
      await new Promise<void>((resolve, reject) => {
        try {
          socket.sendTo(buf, 0, buf.length, notifySocketAddress(target), (err) =>
            err ? reject(err) : resolve(),
          )
        } catch (err) {
          reject(err)
        }
      })
    } finally {
      socket.close()
    }
    return true
  } catch (err) {
    options.logger?.warn(
      { err, notifySocket: target, state },
      `could not notify systemd on ${target}: ${(err as Error).message}`,
    )
    return false
  }
}

/** `READY=1`: every service has started. */
export function notifyReady(options: NotifyOptions = {}): Promise<boolean> {
  return sdNotify('READY=1', options.env, options)
}

/**
 * `RELOADING=1` with `MONOTONIC_USEC`, as `Type=notify-reload` requires; send
 * `READY=1` again when the reload is done.
 */
export function notifyReloading(options: NotifyOptions = {}): Promise<boolean> {
  return sdNotify(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}`, options.env, options)
}

/** `STOPPING=1`: shutdown began. */
export function notifyStopping(options: NotifyOptions = {}): Promise<boolean> {
  return sdNotify('STOPPING=1', options.env, options)
}

/** `STATUS=<text>`: a one-line status shown by `systemctl status`. */
export function notifyStatus(text: string, options: NotifyOptions = {}): Promise<boolean> {
  return sdNotify(`STATUS=${text.replace(/\n/g, ' ')}`, options.env, options)
}

/** CLOCK_MONOTONIC in microseconds: libuv's hrtime reads that clock on Linux. */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n
}

/**
 * A copy of `env` without `NOTIFY_SOCKET`, for child processes: only the main
 * process speaks to systemd (sd_notify's `unset_environment`).
 */
export function envWithoutNotifySocket(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { NOTIFY_SOCKET: _, ...rest } = env
  return rest
}
