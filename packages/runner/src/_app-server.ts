// A server's request side, built the same way in the server process
// (workers = 0) and in each worker: the paste pipeline from the config
// already read, and the HTTP(S) server with Swift's connection settings.
import type { RequestListener, Server } from 'node:http'
import { createRequire } from 'node:module'
import { configTrueValue, type ServerConf } from '@forklift/config'
import type { MinimalLogger as Logger } from '@forklift/log'
import { applyServerLimits, loadApp } from '@forklift/pipeline'
import type { TlsContextOptions } from '@forklift/socket'
// The subpath: node:net only, where the package's index loads node:tls.
import { requireProxyProtocol } from '@forklift/socket/proxy-protocol'

// `import ... from 'node:http'` in ESM reads every export of the builtin,
// which runs its lazy getters and loads undici, tls, crypto and zlib: ~11 MiB
// more in every worker. require() only loads http itself.
const http = createRequire(import.meta.url)('node:http') as typeof import('node:http')

const MAIN_SECTIONS = ['pipeline:main', 'app:main', 'composite:main']

/**
 * Builds the paste pipeline as a request listener. Like Swift's run_server it
 * loads `main`, whatever the app section; a config without a main pipeline
 * loads the app section itself. The config is the one already read, with
 * `log_name` as Swift's loadapp gives it.
 */
export function loadServerApp(server: ServerConf, logger: Logger): Promise<RequestListener> {
  const hasMain = MAIN_SECTIONS.some((s) => server.config.hasSection(s))
  const name = hasMain ? 'main' : server.section.replace(/^[a-z]+:/, '')
  const globalConf = { log_name: server.logName }
  return loadApp(server.file, {
    name,
    globalConf,
    logger,
    config: server.config.withDefaults(globalConf),
  })
}

/** Swift's connection options of a server's conf beyond the request limits: `require_proxy_protocol`. */
export function connectionOptionsFromConf(conf: Record<string, string | undefined>): {
  requireProxyProtocol: boolean
} {
  return { requireProxyProtocol: configTrueValue(conf.require_proxy_protocol) }
}

/**
 * The HTTP (or, with `tls`, HTTPS) server of one worker: keepalive +
 * TCP_NODELAY on every connection, `max_clients`, `client_timeout`,
 * `keepalive_timeout` and `require_proxy_protocol`. The caller makes it
 * listen (on a handed-down handle, or in-process).
 */
export async function createAppServer(
  listener: RequestListener,
  options: {
    keepIdleSec: number
    maxClients: number
    clientTimeoutSec: number
    keepaliveTimeoutSec: number
    requireProxyProtocol?: boolean
    tls?: TlsContextOptions | undefined
  },
): Promise<Server> {
  // Swift's per-connection settings (keepalive after keep_idle, TCP_NODELAY),
  // as @forklift/socket's connectionServerOptions gives them; spelled out here
  // because importing that package (and node:https) loads node:tls, ~10 MiB
  // more in every worker that does not serve TLS.
  const base = {
    noDelay: true,
    keepAlive: true,
    keepAliveInitialDelay: options.keepIdleSec * 1000,
  }
  let server: Server
  if (options.tls) {
    const { createServer: createHttpsServer } = await import('node:https')
    server = createHttpsServer({ ...base, ...options.tls }, listener) as unknown as Server
  } else {
    server = http.createServer(base, listener)
  }
  applyServerLimits(server, {
    maxClients: options.maxClients,
    clientTimeoutSec: options.clientTimeoutSec,
    keepaliveTimeoutSec: options.keepaliveTimeoutSec,
  })
  if (options.requireProxyProtocol) {
    // Swift reads the PROXY line with client_timeout as the socket timeout.
    requireProxyProtocol(server, { timeoutMs: Math.round(options.clientTimeoutSec * 1000) })
  }
  return server
}
