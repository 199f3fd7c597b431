// The worker side of a WorkerPool: build the server, listen on the socket the
// parent handed down (or on an own SO_REUSEPORT socket), say so, and drain on
// request or when the parent dies.
import type { ServerResponse } from 'node:http'
import { Server as NetServer, type Socket } from 'node:net'
import { type Logger, silentLogger } from '@forklift/log'
import {
  type DrainMessage,
  type InitMessage,
  isPoolMessage,
  type ListenPlan,
  type WorkerMessage,
} from './_worker-protocol.js'
import { SupervisorError } from './errors.js'
import { exitWhenParentDies } from './watchdog.js'

/** What a worker's `createServer` is told. */
export interface PoolWorkerContext {
  /** The pool's `data` option (JSON), as of this worker's generation. */
  readonly data: unknown
  /** The worker's slot, 0 … workers-1; a respawned worker keeps the slot of the one it replaces. */
  readonly index: number
  /** 1 for the workers of `start()`, +1 for each `reload()`. */
  readonly generation: number
}

/** Options of runPoolWorker. */
export interface RunPoolWorkerOptions {
  /**
   * Builds the server, not yet listening: an `http.Server` or `https.Server`
   * (drained connection by connection: idle keep-alive connections closed,
   * in-flight responses sent with `Connection: close`) or any `net.Server`
   * (drained by `close()`: its connections are the caller's to end, e.g. in
   * `onDrain`).
   */
  createServer(context: PoolWorkerContext): NetServer | Promise<NetServer>
  /** Called once the server stopped accepting, at the start of a drain. */
  onDrain?(context: PoolWorkerContext): void | Promise<void>
  logger?: Logger
  /**
   * Ignore SIGHUP and SIGUSR1 (the parent coordinates drains and reloads over
   * IPC, and SIGUSR1 would otherwise start Node's inspector); default true.
   * SIGTERM and SIGINT keep Node's default: exit at once.
   */
  handleSignals?: boolean
  /** Exit the process (status 0) once drained, 1 when the server cannot start; default true. */
  exit?: boolean
}

/** A running pool worker. */
export interface PoolWorker {
  readonly server: NetServer
  readonly context: PoolWorkerContext
  /** Stops accepting and resolves when every connection is closed (idempotent). */
  drain(options?: { idleGraceMs?: number }): Promise<void>
}

/** How often a draining worker closes connections that went idle, once the idle grace is over. */
const IDLE_SWEEP_MS = 100
/** Default bound on a drain after the parent died (the pool sends its own `orphanGraceMs`). */
const DEFAULT_ORPHAN_GRACE_MS = 1000

type HttpLikeServer = NetServer & {
  closeIdleConnections(): void
  closeAllConnections(): void
}

function isHttpLike(server: NetServer): server is HttpLikeServer {
  return typeof (server as Partial<HttpLikeServer>).closeIdleConnections === 'function'
}

function send(message: WorkerMessage): void {
  // With a callback, a parent that is already gone (EPIPE) is not an uncaught
  // 'error' on process; the watchdog sees the disconnect and ends us.
  process.send?.({ ...message, forkliftPool: 1 }, undefined, {}, () => {})
}

function waitForInit(): Promise<InitMessage> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if (!isPoolMessage(message) || message.type !== 'init') return
      process.off('message', onMessage)
      resolve(message as InitMessage)
    }
    process.on('message', onMessage)
  })
}

function listen(server: NetServer, plan: ListenPlan): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    const done = () => {
      server.off('error', reject)
      resolve()
    }
    if (plan.kind === 'fd') {
      // listen(2) again on the shared socket: pass the configured backlog, or
      // Node's default (511) would shrink the queue for every worker.
      server.listen({ fd: plan.fd, backlog: plan.backlog }, done)
    } else {
      server.listen(
        {
          port: plan.port,
          ...(plan.host !== undefined ? { host: plan.host } : {}),
          ...(plan.ipv6Only ? { ipv6Only: true } : {}),
          backlog: plan.backlog,
          reusePort: true,
        },
        done,
      )
    }
  })
}

/** Marks a response so its connection closes after it: the client reconnects elsewhere. */
function closeAfter(res: ServerResponse | undefined): void {
  if (res && !res.headersSent && !res.writableEnded) res.setHeader('Connection', 'close')
}

/**
 * The body of a worker module forked by a WorkerPool: waits for the pool's
 * instructions, builds the server with `createServer`, listens on the
 * handed-down socket, reports listening, then drains and exits when the pool
 * says so (`drain()`, or the old generation of a `reload()`) or soon after
 * the parent dies (even by SIGKILL). Resolves once listening.
 */
