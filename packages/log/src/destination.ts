import { fstatSync, writeSync } from 'node:fs'
import { formatJson, formatText, type LogRecord } from './record.js'

/** How a destination renders records: JSON lines, or text a person reads. */
export type LogFormat = 'json' | 'text'

/** Where records go. Every destination of this package implements it; so may a consumer's own. */
export interface LogDestination {
  /** Writes one record. Never throws: a destination that cannot write falls back or drops. */
  write(record: LogRecord): void
  /**
   * Reopens what the destination writes to (a log file after logrotate moved
   * it). Throws a LogError when the new file cannot be opened; the old one
   * stays in use. Absent (or a no-op) where there is nothing to reopen.
   */
  reopen?(): void
  /** Resolves once every record handed over has left the process (datagrams in flight). */
  flush?(): Promise<void>
  /** Releases files and sockets; later writes are dropped. */
  close?(): void
  /** What it writes to, for messages: `standard error`, `file /var/log/x.log`, `syslog /dev/log`. */
  readonly description: string
}

/** Renders a record in `format`; `color` only for text on a terminal. */
export function renderRecord(record: LogRecord, format: LogFormat, color = false): string {
  return format === 'json' ? formatJson(record) : formatText(record, { color })
}

// A pipe or terminal that Node has put in non-blocking mode answers EAGAIN
// when full; wait a little rather than drop a line, but never hang a server
// on a reader that has stopped reading.
const EAGAIN_RETRIES = 200
const EAGAIN_WAIT_MS = 1
const sleeper = new Int32Array(new SharedArrayBuffer(4))

/**
 * Writes all of `text` to `fd` synchronously: a daemon that is about to exit
 * (or be killed) must not lose its last lines. Returns the error when it
 * could not (a closed fd, a full disk), having written what it could.
 */
export function writeAllSync(fd: number, text: string): Error | undefined {
  let off = 0
  try {
    off = writeSync(fd, text)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return err as Error
  }
  // the common case: the whole line in one write(2), as a regular file takes it
  if (off === text.length && off === Buffer.byteLength(text)) return undefined
  const buf = Buffer.from(text)
  let waits = 0
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && waits++ < EAGAIN_RETRIES) {
        Atomics.wait(sleeper, 0, 0, EAGAIN_WAIT_MS)
        continue
      }
      return err as Error
    }
  }
  return undefined
}

/**
 * Whether `fd` is a terminal. node:tty (which loads node:net) is asked only
 * about character devices: a server's stderr is usually a pipe or a file.
 */
export function isTerminal(fd: number): boolean {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false
  } catch {
    return false
  }
  return process.getBuiltinModule('node:tty').isatty(fd)
}

/** Whether `fd` is a terminal that takes colours (not with NO_COLOR, not TERM=dumb). */
export function terminalColors(fd: number, env: NodeJS.ProcessEnv = process.env): boolean {
  return isTerminal(fd) && env.NO_COLOR === undefined && env.TERM !== 'dumb'
}

/** Options of {@link fdDestination}. */
export interface FdDestinationOptions {
  /** `json`, `text`, or `auto` (default): text on a terminal, JSON otherwise. */
  format?: LogFormat | 'auto'
  /** Colours in text on a terminal; default: when the fd is a terminal and NO_COLOR is unset. */
  color?: boolean
  description?: string
}

/** Resolves `auto`: text when `fd` is a terminal, JSON otherwise. */
export function resolveFormat(format: LogFormat | 'auto' | undefined, fd: number): LogFormat {
  if (format === 'json' || format === 'text') return format
  return isTerminal(fd) ? 'text' : 'json'
}

/** Records as lines on an open file descriptor that this destination does not own (it never closes it). */
export function fdDestination(fd: number, options: FdDestinationOptions = {}): LogDestination {
  const format = resolveFormat(options.format, fd)
  const color = format === 'text' && (options.color ?? terminalColors(fd))
  return {
    description: options.description ?? `file descriptor ${fd}`,
    write(record) {
      // a closed or broken stderr must not take the process down: nowhere else to say it
      writeAllSync(fd, `${renderRecord(record, format, color)}\n`)
    },
  }
}

/** Records on standard error: text on a terminal, JSON lines otherwise (or as `format` says). */
export function stderrDestination(options: Omit<FdDestinationOptions, 'description'> = {}) {
  return fdDestination(2, { ...options, description: 'standard error' })
}

/** Every record to each of `destinations` (a log file and the console with `verbose`). */
export function teeDestination(...destinations: LogDestination[]): LogDestination {
  return {
    description: destinations.map((d) => d.description).join(' and '),
    write(record) {
      for (const d of destinations) d.write(record)
    },
    reopen() {
      let failure: unknown
      for (const d of destinations) {
        try {
          d.reopen?.()
        } catch (err) {
          failure ??= err
        }
      }
      if (failure !== undefined) throw failure
    },
    async flush() {
      await Promise.all(destinations.map((d) => d.flush?.()))
    },
    close() {
      for (const d of destinations) d.close?.()
    },
  }
}

/** Drops every record. */
export function nullDestination(): LogDestination {
  return { description: 'nowhere', write() {} }
}
