/**
 * Swift's run_wsgi: plan from the config (./plan), check the user and the
 * app, bind (or adopt LISTEN_FDS), then serve in this process (workers = 0)
 * or through a worker pool, each answering the same signals (./_signals).
 */

import { closeSync } from 'node:fs'
import type { MinimalLogger as Logger } from '@forklift/log'
import { notifyReady } from '@forklift/notify'
import { holdSignalUntilHandled } from '@forklift/posix/signals'
import { checkUser, cleanUpDaemonHygiene } from '@forklift/privileges'
import {
  adoptListeningSocket,
  bindHandoffSocket,
  bindSocket,
  listenFdsWithNames,
  pickListenFd,
  tlsContextOptions,
} from '@forklift/socket'
import { loadServerApp } from './_app-server.js'
import { serveInProcess } from './_in-process.js'
import type { ServeContext } from './_serve-context.js'
import { retireWorkers, takeUpgrade } from './_upgrade.js'
import { type PoolSocketHandle, serveWithWorkers } from './_with-workers.js'
import { captureServerStdio, logStartupFailure, serverLogger } from './logging.js'
import { planWsgi, timerMs, type WsgiPlan } from './plan.js'

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
  /** Use this logger instead of one built from the conf (Swift's log options and `log_file`: see serverLogger). */
  logger?: Logger
  /** Where LISTEN_FDS / LISTEN_PID / NOTIFY_SOCKET are read; default process.env. */
  env?: NodeJS.ProcessEnv
}

/**
 * The LISTEN_FDS descriptor systemd passed for this server, if any: the one
 * whose FileDescriptorName= (LISTEN_FDNAMES) is the server's name or app
 * section, else the only one. Clears LISTEN_* so workers never take them.
 */
function takeListenFd(
  env: NodeJS.ProcessEnv,
  logger: Logger,
  names: readonly string[],
): number | undefined {
  const fds = listenFdsWithNames(env)
  delete env.LISTEN_FDS
  delete env.LISTEN_PID
  delete env.LISTEN_FDNAMES
  const fd = pickListenFd(fds, names)
  // Not ours to serve: closed, so no worker inherits another service's socket.
  for (const other of fds) if (other !== fd) closeSync(other.fd)
  if (fd) logger.info({ fd: fd.fd, fdName: fd.name }, 'using the socket passed in LISTEN_FDS')
  return fd?.fd
}

function announceReady(options: RunWsgiOptions, logger: Logger): boolean {
  // swift-init reads our stdout (and stderr, through the same pipe) until EOF.
  captureServerStdio(logger, options.verbose === true)
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
  // SIGUSR1 stays blocked (pending, never Node's inspector) until the reload
  // handler is listening: a reload-seamless sent while we start is queued and
  // runs once we serve, instead of opening a debugger in a root process.
  const release = holdSignalUntilHandled('SIGUSR1')
  try {
    return await start(confPath, options, env)
  } finally {
    release()
  }
}

async function start(
  confPath: string,
  options: RunWsgiOptions,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const plan = planWsgi(confPath, options)
  checkUser(plan.user)
  const logger =
    options.logger ??
    serverLogger(plan.server, {
      ...(options.verbose ? { verbose: true } : {}),
      ...(options.testConfig ? { testConfig: true } : {}),
    })
  try {
    return await serve(plan, logger, options, env)
  } catch (err) {
    // Fatal start-up errors also reach the configured log, not only the terminal.
    logStartupFailure(logger, err)
    throw err
  }
}

async function serve(
  plan: WsgiPlan,
  logger: Logger,
  options: RunWsgiOptions,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  // Read before dropping privileges: key files are often root's alone.
  const tls = tlsContextOptions({ ...plan.bind, logger })
  // As Swift's check_config: fail on an app that does not load before binding anything.
  const listener = await loadServerApp(plan.server, logger)
  if (options.testConfig) return 0

  const ctx: ServeContext = {
    plan,
    logger,
    tls,
    section: options.section,
    env: options.env,
    announceReady: () => announceReady(options, logger),
  }
  // A SIGUSR1 re-exec'd this process: its previous image left the socket open.
  const upgrade = takeUpgrade(env, logger)
  const listenFd = takeListenFd(env, logger, [
    plan.server.logName,
    ...(options.section ? [options.section] : []),
  ])
  if (plan.workers === 0) {
    const fd = upgrade?.fd ?? listenFd
    const socket =
      fd !== undefined
        ? await adoptListeningSocket(fd, {
            backlog: plan.bind.backlog,
            keepIdleSec: plan.bind.keepIdleSec,
          })
        : await bindSocket({ ...plan.bind, logger })
    cleanUpDaemonHygiene()
    // Now workers = 0: the old workers drain as soon as this process listens.
    if (upgrade) void retireWorkers(upgrade.oldWorkers, timerMs(plan.staleWorkerTimeoutSec), logger)
    return serveInProcess(ctx, socket, listener)
  }
  let socket: PoolSocketHandle
  if (upgrade) {
    const { fd } = upgrade
    socket = { fd, close: () => closeSync(fd) }
  } else if (listenFd !== undefined) {
    socket = { fd: listenFd, close: () => {} }
  } else {
    const bound = await bindHandoffSocket({ ...plan.bind, logger })
    socket = { fd: bound.fd, port: bound.address.port, close: () => bound.close() }
  }
  cleanUpDaemonHygiene()
  return serveWithWorkers(ctx, socket, options.verbose === true, upgrade)
}
