// The runner's loggers, all made by @forklift/log (the one place a log line
// is formatted or written): the parent's from Swift's log options in the
// server's conf, a worker's as JSON lines on its stderr for the pool to relay.
import type { ServerConf } from '@forklift/config'
import { formatError } from '@forklift/errors'
import {
  createLogger,
  createWorkerLogger,
  type MinimalLogger,
  type ServerLogger,
} from '@forklift/log'
import { createServerLogger, logDestinationFromConf, logOptionsFromConf } from '@forklift/log/conf'
import { captureStdio, sameOpenFile } from '@forklift/privileges'

/** Options of {@link serverLogger}. */
export interface ServerLoggerOptions {
  /** swift-init's no-daemon: debug level, every record on the console too. */
  verbose?: boolean
  /** Reopen `log_file` on SIGUSR2 (logrotate's postrotate). Default true. */
  reopenOnSignal?: boolean
  /**
   * `--test-config`: check the log options and that `log_file` opens safely
   * (then close it), and log to standard error, where the operator who
   * asked reads the answer — without the no-syslog warning.
   */
  testConfig?: boolean
}

/**
 * The logger a server or daemon process logs through, from its conf as
 * Swift's get_logger reads it (`log_name`, `log_level`, `log_facility`,
 * `log_address`, `log_udp_host`/`log_udp_port`, `log_format`) plus forklift's
 * `log_file` (opened without following symlinks; reopened on SIGUSR2). With
 * no `log_file` and no syslog socket it logs to standard error after one
 * warning. Throws LogConfigError naming file, section and key.
 */
export function serverLogger(server: ServerConf, options: ServerLoggerOptions = {}): ServerLogger {
  const where = { file: server.file, section: server.section }
  if (options.testConfig) {
    const chosen = logDestinationFromConf(server.conf, { name: server.logName, where })
    chosen.destination.close?.()
    const { name, level, format } = chosen.options
    return createLogger({ name, level: options.verbose ? 'debug' : level, format })
  }
  return createServerLogger(server.conf, {
    name: server.logName,
    where,
    reopenOnSignal: options.reopenOnSignal !== false,
    ...(options.verbose ? { level: 'debug' as const, console: true } : {}),
  })
}

/**
 * A worker process's logger: JSON records on its stderr, which the pool
 * reads and writes to the parent's destination (so a worker opens no log
 * file or socket and rotation is the parent's alone), at the conf's level.
 */
export function workerLogger(
  server: ServerConf,
  options: { verbose?: boolean } = {},
): ServerLogger {
  const opts = logOptionsFromConf(server.conf, {
    name: server.logName,
    where: { file: server.file, section: server.section },
  })
  return createWorkerLogger({ name: opts.name, level: options.verbose ? 'debug' : opts.level })
}

/**
 * Whether records of `logger` are written to this process's standard error
 * (stderr must then stay open). A logger not of @forklift/log (the caller's
 * own) is taken to write elsewhere, as before it was.
 */
export function logsToStderr(logger: MinimalLogger): boolean {
  const description = (logger as Partial<ServerLogger>).destination?.description
  return description?.includes('standard error') === true
}

/** Logs a start-up failure at fatal where the operator reads logs, unless that is standard error (the caller prints it there). */
export function logStartupFailure(logger: MinimalLogger, err: unknown): void {
  const description = (logger as Partial<ServerLogger>).destination?.description
  if (description === undefined || description === 'standard error') return
  const fatal = (logger as Partial<ServerLogger>).fatal ?? logger.error
  fatal.call(logger, { err }, `start-up failed: ${formatError(err)}`)
}

/**
 * Swift's capture_stdio at readiness, for a logger of ours: fd 1 (and fd 2,
 * unless records are written there and it is not stdout's pipe) point at
 * /dev/null and later writes become records. When records were going to a
 * stderr that must close (swift-init's one pipe, read to EOF), says so
 * first, in the last lines the starter reads: logging never stops silently.
 */
export function captureServerStdio(logger: MinimalLogger, verbose: boolean): void {
  const toStderr = logsToStderr(logger)
  const keepStderr = verbose || (toStderr && !sameOpenFile(1, 2))
  if (toStderr && !keepStderr) {
    logger.warn(
      "standard error is the starter's pipe and closes now: later log lines are lost (set log_file, or start a syslog daemon)",
    )
  }
  captureStdio({ logger, keepStderr })
}
