// Swift's per-server request limits, `max_clients` and `client_timeout`,
// live here rather than with the socket: they gate a server's request
// listener (the app's side of a connection), which is what a pipeline is.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { type ConfigWhere, configFloatValue, configIntValue } from '@forklift/config'
import type { RequestListener } from './types.js'

/** Swift's defaults for `max_clients` and `client_timeout`. */
export const DEFAULT_MAX_CLIENTS = 1024
export const DEFAULT_CLIENT_TIMEOUT_SEC = 60

/** A request listener that runs at most `maxClients` requests at once; see limitRequests. */
export interface LimitedListener {
  (req: IncomingMessage, res: ServerResponse): void
  /** Requests inside the app now. */
  readonly active: number
  /** Requests waiting for a slot (their clients still connected). */
  readonly queued: number
}

/**
 * Runs at most `maxClients` requests of `listener` at once; later ones wait,
 * first come first served, until a response closes. Nothing is refused:
 * Swift's eventlet pool stops accepting when full and leaves connections in
 * the kernel backlog, but Node cannot stop accepting on a listening socket
 * short of closing it, so the wait happens here instead. A waiting request
 * whose client goes away is dropped from the queue.
 */
export function limitRequests(listener: RequestListener, maxClients: number): LimitedListener {
  if (!Number.isInteger(maxClients) || maxClients < 1) {
    throw new TypeError(`maxClients must be an integer >= 1, got ${maxClients}`)
  }
  let active = 0
  let queued = 0
  const queue: { req: IncomingMessage; res: ServerResponse; gone: boolean }[] = []

  // Shared by every request (no closure per request); 'close' fires once per response.
  const release = () => {
    active--
    // After every 'close' listener (the app's own among them) has run, so the
    // app never sees more than maxClients requests at once, even for a moment.
    if (queue.length > 0) process.nextTick(drain)
  }
  const run = (req: IncomingMessage, res: ServerResponse) => {
    active++
    res.on('close', release)
    listener(req, res)
  }
  const drain = () => {
    while (active < maxClients && queue.length > 0) {
      const next = queue.shift()!
      if (next.gone) continue
      queued--
      run(next.req, next.res)
    }
  }
  // Below the limit (the usual case) a request costs a counter and one listener.
  const limited = (req: IncomingMessage, res: ServerResponse) => {
    if (active < maxClients) return run(req, res)
    const entry = { req, res, gone: false }
    queued++
    queue.push(entry)
    res.once('close', () => {
      if (entry.gone || queue.indexOf(entry) < 0) return
      entry.gone = true
      queued--
    })
  }
  Object.defineProperties(limited, {
    active: { get: () => active },
    queued: { get: () => queued },
  })
  return limited as LimitedListener
}

const CURRENT_RESPONSE = Symbol('forklift.currentResponse')
type TrackedSocket = Socket & { [CURRENT_RESPONSE]?: ServerResponse }

export interface ServerLimits {
  /** Concurrent requests per server (`max_clients`, default 1024); more wait. */
  maxClients?: number
  /** Seconds a client may stay silent (`client_timeout`, default 60; 0 = never). */
  clientTimeoutSec?: number
  /**
   * Seconds an idle keep-alive connection waits for its next request
   * (`keepalive_timeout`; default `clientTimeoutSec`; 0 = no keep-alive:
   * every response closes its connection).
   */
  keepaliveTimeoutSec?: number
}

/**
 * `max_clients` (an integer >= 1, default 1024), `client_timeout` (seconds
 * >= 0, default 60) and `keepalive_timeout` (seconds >= 0, default
 * client_timeout, as Swift's) from a server's conf; ConfigError naming the
 * file, section and key of a bad value.
 */
export function serverLimitsFromConf(
  conf: Record<string, string | undefined>,
  where: Omit<ConfigWhere, 'key' | 'line'> = {},
): Required<ServerLimits> {
  const at = (key: string): ConfigWhere => ({ ...where, key })
  const maxClients = conf.max_clients?.trim()
    ? configIntValue(conf.max_clients, at('max_clients'), { min: 1 })
    : DEFAULT_MAX_CLIENTS
  const clientTimeoutSec = conf.client_timeout?.trim()
    ? configFloatValue(conf.client_timeout, at('client_timeout'), { min: 0 })
    : DEFAULT_CLIENT_TIMEOUT_SEC
  // Swift: `if conf.get('keepalive_timeout')` — empty means client_timeout.
  const keepaliveTimeoutSec = conf.keepalive_timeout?.trim()
    ? configFloatValue(conf.keepalive_timeout, at('keepalive_timeout'), { min: 0 })
    : clientTimeoutSec
  return { maxClients, clientTimeoutSec, keepaliveTimeoutSec }
}

