// The server process's signals, Swift's: SIGTERM/SIGINT stop now, SIGHUP
// drains and exits, SIGUSR1 reloads seamlessly.
import { formatError } from '@forklift/errors'
import type { MinimalLogger as Logger } from '@forklift/log'
import { notifyReloadSocket, type ReloadOutcome, reloadOutcomeState } from '@forklift/notify/reload'

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1'] as const

/** What a server does on its signals. */
export interface SignalHandlers {
  /** `now`: SIGTERM/SIGINT (stop at once); otherwise SIGHUP (drain, then exit). */
  stop(now: boolean): Promise<void>
  /** SIGUSR1: a seamless reload; what it ended in goes to swift-reload's socket. */
  reload(): Promise<ReloadOutcome>
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
        .then(async () => {
          // Swift's per-pid socket: a swift-reload (or swift-init
          // reload-seamless) waiting on it learns when we began and how it ended.
          notifyReloadSocket('RELOADING=1')
          let outcome: ReloadOutcome
          try {
            outcome = await handlers.reload()
          } catch (err) {
            logger.error({ err }, `reload failed: ${formatError(err)}`)
            outcome = { ok: false, reason: formatError(err) }
          }
          notifyReloadSocket(reloadOutcomeState(outcome))
        })
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

/** Stop signals caught while a server starts, to be handed on once it serves them. */
export interface DeferredSignals {
  /** Whether a stop signal came in meanwhile. */
  readonly caught: boolean
  /** Stops catching; hands what came in to the listeners installed now (serveSignals'). */
  replay(): void
}

/**
 * Catches SIGTERM/SIGINT/SIGHUP until {@link DeferredSignals.replay}: while
 * workers start, Node's default action would end the parent with its workers
 * half-started. (Blocking them would not do: Node's other threads would take
 * them.)
 */
export function deferStopSignals(logger: Logger): DeferredSignals {
  const seen: NodeJS.Signals[] = []
  const listener = (sig: NodeJS.Signals) => {
    if (seen.length === 0)
      logger.info(`${sig} received while starting (${process.pid}): stopping once started`)
    if (!seen.includes(sig)) seen.push(sig)
  }
  const stops = SIGNALS.filter((s) => s !== 'SIGUSR1')
  for (const s of stops) process.on(s, listener)
  return {
    get caught() {
      return seen.length > 0
    },
    replay() {
      for (const s of stops) process.off(s, listener)
      for (const s of seen) process.emit(s, s)
    },
  }
}
