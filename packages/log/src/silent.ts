import { nullDestination } from './destination.js'
import type { ServerLogger } from './logger.js'

const noop = (): void => {}

const SILENT: ServerLogger = Object.freeze({
  level: 'silent',
  destination: nullDestination(),
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  isLevelEnabled: () => false,
  bindings: () => ({}),
  child: () => SILENT,
  flush: (cb?: (err?: Error) => void) => cb?.(),
  flushed: () => Promise.resolve(),
  reopen: noop,
  close: noop,
})

/** A logger that drops everything: the default for libraries given none. */
export function silentLogger(): ServerLogger {
  return SILENT
}
