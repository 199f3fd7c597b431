import type { Logger } from '@forklift/log'

// A do-nothing Logger without loading pino: a pool worker that brings no
// logger of its own should start as fast and as small as bare Node (pino costs
// ~50 ms and ~15 MiB of RSS per process, and respawn time and idle RSS per
// worker are what the pool is measured on).
const noop = () => {}

/** A silent Logger that loads nothing. */
export function silentWorkerLogger(): Logger {
  const logger: Record<string, unknown> = {
    level: 'silent',
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
    fatal: noop,
    silent: noop,
    isLevelEnabled: () => false,
    bindings: () => ({}),
  }
  logger.child = () => logger
  return logger as unknown as Logger
}
