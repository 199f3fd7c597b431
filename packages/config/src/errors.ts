import {
  describeWhere,
  type ErrorWhere,
  ForkliftError,
  isForkliftError,
  locate,
} from '@forklift/errors'

export { describeWhere }

/** Stable codes of every configuration failure. */
export type ConfigErrorCode =
  | 'E_CONFIG_NOT_FOUND'
  | 'E_CONFIG_UNREADABLE'
  | 'E_CONFIG_NO_SECTION'
  | 'E_CONFIG_DUPLICATE_SECTION'
  | 'E_CONFIG_DUPLICATE_KEY'
  | 'E_CONFIG_SYNTAX'
  | 'E_CONFIG_INTERPOLATION'
  | 'E_CONFIG_VALUE'
  | 'E_CONFIG_MISSING_KEY'

/** Where a value (or a failure) sits: any subset of file, line, section and key. */
export type ConfigWhere = ErrorWhere

/**
 * An error about a place in a config file: a stable `code` plus the file,
 * section, key and line that are known, also folded into the one-line
 * message. ConfigError and other packages' config-driven errors extend it.
 */
export class LocatedError<Code extends string> extends ForkliftError<Code> {
  readonly file: string | undefined
  readonly section: string | undefined
  readonly key: string | undefined
  readonly line: number | undefined

  constructor(code: Code, where: ConfigWhere, problem: string, options?: ErrorOptions) {
    super(code, locate(where, problem), options)
    this.file = where.file
    this.section = where.section
    this.key = where.key
    this.line = where.line
  }
}

/** Every failure of this package, located as LocatedError is. */
export class ConfigError extends LocatedError<ConfigErrorCode> {
  override name = 'ConfigError'
}

/** True for a ConfigError, also one thrown by another copy of this package. */
export function isConfigError(value: unknown): value is ConfigError {
  return isForkliftError(value, 'ConfigError')
}
