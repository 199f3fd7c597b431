import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { configFloatValue, configIntValue } from '@forklift/config'
import type { Logger } from '@forklift/log'
import { applyServerLimits, loadApp } from '@forklift/pipeline'
import { connectionServerOptions, type TlsContextOptions } from '@forklift/socket'
import type { ServerConf } from './server-conf.js'

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
export function createAppServer(
  listener: RequestListener,
  options: {
    keepIdleSec: number
    maxClients: number
    clientTimeoutSec: number
    tls?: TlsContextOptions | undefined
  },
): Server {
  const base = connectionServerOptions({ keepIdleSec: options.keepIdleSec })
  const server: Server = options.tls
    ? (createHttpsServer({ ...base, ...options.tls }, listener) as unknown as Server)
    : createHttpServer(base, listener)
  applyServerLimits(server, {
    maxClients: options.maxClients,
    clientTimeoutSec: options.clientTimeoutSec,
  })
  return server
}
