// What the server process tells each worker, and how a worker turns it into
// its server: shared by run-wsgi (the parent) and wsgi-worker (the child).
import type { Server as HttpServer } from 'node:http'
import type { ServerConf } from '@forklift/config'
import type { MinimalLogger as Logger } from '@forklift/log'
import { serverLimitsFromConf } from '@forklift/pipeline'
import { configuredUser, dropToUser } from '@forklift/privileges'
import type { TlsContextOptions } from '@forklift/socket'
import { connectionOptionsFromConf, createAppServer, loadServerApp } from './_app-server.js'

/** What the parent tells each worker (JSON over IPC: TLS is PEM text, read while root). */
export interface WorkerPayload {
  file: string
  section?: string
  verbose: boolean
  tls?: TlsContextOptions
  keepIdleSec: number
}

/** A worker's command line: what it needs before the pool's IPC message (never secrets: argv is public). */
export function workerArgs(payload: WorkerPayload): string[] {
  return [payload.file, payload.section ?? '', payload.verbose ? 'verbose' : '']
}

/** The config path, section and verbosity a worker was started with (its argv). */
export function parseWorkerArgs(argv: readonly string[]): {
  file: string
  section: string | undefined
  verbose: boolean
} {
  const [file = '', section = '', verbose = ''] = argv
  return { file, section: section || undefined, verbose: verbose === 'verbose' }
}

/**
 * A worker's start-up, Swift's post_fork_hook + run_server, on the config
 * this worker read once when it started (a reload's new workers are new
 * processes and read the new one): drop to `user` (the parent stays root,
 * as Swift's does), build the pipeline and the HTTP(S) server. The pool
 * makes it listen on the parent's socket. The worker's stdout and stderr are
 * pipes the pool reads into the parent's log, never swift-init's.
 */
export async function createWorkerServer(
  server: ServerConf,
  payload: WorkerPayload,
  logger: Logger,
): Promise<HttpServer> {
  dropToUser(configuredUser(server.conf), logger)
  const listener = await loadServerApp(server, logger)
  return await createAppServer(listener, {
    keepIdleSec: payload.keepIdleSec,
    ...serverLimitsFromConf(server.conf, { file: server.file, section: server.section }),
    ...connectionOptionsFromConf(server.conf),
    tls: payload.tls,
  })
}
