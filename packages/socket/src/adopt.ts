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

/** A descriptor systemd passed, with its `FileDescriptorName=` (`LISTEN_FDNAMES`). */
export interface ListenFd {
  fd: number
  /** The socket unit's `FileDescriptorName=`, or systemd's default (the unit's name); `unknown` when LISTEN_FDNAMES is unset. */
  name: string
}

/**
 * {@link listenFdsFromEnv} with each descriptor's name from `LISTEN_FDNAMES`
 * (colon-separated, one per descriptor, as sd_listen_fds_with_names(3)
 * reads it): `unknown` for each when it is unset. Throws E_SOCKET_FD when it
 * names a different number of descriptors than LISTEN_FDS passes.
 */
export function listenFdsWithNames(
  env: NodeJS.ProcessEnv = process.env,
  pid = process.pid,
): ListenFd[] {
  const fds = listenFdsFromEnv(env, pid)
  const raw = env.LISTEN_FDNAMES
  if (fds.length === 0) return []
  if (raw === undefined) return fds.map((fd) => ({ fd, name: 'unknown' }))
  const names = raw.split(':')
  if (names.length !== fds.length) {
    throw new SocketError(
      'E_SOCKET_FD',
      `LISTEN_FDNAMES=${quoteInput(raw)} names ${names.length} sockets but LISTEN_FDS=${fds.length}`,
    )
  }
  return fds.map((fd, i) => ({ fd, name: names[i]! }))
}

/**
 * The passed descriptor this server should serve on: the first whose name
 * is one of `wanted` (in `wanted`'s order), else the only one passed.
 * Undefined when none was passed. Throws E_SOCKET_FD when several were
 * passed and none has a wanted name: guessing would serve one service's
 * clients with another's app.
 */
export function pickListenFd(
  fds: readonly ListenFd[],
  wanted: readonly string[],
): ListenFd | undefined {
  for (const name of wanted) {
    const hit = fds.find((f) => f.name === name)
    if (hit) return hit
  }
  if (fds.length <= 1) return fds[0]
  throw new SocketError(
    'E_SOCKET_FD',
    `LISTEN_FDS passed ${fds.length} sockets (${fds.map((f) => f.name).join(', ')}) and none is named ${[...new Set(wanted)].map((w) => quoteInput(w)).join(' or ')}: set FileDescriptorName= in the socket unit`,
  )
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
