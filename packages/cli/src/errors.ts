import { ForkliftError } from '@forklift/errors'

/** Bad arguments: printed as `<name>: <message>` plus a hint, exit status `usageExitCode`. */
export class UsageError extends ForkliftError<'E_USAGE'> {
  override name = 'UsageError'
  constructor(message: string, options?: ErrorOptions) {
    super('E_USAGE', message, options)
  }
}

/**
 * Thrown by a command to end with a given status. The message, if any, is
 * printed to standard error as is (commands that already printed their own
 * output throw it without one).
 */
export class ExitError extends ForkliftError<'E_EXIT'> {
  override name = 'ExitError'
  readonly exitCode: number
  constructor(exitCode: number, message = '', options?: ErrorOptions) {
    super('E_EXIT', message, options)
    this.exitCode = exitCode
  }
}
