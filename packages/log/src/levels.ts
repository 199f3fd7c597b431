/** Log levels, lowest to highest; `silent` logs nothing. pino's names and numbers. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'

/** A level a record can have (every level but `silent`). */
export type RecordLevel = Exclude<LogLevel, 'silent'>

/** The numeric value of each record level (pino's), so thresholds compare as numbers. */
export const LEVEL_VALUES: Readonly<Record<RecordLevel, number>> = Object.freeze({
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
})

/** Every record level, lowest first. */
export const RECORD_LEVELS: readonly RecordLevel[] = Object.freeze([
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
])

/** True when `value` names a level (`silent` included). */
export function isLogLevel(value: unknown): value is LogLevel {
  return value === 'silent' || (typeof value === 'string' && Object.hasOwn(LEVEL_VALUES, value))
}

/** The threshold of a level: records below it are dropped (`silent` drops all). */
export function levelThreshold(level: LogLevel): number {
  return level === 'silent' ? Number.POSITIVE_INFINITY : LEVEL_VALUES[level]
}

// Swift reads log_level as the name of a Python logging level
// (getattr(logging, value.upper())). NOTICE is Swift's own level between INFO
// and WARNING; we have no such level and log it as info. NOTSET means "all".
const SWIFT_LEVELS: Readonly<Record<string, LogLevel>> = Object.freeze({
  NOTSET: 'trace',
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  NOTICE: 'info',
  WARN: 'warn',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
  FATAL: 'fatal',
  SILENT: 'silent',
})

/** The level a Swift `log_level` value names (case-insensitive), or undefined when it names none. */
export function parseSwiftLevel(value: string): LogLevel | undefined {
  return SWIFT_LEVELS[value.trim().toUpperCase()]
}

/** The names `log_level` accepts, for error messages. */
export const SWIFT_LEVEL_NAMES: readonly string[] = Object.freeze(Object.keys(SWIFT_LEVELS))

/**
 * syslog(3) severities (RFC 5424 §6.2.1) of each record level, as Python's
 * SysLogHandler maps logging levels: fatal is CRITICAL → crit.
 */
export const SYSLOG_SEVERITY: Readonly<Record<RecordLevel, number>> = Object.freeze({
  trace: 7, // debug
  debug: 7, // debug
  info: 6, // info
  warn: 4, // warning
  error: 3, // err
  fatal: 2, // crit
})

// Facility codes (RFC 5424 §6.2.1 and Linux's <syslog.h>), named as Python's
// SysLogHandler attributes are, which is how Swift reads log_facility.
const FACILITIES: Readonly<Record<string, number>> = Object.freeze({
  LOG_KERN: 0,
  LOG_USER: 1,
  LOG_MAIL: 2,
  LOG_DAEMON: 3,
  LOG_AUTH: 4,
  LOG_SYSLOG: 5,
  LOG_LPR: 6,
  LOG_NEWS: 7,
  LOG_UUCP: 8,
  LOG_CRON: 9,
  LOG_AUTHPRIV: 10,
  LOG_FTP: 11,
  LOG_NTP: 12,
  LOG_SECURITY: 13,
  LOG_CONSOLE: 14,
  LOG_SOLCRIT: 15,
  LOG_LOCAL0: 16,
  LOG_LOCAL1: 17,
  LOG_LOCAL2: 18,
  LOG_LOCAL3: 19,
  LOG_LOCAL4: 20,
  LOG_LOCAL5: 21,
  LOG_LOCAL6: 22,
  LOG_LOCAL7: 23,
})

/** Swift's default `log_facility`. */
export const DEFAULT_FACILITY = FACILITIES.LOG_LOCAL0!

/**
 * The facility code a `log_facility` value names: `LOG_LOCAL0`, and also
 * `local0` or `LOCAL0` (Swift itself only knows the exact `LOG_` names and
 * silently uses LOCAL0 for anything else). Undefined when it names none.
 */
export function parseFacility(value: string): number | undefined {
  const upper = value.trim().toUpperCase()
  return FACILITIES[upper.startsWith('LOG_') ? upper : `LOG_${upper}`]
}

/** The names `log_facility` accepts, for error messages. */
export const FACILITY_NAMES: readonly string[] = Object.freeze(Object.keys(FACILITIES))
