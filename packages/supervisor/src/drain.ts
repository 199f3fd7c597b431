/**
 * The one drain of a server: stop accepting, let what is in flight finish,
 * and move keep-alive clients on without racing them. Pool workers drain with
 * it; so does a server that serves in its own process (the runner's
 * `workers = 0`).
 */
import type { ServerResponse } from 'node:http'
import { Server as NetServer, type Socket } from 'node:net'
import { type MinimalLogger as Logger, silentLogger } from '@forklift/log'

/** Options of `Drainable#drain`. */
export interface DrainOptions {
  /**
   * How long an idle keep-alive connection may take to send one more request
   * (answered with `Connection: close`) before it is closed; default 0.
   */
  idleGraceMs?: number
}

/** A server made drainable by `drainable()`. */
export interface Drainable {
  /**
   * Stops accepting and resolves when every connection is closed
   * (idempotent). An `http.Server`/`https.Server` is drained connection by
   * connection: from now on every response closes its connection, and idle
   * keep-alive connections are closed once `idleGraceMs` is over. Any other
   * `net.Server` by `close()`: its connections are the caller's to end.
   */
  drain(options?: DrainOptions): Promise<void>
  /** True once `drain()` was called. */
  readonly draining: boolean
}

/** How often a draining server closes connections that went idle, once the idle grace is over. */
const IDLE_SWEEP_MS = 100

type HttpLikeServer = NetServer & {
  closeIdleConnections(): void
  closeAllConnections(): void
}

function isHttpLike(server: NetServer): server is HttpLikeServer {
  return typeof (server as Partial<HttpLikeServer>).closeIdleConnections === 'function'
}

/** Marks a response so its connection closes after it: the client reconnects elsewhere. */
function closeAfter(res: ServerResponse | undefined): void {
  if (res && !res.headersSent && !res.writableEnded) res.setHeader('Connection', 'close')
}

/**
 * Makes `server` drainable. Call it before the server accepts: it counts
 * connections from then on (one Set entry per connection, nothing per
 * request).
 */
export function drainable(server: NetServer, options: { logger?: Logger } = {}): Drainable {
  const logger = options.logger ?? silentLogger()
  const http = isHttpLike(server) ? server : undefined
  const sockets = http ? trackConnections(http) : undefined
  let draining: Promise<void> | undefined

  function drain({ idleGraceMs = 0 }: DrainOptions = {}): Promise<void> {
    if (draining) return draining
    logger.info({ idleGraceMs }, 'draining: no longer accepting')
    draining = new Promise<void>((resolve) => {
      // net.Server's close: stop accepting, call back once every connection
      // ended. http.Server#close would also drop idle keep-alive connections
      // at once, and a client that is sending its next request on one of
      // them right now would see a reset; they get idleGraceMs first.
      NetServer.prototype.close.call(server, () => resolve())
    })
    if (http && sockets) {
      logger.debug({ connections: sockets.size }, 'draining connections')
      // From now on every response closes its connection (added only now:
      // no cost per request while serving).
      http.prependListener('request', (_req, res: ServerResponse) => closeAfter(res))
      // In-flight responses not yet started close their connection when done.
      for (const socket of sockets) closeAfter(inFlight(socket))
      let sweep: NodeJS.Timeout | undefined
      const startSweeping = () => {
        http.closeIdleConnections()
        sweep = setInterval(() => http.closeIdleConnections(), IDLE_SWEEP_MS)
        sweep.unref()
      }
      if (idleGraceMs > 0) setTimeout(startSweeping, idleGraceMs).unref()
      else startSweeping()
      draining.finally(() => clearInterval(sweep))
    }
    return draining
  }

  return {
    drain,
    get draining() {
      return draining !== undefined
    },
  }
}

/**
 * The response in progress on a connection of an http server. Node keeps it
 * on the socket as `_httpMessage` (undocumented, stable since 0.x).
 */
function inFlight(socket: Socket): ServerResponse | undefined {
  return (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage
}

/** Tracks a server's open connections. */
function trackConnections(server: NetServer): Set<Socket> {
  const sockets = new Set<Socket>()
  // An https server parses HTTP on the TLS socket, not on the TCP one. Duck
  // typing: importing node:tls to test instanceof costs every worker ~5 MiB.
  const event = 'setSecureContext' in server ? 'secureConnection' : 'connection'
  server.on(event, (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  return sockets
}
