import type { Server as HttpServer, RequestListener, ServerResponse } from 'node:http'
import type { Server as NetServer } from 'node:net'
import { availableParallelism } from 'node:os'
import { configAutoIntValue, configFloatValue, configTrueValue } from '@forklift/config'
import { formatError } from '@forklift/errors'
import type { Logger } from '@forklift/log'
import { cleanUpDaemonHygiene } from '@forklift/privileges'
import {
  adoptListeningSocket,
  type BindOptions,
  bindHandoffSocket,
  bindSocket,
  listenFdsFromEnv,
  socketOptionsFromConfig,
  type TlsContextOptions,
  tlsContextOptions,
} from '@forklift/socket'
import { notifyReady, notifyReloading, notifyStopping } from '@forklift/supervisor/notify'
import { WorkerPool } from '@forklift/supervisor/worker-pool'
import { createAppServer, loadServerApp, serverLimits } from './_app-server.js'
import { checkUser, configuredUser, dropToUser } from './_user.js'
import { type WorkerPayload, workerArgs } from './_worker-app.js'
import { RunnerError } from './errors.js'
import { serverLogger } from './logging.js'
import { loadServerConf, type ServerConf } from './server-conf.js'
import { captureStdio, sameOpenFile } from './stdio.js'

/** Options of {@link runWsgi}. */
export interface RunWsgiOptions {
  /** The app section (`object-server` → `[app:object-server]`); see loadServerConf. */
  section?: string
  /** Log to the console at debug level and keep stderr open (swift-init's no-daemon). */
  verbose?: boolean
  /** Accepted for swift-init compatibility; a server has nothing to do "once". */
  once?: boolean
  /** Validate config, bind options, user and app, then resolve 0 without binding. */
  testConfig?: boolean
  /** Use this logger instead of one built from the conf (`log_name`, `log_level`, `log_file`). */
  logger?: Logger
  /** Where LISTEN_FDS / LISTEN_PID / NOTIFY_SOCKET are read; default process.env. */
  env?: NodeJS.ProcessEnv
}

/** Swift's default: old workers get a day to finish their requests after a reload. */
export const DEFAULT_STALE_WORKER_TIMEOUT_S = 86_400

/** Everything runWsgi derives from the config before it touches a socket. */
export interface WsgiPlan {
  server: ServerConf
  bind: BindOptions
  /** 0 = serve in this process. */
  workers: number
  user: string | undefined
  maxClients: number
  clientTimeoutSec: number
  staleWorkerTimeoutSec: number
  /** Keep one booted spare worker that takes a dead worker's place at once (`standby_worker`). */
  standby: boolean
}

/** Reads and validates a server's config (throws ConfigError / SocketError naming file, section and key). */
export function planWsgi(confPath: string, options: { section?: string } = {}): WsgiPlan {
  const server = loadServerConf(confPath, options)
  const where = (key: string) => ({ file: server.file, section: server.section, key })
  const { conf } = server
  const bind = socketOptionsFromConfig(conf, { file: server.file, section: server.section })
  const workers = configAutoIntValue(conf.workers, availableParallelism(), where('workers'))
  if (workers < 0) {
    configAutoIntValue('-', 0, where('workers')) // throws E_CONFIG_VALUE naming the key
  }
  const staleWorkerTimeoutSec = conf.stale_worker_timeout?.trim()
    ? configFloatValue(conf.stale_worker_timeout, where('stale_worker_timeout'), { min: 0 })
    : DEFAULT_STALE_WORKER_TIMEOUT_S
  return {
    server,
    bind,
    workers,
    user: configuredUser(conf),
    ...serverLimits(server),
    staleWorkerTimeoutSec,
    standby: workers > 0 && configTrueValue(conf.standby_worker),
  }
}

// setTimeout fires at once for delays beyond 2^31-1 ms (~24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1
function timerMs(seconds: number): number {
  return Math.min(Math.round(seconds * 1000), MAX_TIMER_MS)
}

