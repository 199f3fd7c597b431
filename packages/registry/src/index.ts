export { SCHEMA_VERSION } from './_schema.js'
export { isRegistryError, RegistryError, type RegistryErrorCode } from './errors.js'
export { HeartbeatReporter, type HeartbeatReporterOptions, type TimerHost } from './heartbeat.js'
export {
  DEFAULT_REPORT_INTERVAL,
  DEFAULT_SERVICE_DOWN_TIME,
  effectiveServiceDownTime,
  isServiceUp,
} from './liveness.js'
export {
  type ClusterStatus,
  DEFAULT_AVAILABILITY_ZONE,
  isRecordUp,
  type ListOptions,
  type ManagedState,
  type OpenRegistryOptions,
  openRegistry,
  Registry,
  type ServiceIdentity,
  type ServiceRecord,
  type ServiceStatus,
} from './registry.js'
export {
  clusterListJson,
  formatClusterTable,
  formatServiceTable,
  serviceListJson,
} from './service-table.js'
export {
  type DbKind,
  DEFAULT_STATE_PATH,
  defaultConnectionUrl,
  parseConnectionUrl,
  type RegistryTarget,
  redactUrl,
} from './url.js'
