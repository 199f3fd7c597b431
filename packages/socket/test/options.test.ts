import { describe, expect, it } from 'vitest'
import { isSocketError, type SocketError, socketOptionsFromConfig } from '../src/index.js'

const where = { file: '/etc/swift/object-server.conf', section: 'app:object-server' }

function configError(conf: Record<string, string>): SocketError {
  try {
    socketOptionsFromConfig(conf, where)
  } catch (err) {
    expect(isSocketError(err)).toBe(true)
    return err as SocketError
  }
  throw new Error('expected a SocketError')
}

describe('socketOptionsFromConfig', () => {
  it("applies Swift's defaults", () => {
    expect(socketOptionsFromConfig({ bind_port: '6200' })).toEqual({
      host: '0.0.0.0',
      port: 6200,
      backlog: 4096,
      bindTimeoutSec: 30,
      keepIdleSec: 600,
    })
  })

  it('reads every option', () => {
    expect(
      socketOptionsFromConfig({
        bind_ip: ' [::1] ',
        bind_port: ' 8080 ',
        backlog: '128',
        bind_timeout: '2.5',
        keep_idle: '60',
        cert_file: '/etc/swift/cert.crt',
        key_file: '/etc/swift/cert.key',
        unrelated: 'x',
      }),
    ).toEqual({
      host: '::1',
      port: 8080,
      backlog: 128,
      bindTimeoutSec: 2.5,
      keepIdleSec: 60,
      certFile: '/etc/swift/cert.crt',
      keyFile: '/etc/swift/cert.key',
    })
  })

  it('treats empty values as unset', () => {
    expect(
      socketOptionsFromConfig({ bind_port: '1', bind_ip: '', backlog: ' ', cert_file: '' }),
    ).toEqual({ host: '0.0.0.0', port: 1, backlog: 4096, bindTimeoutSec: 30, keepIdleSec: 600 })
  })

  it('requires bind_port, naming file, section and key', () => {
    for (const conf of [{}, { bind_port: '' }, { bind_port: '  ' }] as Record<string, string>[]) {
      const err = configError(conf)
      expect(err.code).toBe('E_SOCKET_CONFIG')
      expect(err).toMatchObject({ key: 'bind_port', ...where })
      expect(err.message).toBe(
        '/etc/swift/object-server.conf [app:object-server] bind_port: not set; it must be explicitly set to a valid port number (1-65535)',
      )
    }
  })

  it.each(['abc', '0', '65536', '-1', '12.5', '80x', '0x50'])('rejects bind_port = %s', (bad) => {
    const err = configError({ bind_port: bad })
    expect(err.code).toBe('E_SOCKET_CONFIG')
    expect(err.key).toBe('bind_port')
    expect(err.message).toContain(`bind_port: ${JSON.stringify(bad)} is not a valid port number`)
  })

  it('accepts the extreme ports', () => {
    expect(socketOptionsFromConfig({ bind_port: '1' }).port).toBe(1)
    expect(socketOptionsFromConfig({ bind_port: '65535' }).port).toBe(65535)
  })

  it.each([
    ['backlog', '0'],
    ['backlog', 'many'],
    ['keep_idle', '0'],
    ['keep_idle', '32767'],
    ['keep_idle', '-5'],
    ['bind_timeout', 'soon'],
    ['bind_timeout', '-1'],
  ])('rejects %s = %s', (key, value) => {
    const err = configError({ bind_port: '6200', [key]: value })
    expect(err.code).toBe('E_SOCKET_CONFIG')
    expect(err.key).toBe(key)
    expect(err.message).toMatch(
      new RegExp(`^/etc/swift/object-server.conf \\[app:object-server\\] ${key}: `),
    )
  })

  it('keeps keep_idle inside what Linux accepts', () => {
    expect(socketOptionsFromConfig({ bind_port: '1', keep_idle: '32766' }).keepIdleSec).toBe(32766)
  })

  it('refuses key_file without cert_file', () => {
    const err = configError({ bind_port: '6200', key_file: '/k.pem' })
    expect(err).toMatchObject({ code: 'E_SOCKET_CONFIG', key: 'key_file' })
  })

  it('names only what it knows about the location', () => {
    expect(() => socketOptionsFromConfig({})).toThrow(/^bind_port: not set/)
  })
})
