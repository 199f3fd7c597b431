import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

/** True when the `openssl` command runs here (scripts/test-deps.sh installs it as root). */
export function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0
}

/**
 * A self-signed RSA certificate for localhost and 127.0.0.1, valid one day,
 * written by openssl into `dir` as cert.pem and key.pem.
 */
export function selfSignedCert(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  const res = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { encoding: 'utf8' },
  )
  if (res.status !== 0) throw new Error(`openssl req failed: ${res.error ?? res.stderr}`)
  return { certFile, keyFile }
}
