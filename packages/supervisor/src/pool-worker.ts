/**
 * The worker side of a WorkerPool: build the server, listen on the socket the
 * parent handed down (or on an own SO_REUSEPORT socket), say so, and drain on
 * request or when the parent dies.
 */
import type { Server as NetServer } from 'node:net'
import { type MinimalLogger as Logger, silentLogger } from '@forklift/log'
import { limitAccepting } from './_accept-limit.js'
import { nextParentMessage, onParentMessage, tellParent, watchParent } from './_parent.js'
import { type Drainable, drainable } from './drain.js'
import { SupervisorError } from './errors.js'
import { type ListenPlan, type PoolHandoverMessage, serializeError } from './protocol.js'
import { currentParentPid } from './watchdog.js'

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
   * IPC; a pool forks its workers with `--disable-sigusr1`, and on a Node
   * without it SIGUSR1 would otherwise start the inspector); default true.
   * SIGTERM and SIGINT keep Node's default: exit at once.
   */
  handleSignals?: boolean
  /** Exit the process (status 0) once drained, 1 when the server cannot start; default true. */
  exit?: boolean
  /**
   * Swift's `max_clients`: with this many connections open the worker stops
   * accepting, and connections wait in the shared socket's kernel queue for
   * a sibling worker (or for this one, once below the limit). Only on the
   * parent's shared socket (`{ fd }`); default no limit.
   */
  maxConnections?: number
}

/** A running pool worker. */
export interface PoolWorker {
  readonly server: NetServer
  readonly context: PoolWorkerContext
  /** Stops accepting and resolves when every connection is closed (idempotent). */
  drain(options?: { idleGraceMs?: number }): Promise<void>
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

/**
 * The body of a worker module forked by a WorkerPool: waits for the pool's
 * instructions, builds the server with `createServer`, listens on the
 * handed-down socket, reports ready, then drains and exits when the pool
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
  const { maxConnections } = options
  if (maxConnections !== undefined && (!Number.isInteger(maxConnections) || maxConnections < 1)) {
    throw new TypeError(`maxConnections must be an integer >= 1, got ${maxConnections}`)
  }
  const logger = options.logger ?? silentLogger()
  const exit = options.exit ?? true
  if (options.handleSignals ?? true) {
    // The parent decides; a SIGHUP or SIGUSR1 sent to the whole process group must not kill us.
    process.on('SIGHUP', () => {})
    process.on('SIGUSR1', () => {})
  }

  let worker: PoolWorker | undefined
  const watch = watchParent({
    onParentDeath: () => {
      if (worker) logger.warn('parent process gone: draining')
      return worker?.drain({ idleGraceMs: 0 })
    },
  })
  const init = await nextParentMessage('pool-init')
  watch.setGraceMs(init.orphanGraceMs)
  const context: PoolWorkerContext = {
    data: init.data,
    index: init.index,
    generation: init.generation,
  }

  let server: NetServer
  let drainer: Drainable
  try {
    server = await options.createServer(context)
    drainer = drainable(server, { logger })
    await listen(server, init.listen)
  } catch (err) {
    logger.error({ err }, `worker could not start: ${(err as Error).message}`)
    void tellParent({ forklift: 1, type: 'failed', error: serializeError(err) })
    if (exit) process.exit(1)
    throw err
  }

  if (options.maxConnections !== undefined && init.listen.kind === 'fd') {
    limitAccepting(server, {
      max: options.maxConnections,
      backlog: init.listen.backlog,
      stopped: () => drainer.draining,
      logger,
    })
  }

  let onDrainCalled = false
  worker = {
    server,
    context,
    drain(drainOptions) {
      const done = drainer.drain(drainOptions)
      if (!onDrainCalled) {
        onDrainCalled = true
        Promise.resolve()
          .then(() => options.onDrain?.(context))
          .catch((err) => logger.error({ err }, 'onDrain failed'))
      }
      return done
    },
  }
  const w = worker
  onParentMessage('pool-drain', ({ idleGraceMs }) => {
    w.drain({ idleGraceMs }).then(() => {
      watch.stop()
      if (exit) process.exit(0)
    })
  })
  onParentMessage('pool-handover', (message) => {
    watch.stop()
    awaitHandover(w, message, logger, exit)
  })
  const { maxRequests } = init
  if (maxRequests !== undefined && maxRequests > 0) {
    // Counted here, asked for once: the parent forks the replacement, and
    // this worker serves on until the replacement listens and it is drained.
    let served = 0
    const count = () => {
      if (++served !== maxRequests) return
      server.off('request', count)
      void tellParent({ forklift: 1, type: 'pool-recycle', requests: served })
    }
    server.on('request', count)
  }
  if (init.heartbeatMs !== undefined && init.heartbeatMs > 0) {
    // A timer, so that a beat only leaves when the event loop runs: a loop
    // blocked by the app sends none and the parent replaces this worker.
    const beat = setInterval(
      () => void tellParent({ forklift: 1, type: 'heartbeat' }),
      init.heartbeatMs,
    )
    beat.unref()
  }
  void tellParent({ forklift: 1, type: 'ready', address: server.address() })
  return worker
}

/**
 * After a `pool-handover`: once the channel closes (the parent's exec closed
 * its end), serve on until the new image says SIGHUP, then drain and exit 0.
 * Nothing but the parent can have this process as its child, so a SIGHUP
 * only counts after the disconnect; a changed parent pid (the parent died,
 * we were re-parented) or `timeoutMs` drains too.
 */
function awaitHandover(
  worker: PoolWorker,
  message: PoolHandoverMessage,
  logger: Logger,
  exit: boolean,
): void {
  const onDisconnect = () => {
    let done = false
    const finish = (why: string) => {
      if (done) return
      done = true
      clearInterval(poll)
      clearTimeout(deadline)
      logger.info(`${why}: draining`)
      worker.drain({ idleGraceMs: message.idleGraceMs }).then(() => {
        if (exit) process.exit(0)
      })
    }
    process.on('SIGHUP', () => finish('SIGHUP from the re-executed parent'))
    const poll = setInterval(() => {
      if (currentParentPid() !== message.parentPid) finish('parent process gone during its re-exec')
    }, 250)
    const deadline = setTimeout(
      () => finish('no word from the re-executed parent'),
      message.timeoutMs,
    )
  }
  if (process.connected) process.once('disconnect', onDisconnect)
  else onDisconnect()
}
