export { SCHEMA_VERSION } from './_schema.js'
export type { VolumeDriver, VolumeDriverContext, VolumeDriverFactory } from './driver.js'
export { loadDriverFactory } from './driver.js'
export { isRegistryError, RegistryError, type RegistryErrorCode } from './errors.js'
export { HeartbeatReporter, type HeartbeatReporterOptions } from './heartbeat.js'
export {
  DEFAULT_PERIODIC_FUZZY_DELAY,
  DEFAULT_PERIODIC_INTERVAL,
  DEFAULT_REPORT_INTERVAL,
  DEFAULT_SERVICE_DOWN_TIME,
  effectiveServiceDownTime,
  isServiceUp,
} from './liveness.js'
export {
  type OpenRegistryOptions,
  openRegistry,
  Registry,
  type ServiceIdentity,
  type ServiceRecord,
  type ServiceStatus,
} from './registry.js'
export { formatServiceTable, serviceListJson } from './service-table.js'
export {
  DEFAULT_STATE_PATH,
  defaultConnectionUrl,
  parseConnectionUrl,
  type RegistryTarget,
  redactUrl,
} from './url.js'
export { VOLUME_BINARY, VolumeService, type VolumeServiceOptions } from './volume-service.js'