export async function runPoolWorker(options: RunPoolWorkerOptions): Promise<PoolWorker> {
  if (typeof process.send !== 'function') {
    throw new SupervisorError(
      'E_SUPERVISOR_STATE',
      'runPoolWorker must run in a process forked by a WorkerPool (no IPC channel)',
    )
  }
  const logger = options.logger ?? silentLogger()
  const exit = options.exit ?? true
  if (options.handleSignals ?? true) {
    // The parent decides; a SIGHUP or SIGUSR1 sent to the whole process group must not kill us.
    process.on('SIGHUP', () => {})
    process.on('SIGUSR1', () => {})
  }

  let worker: PoolWorker | undefined
  let undoWatch = exitWhenParentDies({
    graceMs: DEFAULT_ORPHAN_GRACE_MS,
    onParentDeath: () => worker?.drain({ idleGraceMs: 0 }),
  })
  const init = await waitForInit()
  undoWatch()
  undoWatch = exitWhenParentDies({
    graceMs: init.orphanGraceMs,
    onParentDeath: () => {
      logger.warn('parent process gone: draining')
      return worker?.drain({ idleGraceMs: 0 })
    },
  })
  const context: PoolWorkerContext = {
    data: init.data,
    index: init.index,
    generation: init.generation,
  }

  let server: NetServer
  try {
    server = await options.createServer(context)
    await listen(server, init.listen)
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    logger.error({ err }, `worker could not start: ${e.message}`)
    send({
      forkliftPool: 1,
      type: 'failed',
      message: e.message,
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
    })
    if (exit) process.exit(1)
    throw err
  }

  worker = makeWorker(server, context, options, logger)
  const w = worker
  process.on('message', (message: unknown) => {
    if (!isPoolMessage(message) || message.type !== 'drain') return
    const { idleGraceMs } = message as DrainMessage
    w.drain({ idleGraceMs }).then(() => {
      undoWatch()
      if (exit) process.exit(0)
    })
  })
  send({ forkliftPool: 1, type: 'listening', address: server.address() })
  return worker
}

function makeWorker(
  server: NetServer,
  context: PoolWorkerContext,
  options: RunPoolWorkerOptions,
  logger: Logger,
): PoolWorker {
  let draining: Promise<void> | undefined
  const http = isHttpLike(server) ? server : undefined
  if (http) trackConnections(http)

  function drain({ idleGraceMs = 0 }: { idleGraceMs?: number } = {}): Promise<void> {
    if (draining) return draining
    logger.info({ idleGraceMs }, 'draining: no longer accepting')
    draining = new Promise<void>((resolve) => {
      // net.Server's close: stop accepting, call back once every connection
      // ended. http.Server#close would also drop idle keep-alive connections
      // at once, and a client that is sending its next request on one of
      // them right now would see a reset; we give them idleGraceMs first.
      NetServer.prototype.close.call(server, () => resolve())
    })
    if (http) {
      logger.debug({ connections: trackedSockets.get(http)?.size }, 'draining connections')
      // From now on every response closes its connection (added only now:
      // no cost per request while serving).
      http.prependListener('request', (_req, res: ServerResponse) => closeAfter(res))
      // In-flight responses not yet started close their connection when done.
      forEachInFlight(http, closeAfter)
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
    Promise.resolve()
      .then(() => options.onDrain?.(context))
      .catch((err) => logger.error({ err }, 'onDrain failed'))
    return draining
  }

  return { server, context, drain }
}

/**
 * Visits the response in progress on each connection of an http server. Node
 * keeps it on the socket as `_httpMessage` (undocumented, stable since 0.x);
 * connections come from the 'connection' events we count ourselves.
 */
function forEachInFlight(server: HttpLikeServer, visit: (res: ServerResponse) => void): void {
  const sockets = trackedSockets.get(server)
  if (!sockets) return
  for (const socket of sockets) {
    const res = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage
    if (res) visit(res)
  }
}

const trackedSockets = new WeakMap<NetServer, Set<Socket>>()

/** Tracks a server's open connections (cheap: one Set entry per connection, none per request). */
function trackConnections(server: NetServer): void {
  if (trackedSockets.has(server)) return
  const sockets = new Set<Socket>()
  trackedSockets.set(server, sockets)
  // An https server parses HTTP on the TLS socket, not on the TCP one. Duck
  // typing: importing node:tls to test instanceof costs every worker ~5 MiB.
  const event = 'setSecureContext' in server ? 'secureConnection' : 'connection'
  server.on(event, (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
}
