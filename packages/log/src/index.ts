import { createRequire } from 'node:module'
import type * as Pino from 'pino'

/** The logger every forklift library accepts: pino's, so callers may pass their own. */
export type Logger = Pino.Logger

// pino is loaded on first use, not on import: libraries import this package
// for `silentLogger()` even in processes that never log (pool workers), and
// pino's import graph costs several MiB of RSS in every such process.
let pinoModule: typeof Pino | undefined
function loadPino(): typeof Pino {
  pinoModule ??= createRequire(import.meta.url)('pino') as typeof Pino
  return pinoModule
}

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
  const { pino } = loadPino()
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

const noop = (): void => {}

// Every method of a pino logger is a no-op here; `child()` returns the same
// silent logger. A Proxy covers the whole pino surface without loading pino.
const SILENT: Logger = new Proxy({} as Logger, {
  get(_target, prop) {
    switch (prop) {
      case 'level':
        return 'silent'
      case 'levelVal':
        return Number.POSITIVE_INFINITY
      case 'child':
        return () => SILENT
      case 'isLevelEnabled':
        return () => false
      case 'bindings':
        return () => ({})
      case 'then':
        return undefined
      default:
        return typeof prop === 'symbol' ? undefined : noop
    }
  },
  set() {
    return true
  },
})

/** A logger that drops everything, without loading pino: the default for libraries given none. */
export function silentLogger(): Logger {
  return SILENT
}
