import { type ErrorWhere, ForkliftError, isForkliftError, locate } from '@forklift/errors'

/** Stable codes of {@link PrivilegesError}. */
export type PrivilegesErrorCode =
  /** The user is not in the system user database. */
  | 'E_NO_SUCH_USER'
  /** Changing to the user needs root (or setgroups/setgid/setuid was refused). */
  | 'E_PERMISSION'
  /** The user database could not be queried (getent missing or failing). */
  | 'E_LOOKUP'
  /** After the switch the process does not have exactly the user's ids. */
  | 'E_VERIFY'
  /** A file the server needs cannot be read by the user it runs as. */
  | 'E_NOT_READABLE'

/** Options of a {@link PrivilegesError}: the user asked for, and where it was configured. */
export interface PrivilegesErrorOptions extends ErrorOptions {
  user?: string
  /** The config file, section and key (`user`) the user came from: the message starts with them. */
  where?: ErrorWhere | undefined
}

/** Every error this package throws. */
export class PrivilegesError extends ForkliftError<PrivilegesErrorCode> {
  override name = 'PrivilegesError'
  /** The user name (or uid) asked for. */
  readonly user: string | undefined
  readonly file: string | undefined
  readonly section: string | undefined
  readonly key: string | undefined

  constructor(code: PrivilegesErrorCode, message: string, options?: PrivilegesErrorOptions) {
    super(code, locate(options?.where, message), options)
    this.user = options?.user
    this.file = options?.where?.file
    this.section = options?.where?.section
    this.key = options?.where?.key
  }
}

/** True for a {@link PrivilegesError}, also across duplicate module copies. */
export function isPrivilegesError(value: unknown): value is PrivilegesError {
  return isForkliftError(value, 'PrivilegesError')
}
