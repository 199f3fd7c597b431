/**
 * AF_UNIX datagram sockets (SOCK_DGRAM), which Node lacks: sd_notify, syslog
 * on /dev/log, and any local datagram protocol. Addresses are a path, or an
 * abstract name written `@name` (Linux's leading NUL), and reach the kernel
 * with their exact length: an abstract name is the bytes given, never padded
 * to sun_path's 108 bytes (systemd, libsystemd and Python bind the exact
 * name, so a padded one names another socket and is refused).
 *
 * Sends are synchronous system calls: the datagram is in the receiver's
 * queue when `send` returns, so a process may exit right after.
 */
import { native, type RawMessage, syscallError } from './_native.js'
import { PosixError } from './errors.js'

// Built-ins by process.getBuiltinModule, not import: an ESM import of one
// builds a facade that reads every export, lazy ones too (~10 ms a process).
const { EventEmitter } = process.getBuiltinModule('node:events')
const { constants } = process.getBuiltinModule('node:os')

/** sun_path's size on Linux: the longest address, in bytes. */
export const MAX_ADDRESS_BYTES = 108

const EAGAIN = constants.errno.EAGAIN

/** One datagram received. */
export interface UnixDatagram {
  data: Buffer
  /** The sender's bound address (`/path` or `@name`), or undefined when it sent unbound. */
  from: string | undefined
  /** The sender's credentials, from the kernel (SCM_CREDENTIALS): not forgeable. */
  pid?: number
  uid?: number
  gid?: number
}

/** Options of {@link UnixDatagramSocket}. */
export interface UnixDatagramSocketOptions {
  /**
   * How long `send` may wait for room when the receiver's queue is full:
   * 0 (default) never waits, and `send` returns false; a number of
   * milliseconds, after which it returns false; Infinity waits as long as it takes.
   */
  sendTimeoutMs?: number
}

/**
 * The kernel form of a unix socket address: `@name` → NUL + name (abstract),
 * anything else → the path's bytes. Throws PosixError E_ADDRESS when it is
 * empty, longer than {@link MAX_ADDRESS_BYTES}, or a path holding a NUL.
 */
export function encodeUnixAddress(address: string): Buffer {
  const abstract = address.startsWith('@')
  const name = Buffer.from(abstract ? address.slice(1) : address)
  if (!abstract && name.length === 0) throw addressError(address, 'is empty')
  if (!abstract && name.includes(0)) throw addressError(address, 'holds a NUL byte')
  const out = abstract ? Buffer.concat([Buffer.of(0), name]) : name
  if (out.length > MAX_ADDRESS_BYTES) {
    throw addressError(address, `is ${out.length} bytes, over the ${MAX_ADDRESS_BYTES} of sun_path`)
  }
  return out
}

/** The text form of a kernel address: NUL + name → `@name`, else the path. */
export function decodeUnixAddress(raw: Buffer): string {
  return raw[0] === 0 ? `@${raw.subarray(1).toString()}` : raw.toString()
}

function addressError(address: string, why: string): PosixError {
  const shown = address.length > 120 ? `${address.slice(0, 120)}…` : address
  return new PosixError('E_ADDRESS', `unix socket address ${JSON.stringify(shown)} ${why}`)
}

function toBytes(data: string | ArrayBufferView): ArrayBufferView {
  return typeof data === 'string' ? Buffer.from(data) : data
}

function message([data, from, pid, uid, gid]: RawMessage): UnixDatagram {
  const m: UnixDatagram = { data, from: from === undefined ? undefined : decodeUnixAddress(from) }
  if (pid !== undefined) Object.assign(m, { pid, uid, gid })
  return m
}

/** The events of {@link UnixDatagramSocket}. */
export interface UnixDatagramSocketEvents {
  message: [UnixDatagram]
  error: [PosixError]
  /** EventEmitter's own: a listener is being added. */
  newListener: [event: string | symbol, listener: (...args: never[]) => void]
}

/**
 * A unix datagram socket. Unbound it sends (`send(data, address)`, or
 * `connect` once and `send(data)`); bound (`bind`) it also receives: add a
 * `'message'` listener and a thread reads for it (the socket then keeps the
 * event loop alive until `close` or `unref`). Reuse one socket for many
 * sends: each is one system call.
 */
export class UnixDatagramSocket extends EventEmitter<UnixDatagramSocketEvents> {
  #fd: number
  #watch: object | undefined
  #ref = true
  #peer: string | undefined
  // The last address sent to, encoded: a logger sends to one address all day.
  #lastAddress: string | undefined
  #lastEncoded: Buffer | undefined

