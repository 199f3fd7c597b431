export { type CheckOptions, checkCanRunAs, checkReadableAs } from './check.js'
export {
  cleanUpDaemonHygiene,
  type DropOptions,
  type DropResult,
  dropPrivileges,
} from './drop.js'
export {
  isPrivilegesError,
  PrivilegesError,
  type PrivilegesErrorCode,
  type PrivilegesErrorOptions,
} from './errors.js'
export {
  type LimitResource,
  type LimitResult,
  MAX_DESCRIPTORS,
  MAX_MEMORY,
  MAX_PROCS,
  type ResourceLimitOptions,
  raiseResourceLimits,
} from './limits.js'
export { checkUser, configuredUser, DEFAULT_USER, dropToUser } from './run-as.js'
export { type CaptureStdioOptions, captureStdio, sameOpenFile } from './stdio.js'
export { type LookupOptions, lookupUser, type UserInfo } from './user.js'
