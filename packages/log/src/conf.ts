/**
 * Swift's log options, read from a server's conf section as Swift's
 * get_logger reads them, and the logger they describe. A separate entry
 * (`@forklift/log/conf`) because it needs @forklift/config, which a process
 * that only logs does not.
 */
import { statSync } from 'node:fs'
import { type ConfigWhere, configTrueValue, LocatedError } from '@forklift/config'
import { printable, quoteInput } from '@forklift/errors'
import {
  type LogDestination,
  type LogFormat,
  stderrDestination,
  teeDestination,
} from './destination.js'
import { isLogError, type LogErrorCode } from './errors.js'
import { openLogFile } from './file.js'
import {
  DEFAULT_FACILITY,
  FACILITY_NAMES,
  type LogLevel,
  parseFacility,
  parseSwiftLevel,
  SWIFT_LEVEL_NAMES,
} from './levels.js'
import { createLogger, createWorkerLogger, type ServerLogger } from './logger.js'
import { installReopenSignal, LOG_REOPEN_SIGNAL } from './reopen.js'
import { syslogDestination } from './syslog.js'
import { udpDatagramSender, unixDatagramSender } from './transport.js'

/** A log option's bad value, or a log file that cannot be used, located in its config file. */
export class LogConfigError extends LocatedError<LogErrorCode> {
  override name = 'LogConfigError'
}

/** A conf section as the runner has it: string values by key. */
export type LogConf = Readonly<Record<string, string | undefined>>

/** The log options of a conf section, parsed. */
export interface LogOptions {
  /** `log_name`, else the given name, else `swift`: the `server` of every record and the syslog tag. */
  name: string
  /** `log_level` (Swift's names: DEBUG, INFO, NOTICE, WARNING, ERROR, CRITICAL); default info. */
  level: LogLevel
  /** `log_facility` as a code; default LOG_LOCAL0 (16). */
  facility: number
  /** `log_address`; default `/dev/log`. */
  address: string
  /** `log_udp_host`: syslog over UDP instead of `log_address`. */
  udpHost: string | undefined
  /** `log_udp_port`; default 514. */
  udpPort: number
  /** `log_file` (forklift's, Swift has none): append to this file instead of syslog; `-` is standard error. */
  file: string | undefined
  /** `log_file_mkdir`: create `log_file`'s missing directories; default false. */
  createDir: boolean
  /** `log_format = json | text`; `auto` when unset or another value (Swift's access-log template). */
  format: LogFormat | 'auto'
  /** `log_max_line_length`: text and syslog messages longer than this are cut in the middle; 0 = no limit. */
  maxLineLength: number
}

/** Where a conf section came from, for error messages. */
export interface LogConfWhere {
  file?: string | undefined
  section?: string | undefined
}

function fail(
  where: LogConfWhere,
  key: string,
  problem: string,
  code: LogErrorCode = 'E_LOG_OPTION',
  cause?: unknown,
): LogConfigError {
  const at: ConfigWhere = { ...where, key }
  return new LogConfigError(code, at, problem, cause === undefined ? undefined : { cause })
}

function intOption(
  conf: LogConf,
  key: string,
  where: LogConfWhere,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = conf[key]?.trim()
  if (raw === undefined || raw === '') return fallback
  if (!/^[+-]?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw fail(where, key, `expected an integer from ${min} to ${max}, got ${quoteInput(raw)}`)
  }
  return Number(raw)
}

/**
 * Reads Swift's log options (`log_name`, `log_level`, `log_facility`,
 * `log_address`, `log_udp_host`, `log_udp_port`, `log_max_line_length`,
 * `log_format`) and forklift's (`log_file`, `log_file_mkdir`) from a conf
 * section. Throws LogConfigError `E_LOG_OPTION` naming the file, section and
 * key for a value Swift would silently replace by its default (an unknown
 * level or facility): an operator's typo should not quietly change where
 * logs go.
 */
export function logOptionsFromConf(
  conf: LogConf,
  options: { name?: string; where?: LogConfWhere } = {},
): LogOptions {
  const where = options.where ?? {}
  const str = (key: string) => {
    const v = conf[key]?.trim()
    return v === undefined || v === '' ? undefined : v
  }
  const levelText = str('log_level')
  const level = levelText === undefined ? 'info' : parseSwiftLevel(levelText)
  if (level === undefined) {
    throw fail(
      where,
      'log_level',
      `unknown level ${quoteInput(levelText ?? '')} (expected one of ${SWIFT_LEVEL_NAMES.join(', ')})`,
    )
  }
  const facilityText = str('log_facility')
  const facility = facilityText === undefined ? DEFAULT_FACILITY : parseFacility(facilityText)
  if (facility === undefined) {
    throw fail(
      where,
      'log_facility',
      `unknown facility ${quoteInput(facilityText ?? '')} (expected one of ${FACILITY_NAMES.join(', ')})`,
    )
  }
  const formatText = str('log_format')?.toLowerCase()
  return {
    name: str('log_name') ?? options.name ?? 'swift',
    level,
    facility,
    address: str('log_address') ?? '/dev/log',
    udpHost: str('log_udp_host'),
    udpPort: intOption(conf, 'log_udp_port', where, 514, 1, 65535),
    file: str('log_file'),
    createDir: configTrueValue(str('log_file_mkdir')),
    format: formatText === 'json' || formatText === 'text' ? formatText : 'auto',
    maxLineLength: intOption(conf, 'log_max_line_length', where, 0, 0, 2 ** 31 - 1),
  }
}

