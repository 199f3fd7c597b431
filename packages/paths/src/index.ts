export { PathsError, type PathsErrorCode } from './errors.js'
export {
  ensureRunDir,
  inspectPidFile,
  PID_FILE_MODE,
  type PidFileInfo,
  type PidFileState,
  parsePid,
  RUN_DIR_MODE,
  readPidFile,
  removePidFile,
  writePidFile,
} from './pid-file.js'
export {
  checkProcess,
  PROC_DIR,
  type ProcessCheck,
  type ProcessState,
  probePid,
  readCmdline,
} from './process.js'
export { type SearchTreeOptions, searchTree } from './search-tree.js'
export { type Cwd, matchServerArgv, type ServerCommand } from './server-argv.js'
export { formatServerName, parseServerName, type ServerName } from './server-name.js'
export {
  type PathsOptions,
  RUN_DIR,
  ServerPaths,
  SWIFT_DIR,
  selectConfigNumber,
} from './server-paths.js'
