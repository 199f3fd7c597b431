import { formatError } from '@forklift/errors'
import { createLogger, type Logger, type LogLevel } from '@forklift/log'
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

/** The logger a server or daemon logs through: `log_name`, `log_level`, `log_file` from its conf. */
export function serverLogger(
  name: string,
  conf: Record<string, string>,
  options: { verbose?: boolean } = {},
): Logger {
  const level = conf.log_level ? LEVELS[conf.log_level.trim().toUpperCase()] : undefined
  const file = options.verbose ? undefined : conf.log_file?.trim() || undefined
  try {
    return createLogger({
      name,
      ...(options.verbose ? { level: 'debug' as const } : level ? { level } : {}),
      ...(file ? { file } : {}),
    })
  } catch (err) {
    throw new RunnerError('E_RUNNER_OPTION', `log_file ${file}: ${formatError(err)}`, {
      cause: err,
    })
  }
}
