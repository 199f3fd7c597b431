import { fstatSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { formatError, quoteInput } from '@forklift/errors'
import { connectionServerOptions } from './connection.js'
import { SocketError } from './errors.js'
import { DEFAULT_BACKLOG } from './options.js'

/** systemd passes sockets from this descriptor on (SD_LISTEN_FDS_START). */
export const SD_LISTEN_FDS_START = 3

/**
 * The listening descriptors systemd (or any parent following its protocol)
 * passed to this process: fds 3 .. 3+LISTEN_FDS-1, but only when LISTEN_PID
 * names this process: the variables are inherited by our own children, who
 * must not take them. Empty when not socket-activated. Callers that spawn
 * children should delete LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES from the
 * environment they pass on.
 */
export function listenFdsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  pid = process.pid,
): number[] {
  const rawPid = env.LISTEN_PID
  const rawFds = env.LISTEN_FDS
  if (rawPid === undefined || rawFds === undefined) return []
  if (!/^\d+$/.test(rawPid.trim()) || !/^\d+$/.test(rawFds.trim())) {
    throw new SocketError(
      'E_SOCKET_FD',
      `LISTEN_PID=${quoteInput(rawPid)} LISTEN_FDS=${quoteInput(rawFds)}: not numbers`,
    )
  }
  if (Number(rawPid) !== pid) return []
  const n = Number(rawFds)
  return Array.from({ length: n }, (_, i) => SD_LISTEN_FDS_START + i)
}

/** Options of {@link adoptListeningSocket}. */
export interface AdoptOptions {
  /**
   * Node always calls listen(2) again on an adopted descriptor, which resets
   * its queue length: pass the configured backlog. Default 4096.
   */
  backlog?: number
  /** Server to listen with (e.g. an http.Server); default a new net.Server with keepalive + TCP_NODELAY. */
  server?: Server
  /** keep_idle for the default server's connections, in seconds. */
  keepIdleSec?: number
}

/**
 * Listens on an already-open socket descriptor (systemd socket activation, or
 * one a parent handed down in a stdio slot) and resolves with the listening
 * server. Throws E_SOCKET_FD when the descriptor is closed, not a socket, or
 * cannot be listened on.
 */
export function adoptListeningSocket(fd: number, options: AdoptOptions = {}): Promise<Server> {
  if (!Number.isInteger(fd) || fd < 0) {
    return Promise.reject(new TypeError(`fd must be a non-negative integer, got ${String(fd)}`))
  }
  try {
    if (!fstatSync(fd).isSocket()) {
      return Promise.reject(new SocketError('E_SOCKET_FD', `fd ${fd} is not a socket`))
    }
  } catch (err) {
    return Promise.reject(
      new SocketError('E_SOCKET_FD', `fd ${fd} is not open: ${formatError(err)}`, { cause: err }),
    )
  }
  const server = options.server ?? createServer(connectionServerOptions(options))
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening)
      reject(
        new SocketError('E_SOCKET_FD', `cannot listen on fd ${fd}: ${formatError(err)}`, {
          cause: err,
        }),
      )
    }
    const onListening = () => {
      server.off('error', onError)
      resolve(server)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen({ fd }, options.backlog ?? DEFAULT_BACKLOG)
  })
}
