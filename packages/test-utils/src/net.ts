import * as net from 'node:net'
import { createServer } from 'node:net'
import { onTestFinished } from 'vitest'

/**
 * A port free on `host` a moment ago, for a server that must bind a number
 * from its config itself (Swift refuses `bind_port = 0`). Racy by nature:
 * prefer boundSocket() wherever the server can take a socket instead.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, host, resolve))
  const { port } = srv.address() as { port: number }
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

/** A socket bound by boundSocket(). */
export interface BoundPort {
  /** The port the kernel chose. */
  readonly port: number
  /** The descriptor, for a child's stdio slot (`LISTEN_FDS`, a pool's hand-down). */
  readonly fd: number
  /** Releases it (idempotent; also done when the test finishes). */
  close(): void
}

/**
 * A socket bound to port 0 on `host` (the kernel picks a free port), not
 * listening, and held by this process until the test finishes: while it is
 * held the kernel gives the port to no other port-0 bind (freePort's race:
 * a port just released is what the next bind(0) may get). Hand its `fd` to a
 * server that adopts a socket (LISTEN_FDS, a worker pool), or use its port
 * as one that refuses connections. Needs Node >= 24.19 (net.BoundSocket).
 */
export function boundSocket(host = '127.0.0.1'): BoundPort {
  const BoundSocket = (net as unknown as { BoundSocket: BoundSocketClass }).BoundSocket
  const bound = new BoundSocket({ host, port: 0 })
  let closed = false
  const close = () => {
    if (!closed) bound.close()
    closed = true
  }
  onTestFinished(close)
  return { port: bound.address().port, fd: bound.fd(), close }
}

type BoundSocketClass = new (opts: {
  host: string
  port: number
}) => {
  fd(): number
  address(): { port: number }
  close(): void
}
