import { ForkliftError, isForkliftError } from '@forklift/errors'

/** Stable codes of every supervisor error. */
export type SupervisorErrorCode =
  | 'E_SUPERVISOR_OPTION'
  | 'E_SUPERVISOR_WORKERS'
  | 'E_SUPERVISOR_STATE'
  | 'E_SUPERVISOR_SERVICE_LOAD'
  | 'E_SUPERVISOR_SERVICE_START'
  | 'E_SUPERVISOR_SPAWN'

/** An error from the supervisor package: launchers, services, the worker pool. */
export class SupervisorError extends ForkliftError<SupervisorErrorCode> {
  override name = 'SupervisorError'
}

/** True for a SupervisorError, also across module copies. */
export function isSupervisorError(value: unknown): value is SupervisorError {
  return isForkliftError(value, 'SupervisorError')
}
