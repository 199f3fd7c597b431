// workers = 0: the server process serves itself, with the same drain as a
// pool worker, and reloads by loading the app anew behind the same socket.
import type { RequestListener } from 'node:http'
import type { AddressInfo, Server as NetServer } from 'node:net'
import { formatError } from '@forklift/errors'
import { notifyReady, notifyReloading, notifyStopping } from '@forklift/notify'
import type { ReloadOutcome } from '@forklift/notify/reload'
import { dropToUser } from '@forklift/privileges'
import { drainable } from '@forklift/supervisor/drain'
import { ServiceStatus } from '@forklift/supervisor/service-status'
import { DEFAULT_IDLE_GRACE_MS } from '@forklift/supervisor/worker-pool'
import { createAppServer, loadServerApp } from './_app-server.js'
import type { ServeContext } from './_serve-context.js'
import { serveSignals } from './_signals.js'
import { planWsgi, sameBind, timerMs } from './plan.js'

/** Serves on `socket` in this process until a stop signal; resolves the exit status. */
export async function serveInProcess(
  ctx: ServeContext,
  socket: NetServer,
  firstListener: RequestListener,
): Promise<number> {
  const { plan, logger } = ctx
  dropToUser(plan.user, logger)
  let listener = firstListener
  const http = await createAppServer((req, res) => listener(req, res), {
    keepIdleSec: plan.bind.keepIdleSec,
    maxClients: plan.maxClients,
    clientTimeoutSec: plan.clientTimeoutSec,
    keepaliveTimeoutSec: plan.keepaliveTimeoutSec,
    requireProxyProtocol: plan.requireProxyProtocol,
    tls: ctx.tls,
  })
  const drain = drainable(http, { logger })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(socket, () => {
      http.off('error', reject)
      resolve()
    })
  })
  const { port } = (http.address() as AddressInfo | null) ?? { port: plan.bind.port }
  logger.info({ port, workers: 0 }, `serving in process ${process.pid}`)
  await ctx.announceReady()
  const status = new ServiceStatus(plan.server.logName, logger, ctx.env)
  status.serving(0)
  const notifyOpts = { logger, ...(ctx.env ? { env: ctx.env } : {}) }
  await serveSignals(logger, {
    async stop(now) {
      await notifyStopping(notifyOpts)
      status.stopping()
      const drained = drain.drain({ idleGraceMs: now ? 0 : DEFAULT_IDLE_GRACE_MS })
      if (now) {
        http.closeAllConnections()
      } else {
        const timer = setTimeout(() => {
          logger.warn('stale_worker_timeout reached while draining: closing connections')
          http.closeAllConnections()
        }, timerMs(plan.staleWorkerTimeoutSec))
        timer.unref()
        await status.extendWhile(drained)
        clearTimeout(timer)
      }
      await drained
    },
    async reload() {
      await notifyReloading(notifyOpts)
      let outcome: ReloadOutcome
      try {
        const next = planWsgi(plan.server.file, ctx.section ? { section: ctx.section } : {})
        if (!sameBind(next.bind, plan.bind) || next.workers !== 0) {
          logger.warn(
            'bind options or workers changed: a server with workers = 0 keeps its socket and process; restart to apply',
          )
        }
        listener = await loadServerApp(next.server, logger)
        logger.info('reloaded the app in process')
        outcome = { ok: true, status: 'reloaded the app in process' }
        status.reloaded('ok')
      } catch (err) {
        logger.error({ err }, `reload failed, keeping the running app: ${formatError(err)}`)
        outcome = { ok: false, reason: formatError(err) }
        status.reloaded('refused', formatError(err))
      }
      await notifyReady(notifyOpts)
      return outcome
    },
  })
  status.close()
  logger.info(`Exited (${process.pid})`)
  return 0
}
