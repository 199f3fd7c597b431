import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:https'
import { join } from 'node:path'
import { hasOpenssl, selfSignedCert, tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  bindSocket,
  SSL_WARNING,
  socketOptionsFromConfig,
  tlsContextOptions,
} from '../src/index.js'
import { captureLogger, get } from './_helpers.js'

const openssl = hasOpenssl()
if (!openssl) {
  console.warn(
    'skipping the TLS tests: openssl is not installed (scripts/test-deps.sh installs it as root)',
  )
}

describe.skipIf(!openssl)('TLS (cert_file / key_file)', () => {
  it("serves HTTPS with a certificate generated in the test, logging Swift's warning", async () => {
    const dir = tempDir()
    const { certFile, keyFile } = selfSignedCert(dir)
    const opts = socketOptionsFromConfig({
      bind_ip: '127.0.0.1',
      bind_port: '1', // replaced by 0 below: any free port
      cert_file: certFile,
      key_file: keyFile,
    })
    const cap = captureLogger()
    const tls = tlsContextOptions({ ...opts, logger: cap.logger })
    expect(tls).toBeDefined()
    expect(cap.records).toEqual([{ level: 'warn', msg: SSL_WARNING, fields: {} }])
    expect(SSL_WARNING).toBe(
      'WARNING: SSL should only be enabled for testing purposes. Use external SSL termination for a production deployment.',
    )
    // Strings, so a parent can read the files as root and send them to workers over IPC.
    expect(typeof tls!.cert).toBe('string')
    expect(JSON.parse(JSON.stringify(tls))).toEqual(tls)

    const https = createServer(tls!, (_req, res) => res.end('secure'))
    const server = await bindSocket({ ...opts, port: 0, server: https })
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())))
    const { port } = server.address() as { port: number }
    expect(await get(`https://127.0.0.1:${port}/`, { ca: tls!.cert })).toEqual({
      status: 200,
      body: 'secure',
    })
    // And a client that does not trust the certificate is refused.
    await expect(get(`https://127.0.0.1:${port}/`)).rejects.toThrow(/self[- ]signed/i)
  })

  it('takes the key from cert_file when key_file is not set', () => {
    const dir = tempDir()
    const { certFile, keyFile } = selfSignedCert(dir)
    const both = join(dir, 'both.pem')
    writeFileSync(both, readFileSync(keyFile, 'utf8') + readFileSync(certFile, 'utf8'))
    const tls = tlsContextOptions({ certFile: both })
    expect(tls?.key).toContain('PRIVATE KEY')
  })

  it('fails clearly for a missing file or a key that does not match', () => {
    const dir = tempDir()
    const a = selfSignedCert(dir)
    expect(() => tlsContextOptions({ certFile: join(dir, 'nope.crt') })).toThrow(
      expect.objectContaining({
        code: 'E_SOCKET_TLS',
        key: 'cert_file',
        message: `cert_file: cannot read ${join(dir, 'nope.crt')}: no such file`,
      }),
    )
    const other = join(dir, 'other')
    mkdirSync(other)
    const b = selfSignedCert(other)
    expect(() => tlsContextOptions({ certFile: a.certFile, keyFile: b.keyFile })).toThrow(
      expect.objectContaining({
        code: 'E_SOCKET_TLS',
        message: expect.stringContaining('not a usable certificate and private key'),
      }),
    )
  })
})

describe('TLS not configured', () => {
  it('returns undefined and logs nothing', () => {
    const cap = captureLogger()
    expect(tlsContextOptions({ logger: cap.logger })).toBeUndefined()
    expect(cap.records).toEqual([])
  })
})
