import { ForkliftError } from '@forklift/errors'

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

/** Every error this package throws. */
export class PrivilegesError extends ForkliftError<PrivilegesErrorCode> {
  override name = 'PrivilegesError'
  /** The user name (or uid) asked for. */
  readonly user: string | undefined

  constructor(
    code: PrivilegesErrorCode,
    message: string,
    options?: ErrorOptions & { user?: string },
  ) {
    super(code, message, options)
    this.user = options?.user
  }
}

/** True for a {@link PrivilegesError}, also across duplicate module copies. */
export function isPrivilegesError(value: unknown): value is PrivilegesError {
  return (
    value instanceof Error &&
    value.name === 'PrivilegesError' &&
    typeof (value as { code?: unknown }).code === 'string'
  )
}
