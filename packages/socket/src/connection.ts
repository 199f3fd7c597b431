import type { Socket } from 'node:net'
import { type BindOptions, DEFAULT_KEEP_IDLE_SEC } from './options.js'

/**
 * Per-connection socket settings, as options for `net.createServer` /
 * `http.createServer` / `https.createServer`: the server then applies them to
 * every accepted connection itself.
 */
export function connectionServerOptions(opts: Partial<Pick<BindOptions, 'keepIdleSec'>> = {}): {
  noDelay: true
  keepAlive: true
  keepAliveInitialDelay: number
} {
  return {
    noDelay: true,
    keepAlive: true,
    keepAliveInitialDelay: (opts.keepIdleSec ?? DEFAULT_KEEP_IDLE_SEC) * 1000,
  }
}

/**
 * Applies Swift's per-connection settings to one accepted connection:
 * SO_KEEPALIVE with TCP_KEEPIDLE = `keep_idle` seconds, and TCP_NODELAY.
 * Swift sets these on the listening socket and lets accept() inherit them;
 * Node cannot setsockopt a listening socket, so we set them per connection
 * (call from the server's 'connection' event, or use connectionServerOptions).
 */
export function applyConnectionOptions(
  socket: Socket,
  opts: Partial<Pick<BindOptions, 'keepIdleSec'>> = {},
): void {
  // "in my experience, sockets can hang around forever without keepalive" — Swift's wsgi.py
  socket.setKeepAlive(true, (opts.keepIdleSec ?? DEFAULT_KEEP_IDLE_SEC) * 1000)
  socket.setNoDelay(true)
}
