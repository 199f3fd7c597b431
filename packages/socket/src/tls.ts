import { readFileSync } from 'node:fs'
import { formatError } from '@forklift/errors'
import type { Logger } from '@forklift/log'
import { SocketError } from './errors.js'
import type { BindOptions } from './options.js'

/** Swift's warning, word for word, so operators' log filters keep matching. */
export const SSL_WARNING =
  'WARNING: SSL should only be enabled for testing purposes. Use external SSL termination for a production deployment.'

/** PEM texts ready for `https.createServer` / `tls.createSecureContext`. Strings, so they survive IPC. */
export interface TlsContextOptions {
  cert: string
  key: string
}

function readPem(path: string, key: 'cert_file' | 'key_file'): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new SocketError('E_SOCKET_TLS', `${key} ${path}: ${formatError(err)}`, {
      cause: err,
      key,
    })
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
  opts: Pick<BindOptions, 'certFile' | 'keyFile'> & { logger?: Logger },
): TlsContextOptions | undefined {
  if (opts.certFile === undefined) return undefined
  const cert = readPem(opts.certFile, 'cert_file')
  const key = opts.keyFile === undefined ? cert : readPem(opts.keyFile, 'key_file')
  try {
    // Loaded here, not at import: node:tls pulls in node:crypto, ~30 ms of
    // start-up that every server without TLS would pay.
    const { createSecureContext } = process.getBuiltinModule('node:tls')
    createSecureContext({ cert, key })
  } catch (err) {
    throw new SocketError(
      'E_SOCKET_TLS',
      `cert_file ${opts.certFile} / key_file ${opts.keyFile ?? opts.certFile}: not a usable certificate and private key: ${formatError(err)}`,
      { cause: err, key: 'cert_file' },
    )
  }
  opts.logger?.warn(SSL_WARNING)
  return { cert, key }
}
