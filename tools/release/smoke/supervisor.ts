// Parent and worker in one file: the pool forks this file again, with IPC.
import { runPoolWorker, WorkerPool } from '@forklift/supervisor/worker-pool'

if (process.channel) {
  const { createServer } = process.getBuiltinModule('node:http')
  await runPoolWorker({
    createServer: ({ generation }) =>
      createServer((_req, res) => res.end(`${process.pid} ${generation}`)),
  })
} else {
  // Alone, without @forklift/socket: each worker binds its own SO_REUSEPORT socket.
  const { createServer } = await import('node:net')
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
  const port = (probe.address() as { port: number }).port
  probe.close()
  const pool = new WorkerPool({
    module: new URL(import.meta.url),
    workers: 2,
    socket: { reusePort: { port, host: '127.0.0.1' } },
  })
  await pool.start()
  const first = await (await fetch(`http://127.0.0.1:${port}/`)).text()
  await pool.reload()
  // Keep-alive connections drain to the old generation: every answer is good,
  // and new connections soon reach generation 2.
  let second = ''
  for (const deadline = Date.now() + 10_000; !second.endsWith(' 2') && Date.now() < deadline; ) {
    second = await (await fetch(`http://127.0.0.1:${port}/`)).text()
  }
  await pool.stop()
  if (!first.endsWith(' 1') || !second.endsWith(' 2'))
    throw new Error(`answers ${first} / ${second}`)
  // The datagram sender's native addon loads only to send one: never here, without NOTIFY_SOCKET.
  const { readFileSync } = await import('node:fs')
  if (/forklift-posix|unix-socket/.test(readFileSync('/proc/self/maps', 'utf8')))
    throw new Error('a native datagram addon was loaded')
  console.log('ok @forklift/supervisor')
}
