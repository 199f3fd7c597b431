/**
 * What a server will do, from its config alone: bind options, workers,
 * user, request limits and the stale-worker bound — read and validated
 * before anything is bound, once per start and once per reload.
 */
import { availableParallelism } from 'node:os'
import {
  configAutoIntValue,
  configFloatValue,
  configIntValue,
  configTrueValue,
  loadServerConf,
  type ServerConf,
} from '@forklift/config'
import { serverLimitsFromConf } from '@forklift/pipeline'
import { configuredUser } from '@forklift/privileges'
import { type BindOptions, socketOptionsFromConfig } from '@forklift/socket'
import { DEFAULT_STALE_WORKER_TIMEOUT_MS } from '@forklift/supervisor/worker-pool'

/** Swift's default: old workers get a day to finish their requests after a reload. */
export const DEFAULT_STALE_WORKER_TIMEOUT_S = DEFAULT_STALE_WORKER_TIMEOUT_MS / 1000

/** Everything runWsgi derives from the config before it touches a socket. */
export interface WsgiPlan {
  server: ServerConf
  bind: BindOptions
  /** 0 = serve in this process. */
  workers: number
  user: string | undefined
  maxClients: number
  clientTimeoutSec: number
  /** Idle keep-alive wait (`keepalive_timeout`, default client_timeout; 0 = no keep-alive). */
  keepaliveTimeoutSec: number
  /** Read a PROXY v1 line first on every connection (`require_proxy_protocol`). */
  requireProxyProtocol: boolean
  staleWorkerTimeoutSec: number
  /** Kill and replace a worker whose event loop is stuck this long (`worker_timeout`; 0 = off, the default). */
  workerTimeoutSec: number
  /** Recycle a worker after this many requests (`max_requests`; 0 = never, the default). */
  maxRequests: number
  /** Up to this many more per worker, at random (`max_requests_jitter`). */
  maxRequestsJitter: number
  /** Recycle a worker whose RSS exceeds this many MiB (`max_worker_rss`; 0 = never, the default). */
  maxWorkerRssMib: number
  /** Keep one booted spare worker that takes a dead worker's place at once (`standby_worker`). */
  standby: boolean
}

/** Reads and validates a server's config (throws ConfigError / SocketError naming file, section and key). */
export function planWsgi(confPath: string, options: { section?: string } = {}): WsgiPlan {
  const server = loadServerConf(confPath, options)
  const at = { file: server.file, section: server.section }
  const where = (key: string) => ({ ...at, key })
  const { conf } = server
  const bind = socketOptionsFromConfig(conf, at)
  const workers = configAutoIntValue(conf.workers, availableParallelism(), where('workers'))
  if (workers < 0) {
    configAutoIntValue('-', 0, where('workers')) // throws E_CONFIG_VALUE naming the key
  }
  const staleWorkerTimeoutSec = conf.stale_worker_timeout?.trim()
    ? configFloatValue(conf.stale_worker_timeout, where('stale_worker_timeout'), { min: 0 })
    : DEFAULT_STALE_WORKER_TIMEOUT_S
  const workerTimeoutSec = conf.worker_timeout?.trim()
    ? configFloatValue(conf.worker_timeout, where('worker_timeout'), { min: 0 })
    : 0
  const count = (key: string) =>
    conf[key]?.trim() ? configIntValue(conf[key], where(key), { min: 0 }) : 0
  const maxWorkerRssMib = conf.max_worker_rss?.trim()
    ? configFloatValue(conf.max_worker_rss, where('max_worker_rss'), { min: 0 })
    : 0
  return {
    server,
    bind,
    workers,
    user: configuredUser(conf),
    ...serverLimitsFromConf(conf, at),
    requireProxyProtocol: configTrueValue(conf.require_proxy_protocol),
    staleWorkerTimeoutSec,
    workerTimeoutSec,
    maxRequests: count('max_requests'),
    maxRequestsJitter: count('max_requests_jitter'),
    maxWorkerRssMib,
    standby: workers > 0 && configTrueValue(conf.standby_worker),
  }
}

/** True when a reload can keep the socket it has. */
export function sameBind(a: BindOptions, b: BindOptions): boolean {
  return a.host === b.host && a.port === b.port && a.backlog === b.backlog
}

// setTimeout fires at once for delays beyond 2^31-1 ms (~24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1

/** Seconds of a config value as a delay setTimeout keeps. */
export function timerMs(seconds: number): number {
  return Math.min(Math.round(seconds * 1000), MAX_TIMER_MS)
}
