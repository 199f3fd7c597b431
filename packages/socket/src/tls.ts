import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs'
import { formatError, printable } from '@forklift/errors'
import type { MinimalLogger as Logger } from '@forklift/log'
import type { ConfigWhere } from './errors.js'
import { type BindOptions, optionError } from './options.js'

/** Swift's warning, word for word, so operators' log filters keep matching. */
export const SSL_WARNING =
  'WARNING: SSL should only be enabled for testing purposes. Use external SSL termination for a production deployment.'

/** PEM texts ready for `https.createServer` / `tls.createSecureContext`. Strings, so they survive IPC. */
export interface TlsContextOptions {
  cert: string
  key: string
}

function readProblem(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no such file'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EISDIR':
      return 'is a directory, expected a PEM file'
    default:
      return formatError(err)
  }
}

function readPem(path: string, key: 'cert_file' | 'key_file', where?: ConfigWhere): string {
  const fail = (why: string, cause?: unknown) =>
    optionError(
      'E_SOCKET_TLS',
      key,
      where,
      `cannot read ${printable(path)}: ${why}`,
      cause === undefined ? undefined : { cause },
    )
  let fd: number
  try {
    // O_NONBLOCK: a FIFO would otherwise block the open until a writer comes.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    throw fail(readProblem(err), err)
  }
  try {
    const stat = fstatSync(fd)
    if (stat.isDirectory()) throw fail('is a directory, expected a PEM file')
    if (!stat.isFile()) throw fail('not a regular file')
    try {
      return readFileSync(fd, 'utf8')
    } catch (err) {
      throw fail(readProblem(err), err)
    }
  } finally {
    closeSync(fd)
  }
}

/**
 * Reads `cert_file` / `key_file` (the key defaults to the cert file, which may
 * hold both), checks that they form a usable certificate and key, logs Swift's
 * warning that SSL is for testing only, and returns the PEM texts; `undefined`
 * when TLS is not configured. Call it before dropping privileges (key files are
 * often readable by root only) and hand the result to workers over IPC.
 */
export function tlsContextOptions(
  opts: Pick<BindOptions, 'certFile' | 'keyFile' | 'where'> & { logger?: Logger },
): TlsContextOptions | undefined {
  if (opts.certFile === undefined) return undefined
  const cert = readPem(opts.certFile, 'cert_file', opts.where)
  const key = opts.keyFile === undefined ? cert : readPem(opts.keyFile, 'key_file', opts.where)
  try {
    // Loaded here, not at import: node:tls pulls in node:crypto, ~30 ms of
    // start-up that every server without TLS would pay.
    const { createSecureContext } = process.getBuiltinModule('node:tls')
    createSecureContext({ cert, key })
  } catch (err) {
    throw optionError(
      'E_SOCKET_TLS',
      opts.keyFile === undefined ? 'cert_file' : 'cert_file/key_file',
      opts.where,
      `${printable(opts.certFile)}${opts.keyFile === undefined ? '' : ` and ${printable(opts.keyFile)}`} are not a usable certificate and private key: ${formatError(err)}`,
      { cause: err },
    )
  }
  opts.logger?.warn(SSL_WARNING)
  return { cert, key }
}
