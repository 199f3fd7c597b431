import { isIP } from 'node:net'
import { locate, quoteInput } from '@forklift/errors'
import { type ConfigWhere, SocketError, type SocketErrorCode } from './errors.js'

/** Everything needed to bind (or re-create) a server's listening socket. */
export interface BindOptions {
  /** `bind_ip`: an IPv4 or IPv6 address, or a hostname resolved once at bind time. Default `0.0.0.0`. */
  host: string
  /** `bind_port`: 1..65535 from config; 0 (any free port) is accepted here for tests. */
  port: number
  /** `backlog`: the listen(2) queue length. Default 4096 (the kernel caps it at net.core.somaxconn). */
  backlog: number
  /** `bind_timeout`: seconds to keep retrying while the address is in use. Default 30. */
  bindTimeoutSec: number
  /** `keep_idle`: seconds of idleness before TCP keepalive probes start. Default 600. */
  keepIdleSec: number
  /** `cert_file`: PEM certificate (chain); enables TLS. */
  certFile?: string
  /** `key_file`: PEM private key; defaults to the key inside `certFile`. */
  keyFile?: string
  /** Bind with SO_REUSEPORT so several processes can each own a socket on the port (Linux, Node >= 22.12). */
  reusePort?: boolean
  /**
   * The config file and section these options were read from
   * (socketOptionsFromConfig sets it), so that resolve, bind and TLS errors
   * name the file, section and key.
   */
  where?: ConfigWhere
}

export const DEFAULT_BIND_IP = '0.0.0.0'
export const DEFAULT_BACKLOG = 4096
export const DEFAULT_BIND_TIMEOUT_SEC = 30
export const DEFAULT_KEEP_IDLE_SEC = 600
/** Swift rejects keep_idle >= 2**15 - 1: Linux stores TCP_KEEPIDLE in a 16-bit signed field. */
const MAX_KEEP_IDLE_SEC = 2 ** 15 - 2

/** An error about one bind option, naming the file, section and key. */
export function optionError(
  code: SocketErrorCode,
  key: string,
  where: ConfigWhere | undefined,
  problem: string,
  options?: ErrorOptions,
): SocketError {
  return new SocketError(code, locate({ ...where, key }, problem), {
    ...options,
    ...where,
    key,
  })
}

function blank(v: string | undefined): v is undefined {
  return v === undefined || v.trim() === ''
}

function configError(key: string, where: ConfigWhere | undefined, problem: string): SocketError {
  return optionError('E_SOCKET_CONFIG', key, where, problem)
}

const LABEL_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/

/**
 * Why `host` cannot be bound, or undefined when it can be: it must be an IPv4
 * or IPv6 address or a host name (RFC 1123 labels; `_` tolerated, as
 * /etc/hosts may hold it). getaddrinfo would take `2130706433`, `127.1` or
 * `0x7f.1` for 127.0.0.1; a dotted number that is not four decimal bytes is
 * refused instead, as is anything with blanks, a port or a wildcard.
 */
function bindIpProblem(host: string): string | undefined {
  if (isIP(host) !== 0) return undefined
  const shown = quoteInput(host)
  if (/^\[.*\]:\d+$|^[^:\s]+:\d+$/.test(host)) {
    return `${shown} holds a port: put the address in bind_ip and the port in bind_port`
  }
  if (host === '*') {
    return `${shown} is not an address: to listen on every address use 0.0.0.0 (IPv4) or :: (IPv6 too)`
  }
  const name = host.endsWith('.') ? host.slice(0, -1) : host
  const labels = name.split('.')
  if (name.length > 253 || !labels.every((l) => LABEL_RE.test(l))) {
    return `${shown} is not an IP address or a host name`
  }
  // No top-level domain is a number: this is an IPv4 address in a form inet_aton takes.
  if (/^(?:0x[0-9a-f]*|\d+)$/i.test(labels.at(-1)!)) {
    return `${shown} is not an IPv4 address (four numbers from 0 to 255: 192.0.2.10)`
  }
  return undefined
}

