/**
 * HAProxy's PROXY protocol, version 1 (the human-readable line), on the
 * server side: Swift's `require_proxy_protocol`. Behind a load balancer or a
 * TLS terminator that speaks it, the first line of every connection names
 * the real client, and the server shows that address to the app
 * (`socket.remoteAddress`, Swift's REMOTE_ADDR) instead of the balancer's.
 * A connection without a valid line is answered 400 and closed, as Swift's.
 */
import { isIP, type Server, type Socket } from 'node:net'

/** The longest v1 line, CRLF included (the spec's 107 bytes). */
export const PROXY_V1_MAX_LINE = 107

/** What a PROXY v1 line says about a connection; `undefined` addresses for `UNKNOWN`. */
export interface ProxiedAddress {
  family: 'TCP4' | 'TCP6' | 'UNKNOWN'
  sourceAddress?: string
  sourcePort?: number
  destinationAddress?: string
  destinationPort?: number
}

function port(text: string | undefined): number | undefined {
  if (text === undefined || !/^(0|[1-9]\d{0,4})$/.test(text)) return undefined
  const n = Number(text)
  return n <= 65535 ? n : undefined
}

/**
 * Parses one PROXY v1 line (without its CRLF); `undefined` when it is not
 * one. Stricter than Swift (which only splits): the addresses must be
 * numeric IPs of the named family and the ports numbers, so that nothing
 * but an address ever reaches an app's REMOTE_ADDR.
 */
export function parseProxyV1(line: string): ProxiedAddress | undefined {
  const parts = line.split(' ')
  if (parts[0] !== 'PROXY') return undefined
  // "UNKNOWN": the receiver must ignore the rest of the line (spec 2.1).
  if (parts[1] === 'UNKNOWN') return { family: 'UNKNOWN' }
  if ((parts[1] !== 'TCP4' && parts[1] !== 'TCP6') || parts.length !== 6) return undefined
  const [, family, src, dst, srcPort, dstPort] = parts as [string, 'TCP4' | 'TCP6', ...string[]]
  const ipVersion = family === 'TCP4' ? 4 : 6
  const sourcePort = port(srcPort)
  const destinationPort = port(dstPort)
  if (isIP(src ?? '') !== ipVersion || isIP(dst ?? '') !== ipVersion) return undefined
  if (sourcePort === undefined || destinationPort === undefined) return undefined
  return {
    family,
    sourceAddress: src!,
    sourcePort,
    destinationAddress: dst!,
    destinationPort,
  }
}

/** Options of requireProxyProtocol. */
export interface RequireProxyProtocolOptions {
  /** How long a new connection may take to send its PROXY line; default 60 000 ms (Swift's client_timeout); 0 = no limit. */
  timeoutMs?: number
  /** Called for every connection refused (bad, missing or late line), e.g. to log it. */
  onInvalid?(socket: Socket, line: string): void
}

const PROXIED = Symbol('forklift.proxied')
type ProxiedSocket = Socket & { [PROXIED]?: ProxiedAddress }

const BAD_LINE_RESPONSE =
  'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 19\r\nConnection: close\r\n\r\nInvalid PROXY line\n'

/**
 * Makes `server` (net, http or https, before it accepts) read a PROXY v1 line
 * first on every connection: the connection reaches the server's own
 * `connection` listeners (HTTP parsing, TLS) only after a valid line, with
 * `remoteAddress`/`remotePort` (and `localAddress`/`localPort`) of the
 * socket replaced by the proxied ones (kept for `UNKNOWN`). A connection
 * whose first line is not one, is longer than 107 bytes or does not come
 * within `timeoutMs` gets a 400 and is closed.
 */
export function requireProxyProtocol(
  server: Server,
  options: RequireProxyProtocolOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 60_000
  const downstream = server.listeners('connection') as ((socket: Socket) => void)[]
  server.removeAllListeners('connection')
  // TLS takes over the socket's handle and reads what is buffered itself;
  // HTTP parses from the handle too, and gets the buffered rest once the
  // socket flows again. Duck typing: importing node:tls costs every worker.
  const tls = 'setSecureContext' in server
  const handOn = (socket: Socket) => {
    for (const l of downstream) l.call(server, socket)
    if (!tls) socket.resume()
  }
  if (tls) {
    // The app sees the TLS socket, whose addresses come from its own handle:
    // give it the TCP socket's (Node keeps that as `_parent`).
    server.prependListener('secureConnection', (secure: Socket) => {
      const proxied = (secure as Socket & { _parent?: ProxiedSocket })._parent?.[PROXIED]
      if (proxied) pretend(secure, proxied)
    })
  }
  server.on('connection', (socket: Socket) => {
    let buffered: Buffer = Buffer.alloc(0)
    const refuse = (line: string) => {
      cleanup()
      options.onInvalid?.(socket, line)
      socket.on('error', () => {})
      socket.end(BAD_LINE_RESPONSE)
      socket.destroySoon()
    }
    const onTimeout = () => refuse(buffered.toString('latin1'))
    const onData = (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk
      const end = buffered.indexOf('\r\n')
      if (end < 0) {
        if (buffered.length >= PROXY_V1_MAX_LINE) refuse(buffered.toString('latin1'))
        return
      }
      const line = buffered.subarray(0, end).toString('latin1')
      const proxied = end + 2 <= PROXY_V1_MAX_LINE ? parseProxyV1(line) : undefined
      if (!proxied) return refuse(line)
      cleanup()
      socket.pause()
      const rest = buffered.subarray(end + 2)
      if (rest.length > 0) socket.unshift(rest)
      if (proxied.family !== 'UNKNOWN') {
        ;(socket as ProxiedSocket)[PROXIED] = proxied
        pretend(socket, proxied)
      }
      handOn(socket)
    }
    const onEarlyError = () => socket.destroy()
    const cleanup = () => {
      socket.off('data', onData)
      socket.off('error', onEarlyError)
      socket.off('timeout', onTimeout)
      socket.setTimeout(0)
    }
    socket.on('data', onData)
    socket.on('error', onEarlyError)
    if (timeoutMs > 0) {
      socket.setTimeout(timeoutMs)
      socket.on('timeout', onTimeout)
    }
  })
}

/** The socket's addresses as the proxy saw them: own properties shadow net.Socket's getters. */
function pretend(socket: Socket, p: ProxiedAddress): void {
  const family = p.family === 'TCP6' ? 'IPv6' : 'IPv4'
  Object.defineProperties(socket, {
    remoteAddress: { value: p.sourceAddress, configurable: true },
    remotePort: { value: p.sourcePort, configurable: true },
    remoteFamily: { value: family, configurable: true },
    localAddress: { value: p.destinationAddress, configurable: true },
    localPort: { value: p.destinationPort, configurable: true },
  })
}
