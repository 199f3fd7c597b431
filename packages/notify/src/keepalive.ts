/**
 * The two notifications a service sends on a clock rather than on an event:
 * `WATCHDOG=1` for as long as it is healthy, and `EXTEND_TIMEOUT_USEC` for as
 * long as a slow start or drain makes progress.
 *
 * Both run on timers of the calling thread's event loop, on purpose: when the
 * main loop is stuck (a busy loop, a synchronous call that never returns) the
 * timers do not fire, the pings stop, and systemd's watchdog or start/stop
 * timeout does what it is there for. A ping from a worker thread or a child
 * would keep a wedged process alive.
 */
import { type NotifyOptions, notifyExtendTimeout, notifyWatchdog, watchdogUsec } from './notify.js'

/** A running clock of notifications; `stop()` is idempotent. */
export interface NotifyTimer {
  /** The period between notifications, in ms. */
  readonly intervalMs: number
  stop(): void
}

/**
 * Sends `WATCHDOG=1` every half of `WATCHDOG_USEC` (sd_watchdog_enabled(3)'s
 * advice), first at once, when systemd watches this process (`WATCHDOG_USEC`
 * set, `WATCHDOG_PID` unset or this pid); returns undefined, starting
 * nothing, otherwise. The timer is unref'd: it never keeps a process alive.
 */
export function startWatchdog(options: NotifyOptions = {}): NotifyTimer | undefined {
  const usec = watchdogUsec(options.env)
  if (usec === undefined) return undefined
  const intervalMs = Math.max(1, Math.floor(usec / 2000))
  notifyWatchdog(options)
  const timer = setInterval(() => notifyWatchdog(options), intervalMs)
  timer.unref()
  return { intervalMs, stop: () => clearInterval(timer) }
}

/** Options of {@link extendTimeoutWhile}. */
export interface ExtendTimeoutOptions extends NotifyOptions {
  /** How often to ask; each asks for three periods more. Default 5000 ms. */
  intervalMs?: number
}

/**
 * Asks systemd for more time (`EXTEND_TIMEOUT_USEC`, three intervals ahead)
 * at once and every `intervalMs` until `work` settles, then resolves or
 * rejects as `work` does. systemd only honours the extension once its own
 * `TimeoutStartSec=`/`TimeoutStopSec=` has run out, so a quick operation is
 * unaffected; `work` must be bounded by its own timeout (a worker start
 * timeout, a drain timeout): this helper only stops systemd killing a
 * process that is still making progress. Without `NOTIFY_SOCKET` it sends
 * nothing and just awaits `work`.
 */
export async function extendTimeoutWhile<T>(
  work: Promise<T>,
  options: ExtendTimeoutOptions = {},
): Promise<T> {
  const env = options.env ?? process.env
  if (!env.NOTIFY_SOCKET) return work
  const intervalMs = options.intervalMs ?? 5000
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
    throw new RangeError(`extendTimeoutWhile: intervalMs must be > 0, got ${intervalMs}`)
  }
  const ask = () => notifyExtendTimeout(intervalMs * 3, options)
  ask()
  const timer = setInterval(ask, intervalMs)
  try {
    return await work
  } finally {
    clearInterval(timer)
  }
}
