import { hostname } from 'node:os'
import {
  type LogDestination,
  type LogFormat,
  stderrDestination,
  teeDestination,
} from './destination.js'
import { openLogFile } from './file.js'
import {
  isLogLevel,
  LEVEL_VALUES,
  type LogLevel,
  levelThreshold,
  type RecordLevel,
} from './levels.js'
import { isoNow, type LogRecord, parseRecordLine, RECORD_KEYS } from './record.js'
import { installReopenSignal } from './reopen.js'
import { syslogDestination } from './syslog.js'
import { unixDatagramSender } from './transport.js'

// LOG_USER, oslo.log's default syslog_log_facility.
const SYSLOG_USER = 1

/**
 * One logging method, in pino's call shapes: `log.info('text')`,
 * `log.info({ port }, 'text')`, `log.error(err)` or `log.error({ err }, 'text')`.
 */
export interface LogFn {
  (msg: string): void
  (fields: object, msg?: string): void
}

/**
 * What every forklift library accepts: four levels and `child`. pino's
 * loggers satisfy it, and so does anything with these methods (a console
 * wrapper, a test recorder), so a consumer passes their own.
 */
export interface MinimalLogger {
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
  /** A logger whose records also carry `bindings` (`{ worker: 2 }`). */
  child(bindings: Record<string, unknown>): MinimalLogger
}

/**
 * The logger this package makes: {@link MinimalLogger} plus trace/fatal, the
 * level, and the bindings — the subset of pino's Logger that forklift uses,
 * so a pino logger fits here too.
 */
export interface Logger extends MinimalLogger {
  trace: LogFn
  fatal: LogFn
  /** The threshold level's name (`info`, or `silent`). */
  readonly level: string
  /** True when a record at `level` would be written. */
  isLevelEnabled(level: string): boolean
  /** The fields this logger adds to each record (`server`, `pid`, `hostname`, and children's bindings). */
  bindings(): Record<string, unknown>
  child(bindings: Record<string, unknown>): Logger
  /** Calls `cb` once every record so far has left the process. */
  flush(cb?: (err?: Error) => void): void
}

/** A logger of this package that owns its destination: it can reopen and close it. */
export interface ServerLogger extends Logger {
  child(bindings: Record<string, unknown>): ServerLogger
  /** Where records go. */
  readonly destination: LogDestination
  /** Reopens the destination (a log file after logrotate moved it); throws LogError when it cannot (the old file stays in use). */
  reopen(): void
  /** Resolves once every record so far has left the process (datagrams in flight). */
  flushed(): Promise<void>
  /** Closes the destination's files and sockets. */
  close(): void
}

// Fields named like a record key are kept under a suffixed name: every key
// appears once in a line, and nothing a caller logged is lost.
function fieldKey(key: string): string {
  return RECORD_KEYS.has(key) ? `${key}_` : key
}

function cleanBindings(bindings: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(bindings)) out[fieldKey(key)] = bindings[key]
  return out
}

let cachedHostname: string | undefined

interface Core {
  readonly level: LogLevel
  readonly threshold: number
  readonly destination: LogDestination
  readonly server: string
  readonly pid: number
  readonly hostname: string
}

const BRAND = Symbol.for('forklift.log.logger')

class ForkliftLogger implements ServerLogger {
  readonly #core: Core
  readonly #bindings: Record<string, unknown>

  constructor(core: Core, bindings: Record<string, unknown>) {
    this.#core = core
    this.#bindings = bindings
  }

  get [BRAND](): true {
    return true
  }

  get level(): string {
    return this.#core.level
  }

  get destination(): LogDestination {
    return this.#core.destination
  }

  isLevelEnabled(level: string): boolean {
    return isLogLevel(level) && level !== 'silent' && LEVEL_VALUES[level] >= this.#core.threshold
  }

