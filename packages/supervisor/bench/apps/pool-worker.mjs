// A WorkerPool worker serving the hello app.
import { runPoolWorker } from '../../dist/pool-worker.js'
import hello from './hello.cjs'

// Not `import … from 'node:http'`: an ES module import of node:http builds its
// namespace, which evaluates the lazy WebSocket/CloseEvent/MessageEvent
// getters and loads undici: ~13 MiB more RSS in every worker.
const { createServer } = process.getBuiltinModule('node:http')

await runPoolWorker({ createServer: () => createServer(hello.hello) })