/** What {@link logDestinationFromConf} chose. */
export interface ConfDestination {
  destination: LogDestination
  options: LogOptions
  /** The one warning to log when syslog was asked for but is not there (records go to standard error instead). */
  warning: string | undefined
}

function socketProblem(address: string): string | undefined {
  try {
    return statSync(address).isSocket() ? undefined : 'not a socket'
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)
  }
}

/**
 * The destination a conf section asks for, as Swift chooses: `log_file`
 * (forklift's: a file, opened safely, or `-` for standard error), else syslog
 * over UDP when `log_udp_host` is set, else syslog at `log_address` when it
 * is a unix socket. When it is not (no syslog daemon: Swift would send UDP to
 * localhost:514 and lose everything), records go to standard error and
 * `warning` says so once. Throws LogConfigError when `log_file` cannot be
 * opened safely or an option is bad.
 */
export function logDestinationFromConf(
  conf: LogConf,
  options: { name?: string; where?: LogConfWhere; parsed?: LogOptions } = {},
): ConfDestination {
  const where = options.where ?? {}
  const opts = options.parsed ?? logOptionsFromConf(conf, options)
  if (opts.file === '-') {
    return {
      destination: stderrDestination({ format: opts.format }),
      options: opts,
      warning: undefined,
    }
  }
  if (opts.file !== undefined) {
    try {
      const destination = openLogFile(opts.file, {
        format: opts.format === 'text' ? 'text' : 'json',
        createDir: opts.createDir,
      })
      return { destination, options: opts, warning: undefined }
    } catch (err) {
      if (!isLogError(err)) throw err
      throw fail(where, 'log_file', err.message, err.code, err)
    }
  }
  const syslog = {
    facility: opts.facility,
    format: opts.format === 'json' ? ('json' as const) : ('text' as const),
    maxLineLength: opts.maxLineLength,
  }
  if (opts.udpHost !== undefined) {
    return {
      destination: syslogDestination({
        ...syslog,
        sender: udpDatagramSender(opts.udpHost, opts.udpPort),
      }),
      options: opts,
      warning: undefined,
    }
  }
  // an abstract name (@name) has no file to stat: the sender judges it
  const problem = opts.address.startsWith('@') ? undefined : socketProblem(opts.address)
  if (problem === undefined) {
    let sender: ReturnType<typeof unixDatagramSender>
    try {
      sender = unixDatagramSender(opts.address)
    } catch (err) {
      if (!isLogError(err)) throw err
      throw fail(where, 'log_address', err.message, err.code, err)
    }
    return {
      destination: syslogDestination({ ...syslog, sender }),
      options: opts,
      warning: undefined,
    }
  }
  return {
    destination: stderrDestination({ format: opts.format }),
    options: opts,
    warning:
      `log_address ${printable(opts.address)} is ${problem === 'not a socket' ? 'not a socket' : `unusable (${problem})`}` +
      ': logging to standard error (set log_file, or log_udp_host, or start a syslog daemon)',
  }
}

/** Options of {@link createServerLogger}. */
export interface ServerLoggerOptions {
  /** The server's name when the conf has no `log_name` (Swift: the app section's name). */
  name: string
  /**
   * Set in a worker process: the logger writes JSON lines to standard error
   * for the parent to relay (relayLine), with this `worker` binding, and opens
   * nothing itself. Unset in the parent, which opens the conf's destination.
   */
  worker?: number | string
  /** A level that wins over `log_level` (debug for swift-init's `verbose`). */
  level?: LogLevel
  /** Also write every record to standard error (Swift's log_to_console, for `verbose`). */
  console?: boolean
  /** Reopen the log file on this signal (true: SIGUSR2); installs a process-wide handler. Default false. */
  reopenOnSignal?: boolean | NodeJS.Signals
  /** Extra fields for every record. */
  bindings?: Record<string, unknown>
  /** Where the conf came from, for error messages. */
  where?: LogConfWhere
}

/**
 * The logger of a server or daemon, from its conf section: the parent's
 * writes to the conf's destination (see logDestinationFromConf) and logs
 * the stderr warning there when syslog is missing; a worker's
 * (`worker` set) writes JSON lines for its parent to relay. Throws
 * LogConfigError for a bad option or an unusable `log_file`.
 */
export function createServerLogger(conf: LogConf, options: ServerLoggerOptions): ServerLogger {
  const opts = logOptionsFromConf(conf, {
    name: options.name,
    ...(options.where ? { where: options.where } : {}),
  })
  const level = options.level ?? opts.level
  if (options.worker !== undefined) {
    return createWorkerLogger({
      name: opts.name,
      level,
      bindings: { worker: options.worker, ...options.bindings },
    })
  }
  const chosen = logDestinationFromConf(conf, {
    parsed: opts,
    ...(options.where ? { where: options.where } : {}),
  })
  let destination = chosen.destination
  if (options.console && destination.description !== 'standard error') {
    destination = teeDestination(destination, stderrDestination({ format: opts.format }))
  }
  const logger = createLogger(
    { name: opts.name, level, ...(options.bindings ? { bindings: options.bindings } : {}) },
    { destination },
  )
  if (chosen.warning !== undefined) logger.warn(chosen.warning)
  if (options.reopenOnSignal) {
    const signal = options.reopenOnSignal === true ? LOG_REOPEN_SIGNAL : options.reopenOnSignal
    installReopenSignal(logger, { signal, logger })
  }
  return logger
}
