// workers >= 1: a WorkerPool on the socket the parent holds; a reload is a
// new generation of workers (on a new socket when the bind options changed).
import { formatError } from '@forklift/errors'
import { notifyReady, notifyReloading, notifyStopping } from '@forklift/notify'
import { notifyReloadSocket, type ReloadOutcome, reloadOutcomeState } from '@forklift/notify/reload'
import { checkUser } from '@forklift/privileges'
import { bindHandoffSocket, type TlsContextOptions, tlsContextOptions } from '@forklift/socket'
import { ServiceStatus } from '@forklift/supervisor/service-status'
import { WorkerPool } from '@forklift/supervisor/worker-pool'
import type { ServeContext } from './_serve-context.js'
import { deferStopSignals, serveSignals } from './_signals.js'
import { checkNewImage, imageWatch, reexec, retireWorkers, type Upgrade } from './_upgrade.js'
import { type WorkerPayload, workerArgs } from './_worker-app.js'
import { RunnerError } from './errors.js'
import { planWsgi, sameBind, timerMs, type WsgiPlan } from './plan.js'

/** A socket the parent holds for its workers (bound, never accepted on here). */
export interface PoolSocketHandle {
  fd: number
  /** The port it is bound to, when the parent bound it. */
  port?: number
  close(): void
}

// The worker module next to this one, in dist/ (and in a bundle, next to
// the chunk holding this code: see apps/wsgi-server/scripts/bundle.mjs).
const WORKER_MODULE = new URL('./wsgi-worker.js', import.meta.url)

function workerPayload(
  plan: WsgiPlan,
  ctx: ServeContext,
  verbose: boolean,
  tls: TlsContextOptions | undefined,
): WorkerPayload {
  return {
    file: plan.server.file,
    ...(ctx.section !== undefined ? { section: ctx.section } : {}),
    verbose,
    ...(tls ? { tls } : {}),
    keepIdleSec: plan.bind.keepIdleSec,
  }
}

