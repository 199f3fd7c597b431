import { ForkliftError, isForkliftError } from '@forklift/errors'

/** Stable codes of {@link SocketError}. */
export type SocketErrorCode =
  /** A bind option in the config is missing or invalid; `key` names it. */
  | 'E_SOCKET_CONFIG'
  /** `bind_ip` did not resolve to an IPv4 or IPv6 address. */
  | 'E_SOCKET_RESOLVE'
  /** The address stayed in use for all of `bind_timeout`. */
  | 'E_SOCKET_BIND_TIMEOUT'
  /** bind/listen failed for another reason (EACCES for a port < 1024, EADDRNOTAVAIL, ...). */
  | 'E_SOCKET_BIND'
  /** An inherited file descriptor is not a socket we can listen on, or LISTEN_FDS is malformed. */
  | 'E_SOCKET_FD'
  /** `cert_file` / `key_file` unreadable or not a valid certificate and key. */
  | 'E_SOCKET_TLS'

/** Where a bind option came from (the config file and section), so errors can name it. */
export interface ConfigWhere {
  file?: string | undefined
  section?: string | undefined
}

/** Every error this package throws. */
export class SocketError extends ForkliftError<SocketErrorCode> {
  override name = 'SocketError'
  readonly file: string | undefined
  readonly section: string | undefined
  readonly key: string | undefined

  constructor(
    code: SocketErrorCode,
    message: string,
    options?: ErrorOptions & ConfigWhere & { key?: string },
  ) {
    super(code, message, options)
    this.file = options?.file
    this.section = options?.section
    this.key = options?.key
  }
}

/** True for a {@link SocketError}, also across duplicate module copies. */
export function isSocketError(value: unknown): value is SocketError {
  return isForkliftError(value, 'SocketError')
}
