import { ForkliftError } from '@forklift/errors'

/** Stable codes of {@link ManagerError}. */
export type ManagerErrorCode = 'E_UNKNOWN_COMMAND'

/** A manager failure that is not reported as output and an exit status. */
export class ManagerError extends ForkliftError<ManagerErrorCode> {
  override name = 'ManagerError'
}
