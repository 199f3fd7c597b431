import { writeSync } from 'node:fs'
import type { Logger, LogLevel } from '@forklift/log'

// A worker's logger: the JSON lines @forklift/log's pino logger writes
// (level label, ISO time, server, pid, bindings, msg), on stderr, which the
// worker pool reads and relays into the parent's log. Not pino itself: pino
// costs ~14 MiB of RSS and ~50 ms of start-up in every worker, and idle
// worker RSS and respawn time are what a pool is measured on.

const LEVELS: Record<Exclude<LogLevel, 'silent'>, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
}

function serialize(value: unknown): unknown {
  if (!(value instanceof Error)) return value
  const { name, message, stack } = value
  const code = (value as { code?: unknown }).code
  return { type: name, message, stack, ...(code !== undefined ? { code } : {}) }
}

/** A pino-compatible subset (level methods, child, level, isLevelEnabled) writing JSON lines to `fd`. */
export function jsonLinesLogger(options: {
  name: string
  level?: LogLevel
  bindings?: Record<string, unknown>
  fd?: number
}): Logger {
  const fd = options.fd ?? 2
  const threshold =
    options.level === 'silent' ? Number.POSITIVE_INFINITY : LEVELS[options.level ?? 'info']
  const base = { server: options.name, pid: process.pid, ...options.bindings }
  const logger: Record<string, unknown> = {
    level: options.level ?? 'info',
    isLevelEnabled: (level: LogLevel) => level !== 'silent' && LEVELS[level] >= threshold,
    bindings: () => ({ ...base }),
    child: (bindings: Record<string, unknown>) =>
      jsonLinesLogger({ ...options, bindings: { ...options.bindings, ...bindings } }),
    silent: () => {},
  }
  for (const [label, value] of Object.entries(LEVELS)) {
    logger[label] = (objOrMsg?: unknown, msg?: string) => {
      if (value < threshold) return
      const fields: Record<string, unknown> = {}
      let text = msg
      if (typeof objOrMsg === 'string') text = objOrMsg
      else if (objOrMsg instanceof Error) fields.err = serialize(objOrMsg)
      else if (objOrMsg && typeof objOrMsg === 'object') {
        for (const [k, v] of Object.entries(objOrMsg)) fields[k] = serialize(v)
      }
      const line = {
        level: label,
        time: new Date().toISOString(),
        ...base,
        ...fields,
        msg: text ?? '',
      }
      try {
        writeSync(fd, `${JSON.stringify(line)}\n`)
      } catch {
        // a closed or full stderr must not take the worker down
      }
    }
  }
  return logger as unknown as Logger
}
