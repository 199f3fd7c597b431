// Our WorkerPool on PORT with `workers` workers of pool-worker.mjs.
// argv[2]: 'fd' (the parent binds, workers share the socket: the default) or
// 'reusePort' (each worker binds its own); argv[4] 'standby' keeps a booted
// spare. Prints a line once every worker listens; answers { cmd: 'reload' }
// once the reload is done and { cmd: 'pids' } with the serving workers.
import * as net from 'node:net'
import { fileURLToPath } from 'node:url'
import { WorkerPool } from '../../dist/worker-pool.js'

const mode = process.argv[2] ?? 'fd'
const workers = Number(process.argv[3] ?? 2)
const port = Number(process.env.PORT)
const bound = mode === 'fd' ? new net.BoundSocket({ host: '127.0.0.1', port }) : undefined
const pool = new WorkerPool({
  module: fileURLToPath(new URL('./pool-worker.mjs', import.meta.url)),
  workers,
  socket: bound ? { fd: bound.fd() } : { reusePort: { port, host: '127.0.0.1' } },
  execArgv: [],
  output: 'inherit',
  standby: process.argv[4] === 'standby',
})
await pool.start()
console.log('listening')
process.on('message', async (m) => {
  if (m?.cmd === 'reload') {
    await pool.reload()
    process.send({ reloaded: pool.generation })
  } else if (m?.cmd === 'pids') {
    process.send({ pids: pool.pids() })
  }
})
process.on('SIGTERM', async () => {
  await pool.stop()
  bound?.close()
  process.exit(0)
})
