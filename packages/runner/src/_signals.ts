// The server process's signals, Swift's: SIGTERM/SIGINT stop now, SIGHUP
// drains and exits, SIGUSR1 reloads seamlessly.
import { formatError } from '@forklift/errors'
import type { Logger } from '@forklift/log'

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1'] as const

/** What a server does on its signals. */
export interface SignalHandlers {
  /** `now`: SIGTERM/SIGINT (stop at once); otherwise SIGHUP (drain, then exit). */
  stop(now: boolean): Promise<void>
  /** SIGUSR1: a seamless reload. */
  reload(): Promise<void>
}

/**
 * Waits for SIGTERM/SIGINT (stop now), SIGHUP (drain) and SIGUSR1 (reload),
 * running the handlers one at a time; resolves once a stop handler finished.
 */
export function serveSignals(logger: Logger, handlers: SignalHandlers): Promise<void> {
  return new Promise((resolve) => {
    let queue = Promise.resolve()
    let stopping = false
    const onStop = (sig: 'SIGTERM' | 'SIGINT' | 'SIGHUP') => {
      logger.info(`${sig} received (${process.pid})`)
      if (stopping && sig === 'SIGHUP') return
      const now = sig !== 'SIGHUP'
      stopping = true
      // A stop-now must not wait behind a long drain or reload.
      const run = now ? handlers.stop(true) : queue.then(() => handlers.stop(false))
      run
        .catch((err) => logger.error({ err }, `stopping failed: ${formatError(err)}`))
        .finally(() => {
          for (const s of SIGNALS) process.off(s, listeners[s])
          resolve()
        })
    }
    const onReload = () => {
      logger.info(`SIGUSR1 received (${process.pid})`)
      if (stopping) return
      queue = queue
        .then(() => handlers.reload())
        .catch((err) => logger.error({ err }, `reload failed: ${formatError(err)}`))
    }
    const listeners = {
      SIGTERM: () => onStop('SIGTERM'),
      SIGINT: () => onStop('SIGINT'),
      SIGHUP: () => onStop('SIGHUP'),
      SIGUSR1: onReload,
    }
    for (const s of SIGNALS) process.on(s, listeners[s])
  })
}
