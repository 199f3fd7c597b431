import type { Server as HttpServer } from 'node:http'
import type { Logger } from '@forklift/log'
import type { TlsContextOptions } from '@forklift/socket'
import { createAppServer, loadServerApp, serverLimits } from './_app-server.js'
import { configuredUser, dropToUser } from './_user.js'
import { workerLogLines } from './logging.js'
import { loadServerConf } from './server-conf.js'

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

/** The logger of a worker, from its argv: JSON lines on stderr, which the pool relays into the parent's log. */
export function workerLogger(argv: readonly string[]): Logger {
  const [file = '', section = '', verbose = ''] = argv
  const conf = loadServerConf(file, section ? { section } : {})
  return workerLogLines(conf.logName, conf.conf, { verbose: verbose === 'verbose' })
}

/**
 * A worker's start-up, Swift's post_fork_hook + run_server: read the config
 * (again: a reload's new workers see the new one), drop to `user` (the parent
 * stays root, as Swift's does), build the pipeline and the HTTP(S) server.
 * The pool makes it listen on the parent's socket. The worker's stdout and
 * stderr are pipes the pool reads into the parent's log, never swift-init's.
 */
export async function createWorkerServer(
  payload: WorkerPayload,
  logger: Logger,
): Promise<HttpServer> {
  const conf = loadServerConf(payload.file, payload.section ? { section: payload.section } : {})
  dropToUser(configuredUser(conf.conf), logger)
  const listener = await loadServerApp(conf, logger)
  return await createAppServer(listener, {
    keepIdleSec: payload.keepIdleSec,
    ...serverLimits(conf),
    tls: payload.tls,
  })
}
