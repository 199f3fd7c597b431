import { createRequire } from 'node:module'
import { quoteInput } from '@forklift/errors'
import { LogError } from './errors.js'

/**
 * Sends whole datagrams to one address: what the syslog writer needs from a
 * transport. Implemented here for unix datagram sockets (syslog's
 * /dev/log) and UDP; a consumer may bring their own (a native sender, a
 * test double that records).
 */
export interface DatagramSender {
  /** The address, for messages: `/dev/log`, `udp 127.0.0.1:514`. */
  readonly address: string
  /**
   * Sends `datagram` as one datagram. `done` runs once it is sent or has
   * failed — possibly before `send` returns — with the error (an errno
   * `code` such as ENOENT, ECONNREFUSED, EMSGSIZE, EAGAIN) or null.
   */
  send(datagram: Buffer, done: (err: NodeJS.ErrnoException | null) => void): void
  /** Releases the socket. Datagrams already handed over may still go out. */
  close(): void
}

// The addon's errors carry strerror(3) text and no code: give them one.
const ERRNO_BY_TEXT: Readonly<Record<string, string>> = {
  'No such file or directory': 'ENOENT',
  'Connection refused': 'ECONNREFUSED',
  'Message too long': 'EMSGSIZE',
  'Resource temporarily unavailable': 'EAGAIN',
  'Permission denied': 'EACCES',
  'Not a directory': 'ENOTDIR',
  'Protocol wrong type for socket': 'EPROTOTYPE',
  'No buffer space available': 'ENOBUFS',
}

function withCode(err: unknown): NodeJS.ErrnoException {
  const e = (err instanceof Error ? err : new Error(String(err))) as NodeJS.ErrnoException
  if (e.code === undefined) {
    const code = ERRNO_BY_TEXT[e.message]
    if (code) e.code = code
  }
  return e
}

interface AddonSocket {
  sendTo(
    buf: Buffer,
    offset: number,
    length: number,
    path: string,
    cb: (err?: Error | null) => void,
  ): void
  close(): void
}

let addon: { DgramSocket: new () => AddonSocket } | undefined

// The node-unix-socket addon (napi-rs, prebuilt per platform) is loaded on
// the first datagram: processes that never log to a unix syslog socket never
// map it.
function loadAddon(): { DgramSocket: new () => AddonSocket } {
  addon ??= createRequire(import.meta.url)('node-unix-socket') as {
    DgramSocket: new () => AddonSocket
  }
  return addon
}

/**
 * Datagrams to the unix datagram socket at `path` (syslog's `/dev/log`).
 * Abstract names (`@name`) are refused with LogError `E_LOG_ADDRESS`: the
 * addon pads them to the full sun_path, which is another name. Its socket
 * holds the event loop open while it exists, so it is opened on the first
 * datagram and closed once none is in flight: a process that is done exits.
 */
export function unixDatagramSender(path: string): DatagramSender {
  if (path.startsWith('@') || path.startsWith('\0')) {
    throw new LogError(
      'E_LOG_ADDRESS',
      `log_address ${quoteInput(path)}: abstract socket names are not supported yet; give a path`,
    )
  }
  let socket: AddonSocket | undefined
  let inFlight = 0
  let closing = false
  const closeWhenIdle = () => {
    if (closing) return
    closing = true
    setImmediate(() => {
      closing = false
      if (inFlight === 0 && socket) {
        socket.close()
        socket = undefined
      }
    })
  }
  return {
    address: path,
    send(datagram, done) {
      let settled = false
      const finish = (err?: unknown) => {
        if (settled) return
        settled = true
        inFlight--
        closeWhenIdle()
        done(err ? withCode(err) : null)
      }
      inFlight++
      try {
        socket ??= new (loadAddon().DgramSocket)()
        socket.sendTo(datagram, 0, datagram.length, path, finish)
      } catch (err) {
        finish(err)
      }
    },
    close() {
      socket?.close()
      socket = undefined
    },
  }
}

/**
 * Datagrams to `host`:`port` over UDP (`log_udp_host`, `log_udp_port`). A
 * host name is resolved once, on the first datagram. The socket is unref'd:
 * it never keeps a process alive.
 */
export function udpDatagramSender(host: string, port: number): DatagramSender {
  // loaded here, not on import: pool workers import this package and never send UDP
  const dgram = process.getBuiltinModule('node:dgram')
  const { isIP } = process.getBuiltinModule('node:net')
  type Target = { socket: import('node:dgram').Socket; address: string }
  let target: Promise<Target> | undefined
  let ready: Target | undefined
  const open = (address: string, family: number): Target => {
    const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4')
    socket.on('error', () => {}) // per-send errors reach `done`; nothing else to report
    socket.unref()
    ready = { socket, address }
    return ready
  }
  const resolveTarget = (): Promise<Target> => {
    target ??= new Promise<Target>((resolve, reject) => {
      const family = isIP(host)
      if (family !== 0) return resolve(open(host, family))
      process.getBuiltinModule('node:dns').lookup(host, (err, address, fam) => {
        if (err) {
          target = undefined // try again on the next datagram
          reject(err)
        } else resolve(open(address, fam))
      })
    })
    return target
  }
  const sendTo = (t: Target, datagram: Buffer, done: (err: NodeJS.ErrnoException | null) => void) =>
    t.socket.send(datagram, port, t.address, (err) => done(err ? withCode(err) : null))
  return {
    address: `udp ${host.includes(':') ? `[${host}]` : host}:${port}`,
    send(datagram, done) {
      if (ready) return sendTo(ready, datagram, done)
      if (isIP(host) !== 0) return sendTo(open(host, isIP(host)), datagram, done)
      resolveTarget().then(
        (t) => sendTo(t, datagram, done),
        (err) => done(withCode(err)),
      )
    },
    close() {
      ready?.socket.close()
      ready = undefined
      target = undefined
    },
  }
}
