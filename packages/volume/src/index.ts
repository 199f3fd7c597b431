export {
  activeActiveMessage,
  checkActiveActive,
  loadDriverFactory,
  type VolumeDriver,
  type VolumeDriverContext,
  type VolumeDriverFactory,
} from './driver.js'
export { VolumeError, type VolumeErrorCode } from './errors.js'
export { type LaunchVolumeOptions, launchVolumeServices, NO_SERVICES_MESSAGE } from './launch.js'
export {
  type BackendConfig,
  loadVolumeConfig,
  NO_ENABLED_BACKENDS_MESSAGE,
  osloLogFile,
  type VolumeConfig,
} from './volume-config.js'
export {
  DEFAULT_PERIODIC_FUZZY_DELAY,
  DEFAULT_PERIODIC_INTERVAL,
  VOLUME_BINARY,
  VolumeService,
  type VolumeServiceOptions,
} from './volume-service.js'
