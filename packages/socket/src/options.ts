import { type ConfigWhere, SocketError } from './errors.js'

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
}

export const DEFAULT_BIND_IP = '0.0.0.0'
export const DEFAULT_BACKLOG = 4096
export const DEFAULT_BIND_TIMEOUT_SEC = 30
export const DEFAULT_KEEP_IDLE_SEC = 600
/** Swift rejects keep_idle >= 2**15 - 1: Linux stores TCP_KEEPIDLE in a 16-bit signed field. */
const MAX_KEEP_IDLE_SEC = 2 ** 15 - 2

/** "file [section] key" for messages, with whatever parts are known. */
export function describeKey(key: string, where?: ConfigWhere): string {
  const parts: string[] = []
  if (where?.file) parts.push(where.file)
  if (where?.section) parts.push(`[${where.section}]`)
  parts.push(key)
  return parts.join(' ')
}

function blank(v: string | undefined): v is undefined {
  return v === undefined || v.trim() === ''
}

function configError(key: string, where: ConfigWhere | undefined, problem: string): SocketError {
  return new SocketError('E_SOCKET_CONFIG', `${describeKey(key, where)}: ${problem}`, {
    ...where,
    key,
  })
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
    throw configError(key, where, `${JSON.stringify(raw)} is not an integer from ${min} to ${max}`)
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
      `${JSON.stringify(rawPort)} is not a valid port number (an integer from 1 to 65535)`,
    )
  }

  let host = blank(conf.bind_ip) ? DEFAULT_BIND_IP : conf.bind_ip.trim()
  // Operators write IPv6 literals as in URLs; getaddrinfo wants them bare.
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)

  const rawTimeout = conf.bind_timeout
  let bindTimeoutSec = DEFAULT_BIND_TIMEOUT_SEC
  if (!blank(rawTimeout)) {
    const t = rawTimeout.trim()
    if (!/^\d+(\.\d+)?$/.test(t)) {
      throw configError(
        'bind_timeout',
        where,
        `${JSON.stringify(rawTimeout)} is not a number of seconds`,
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
