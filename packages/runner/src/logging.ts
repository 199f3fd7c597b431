import { mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { formatError } from '@forklift/errors'
import type { Logger, LogLevel } from '@forklift/log'
import { jsonLinesLogger } from './_json-logger.js'
import { RunnerError } from './errors.js'

// Swift's log_level names (Python logging) to pino's.
const LEVELS: Record<string, LogLevel> = {
  DEBUG: 'debug',
  INFO: 'info',
  NOTICE: 'info',
  WARN: 'warn',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
  FATAL: 'fatal',
}

/** The log level a conf asks for (`log_level`, Swift's names), or debug with `verbose`. */
export function confLogLevel(
  conf: Record<string, string>,
  options: { verbose?: boolean } = {},
): LogLevel | undefined {
  if (options.verbose) return 'debug'
  return conf.log_level ? LEVELS[conf.log_level.trim().toUpperCase()] : undefined
}

/** A worker's logger: JSON lines on stderr (the pool relays them), at the conf's level, without pino. */
export function workerLogLines(
  name: string,
  conf: Record<string, string>,
  options: { verbose?: boolean } = {},
): Logger {
  const level = confLogLevel(conf, options)
  return jsonLinesLogger({ name, ...(level ? { level } : {}) })
}

/**
 * The logger a server or daemon logs through: `log_name`, `log_level`, `log_file` from its conf.
 * JSON lines (the ones @forklift/log's pino logger writes) on stderr or appended to
 * `log_file` (its directory created), written synchronously. Not pino itself: loading
 * pino costs every server process ~30 ms of start-up.
 */
export function serverLogger(
  name: string,
  conf: Record<string, string>,
  options: { verbose?: boolean } = {},
): Logger {
  const level = confLogLevel(conf, options)
  const file = options.verbose ? undefined : conf.log_file?.trim() || undefined
  let fd = 2
  if (file !== undefined) {
    try {
      mkdirSync(dirname(file), { recursive: true })
      fd = openSync(file, 'a')
    } catch (err) {
      throw new RunnerError('E_RUNNER_OPTION', `log_file ${file}: ${formatError(err)}`, {
        cause: err,
      })
    }
  }
  return jsonLinesLogger({ name, fd, ...(level ? { level } : {}) })
}
