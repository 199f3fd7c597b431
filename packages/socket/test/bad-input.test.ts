import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { killOnFinish, tempDir } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import {
  bindSocket,
  isSocketError,
  resolveBindAddress,
  type SocketError,
  socketOptionsFromConfig,
  tlsContextOptions,
} from '../src/index.js'

const where = { file: '/etc/swift/object-server.conf', section: 'app:object-server' }
const PREFIX = '/etc/swift/object-server.conf [app:object-server]'

function configError(conf: Record<string, string>): SocketError {
  try {
    socketOptionsFromConfig(conf, where)
  } catch (err) {
    expect(isSocketError(err)).toBe(true)
    expect((err as Error).message).not.toMatch(/[\n\r]/)
    return err as SocketError
  }
  throw new Error('expected a SocketError')
}

describe('bind_ip must be an address or a host name', () => {
  it.each([
    ['999.1.1.1', 'is not an IPv4 address'],
    ['2130706433', 'is not an IPv4 address'], // getaddrinfo: 127.0.0.1
    ['127.1', 'is not an IPv4 address'], // getaddrinfo: 127.0.0.1
    ['0x7f000001', 'is not an IPv4 address'],
    ['1.2.3.4.5', 'is not an IPv4 address'],
    ['*', 'is not an address: to listen on every address use 0.0.0.0'],
    ['127.0.0.1:8080', 'holds a port: put the address in bind_ip and the port in bind_port'],
    ['[::1]:8080', 'holds a port'],
    ['10.0.0.1 10.0.0.2', 'is not an IP address or a host name'],
    ['10.0.0.1,10.0.0.2', 'is not an IP address or a host name'],
    ['[localhost]', 'is not an IP address or a host name'],
    ['-lead.example.com', 'is not an IP address or a host name'],
    ['a..b', 'is not an IP address or a host name'],
    ['http://example.com', 'is not an IP address or a host name'],
    [`${'a'.repeat(64)}.com`, 'is not an IP address or a host name'],
  ])('refuses bind_ip = %s naming file, section and key', (value, problem) => {
    const err = configError({ bind_port: '6200', bind_ip: value })
    expect(err).toMatchObject({ code: 'E_SOCKET_CONFIG', key: 'bind_ip', ...where })
    const start = `${PREFIX} bind_ip: ${JSON.stringify(value)} ${problem}`
    expect(err.message.slice(0, start.length)).toBe(start)
  })

  it('says what an IPv4 address looks like', () => {
    expect(configError({ bind_port: '1', bind_ip: '999.1.1.1' }).message).toBe(
      `${PREFIX} bind_ip: "999.1.1.1" is not an IPv4 address (four numbers from 0 to 255: 192.0.2.10)`,
    )
  })

  it.each([
    'localhost',
    '::',
    '[::1]',
    'fe80::1%lo',
    '192.0.2.10',
    'my_host.example.com.',
    '1a2b.de',
    'Infinity',
  ])('accepts bind_ip = %s', (value) => {
    expect(() => socketOptionsFromConfig({ bind_port: '1', bind_ip: value })).not.toThrow()
  })

  it('a bind_ip that does not resolve (Infinity) names file, section and key', async () => {
    const opts = socketOptionsFromConfig({ bind_port: '6200', bind_ip: 'Infinity' }, where)
    expect(opts.where).toEqual(where)
    const expected = {
      code: 'E_SOCKET_RESOLVE',
      key: 'bind_ip',
      ...where,
      message: expect.stringMatching(
        /^\/etc\/swift\/object-server\.conf \[app:object-server\] bind_ip: "Infinity" does not resolve to an IPv4 or IPv6 address \((no such host|.*EAI_AGAIN.*)\)$/,
      ),
    }
    await expect(resolveBindAddress(opts.host, opts.where)).rejects.toMatchObject(expected)
    await expect(bindSocket({ ...opts, port: 0 })).rejects.toMatchObject(expected)
  })

  it('a bind failure names the option at fault when the options came from a config', async () => {
    const opts = socketOptionsFromConfig({ bind_port: '1', bind_ip: '192.0.2.1' }, where)
    await expect(bindSocket({ ...opts, port: 0 })).rejects.toMatchObject({
      code: 'E_SOCKET_BIND',
      key: 'bind_ip',
      message: expect.stringMatching(
        /^\/etc\/swift\/object-server\.conf \[app:object-server\] bind_ip: Could not bind to 192\.0\.2\.1:0: .*EADDRNOTAVAIL/,
      ),
    })
  })
})

describe('other bind options', () => {
  it('bind_timeout must be finite (1 and 400 zeros is not a number of seconds)', () => {
    const err = configError({ bind_port: '1', bind_timeout: `1${'0'.repeat(400)}` })
    expect(err.key).toBe('bind_timeout')
    expect(err.message).toMatch(/^\/etc.* bind_timeout: "10+…" \(401 characters\) is not a number/)
  })

  it('a 7 MB bind_port is echoed as its first characters and its length', () => {
    const err = configError({ bind_port: 'x'.repeat(7_000_000) })
    expect(err.message.length).toBeLessThan(250)
    expect(err.message).toContain('(7000000 characters) is not a valid port number')
  })
})

describe('cert_file / key_file', () => {
  it('a missing, unreadable or directory cert_file names file, section and key', () => {
    const dir = tempDir()
    const missing = join(dir, 'nope.crt')
    const opts = socketOptionsFromConfig({ bind_port: '1', cert_file: missing }, where)
    expect(() => tlsContextOptions(opts)).toThrow(
      expect.objectContaining({
        code: 'E_SOCKET_TLS',
        key: 'cert_file',
        ...where,
        message: `${PREFIX} cert_file: cannot read ${missing}: no such file`,
      }),
    )
    const sub = join(dir, 'sub')
    mkdirSync(sub)
    expect(() => tlsContextOptions({ ...opts, certFile: sub })).toThrow(
      `${PREFIX} cert_file: cannot read ${sub}: is a directory, expected a PEM file`,
    )
    expect(() => tlsContextOptions({ ...opts, certFile: '/dev/null' })).toThrow(
      `${PREFIX} cert_file: cannot read /dev/null: not a regular file`,
    )
  })

  it('a FIFO cert_file fails at once, never read', () => {
    const dir = tempDir()
    const fifo = join(dir, 'cert.pem')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    // A writer waits for a reader, so a blocking open gets text instead of hanging.
    killOnFinish(spawn('sh', ['-c', 'echo not-a-pem > "$0"', fifo]))
    expect(() => tlsContextOptions({ certFile: fifo })).toThrow(
      expect.objectContaining({
        code: 'E_SOCKET_TLS',
        message: `cert_file: cannot read ${fifo}: not a regular file`,
      }),
    )
  })
})
