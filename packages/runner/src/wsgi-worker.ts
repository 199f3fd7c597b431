/**
 * The module each worker process of runWsgi runs (a WorkerPool forks it;
 * exported as `@forklift/runner/worker` for bundlers, never to be
 * imported). It reads the server's config once, logs JSON lines on stderr
 * (the pool relays them into the parent's log) and serves what the parent
 * tells it.
 */
import { loadServerConf } from '@forklift/config'
import { LOG_REOPEN_SIGNAL } from '@forklift/log'
import { serverLimitsFromConf } from '@forklift/pipeline'
import { runPoolWorker } from '@forklift/supervisor/pool-worker'
import { createWorkerServer, parseWorkerArgs, type WorkerPayload } from './_worker-app.js'
import { workerLogger } from './logging.js'

const { file, section, verbose } = parseWorkerArgs(process.argv.slice(2))
const server = loadServerConf(file, section ? { section } : {})
const logger = workerLogger(server, { verbose })
// The log-reopen signal is the parent's (a worker holds no log file); one
// sent to the whole process group must not end a worker (SIGUSR2's default).
process.on(LOG_REOPEN_SIGNAL, () => {})
// Swift's max_clients counts a worker's connections: at the limit it stops
// accepting and leaves the next ones to its siblings.
const { maxClients } = serverLimitsFromConf(server.conf, { file, section: server.section })
await runPoolWorker({
  createServer: ({ data }) => createWorkerServer(server, data as WorkerPayload, logger),
  logger,
  maxConnections: maxClients,
})
