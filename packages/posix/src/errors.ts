import { ForkliftError } from '@forklift/errors'

/** The stable codes of {@link PosixError}. */
export type PosixErrorCode =
  /** A unix socket address that cannot be used: empty, too long, or a path with a NUL. */
  | 'E_ADDRESS'
  /** An argument out of range: an unknown signal or resource, a negative limit. */
  | 'E_ARGUMENT'
  /** The socket was closed. */
  | 'E_CLOSED'
  /** A signal mask was asked for from a worker thread (process signals reach the main thread only). */
  | 'E_MAIN_THREAD'
  /** The native binary could not be loaded (no build for this platform, or not Linux). */
  | 'E_NATIVE'
  /** A system call failed; `errno` and `syscall` say which and why. */
  | 'E_SYSCALL'

/** Every error this package throws. */
export class PosixError extends ForkliftError<PosixErrorCode> {
  override name = 'PosixError'
  /** For E_SYSCALL: the errno name, such as `ECONNREFUSED`. */
  readonly errno: string | undefined
  /** For E_SYSCALL: the failed call, such as `sendto`. */
  readonly syscall: string | undefined

  constructor(
    code: PosixErrorCode,
    message: string,
    options?: ErrorOptions & { errno?: string; syscall?: string },
  ) {
    super(code, message, options)
    this.errno = options?.errno
    this.syscall = options?.syscall
  }
}
