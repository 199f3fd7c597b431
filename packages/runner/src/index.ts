export { RunnerError, type RunnerErrorCode } from './errors.js'
export { serverLogger } from './logging.js'
export {
  type DaemonPassContext,
  type RunDaemonOptions,
  runDaemon,
} from './run-daemon.js'
export {
  DEFAULT_STALE_WORKER_TIMEOUT_S,
  planWsgi,
  type RunWsgiOptions,
  runWsgi,
  type WsgiPlan,
} from './run-wsgi.js'
export { type LoadServerConfOptions, loadServerConf, type ServerConf } from './server-conf.js'
export { type CaptureStdioOptions, captureStdio, sameOpenFile } from './stdio.js'
