export {
  type FdDestinationOptions,
  fdDestination,
  isTerminal,
  type LogDestination,
  type LogFormat,
  nullDestination,
  renderRecord,
  resolveFormat,
  stderrDestination,
  teeDestination,
  terminalColors,
  writeAllSync,
} from './destination.js'
export { isLogError, LogError, type LogErrorCode } from './errors.js'
export {
  type FileDestination,
  LOG_DIR_MODE,
  LOG_FILE_MODE,
  type LogFileDestinationOptions,
  type OpenLogFileOptions,
  openLogFile,
  openLogFileFd,
} from './file.js'
export {
  DEFAULT_FACILITY,
  FACILITY_NAMES,
  isLogLevel,
  LEVEL_VALUES,
  type LogLevel,
  levelThreshold,
  parseFacility,
  parseSwiftLevel,
  RECORD_LEVELS,
  type RecordLevel,
  SWIFT_LEVEL_NAMES,
  SYSLOG_SEVERITY,
} from './levels.js'
export {
  type CreateLoggerOptions,
  type CreateLoggerRuntimeOptions,
  createLogger,
  createWorkerLogger,
  type LogFn,
  type Logger,
  type LoggerSyslogOptions,
  type MinimalLogger,
  relayLine,
  type ServerLogger,
  stdioLine,
} from './logger.js'
export {
  formatJson,
  formatText,
  isoNow,
  isoTime,
  type LogRecord,
  localTime,
  parseRecordLine,
  RECORD_KEYS,
  safeStringify,
  serializeError,
  type TextFormatOptions,
} from './record.js'
export { installReopenSignal, LOG_REOPEN_SIGNAL, type Reopenable } from './reopen.js'
export { silentLogger } from './silent.js'
export {
  formatSyslogDatagram,
  MAX_SYSLOG_DATAGRAM,
  type SyslogDestinationOptions,
  type SyslogFormatOptions,
  syslogDestination,
  truncateMiddle,
} from './syslog.js'
export { type DatagramSender, udpDatagramSender, unixDatagramSender } from './transport.js'
export { checkTrustedDirectory, type TrustedDirectoryOptions } from './trusted-dir.js'
