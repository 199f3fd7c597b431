// The module each worker process of runWsgi runs (forked by the WorkerPool).
import { runPoolWorker } from '@forklift/supervisor/worker-pool'
import { createWorkerServer, type WorkerPayload, workerLogger } from './_worker-app.js'

const logger = workerLogger(process.argv.slice(2))
await runPoolWorker({
  createServer: ({ data }) => createWorkerServer(data as WorkerPayload, logger),
  logger,
})
