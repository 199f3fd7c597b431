import { lookup } from 'node:dns/promises'
import * as net from 'node:net'
import { type AddressInfo, createServer, isIP, type Server } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { formatError, quoteInput } from '@forklift/errors'
import { type MinimalLogger as Logger, silentLogger } from '@forklift/log'
import { connectionServerOptions } from './connection.js'
import { type ConfigWhere, SocketError } from './errors.js'
import { type BindOptions, normalizeBindOptions, optionError } from './options.js'

/** Swift sleeps 0.1 s between bind attempts while the address is in use. */
export const BIND_RETRY_INTERVAL_MS = 100

/** Options of {@link bindSocket}: BindOptions (only `port` required) plus the caller's context. */
export type BindSocketOptions = Partial<BindOptions> & {
  port: number
  logger?: Logger
  /** Aborting stops the retry loop; bindSocket then rejects with the signal's reason. */
  signal?: AbortSignal
  /**
   * The server to listen with, e.g. an `http.Server` or `https.Server` for
   * serving in this process. Default: a new `net.Server` created with
   * {@link connectionServerOptions} (keepalive + TCP_NODELAY per connection).
   */
  server?: Server
}

/** `host:port`, with IPv6 literals in brackets. */
export function formatAddress(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`
}

/**
 * Resolves `bind_ip` the way Swift's get_socket does (getaddrinfo, first IPv4
 * or IPv6 answer) so that we bind exactly one address and can name it in
 * errors. With `where` (the config file and section) its E_SOCKET_RESOLVE
 * names them and the key; `--test-config` calls it to find a bind_ip such as
 * `Infinity` that would only fail at start.
 */
export async function resolveBindAddress(
  host: string,
  where?: ConfigWhere,
): Promise<{ address: string; family: 4 | 6 }> {
  const family = isIP(host)
  if (family === 4 || family === 6) return { address: host, family }
  try {
    const res = await lookup(host)
    return { address: res.address, family: res.family === 6 ? 6 : 4 }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOTFOUND' ? 'no such host' : formatError(err)
    const problem = `${quoteInput(host)} does not resolve to an IPv4 or IPv6 address (${why})`
    if (where !== undefined) {
      throw optionError('E_SOCKET_RESOLVE', 'bind_ip', where, problem, { cause: err })
    }
    throw new SocketError('E_SOCKET_RESOLVE', `bind_ip ${problem}`, { cause: err, key: 'bind_ip' })
  }
}

function listenOnce(
  server: Server,
  address: string,
  opts: BindOptions,
): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      resolve(err)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve(undefined)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen({
      host: address,
      port: opts.port,
      backlog: opts.backlog,
      // Bind in this process even inside a node:cluster worker.
      exclusive: true,
      ...(opts.reusePort ? { reusePort: true } : {}),
    })
  })
}

interface RetryContext {
  opts: BindOptions
  address: string
  logger: Logger
  signal: AbortSignal | undefined
}

async function prepare(
  options: Partial<BindOptions> & { port: number; logger?: Logger; signal?: AbortSignal },
): Promise<RetryContext & { shown: string }> {
  const { logger = silentLogger(), signal, ...rest } = options
  const opts = normalizeBindOptions(rest)
  signal?.throwIfAborted()
  const { address } = await resolveBindAddress(opts.host, opts.where)
  const shown =
    address === opts.host
      ? formatAddress(address, opts.port)
      : `${formatAddress(address, opts.port)} (bind_ip ${opts.host})`
  return { opts, address, logger, signal, shown }
}

/** A bind failure; named after the option at fault when the options came from a config. */
function bindError(
  code: 'E_SOCKET_BIND' | 'E_SOCKET_BIND_TIMEOUT',
  opts: BindOptions,
  key: string,
  message: string,
  cause: Error,
): SocketError {
  return opts.where === undefined
    ? new SocketError(code, message, { cause })
    : optionError(code, key, opts.where, message, { cause })
}

/**
 * Swift's retry loop: `attempt` until it succeeds; EADDRINUSE is retried every
 * 100 ms until bind_timeout has passed, anything else fails at once.
 */
async function retryWhileInUse<T>(
  ctx: RetryContext & { shown: string },
  attempt: () => Promise<T | NodeJS.ErrnoException>,
): Promise<T> {
  const { opts, logger, signal, shown } = ctx
  const deadline = performance.now() + opts.bindTimeoutSec * 1000
  let warned = false
  for (;;) {
    signal?.throwIfAborted()
    const res = await attempt()
    if (!(res instanceof Error)) return res
    if (res.code !== 'EADDRINUSE') {
      // EADDRNOTAVAIL: no interface has bind_ip; the rest (EACCES below 1024...) is about the port.
      throw bindError(
        'E_SOCKET_BIND',
        opts,
        res.code === 'EADDRNOTAVAIL' ? 'bind_ip' : 'bind_port',
        `Could not bind to ${shown}: ${formatError(res)}`,
        res,
      )
    }
    if (performance.now() >= deadline) {
      throw bindError(
        'E_SOCKET_BIND_TIMEOUT',
        opts,
        'bind_port',
        `Could not bind to ${shown} after trying for ${opts.bindTimeoutSec} seconds: address already in use`,
        res,
      )
    }
    if (!warned) {
      warned = true
      logger.warn(
        { address: ctx.address, port: opts.port, bindTimeoutSec: opts.bindTimeoutSec },
        `${shown} is in use; retrying for up to ${opts.bindTimeoutSec} seconds`,
      )
    }
    await sleep(
      Math.min(BIND_RETRY_INTERVAL_MS, Math.max(0, deadline - performance.now())),
      undefined,
      signal ? { signal } : {},
    ).catch(() => signal?.throwIfAborted())
  }
}

/**
 * Swift's get_socket: binds `host:port` with `backlog` and returns the listening
 * server. While the address is in use (EADDRINUSE) it retries every 100 ms
 * until `bindTimeoutSec` has passed, then throws E_SOCKET_BIND_TIMEOUT; any
 * other failure (EACCES, EADDRNOTAVAIL, ...) throws E_SOCKET_BIND at once.
 * TLS is not applied here: see tlsContextOptions.
 */
export async function bindSocket(options: BindSocketOptions): Promise<Server> {
  const { server: given, ...rest } = options
  const ctx = await prepare(rest)
  const server = await retryWhileInUse(ctx, async () => {
    // A net.Server whose listen() failed is not reused: a fresh one per attempt
    // keeps no half-set state, except for a caller's server, which must be used.
    const server = given ?? createServer(connectionServerOptions(ctx.opts))
    const err = await listenOnce(server, ctx.address, ctx.opts)
    return err ?? server
  })
  ctx.logger.debug(
    {
      address: ctx.address,
      port: (server.address() as AddressInfo).port,
      backlog: ctx.opts.backlog,
    },
    'socket bound',
  )
  return server
}

/**
 * A socket bound (not yet listening) in this process, for handing to worker
 * processes: this process never accepts on it, so no connection is left
 * waiting in a parent that does not serve.
 */
export interface HandoffSocket {
  /** The descriptor to put in a child's stdio slot (`fork(m, a, { stdio: [..., 'ipc', fd] })`). */
  readonly fd: number
  /** The bound address; `port` is the real one when bound to port 0. */
  readonly address: AddressInfo
  /** The options it was bound with (workers need `backlog` and `keepIdleSec`). */
  readonly options: BindOptions
  /** Releases the socket in this process (workers keep their copies). Idempotent. */
  close(): void
}

/**
 * Like bindSocket, with the same retries and errors, but only binds: the
 * socket starts listening when the first worker adopts the descriptor with
 * `adoptListeningSocket(fd, { backlog, server })` (until then connections are
 * refused). Keeps privileged ports possible when the parent binds as root and
 * then drops privileges. Needs Node >= 24.19 (net.BoundSocket).
 */
export async function bindHandoffSocket(
  options: Partial<BindOptions> & { port: number; logger?: Logger; signal?: AbortSignal },
): Promise<HandoffSocket> {
  const BoundSocket = (net as { BoundSocket?: typeof net.BoundSocket }).BoundSocket
  if (typeof BoundSocket !== 'function') {
    throw new SocketError(
      'E_SOCKET_BIND',
      `bindHandoffSocket needs net.BoundSocket (Node >= 24.19); this is Node ${process.version}`,
    )
  }
  const ctx = await prepare(options)
  const bound = await retryWhileInUse(ctx, async () => {
    try {
      return new BoundSocket({
        host: ctx.address,
        port: ctx.opts.port,
        ...(ctx.opts.reusePort ? { reusePort: true } : {}),
      })
    } catch (err) {
      return err as NodeJS.ErrnoException
    }
  })
  const address = bound.address()
  const fd = bound.fd()
  let closed = false
  ctx.logger.debug({ address: ctx.address, port: address.port, fd }, 'socket bound for hand-off')
  return {
    fd,
    address,
    options: { ...ctx.opts, port: address.port },
    close() {
      if (closed) return
      closed = true
      bound.close()
    },
  }
}
