// A WorkerPool worker serving the hello app.
import { createServer } from 'node:http'
import { runPoolWorker } from '../../dist/worker-pool.js'
import hello from './hello.cjs'

await runPoolWorker({ createServer: () => createServer(hello.hello) })
