// The local registry's process: Verdaccio on 127.0.0.1, a free port, with the
// storage and config of the temp dir given as the only argument. It writes
// `ready.json` ({ port }) there once it listens (registry.ts waits for that
// file) and exits 0 on SIGTERM/SIGINT. Started by registry.ts, never by hand.
import { renameSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { join } from 'node:path'
import { runServer } from 'verdaccio'

const dir = process.argv[2]
if (!dir) {
  console.error('usage: verdaccio-server.ts <registry dir>')
  process.exit(2)
}

const server = (await runServer(join(dir, 'config.yaml'))) as Server
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  const tmp = join(dir, '.ready.json')
  writeFileSync(tmp, `${JSON.stringify({ port: address.port, pid: process.pid })}\n`)
  renameSync(tmp, join(dir, 'ready.json'))
})

function shutdown(): void {
  server.close(() => process.exit(0))
  server.closeAllConnections()
  setTimeout(() => process.exit(0), 2000).unref()
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
