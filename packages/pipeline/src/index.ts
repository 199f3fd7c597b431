export { PipelineError, type PipelineErrorCode } from './errors.js'
export { healthcheck } from './healthcheck.js'
export { HELLO_MAX_SLEEP_MS, hello } from './hello.js'
export {
  applyServerLimits,
  DEFAULT_CLIENT_TIMEOUT_SEC,
  DEFAULT_MAX_CLIENTS,
  type LimitedListener,
  limitRequests,
  type ServerLimits,
  type ServerLimitsState,
  serverLimitsFromConf,
} from './limits.js'
export { BUILTIN_SPECIFIER, buildApp, type LoadAppOptions, loadApp } from './load-app.js'
export type {
  AppFactory,
  AppLoader,
  CompositeFactory,
  Conf,
  Filter,
  FilterFactory,
  RequestListener,
} from './types.js'
export { scriptName, type UrlMapRoute, urlmap } from './urlmap.js'