/** Runs the pool on `firstSocket` until a stop signal; resolves the exit status. */
export async function serveWithWorkers(
  ctx: ServeContext,
  firstSocket: PoolSocketHandle,
  verbose: boolean,
  upgrade?: Upgrade,
): Promise<number> {
  const { plan, logger } = ctx
  // What this image was loaded from: a SIGUSR1 after it was replaced re-execs the parent.
  const image = imageWatch(WORKER_MODULE)
  let socket = firstSocket
  let current = plan
  const payload = workerPayload(plan, ctx, verbose, ctx.tls)
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
    ...(plan.workerTimeoutSec > 0 ? { workerTimeoutMs: timerMs(plan.workerTimeoutSec) } : {}),
    ...(plan.maxRequests > 0
      ? { maxRequests: plan.maxRequests, maxRequestsJitter: plan.maxRequestsJitter }
      : {}),
    ...(plan.maxWorkerRssMib > 0 ? { maxRssBytes: plan.maxWorkerRssMib * 1048576 } : {}),
  })
  const early = deferStopSignals(logger)
  const status = new ServiceStatus(plan.server.logName, logger, ctx.env, {
    respawns: upgrade?.respawns ?? 0,
  })
  try {
    await status.extendWhile(pool.start())
  } catch (err) {
    early.replay()
    socket.close()
    throw new RunnerError('E_RUNNER_WORKER_START', `workers did not start: ${formatError(err)}`, {
      cause: err,
    })
  }
  logger.info(
    { port: socket.port ?? plan.bind.port, workers: pool.pids() },
    `workers listening: ${plan.workers}`,
  )
  if (!early.caught) await ctx.announceReady()
  status.serving(pool.pids().length)
  if (upgrade) {
    // The reload that re-exec'd us ends here: the new parent's workers listen.
    status.reloaded('ok')
    notifyReloadSocket(
      reloadOutcomeState({ ok: true, status: `upgraded: ${pool.pids().length} workers` }),
    )
    void retireWorkers(upgrade.oldWorkers, timerMs(plan.staleWorkerTimeoutSec), logger)
  }
  pool.on('exit', (w) => {
    if (!w.expected && pool.state === 'running') status.respawned()
    status.workers(pool.pids().length)
  })
  pool.on('listening', () => status.workers(pool.pids().length))
  const notifyOpts = { logger, ...(ctx.env ? { env: ctx.env } : {}) }
  const served = serveSignals(logger, {
    async stop(now) {
      await notifyStopping(notifyOpts)
      status.stopping()
      const done = status.extendWhile(now ? pool.stop() : pool.drain())
      // The pool forks no worker once stopping began, so our copy of the
      // socket can go now: with every copy closed the port is free at once
      // for whatever replaces us, instead of queueing connections nobody takes.
      socket.close()
      await done
    },
    async reload() {
      await notifyReloading(notifyOpts)
      if (image.changed()) return upgradeParent()
      let next: WsgiPlan
      let tls: TlsContextOptions | undefined
      try {
        next = planWsgi(plan.server.file, ctx.section ? { section: ctx.section } : {})
        checkUser(next.user)
        tls = tlsContextOptions({ ...next.bind, logger })
      } catch (err) {
        logger.error({ err }, `reload refused, keeping the running workers: ${formatError(err)}`)
        status.reloaded('refused', formatError(err))
        await notifyReady(notifyOpts)
        return { ok: false, reason: formatError(err) }
      }
      const old = socket
      const rebind = !sameBind(next.bind, current.bind)
      if (rebind) {
        logger.info(
          { host: next.bind.host, port: next.bind.port },
          'bind options changed: binding anew',
        )
        try {
          const bound = await bindHandoffSocket({ ...next.bind, logger })
          socket = { fd: bound.fd, port: bound.address.port, close: () => bound.close() }
        } catch (err) {
          logger.error({ err }, `reload refused: ${formatError(err)}`)
          status.reloaded('refused', formatError(err))
          await notifyReady(notifyOpts)
          return { ok: false, reason: formatError(err) }
        }
      }
      const nextPayload = workerPayload(next, ctx, verbose, tls)
      let outcome: ReloadOutcome
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
        outcome = { ok: true, status: `reloaded: ${pool.pids().length} workers` }
        status.reloaded('ok')
      } catch (err) {
        if (rebind) {
          socket.close()
          socket = old
        }
        logger.error({ err }, `reload failed, keeping the running workers: ${formatError(err)}`)
        outcome = { ok: false, reason: formatError(err) }
        status.reloaded('failed', formatError(err))
      }
      status.workers(pool.pids().length)
      await notifyReady(notifyOpts)
      return outcome
    },
  })
  /** The installed code or Node changed: check it, then become it (same pid). */
  async function upgradeParent(): Promise<ReloadOutcome> {
    const env = ctx.env ?? process.env
    logger.info('installed code or Node changed: checking the new code before the parent re-execs')
    const reason = await checkNewImage(env)
    if (reason === undefined) {
      const oldWorkers = await pool.handOver()
      logger.info(
        { workers: oldWorkers },
        'the parent re-execs itself; its workers serve meanwhile',
      )
      try {
        reexec(socket.fd, oldWorkers, env, status.respawns)
      } catch (err) {
        logger.error({ err }, `upgrade failed, keeping the running parent: ${formatError(err)}`)
        status.reloaded('failed', formatError(err))
        await notifyReady(notifyOpts)
        return { ok: false, reason: formatError(err) }
      }
    }
    const why = reason ?? 'process.execve returned'
    logger.error(`upgrade refused, keeping the running parent and workers: ${why}`)
    status.reloaded('refused', why)
    await notifyReady(notifyOpts)
    return { ok: false, reason: why }
  }
  early.replay()
  await served
  status.close()
  logger.info(`Exited (${process.pid})`)
  return 0
}
