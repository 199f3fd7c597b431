import type { RequestListener, Server } from 'node:http'
import { createRequire } from 'node:module'
import { configFloatValue, configIntValue } from '@forklift/config'
import type { Logger } from '@forklift/log'
import { applyServerLimits, loadApp } from '@forklift/pipeline'
import type { TlsContextOptions } from '@forklift/socket'
import type { ServerConf } from './server-conf.js'

// `import ... from 'node:http'` in ESM reads every export of the builtin,
// which runs its lazy getters and loads undici, tls, crypto and zlib: ~11 MiB
// more in every worker. require() only loads http itself.
const http = createRequire(import.meta.url)('node:http') as typeof import('node:http')

/** Swift's defaults. */
export const DEFAULT_MAX_CLIENTS = 1024
export const DEFAULT_CLIENT_TIMEOUT_S = 60

const MAIN_SECTIONS = ['pipeline:main', 'app:main', 'composite:main']

/**
 * Builds the paste pipeline as a request listener. Like Swift's run_server it
 * loads `main`, whatever the app section; a config without a main pipeline
 * loads the app section itself.
 */
export function loadServerApp(server: ServerConf, logger: Logger): Promise<RequestListener> {
  const hasMain = MAIN_SECTIONS.some((s) => server.config.hasSection(s))
  const name = hasMain ? 'main' : server.section.replace(/^[a-z]+:/, '')
  return loadApp(server.file, { name, globalConf: { log_name: server.logName }, logger })
}

/** `max_clients` and `client_timeout` from a server's conf, validated. */
export function serverLimits(server: ServerConf): { maxClients: number; clientTimeoutSec: number } {
  const where = (key: string) => ({ file: server.file, section: server.section, key })
  const { conf } = server
  const maxClients = conf.max_clients?.trim()
    ? configIntValue(conf.max_clients, where('max_clients'), { min: 1 })
    : DEFAULT_MAX_CLIENTS
  const clientTimeoutSec = conf.client_timeout?.trim()
    ? configFloatValue(conf.client_timeout, where('client_timeout'), { min: 0 })
    : DEFAULT_CLIENT_TIMEOUT_S
  return { maxClients, clientTimeoutSec }
}

/**
 * The HTTP (or, with `tls`, HTTPS) server of one worker: keepalive +
 * TCP_NODELAY on every connection, `max_clients` and `client_timeout`.
 * The caller makes it listen (on a handed-down handle, or in-process).
 */
export async function createAppServer(
  listener: RequestListener,
  options: {
    keepIdleSec: number
    maxClients: number
    clientTimeoutSec: number
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
  })
  return server
}
