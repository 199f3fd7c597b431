export {
  cleanUpDaemonHygiene,
  type DropOptions,
  type DropResult,
  dropPrivileges,
} from './drop.js'
export { isPrivilegesError, PrivilegesError, type PrivilegesErrorCode } from './errors.js'
export {
  type LimitResource,
  type LimitResult,
  MAX_DESCRIPTORS,
  MAX_MEMORY,
  MAX_PROCS,
  type ResourceLimitOptions,
  raiseResourceLimits,
} from './limits.js'
export { lookupUser, type UserInfo } from './user.js'