  constructor(options: UnixDatagramSocketOptions = {}) {
    super()
    const timeout = options.sendTimeoutMs ?? 0
    if (!(timeout >= 0)) {
      throw new PosixError('E_ARGUMENT', `sendTimeoutMs must be >= 0, got ${timeout}`)
    }
    const m = native()
    const fd = m.socket(timeout === 0)
    if (fd < 0) throw syscallError(fd, 'socket')
    // SO_SNDTIMEO's zero means forever: keep a finite wait at least 1 ms.
    const r =
      timeout === 0 ? 0 : m.setSendTimeout(fd, timeout === Infinity ? 0 : Math.max(1, timeout))
    if (r < 0) {
      m.close(fd)
      throw syscallError(r, 'setsockopt', 'SO_SNDTIMEO')
    }
    this.#fd = fd
    // The first 'message' listener starts the reading thread.
    this.on('newListener', (event) => {
      if (event === 'message') this.#startWatch()
    })
  }

  /** The file descriptor, -1 once closed. */
  get fd(): number {
    return this.#fd
  }

  /** True once {@link close} ran. */
  get closed(): boolean {
    return this.#fd < 0
  }

  #open(what: string): number {
    if (this.#fd < 0) throw new PosixError('E_CLOSED', `${what} on a closed unix datagram socket`)
    return this.#fd
  }

  /** Binds to `address` (`/path` or `@name`); a path must not exist yet. Throws E_SYSCALL (EADDRINUSE…). */
  bind(address: string): this {
    const r = native().bind(this.#open('bind'), encodeUnixAddress(address))
    if (r < 0) throw syscallError(r, 'bind', address)
    return this
  }

  /** Sets the default peer, so `send(data)` needs no address and the kernel looks it up once. */
  connect(address: string): this {
    const r = native().connect(this.#open('connect'), encodeUnixAddress(address))
    if (r < 0) throw syscallError(r, 'connect', address)
    this.#peer = address
    return this
  }

  /**
   * Sends one datagram to `address`, or to the connected peer. Returns true
   * once it is queued for the receiver, false when the receiver's queue is
   * full (within `sendTimeoutMs`). Throws PosixError E_SYSCALL for the rest:
   * `ECONNREFUSED` (nobody bound there), `ENOENT`, `EMSGSIZE`, `EACCES`…
   */
  send(data: string | ArrayBufferView, address?: string): boolean {
    const fd = this.#open('send')
    let encoded: Buffer | null = null
    if (address !== undefined) {
      if (address !== this.#lastAddress) {
        this.#lastEncoded = encodeUnixAddress(address)
        this.#lastAddress = address
      }
      encoded = this.#lastEncoded!
    }
    const r = native().send(fd, toBytes(data), encoded)
    if (r >= 0) return true
    if (r === -EAGAIN) return false
    throw syscallError(r, address === undefined ? 'send' : 'sendto', address ?? this.#peer)
  }

  /** Reads one waiting datagram without blocking; undefined when none waits. */
  receive(): UnixDatagram | undefined {
    const r = native().recv(this.#open('receive'))
    if (typeof r !== 'number') return message(r)
    if (r === -EAGAIN) return undefined
    throw syscallError(r, 'recvmsg')
  }

  #startWatch(): void {
    if (this.#watch || this.#fd < 0) return
    const handle = native().watch(this.#fd, (m) => {
      if (typeof m === 'number') this.emit('error', syscallError(m, 'recvmsg'))
      else this.emit('message', message(m))
    })
    if (typeof handle === 'number') throw syscallError(handle, 'pthread_create')
    this.#watch = handle
    if (!this.#ref) native().watchRef(handle, false)
  }

  /** Lets the process exit while this socket still waits for datagrams. */
  unref(): this {
    this.#ref = false
    if (this.#watch) native().watchRef(this.#watch, false)
    return this
  }

  /** Undoes {@link unref}. */
  ref(): this {
    this.#ref = true
    if (this.#watch) native().watchRef(this.#watch, true)
    return this
  }

  /** Stops receiving and closes the descriptor; idempotent. A bound path stays on disk (unlink it). */
  close(): void {
    if (this.#fd < 0) return
    const m = native()
    if (this.#watch) m.unwatch(this.#watch)
    this.#watch = undefined
    m.close(this.#fd)
    this.#fd = -1
  }

  [Symbol.dispose](): void {
    this.close()
  }
}

/**
 * Sends one datagram to `address` from a new socket, then closes it: for a
 * rare message. Returns false when the receiver's queue stayed full for
 * `sendTimeoutMs`; throws like {@link UnixDatagramSocket.send}.
 */
export function sendUnixDatagram(
  address: string,
  data: string | ArrayBufferView,
  options: UnixDatagramSocketOptions = {},
): boolean {
  const socket = new UnixDatagramSocket(options)
  try {
    return socket.send(data, address)
  } finally {
    socket.close()
  }
}