/** What applyServerLimits installed, with live counters for logs and tests. */
export interface ServerLimitsState {
  readonly maxClients: number
  readonly clientTimeoutSec: number
  readonly keepaliveTimeoutSec: number
  readonly active: number
  readonly queued: number
}

/**
 * Applies `max_clients` and `client_timeout` to an http(s) server, after its
 * request listener is attached (it wraps the `request` listeners present).
 *
 * `client_timeout` is eventlet's socket timeout: a connection is closed after
 * that many seconds in which the client sends nothing while we wait for it
 * (headers, a body being read, keep-alive idle) or does not read what we
 * send. A slow app is not the client's fault: while a response is being
 * produced and nothing is waiting to be flushed, the connection stays.
 * Node's own `requestTimeout` (300 s for a whole request) is turned off, as
 * eventlet has none: uploads may take long as long as bytes keep coming.
 *
 * `keepalive_timeout` is eventlet's `keepalive`: how long an idle keep-alive
 * connection waits for the next request. It replaces Node's 5 s
 * `keepAliveTimeout` (Node adds its `keepAliveTimeoutBuffer`, 1 s, and
 * advertises `Keep-Alive: timeout=N`); 0 closes every connection after its
 * response (`Connection: close`), as Swift's `keepalive = False`.
 */
export function applyServerLimits(server: Server, limits: ServerLimits = {}): ServerLimitsState {
  const maxClients = limits.maxClients ?? DEFAULT_MAX_CLIENTS
  const clientTimeoutSec = limits.clientTimeoutSec ?? DEFAULT_CLIENT_TIMEOUT_SEC
  if (!Number.isFinite(clientTimeoutSec) || clientTimeoutSec < 0) {
    throw new TypeError(`clientTimeoutSec must be a number >= 0, got ${clientTimeoutSec}`)
  }
  const keepaliveTimeoutSec = limits.keepaliveTimeoutSec ?? clientTimeoutSec
  if (!Number.isFinite(keepaliveTimeoutSec) || keepaliveTimeoutSec < 0) {
    throw new TypeError(`keepaliveTimeoutSec must be a number >= 0, got ${keepaliveTimeoutSec}`)
  }
  const keepaliveMs = Math.round(keepaliveTimeoutSec * 1000)
  const listeners = server.listeners('request') as RequestListener[]
  server.removeAllListeners('request')
  const [only] = listeners
  const gated = limitRequests(
    listeners.length === 1 && only
      ? (req, res) => only.call(server, req, res)
      : (req, res) => {
          for (const l of listeners) l.call(server, req, res)
        },
    maxClients,
  )

  // The response each socket is working on, to tell a silent client from a
  // busy app: a property of the socket (a WeakMap entry per connection costs
  // the garbage collector). Not cleared when the response closes: a finished
  // response (writableEnded) counts as none below, and the next request on
  // the socket replaces it.
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket: TrackedSocket = req.socket
    socket[CURRENT_RESPONSE] = res
    if (keepaliveMs === 0) res.shouldKeepAlive = false
    gated(req, res)
  })

  server.requestTimeout = 0
  // Between keep-alive requests Node arms the socket with keepAliveTimeout
  // (+ keepAliveTimeoutBuffer) instead of server.timeout, and its 'timeout'
  // (below, or Node's default destroy) closes the idle connection. 0 would
  // mean "never" to Node: with keep-alive off no connection is idle anyway.
  server.keepAliveTimeout = keepaliveMs
  const timeoutMs = Math.round(clientTimeoutSec * 1000)
  if (timeoutMs > 0) {
    if (server.headersTimeout < timeoutMs) server.headersTimeout = timeoutMs
    // With a 'timeout' listener, Node leaves every idle socket to us (its keep-alive timeout too).
    server.setTimeout(timeoutMs, (socket: Socket) => {
      const res = (socket as TrackedSocket)[CURRENT_RESPONSE]
      const req = res?.req
      const appBusy =
        res !== undefined &&
        req !== undefined &&
        !res.writableEnded &&
        socket.writableLength === 0 &&
        (req.complete || req.readableFlowing !== true)
      if (!appBusy) socket.destroy()
    })
  }

  return {
    maxClients,
    clientTimeoutSec,
    keepaliveTimeoutSec,
    get active() {
      return gated.active
    },
    get queued() {
      return gated.queued
    },
  }
}
