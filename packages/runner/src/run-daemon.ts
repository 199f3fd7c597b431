import {
  configFloatValue,
  configTrueValue,
  loadServerConf,
  type ServerConf,
} from '@forklift/config'
import type { MinimalLogger as Logger } from '@forklift/log'
import { notifyReady, notifyStopping } from '@forklift/notify'
import { startWatchdog } from '@forklift/notify/keepalive'
import { checkUser, cleanUpDaemonHygiene, configuredUser, dropToUser } from '@forklift/privileges'
import { captureServerStdio, logStartupFailure, serverLogger } from './logging.js'

/** What a daemon's pass gets. */
export interface DaemonPassContext {
  conf: Record<string, string>
  logger: Logger
  /** True when this is the only pass (`once`). */
  once: boolean
  /** 1 for the first pass, then 2, 3, … */
  pass: number
  /** Aborted when the daemon is told to stop (SIGTERM): long passes should give up. */
  signal: AbortSignal
}

/** Options of {@link runDaemon}. */
export interface RunDaemonOptions {
  /** The conf section, e.g. `object-replicator` (`[object-replicator]`). */
  section: string
  /** One pass, then exit (also when the conf says `daemonize = false`). */
  once?: boolean
  /** Log to the console at debug level (swift-init passes `verbose` with no-daemon). */
  verbose?: boolean
  /** Validate the config and exit without running. */
  testConfig?: boolean
  /** Seconds between the starts of two passes; default the conf's `interval`, else 30. */
  interval?: number
  /** One pass of the daemon's work. */
  run: (ctx: DaemonPassContext) => void | Promise<void>
  /** Use this logger instead of one built from the conf. */
  logger?: Logger
}

const DEFAULT_INTERVAL_S = 30

/**
 * Swift's run_daemon: load `[DEFAULT]` + the daemon's section, drop to `user`,
 * daemon hygiene, close stdio (swift-init's readiness signal), READY=1, then
 * run `run` once or every `interval` seconds until SIGTERM (stop now: the
 * pass's signal is aborted) or SIGHUP (finish the current pass, then exit).
 * Installs SIGTERM/SIGHUP handlers while it runs (that is its job) and
 * resolves with the exit status; the caller exits. Config errors throw
 * ConfigError before anything starts.
 */
export async function runDaemon(confPath: string, options: RunDaemonOptions): Promise<number> {
  const server: ServerConf = loadServerConf(confPath, { section: options.section })
  const { conf } = server
  const where = { file: server.file, section: server.section, key: 'interval' }
  const interval =
    options.interval ??
    (conf.interval ? configFloatValue(conf.interval, where) : DEFAULT_INTERVAL_S)
  const once =
    options.once === true || (conf.daemonize !== undefined && !configTrueValue(conf.daemonize))
  const user = configuredUser(conf)
  checkUser(user)
  if (options.testConfig) {
    // the log options and log_file too: a daemon that cannot log must not pass
    serverLogger(server, { testConfig: true })
    return 0
  }

  const logger = options.logger ?? serverLogger(server, options.verbose ? { verbose: true } : {})
  try {
    dropToUser(user, logger)
  } catch (err) {
    logStartupFailure(logger, err)
    throw err
  }
  cleanUpDaemonHygiene()
  captureServerStdio(logger, options.verbose === true)

  const stop = new AbortController()
  let finishing = false
  let wake: (() => void) | undefined
  const onTerm = () => {
    logger.info(`SIGTERM received (${process.pid})`)
    stop.abort()
    wake?.()
  }
  const onHup = () => {
    logger.info(`SIGHUP received (${process.pid}): exiting after this pass`)
    finishing = true
    wake?.()
  }
  process.on('SIGTERM', onTerm)
  process.on('SIGHUP', onHup)
  logger.info(`Starting ${process.pid}`)
  await notifyReady({ logger })
  // A pass stuck in a busy loop stops the pings (they run on this loop).
  const watchdog = startWatchdog({ logger })
  try {
    for (let pass = 1; !stop.signal.aborted; pass++) {
      const started = Date.now()
      const running = Promise.resolve(
        options.run({ conf, logger, once, pass, signal: stop.signal }),
      )
      // SIGTERM stops now: do not wait for a pass that ignores its signal.
      const aborted = new Promise<'aborted'>((resolve) =>
        stop.signal.addEventListener('abort', () => resolve('aborted'), { once: true }),
      )
      try {
        if ((await Promise.race([running, aborted])) === 'aborted') break
      } catch (err) {
        logger.error({ err }, `pass ${pass} failed`)
      }
      if (once || finishing) break
      const waitMs = Math.max(0, started + interval * 1000 - Date.now())
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs)
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      wake = undefined
      if (finishing) break
    }
  } finally {
    watchdog?.stop()
    process.off('SIGTERM', onTerm)
    process.off('SIGHUP', onHup)
  }
  await notifyStopping({ logger })
  logger.info(`Exited (${process.pid})`)
  return 0
}
