import type { MinimalLogger } from './logger.js'

/** The signal forklift's servers reopen their log file on (for logrotate's postrotate). */
export const LOG_REOPEN_SIGNAL = 'SIGUSR2' satisfies NodeJS.Signals

/** Something that can reopen its log file: a ServerLogger, a LogDestination. */
export interface Reopenable {
  reopen?(): void
}

/**
 * Reopens `target`'s log file each time `signal` (default SIGUSR2) arrives:
 * the rotated file keeps the lines written before, the new file gets every
 * line after, none is lost (the switch is synchronous). A reopen that fails
 * (the directory became unsafe, a full disk) is logged through `logger` at
 * error and the old file stays in use. Installs a process-wide handler, which
 * is this function's whole job; returns the function that removes it.
 */
export function installReopenSignal(
  target: Reopenable,
  options: { signal?: NodeJS.Signals; logger?: MinimalLogger } = {},
): () => void {
  const signal = options.signal ?? LOG_REOPEN_SIGNAL
  const handler = () => {
    try {
      target.reopen?.()
      options.logger?.info({ signal }, 'log file reopened')
    } catch (err) {
      options.logger?.error(
        { err, signal },
        `could not reopen the log file: ${(err as Error).message}`,
      )
    }
  }
  process.on(signal, handler)
  return () => {
    process.off(signal, handler)
  }
}
