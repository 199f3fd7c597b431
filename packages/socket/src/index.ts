export {
  type AdoptOptions,
  adoptListeningSocket,
  type ListenFd,
  listenFdsFromEnv,
  listenFdsWithNames,
  pickListenFd,
  SD_LISTEN_FDS_START,
} from './adopt.js'
export {
  BIND_RETRY_INTERVAL_MS,
  type BindSocketOptions,
  bindHandoffSocket,
  bindSocket,
  formatAddress,
  type HandoffSocket,
  resolveBindAddress,
} from './bind.js'
export { applyConnectionOptions, connectionServerOptions } from './connection.js'
export { type ConfigWhere, isSocketError, SocketError, type SocketErrorCode } from './errors.js'
export {
  type BindOptions,
  DEFAULT_BACKLOG,
  DEFAULT_BIND_IP,
  DEFAULT_BIND_TIMEOUT_SEC,
  DEFAULT_KEEP_IDLE_SEC,
  normalizeBindOptions,
  socketOptionsFromConfig,
} from './options.js'
export {
  PROXY_V1_MAX_LINE,
  type ProxiedAddress,
  parseProxyV1,
  type RequireProxyProtocolOptions,
  requireProxyProtocol,
} from './proxy-protocol.js'
export { SSL_WARNING, type TlsContextOptions, tlsContextOptions } from './tls.js'
