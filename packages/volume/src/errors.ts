import { ForkliftError } from '@forklift/errors'

/** Stable codes of volume launcher errors. */
export type VolumeErrorCode =
  | 'E_DRIVER_LOAD'
  | 'E_DRIVER_START'
  | 'E_DRIVER_ACTIVE_ACTIVE'
  | 'E_VOLUME_NO_BACKENDS'
  | 'E_VOLUME_NONE_STARTED'

/** A volume driver that cannot be loaded or run, or a launch with nothing to run. */
export class VolumeError extends ForkliftError<VolumeErrorCode> {
  override name = 'VolumeError'
}
