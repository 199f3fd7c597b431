import { ForkliftError } from '@forklift/errors'

/** Stable codes of every failure of this package. */
export type LogErrorCode =
  /** A log option has a value this package cannot use (an unknown level or facility, a bad port). */
  | 'E_LOG_OPTION'
  /** The log file is a symlink, a FIFO, a device or anything else that is not a regular file. */
  | 'E_LOG_FILE_UNSAFE'
  /** The log file's directory, or one above it, can be changed by another user. */
  | 'E_LOG_DIR_UNSAFE'
  /** The log file's directory does not exist, and creating it was not asked for. */
  | 'E_LOG_DIR_MISSING'
  /** The log file could not be opened or its directory created (permissions, a full disk). */
  | 'E_LOG_FILE_OPEN'
  /** A syslog address this transport cannot reach (an abstract socket name without the native sender). */
  | 'E_LOG_ADDRESS'

/** Every failure of @forklift/log. `path` names the file or directory concerned, when there is one. */
export class LogError extends ForkliftError<LogErrorCode> {
  override name = 'LogError'
  readonly path: string | undefined

  constructor(code: LogErrorCode, message: string, options?: ErrorOptions & { path?: string }) {
    super(code, message, options)
    this.path = options?.path
  }
}

/** True for a LogError, also one thrown by another copy of this package. */
export function isLogError(value: unknown): value is LogError {
  return value instanceof Error && value.name === 'LogError' && 'code' in value
}
