// Swift's max_clients for a pool worker: at the limit it stops accepting,
// so that further connections stay in the kernel's accept queue of the
// shared socket, where a sibling worker takes them (eventlet's full
// GreenPool does not call accept()). Node cannot stop accepting on a
// listening socket without closing it, and closing it closes this worker's
// descriptor of the shared socket: below the limit again, the worker asks
// the parent for a fresh descriptor over IPC and listens on it.
import { Server as NetServer, type Socket } from 'node:net'
import type { MinimalLogger as Logger } from '@forklift/log'
import { tellParent } from './_parent.js'
import { isProtocolMessage } from './protocol.js'

/** A raw libuv TCP handle, as Node's IPC hands one over. */
type RawHandle = { close(): void }

/**
 * Stops accepting on `server` while `max` connections are open; resumes on
 * a descriptor the parent sends. Never resumes once `stopped()` says the
 * worker drains. Returns a function that stops watching.
 */
export function limitAccepting(
  server: NetServer,
  options: { max: number; backlog: number; stopped(): boolean; logger: Logger },
): () => void {
  const { max, backlog, stopped, logger } = options
  let open = 0
  let paused = false
  let asking = false

  const resumeIfBelow = () => {
    if (!paused || asking || open >= max || stopped()) return
    asking = true
    void tellParent({ forklift: 1, type: 'pool-listen-again' })
  }
  // One shared listener, not a closure per connection: this runs for every
  // connection of every worker (max_clients always has a value).
  const onClose = () => {
    open--
    resumeIfBelow()
  }
  const onConnection = (socket: Socket) => {
    open++
    socket.once('close', onClose)
    if (open >= max && !paused && !stopped()) {
      paused = true
      // net.Server's close alone: http.Server#close would also drop idle
      // keep-alive connections. Connections already accepted go on.
      NetServer.prototype.close.call(server)
      logger.debug({ connections: open }, 'max_clients reached: no longer accepting')
    }
  }
  const onMessage = (message: unknown, handle: unknown) => {
    if (!isProtocolMessage(message) || message.type !== 'pool-socket') return
    asking = false
    const h = handle as RawHandle | undefined
    if (!h) return
    if (!paused || stopped()) {
      h.close()
      return
    }
    paused = false
    // No connection came in while paused, so `open` is below max here.
    server.listen(h, backlog, () =>
      logger.debug({ connections: open }, 'below max_clients: accepting again'),
    )
  }
  server.on('connection', onConnection)
  process.on('message', onMessage)
  return () => {
    server.off('connection', onConnection)
    process.off('message', onMessage)
  }
}