function intInRange(
  conf: Record<string, string>,
  key: string,
  def: number,
  min: number,
  max: number,
  where: ConfigWhere | undefined,
): number {
  const raw = conf[key]
  if (blank(raw)) return def
  const v = raw.trim()
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    throw configError(key, where, `${quoteInput(raw)} is not an integer from ${min} to ${max}`)
  }
  return Number(v)
}

/**
 * Reads Swift's bind options from a config section (`[DEFAULT]` already merged in):
 * `bind_ip`, `bind_port` (required), `backlog`, `bind_timeout`, `keep_idle`,
 * `cert_file`, `key_file`. Throws SocketError E_SOCKET_CONFIG naming the file,
 * section and key of the first bad value.
 */
export function socketOptionsFromConfig(
  conf: Record<string, string>,
  where?: ConfigWhere,
): BindOptions {
  const rawPort = conf.bind_port
  if (blank(rawPort)) {
    throw configError(
      'bind_port',
      where,
      'not set; it must be explicitly set to a valid port number (1-65535)',
    )
  }
  const port = rawPort.trim()
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw configError(
      'bind_port',
      where,
      `${quoteInput(rawPort)} is not a valid port number (an integer from 1 to 65535)`,
    )
  }

  let host = blank(conf.bind_ip) ? DEFAULT_BIND_IP : conf.bind_ip.trim()
  // Operators write IPv6 literals as in URLs; getaddrinfo wants them bare.
  if (host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)) === 6) {
    host = host.slice(1, -1)
  }
  const hostProblem = bindIpProblem(host)
  if (hostProblem !== undefined) throw configError('bind_ip', where, hostProblem)

  const rawTimeout = conf.bind_timeout
  let bindTimeoutSec = DEFAULT_BIND_TIMEOUT_SEC
  if (!blank(rawTimeout)) {
    const t = rawTimeout.trim()
    if (!/^\d+(\.\d+)?$/.test(t) || !Number.isFinite(Number(t))) {
      throw configError(
        'bind_timeout',
        where,
        `${quoteInput(rawTimeout)} is not a number of seconds`,
      )
    }
    bindTimeoutSec = Number(t)
  }

  const certFile = blank(conf.cert_file) ? undefined : conf.cert_file.trim()
  const keyFile = blank(conf.key_file) ? undefined : conf.key_file.trim()
  if (keyFile !== undefined && certFile === undefined) {
    throw configError('key_file', where, 'is set but cert_file is not; TLS needs a certificate')
  }

  const opts: BindOptions = {
    host,
    port: Number(port),
    backlog: intInRange(conf, 'backlog', DEFAULT_BACKLOG, 1, 2 ** 31 - 1, where),
    bindTimeoutSec,
    keepIdleSec: intInRange(conf, 'keep_idle', DEFAULT_KEEP_IDLE_SEC, 1, MAX_KEEP_IDLE_SEC, where),
  }
  if (certFile !== undefined) opts.certFile = certFile
  if (keyFile !== undefined) opts.keyFile = keyFile
  if (where !== undefined) opts.where = { file: where.file, section: where.section }
  return opts
}

/** Fills in defaults for a partly given BindOptions (for callers that do not start from config). */
export function normalizeBindOptions(opts: Partial<BindOptions> & { port: number }): BindOptions {
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new TypeError(`port must be an integer from 0 to 65535, got ${String(opts.port)}`)
  }
  return {
    ...opts,
    host: opts.host ?? DEFAULT_BIND_IP,
    port: opts.port,
    backlog: opts.backlog ?? DEFAULT_BACKLOG,
    bindTimeoutSec: opts.bindTimeoutSec ?? DEFAULT_BIND_TIMEOUT_SEC,
    keepIdleSec: opts.keepIdleSec ?? DEFAULT_KEEP_IDLE_SEC,
  }
}
