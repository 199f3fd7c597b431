import { pino } from 'pino'

/** The logger every forklift library accepts: pino's, so callers may pass their own. */
export type Logger = pino.Logger

/** Log levels, lowest to highest. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'

export interface CreateLoggerOptions {
  /** The server or daemon name, stamped on every line as `server`. */
  name: string
  /** Minimum level; default `info`, or `debug` when `verbose`. */
  level?: LogLevel
  verbose?: boolean
  /** A file to append to; default standard error. */
  file?: string
  /** Extra fields for every line. */
  bindings?: Record<string, unknown>
}

/**
 * Creates a JSON-lines logger with `server` and `pid` on every line.
 * Writes synchronously: a daemon that is about to exit (or be killed) must not
 * lose its last lines, and log volume in a launcher is small.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const level = options.level ?? (options.verbose ? 'debug' : 'info')
  const destination = pino.destination({
    dest: options.file ?? 2,
    sync: true,
    mkdir: options.file !== undefined,
  })
  return pino(
    {
      level,
      base: { server: options.name, pid: process.pid, ...options.bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  )
}

/** A logger that drops everything: the default for libraries given none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