function sameBind(a: BindOptions, b: BindOptions): boolean {
  return a.host === b.host && a.port === b.port && a.backlog === b.backlog
}

/** The first LISTEN_FDS descriptor systemd passed us, if any; clears LISTEN_* so workers never take them. */
function takeListenFd(env: NodeJS.ProcessEnv, logger: Logger): number | undefined {
  const fds = listenFdsFromEnv(env)
  delete env.LISTEN_FDS
  delete env.LISTEN_PID
  delete env.LISTEN_FDNAMES
  if (fds[0] !== undefined) logger.info({ fd: fds[0] }, 'using the socket passed in LISTEN_FDS')
  return fds[0]
}

/** A socket the parent holds for its workers (bound, never accepted on here). */
interface PoolSocketHandle {
  fd: number
  close(): void
}

/** Signals the parent reacts to, and how. */
type Stop = 'SIGTERM' | 'SIGINT' | 'SIGHUP'

/**
 * Waits for SIGTERM/SIGINT (stop now), SIGHUP (drain) and SIGUSR1 (reload),
 * running the handlers one at a time; resolves once a stop handler finished.
 */
function serveSignals(
  logger: Logger,
  handlers: { stop(now: boolean): Promise<void>; reload(): Promise<void> },
): Promise<void> {
  return new Promise((resolve) => {
    let queue = Promise.resolve()
    let stopping = false
    const onStop = (sig: Stop) => {
      logger.info(`${sig} received (${process.pid})`)
      if (stopping && sig === 'SIGHUP') return
      const now = sig !== 'SIGHUP'
      stopping = true
      // A stop-now must not wait behind a long drain or reload.
      const run = now ? handlers.stop(true) : queue.then(() => handlers.stop(false))
      run
        .catch((err) => logger.error({ err }, `stopping failed: ${formatError(err)}`))
        .finally(() => {
          for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1'] as const)
            process.off(s, listeners[s])
          resolve()
        })
    }
    const onReload = () => {
      logger.info(`SIGUSR1 received (${process.pid})`)
      if (stopping) return
      queue = queue
        .then(() => handlers.reload())
        .catch((err) => logger.error({ err }, `reload failed: ${formatError(err)}`))
    }
    const listeners = {
      SIGTERM: () => onStop('SIGTERM'),
      SIGINT: () => onStop('SIGINT'),
      SIGHUP: () => onStop('SIGHUP'),
      SIGUSR1: onReload,
    }
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1'] as const) process.on(s, listeners[s])
  })
}

function announceReady(plan: WsgiPlan, options: RunWsgiOptions, logger: Logger): Promise<boolean> {
  // swift-init reads our stdout (and stderr, through the same pipe) until EOF.
  captureStdio({
    logger,
    keepStderr:
      options.verbose === true ||
      (options.logger === undefined && !plan.server.conf.log_file?.trim() && !sameOpenFile(1, 2)),
  })
  return notifyReady({ logger, ...(options.env ? { env: options.env } : {}) })
}

/**
 * Swift's run_wsgi: loads `[DEFAULT]` + the app section, checks the app loads,
 * binds the socket (or adopts LISTEN_FDS), runs `workers` worker processes
 * (or serves in this process when 0), and when every worker listens closes
 * stdout/stderr (swift-init's readiness signal) and sends READY=1. Then it
 * serves signals: SIGTERM/SIGINT stop now, SIGHUP drains and exits, SIGUSR1
 * reloads seamlessly (RELOADING=1 … READY=1). Resolves with the exit status;
 * config errors throw before anything is bound. Installs process signal
 * handlers while it runs: that is its job.
 */
