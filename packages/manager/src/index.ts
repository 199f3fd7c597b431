export type { Writer } from './_util.js'
export { ManagerError, type ManagerErrorCode } from './errors.js'
export { binaryName, defineFamily, type ServerFamily, SWIFT_FAMILY } from './family.js'
export {
  type LastReload,
  type LiveStatus,
  statusFileFor,
  type WorkerFacts,
} from './live-status.js'
export {
  COMMANDS,
  type CommandInfo,
  commandName,
  KILL_WAIT_SECONDS,
  Manager,
  type ManagerOptions,
} from './manager.js'
export {
  RELOAD_EXIT,
  RELOADABLE_SCRIPTS,
  type ReloadPidOptions,
  reloadPid,
} from './reload.js'
export {
  type CommandOptions,
  type InstanceStatus,
  Server,
  type ServerContext,
  type StartResult,
  WARNING_WAIT_SECONDS,
} from './server.js'
