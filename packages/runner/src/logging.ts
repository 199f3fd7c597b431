import { formatError } from '@forklift/errors'
import { createLogger, type Logger, type LogLevel } from '@forklift/log'
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

/** The logger a server or daemon logs through: `log_name`, `log_level`, `log_file` from its conf. */
export function serverLogger(
  name: string,
  conf: Record<string, string>,
  options: { verbose?: boolean } = {},
): Logger {
  const level = confLogLevel(conf, options)
  const file = options.verbose ? undefined : conf.log_file?.trim() || undefined
  // On stderr the JSON-lines logger writes the lines pino would, and spares
  // every server process loading pino (~30 ms of start-up).
  if (file === undefined) return jsonLinesLogger({ name, ...(level ? { level } : {}) })
  try {
    return createLogger({
      name,
      ...(level ? { level } : {}),
      ...(file ? { file } : {}),
    })
  } catch (err) {
    throw new RunnerError('E_RUNNER_OPTION', `log_file ${file}: ${formatError(err)}`, {
      cause: err,
    })
  }
}
