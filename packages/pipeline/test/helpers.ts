import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitFor } from '@forklift/test-utils'
import { onTestFinished } from 'vitest'

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')

/** Starts an http server on 127.0.0.1:0, closed (connections too) when the test finishes. */
export async function serve(
  listener: RequestListener,
  setup?: (server: Server) => void,
): Promise<{ server: Server; port: number; url: string }> {
  const server = createServer(listener)
  setup?.(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  onTestFinished(() => {
    server.closeAllConnections()
    server.close()
  })
  const { port } = server.address() as AddressInfo
  return { server, port, url: `http://127.0.0.1:${port}` }
}

/** Polls `check` every 10 ms until it is true, or throws after `timeoutMs`. */
export function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<true> {
  return waitFor(check, what, timeoutMs, 10)
}