  bindings(): Record<string, unknown> {
    const { server, pid, hostname } = this.#core
    return { server, pid, hostname, ...this.#bindings }
  }

  child(bindings: Record<string, unknown>): ServerLogger {
    return new ForkliftLogger(this.#core, { ...this.#bindings, ...cleanBindings(bindings) })
  }

  trace(a?: unknown, b?: string): void {
    if (this.#core.threshold <= 10) this.#log('trace', a, b)
  }
  debug(a?: unknown, b?: string): void {
    if (this.#core.threshold <= 20) this.#log('debug', a, b)
  }
  info(a?: unknown, b?: string): void {
    if (this.#core.threshold <= 30) this.#log('info', a, b)
  }
  warn(a?: unknown, b?: string): void {
    if (this.#core.threshold <= 40) this.#log('warn', a, b)
  }
  error(a?: unknown, b?: string): void {
    if (this.#core.threshold <= 50) this.#log('error', a, b)
  }
  fatal(a?: unknown, b?: string): void {
    if (this.#core.threshold <= 60) this.#log('fatal', a, b)
  }

  #log(level: RecordLevel, a: unknown, b: string | undefined): void {
    const { server, pid, hostname } = this.#core
    const record: Record<string, unknown> = {
      level,
      time: isoNow(),
      server,
      pid,
      hostname,
    }
    for (const key in this.#bindings) record[key] = this.#bindings[key]
    let msg: unknown = b
    if (typeof a === 'string') msg = a
    else if (a instanceof Error) {
      record.err = a
      msg ??= a.message
    } else if (typeof a === 'object' && a !== null) {
      for (const key of Object.keys(a)) {
        const value = (a as Record<string, unknown>)[key]
        if (key === 'msg' && msg === undefined) msg = value
        else record[fieldKey(key)] = value
      }
    } else if (a !== undefined) msg = String(a)
    record.msg = typeof msg === 'string' ? msg : msg === undefined ? '' : String(msg)
    this.#core.destination.write(record as LogRecord)
  }

  /** A record parsed from another process's line, written with its own origin (pid, time) kept. */
  relay(parsed: Partial<LogRecord>): void {
    const level = parsed.level ?? 'info'
    if (LEVEL_VALUES[level] < this.#core.threshold) return
    const { server, pid, hostname } = this.#core
    const record: Record<string, unknown> = {
      level,
      time: parsed.time ?? isoNow(),
      server: parsed.server ?? server,
      pid: parsed.pid ?? pid,
      hostname: parsed.hostname ?? hostname,
    }
    for (const key in this.#bindings) if (!(key in parsed)) record[key] = this.#bindings[key]
    for (const key of Object.keys(parsed)) {
      if (!RECORD_KEYS.has(key)) record[key] = parsed[key]
    }
    record.msg = parsed.msg ?? ''
    this.#core.destination.write(record as LogRecord)
  }

  flush(cb?: (err?: Error) => void): void {
    this.flushed().then(
      () => cb?.(),
      (err: Error) => cb?.(err),
    )
  }

  flushed(): Promise<void> {
    return this.#core.destination.flush?.() ?? Promise.resolve()
  }

  reopen(): void {
    this.#core.destination.reopen?.()
  }

  close(): void {
    this.#core.destination.close?.()
  }
}

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** The server or daemon name, stamped on every line as `server`. */
  name: string
  /** Minimum level; default `info`, or `debug` when `verbose`. */
  level?: LogLevel
  verbose?: boolean
  /**
   * A file to append to (opened safely: see openLogFile; its directory must
   * exist unless `createDir`). Default: standard error. Ignored when
   * `destination` is given.
   */
  file?: string
  /** Create the missing directories of `file`. Default false. */
  createDir?: boolean
  /** `json`, `text`, or `auto` (default): JSON in files, text on a terminal. */
  format?: LogFormat | 'auto'
  /** Extra fields for every line. */
  bindings?: Record<string, unknown>
  /**
   * With `file`: reopen it on SIGUSR2 (logrotate), logging `log file
   * reopened` there; installs a process-wide handler. Default false.
   */
  reopenOnSignal?: boolean
  /**
   * Also send every record to syslog, beside `file` or standard error (as
   * oslo.log's use_syslog adds a syslog handler beside the others). Plain
   * data, so a worker given these options opens its own socket. While
   * syslog cannot take records, the other destination gets one warning
   * and keeps every record. Ignored when `destination` is given.
   */
  syslog?: LoggerSyslogOptions
}

/** {@link CreateLoggerOptions.syslog}. */
export interface LoggerSyslogOptions {
  /** A unix datagram socket: a path or `@name`; default `/dev/log`. */
  address?: string
  /** Facility code (see parseFacility); default LOG_USER (1), oslo.log's default. */
  facility?: number
  /** The syslog tag; default the logger's `name`. */
  tag?: string
}

/** {@link createLogger}'s options that cannot cross a process boundary. */
export interface CreateLoggerRuntimeOptions {
  /** Where records go; default from `file`, else standard error. */
  destination?: LogDestination
  /** The `pid` stamped on lines; default process.pid. */
  pid?: number
}

/**
 * A logger writing records (see LogRecord) with `server`, `pid` and
 * `hostname` on each, to a file, standard error, or any destination.
 * Writes are synchronous for files and standard error, so that a daemon's
 * last lines before exit are never lost. Throws LogError when `file`
 * cannot be opened safely.
 */
export function createLogger(
  options: CreateLoggerOptions,
  runtime: CreateLoggerRuntimeOptions = {},
): ServerLogger {
  const level = options.level ?? (options.verbose ? 'debug' : 'info')
  if (!isLogLevel(level)) throw new TypeError(`unknown log level ${JSON.stringify(level)}`)
  const format = options.format ?? 'auto'
  let destination =
    runtime.destination ??
    (options.file !== undefined
      ? openLogFile(options.file, {
          format: format === 'text' ? 'text' : 'json',
          createDir: options.createDir === true,
        })
      : stderrDestination({ format }))
  if (options.syslog && runtime.destination === undefined) {
    destination = withSyslog(destination, options.syslog)
  }
  cachedHostname ??= hostname()
  const core: Core = {
    level,
    threshold: levelThreshold(level),
    destination,
    server: options.name,
    pid: runtime.pid ?? process.pid,
    hostname: cachedHostname,
  }
  const logger = new ForkliftLogger(core, cleanBindings(options.bindings ?? {}))
  if (options.reopenOnSignal && options.file !== undefined && runtime.destination === undefined) {
    installReopenSignal(logger, { logger })
  }
  return logger
}

function withSyslog(primary: LogDestination, opts: LoggerSyslogOptions): LogDestination {
  const syslog = syslogDestination({
    sender: unixDatagramSender(opts.address ?? '/dev/log'),
    facility: opts.facility ?? SYSLOG_USER,
    alongside: primary,
    ...(opts.tag === undefined ? {} : { tag: opts.tag }),
  })
  return teeDestination(primary, syslog)
}

/**
 * A worker process's logger: JSON lines on standard error, always (the
 * parent reads them and writes them to the real destination with
 * {@link relayLine}), so a worker never opens a log file or socket and the
 * parent alone reopens them.
 */
export function createWorkerLogger(options: {
  name: string
  level?: LogLevel
  bindings?: Record<string, unknown>
}): ServerLogger {
  return createLogger(
    { ...options, format: 'json' },
    { destination: stderrDestination({ format: 'json' }) },
  )
}

function isOurs(logger: MinimalLogger): logger is ForkliftLogger {
  return (logger as { [BRAND]?: unknown })[BRAND] === true
}

/**
 * One line a child process wrote, into `logger`: a record line (ours, or a
 * pino JSON line) keeps its level, time, pid and fields, with `logger`'s
 * bindings (worker, generation) added where the line has none; any other
 * line is {@link stdioLine} output. Blank lines are dropped. With a logger
 * that is not this package's, a record is replayed through its level
 * method (its own time and pid then win).
 */
export function relayLine(
  logger: MinimalLogger,
  line: string,
  stream: 'stdout' | 'stderr' = 'stderr',
): void {
  if (line.trim() === '') return
  const parsed = parseRecordLine(line)
  if (parsed === undefined) {
    stdioLine(logger, stream, line)
    return
  }
  if (isOurs(logger)) {
    logger.relay(parsed)
    return
  }
  const {
    level = 'info',
    msg = '',
    time: _t,
    server: _s,
    pid: _p,
    hostname: _h,
    ...fields
  } = parsed
  const method =
    (logger as unknown as Partial<Record<RecordLevel, LogFn>>)[level] ??
    (level === 'trace' ? logger.debug : level === 'fatal' ? logger.error : logger.info)
  method.call(logger, fields, msg)
}

/**
 * Text a process wrote to stdout or stderr outside the logger (console.log,
 * a stray print), as a record: `STDOUT: text` at info, `STDERR: text` at
 * error — Swift's capture_stdio prefixes. Trailing newlines are dropped.
 */
export function stdioLine(logger: MinimalLogger, stream: 'stdout' | 'stderr', text: string): void {
  const line = text.replace(/\r?\n$/, '')
  if (stream === 'stdout') logger.info(`STDOUT: ${line}`)
  else logger.error(`STDERR: ${line}`)
}
