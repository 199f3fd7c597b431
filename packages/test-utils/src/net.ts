import { createServer } from 'node:net'

/** A port free on `host` a moment ago, for servers that take their port from a config and refuse 0. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, host, resolve))
  const { port } = srv.address() as { port: number }
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}