export async function runWsgi(confPath: string, options: RunWsgiOptions = {}): Promise<number> {
  const env = options.env ?? process.env
  // Until the signal handlers are in place, a reload-seamless sent while we
  // start must not open Node's inspector (SIGUSR1's default in Node).
  const ignoreUsr1 = () => {}
  process.on('SIGUSR1', ignoreUsr1)
  try {
    return await runWsgiInner(confPath, options, env)
  } finally {
    process.off('SIGUSR1', ignoreUsr1)
  }
}

async function runWsgiInner(
  confPath: string,
  options: RunWsgiOptions,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const plan = planWsgi(confPath, options)
  checkUser(plan.user)
  const logger = options.logger ?? serverLogger(plan.server.logName, plan.server.conf, options)
  // Read before dropping privileges: key files are often root's alone.
  const tls = tlsContextOptions({ ...plan.bind, logger })
  // As Swift's check_config: fail on an app that does not load before binding anything.
  const listener = await loadServerApp(plan.server, logger)
  if (options.testConfig) return 0

  const listenFd = takeListenFd(env, logger)
  if (plan.workers === 0) {
    const socket =
      listenFd !== undefined
        ? await adoptListeningSocket(listenFd, {
            backlog: plan.bind.backlog,
            keepIdleSec: plan.bind.keepIdleSec,
          })
        : await bindSocket({ ...plan.bind, logger })
    cleanUpDaemonHygiene()
    return serveInProcess(plan, options, logger, socket, listener, tls)
  }
  const socket: PoolSocketHandle =
    listenFd !== undefined
      ? { fd: listenFd, close: () => {} }
      : await bindHandoffSocket({ ...plan.bind, logger })
  cleanUpDaemonHygiene()
  return serveWithWorkers(plan, options, logger, socket, tls)
}

/** Marks a response's connection to close after it, so a draining server's keep-alive clients move on. */
function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close')
  res.shouldKeepAlive = false
}

async function serveInProcess(
  plan: WsgiPlan,
  options: RunWsgiOptions,
  logger: Logger,
  socket: NetServer,
  firstListener: RequestListener,
  tls: TlsContextOptions | undefined,
): Promise<number> {
  dropToUser(plan.user, logger)
  let listener = firstListener
  let draining = false
  const inFlight = new Set<ServerResponse>()
  const http: HttpServer = await createAppServer(
    (req, res) => {
      inFlight.add(res)
      res.on('close', () => inFlight.delete(res))
      if (draining) closeAfter(res)
      listener(req, res)
    },
    {
      keepIdleSec: plan.bind.keepIdleSec,
      maxClients: plan.maxClients,
      clientTimeoutSec: plan.clientTimeoutSec,
      tls,
    },
  )
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(socket, () => {
      http.off('error', reject)
      resolve()
    })
  })
  logger.info({ port: plan.bind.port, workers: 0 }, `serving in process ${process.pid}`)
  await announceReady(plan, options, logger)
  const notifyOpts = { logger, ...(options.env ? { env: options.env } : {}) }
  await serveSignals(logger, {
    async stop(now) {
      await notifyStopping(notifyOpts)
      draining = true
      const closed = new Promise<void>((resolve) => http.close(() => resolve()))
      if (now) {
        http.closeAllConnections()
      } else {
        for (const res of inFlight) closeAfter(res)
        http.closeIdleConnections()
        const timer = setTimeout(() => {
          logger.warn('stale_worker_timeout reached while draining: closing connections')
          http.closeAllConnections()
        }, timerMs(plan.staleWorkerTimeoutSec))
        timer.unref()
        await closed
        clearTimeout(timer)
      }
      await closed
    },
    async reload() {
      await notifyReloading(notifyOpts)
      try {
        const next = planWsgi(plan.server.file, options)
        if (!sameBind(next.bind, plan.bind) || next.workers !== 0) {
          logger.warn(
            'bind options or workers changed: a server with workers = 0 keeps its socket and process; restart to apply',
          )
        }
        listener = await loadServerApp(next.server, logger)
        logger.info('reloaded the app in process')
      } catch (err) {
        logger.error({ err }, `reload failed, keeping the running app: ${formatError(err)}`)
      }
      await notifyReady(notifyOpts)
    },
  })
  logger.info(`Exited (${process.pid})`)
  return 0
}

