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

function withCode(err: unknown): NodeJS.ErrnoException {
  return (err instanceof Error ? err : new Error(String(err))) as NodeJS.ErrnoException
}

type UnixDgram = typeof import('@forklift/posix/unix-dgram')

let unixDgram: UnixDgram | undefined

// @forklift/posix's unix datagram socket (and with it the native addon) is
// loaded on the first datagram: processes that never log to a unix syslog
// socket, such as every pool worker, never load or map it. require() of the
// ESM module keeps the send synchronous.
function loadUnixDgram(): UnixDgram {
  unixDgram ??= createRequire(import.meta.url)('@forklift/posix/unix-dgram') as UnixDgram
  return unixDgram
}

// sun_path's size on Linux; an abstract name counts its leading NUL.
const MAX_ADDRESS_BYTES = 108

function addressProblem(address: string): string | undefined {
  const abstract = address.startsWith('@')
  const bytes = Buffer.byteLength(abstract ? address.slice(1) : address) + (abstract ? 1 : 0)
  if (!abstract && address === '') return 'is empty'
  if (!abstract && address.includes('\0')) return 'holds a NUL byte'
  if (bytes > MAX_ADDRESS_BYTES)
    return `is ${bytes} bytes, over the ${MAX_ADDRESS_BYTES} of sun_path`
  return undefined
}

/**
 * Datagrams to the unix datagram socket at `address`: a path (syslog's
 * `/dev/log`) or an abstract name written `@name`, sent with its exact
 * length. Sends are synchronous and never block: a datagram the receiver's
 * queue has no room for fails with EAGAIN (and goes to the fallback). The
 * socket never holds the event loop open. Throws LogError `E_LOG_ADDRESS`
 * for an address no socket can have (too long, a NUL in a path).
 */
export function unixDatagramSender(address: string): DatagramSender {
  const problem = addressProblem(address)
  if (problem !== undefined) {
    throw new LogError('E_LOG_ADDRESS', `log_address ${quoteInput(address)} ${problem}`)
  }
  let socket: InstanceType<UnixDgram['UnixDatagramSocket']> | undefined
  return {
    address,
    send(datagram, done) {
      let sent: boolean
      try {
        socket ??= new (loadUnixDgram().UnixDatagramSocket)()
        sent = socket.send(datagram, address)
      } catch (err) {
        done(withCode(err))
        return
      }
      if (sent) done(null)
      else done(Object.assign(new Error("the receiver's queue is full"), { code: 'EAGAIN' }))
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
