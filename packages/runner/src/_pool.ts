import type { Server as NetServer } from 'node:net'
import type { Logger } from '@forklift/log'
import type { TlsContextOptions } from '@forklift/socket'
import type { WsgiPlan } from './run-wsgi.js'

/** The workers of one server, as runWsgi drives them. */
export interface WorkerGroup {
  pids(): number[]
  stop(): Promise<void>
  drain(): Promise<void>
  reload(next: {
    plan: WsgiPlan
    socket: NetServer
    tls: TlsContextOptions | undefined
  }): Promise<void>
}

export interface WorkerGroupOptions {
  plan: WsgiPlan
  socket: NetServer
  tls: TlsContextOptions | undefined
  verbose: boolean
  logger: Logger
}

export async function startWorkerGroup(_options: WorkerGroupOptions): Promise<WorkerGroup> {
  throw new Error('pending the worker pool')
}
