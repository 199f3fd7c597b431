export { RunnerError, type RunnerErrorCode } from './errors.js'
export { type ServerLoggerOptions, serverLogger } from './logging.js'
export { DEFAULT_STALE_WORKER_TIMEOUT_S, planWsgi, type WsgiPlan } from './plan.js'
export {
  type DaemonPassContext,
  type RunDaemonOptions,
  runDaemon,
} from './run-daemon.js'
export { type RunWsgiOptions, runWsgi } from './run-wsgi.js'
export { type ServerBinary, serverCommand } from './server-command.js'