// The worker module next to this one, in dist/.
const WORKER_MODULE = new URL('./_wsgi-worker.js', import.meta.url)

function workerPayload(
  plan: WsgiPlan,
  options: RunWsgiOptions,
  tls: TlsContextOptions | undefined,
): WorkerPayload {
  return {
    file: plan.server.file,
    ...(options.section !== undefined ? { section: options.section } : {}),
    verbose: options.verbose === true,
    ...(tls ? { tls } : {}),
    keepIdleSec: plan.bind.keepIdleSec,
  }
}

async function serveWithWorkers(
  plan: WsgiPlan,
  options: RunWsgiOptions,
  logger: Logger,
  firstSocket: PoolSocketHandle,
  firstTls: TlsContextOptions | undefined,
): Promise<number> {
  let socket = firstSocket
  let current = plan
  const payload = workerPayload(plan, options, firstTls)
  const pool = new WorkerPool({
    module: WORKER_MODULE,
    workers: plan.workers,
    socket: { fd: socket.fd },
    backlog: plan.bind.backlog,
    data: payload,
    args: workerArgs(payload),
    logger,
    staleWorkerTimeoutMs: timerMs(plan.staleWorkerTimeoutSec),
    standby: plan.standby,
  })
  try {
    await pool.start()
  } catch (err) {
    socket.close()
    throw new RunnerError('E_RUNNER_WORKER_START', `workers did not start: ${formatError(err)}`, {
      cause: err,
    })
  }
  logger.info({ port: plan.bind.port, workers: pool.pids() }, `workers listening: ${plan.workers}`)
  await announceReady(plan, options, logger)
  const notifyOpts = { logger, ...(options.env ? { env: options.env } : {}) }
  await serveSignals(logger, {
    async stop(now) {
      await notifyStopping(notifyOpts)
      const done = now ? pool.stop() : pool.drain()
      // The pool forks no worker once stopping began, so our copy of the
      // socket can go now: with every copy closed the port is free at once
      // for whatever replaces us, instead of queueing connections nobody takes.
      socket.close()
      await done
    },
    async reload() {
      await notifyReloading(notifyOpts)
      let next: WsgiPlan
      let tls: TlsContextOptions | undefined
      try {
        next = planWsgi(plan.server.file, options)
        checkUser(next.user)
        tls = tlsContextOptions({ ...next.bind, logger })
      } catch (err) {
        logger.error({ err }, `reload refused, keeping the running workers: ${formatError(err)}`)
        await notifyReady(notifyOpts)
        return
      }
      const old = socket
      const rebind = !sameBind(next.bind, current.bind)
      if (rebind) {
        logger.info(
          { host: next.bind.host, port: next.bind.port },
          'bind options changed: binding anew',
        )
        try {
          socket = await bindHandoffSocket({ ...next.bind, logger })
        } catch (err) {
          logger.error({ err }, `reload refused: ${formatError(err)}`)
          await notifyReady(notifyOpts)
          return
        }
      }
      const nextPayload = workerPayload(next, options, tls)
      try {
        await pool.reload({
          data: nextPayload,
          args: workerArgs(nextPayload),
          workers: next.workers === 0 ? current.workers : next.workers,
          backlog: next.bind.backlog,
          ...(rebind ? { socket: { fd: socket.fd } } : {}),
        })
        if (next.workers === 0) logger.warn('workers = 0 needs a restart; keeping worker processes')
        current = next
        if (rebind) old.close()
      } catch (err) {
        if (rebind) {
          socket.close()
          socket = old
        }
        logger.error({ err }, `reload failed, keeping the running workers: ${formatError(err)}`)
      }
      await notifyReady(notifyOpts)
    },
  })
  logger.info(`Exited (${process.pid})`)
  return 0
}
