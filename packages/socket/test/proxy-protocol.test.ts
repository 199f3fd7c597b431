import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { type AddressInfo, connect, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { hasOpenssl, selfSignedCert, tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { parseProxyV1, requireProxyProtocol } from '../src/index.js'

/** An http(s) server on 127.0.0.1:0 whose responses name the addresses the app saw. */
async function listen(server: Server): Promise<number> {
  server.on('request', (req, res) => {
    const s = req.socket
    res.end(`remote=${s.remoteAddress}:${s.remotePort} local=${s.localAddress}:${s.localPort}`)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  onTestFinished(() => {
    server.closeAllConnections()
    server.close()
  })
  return (server.address() as AddressInfo).port
}

function raw(port: number) {
  const socket: Socket = connect(port, '127.0.0.1')
  onTestFinished(() => {
    socket.destroy()
  })
  const state = { data: '', closed: false }
  socket.setEncoding('latin1')
  socket.on('data', (c: string) => {
    state.data += c
  })
  socket.on('error', () => {})
  socket.on('close', () => {
    state.closed = true
  })
  return { socket, state }
}

describe('parseProxyV1', () => {
  it('reads TCP4, TCP6 and UNKNOWN lines and refuses anything else', () => {
    expect(parseProxyV1('PROXY TCP4 192.0.2.7 10.0.0.1 56324 443')).toEqual({
      family: 'TCP4',
      sourceAddress: '192.0.2.7',
      sourcePort: 56324,
      destinationAddress: '10.0.0.1',
      destinationPort: 443,
    })
    expect(parseProxyV1('PROXY TCP6 2001:db8::1 ::1 1 65535')?.sourceAddress).toBe('2001:db8::1')
    expect(parseProxyV1('PROXY UNKNOWN whatever follows')).toEqual({ family: 'UNKNOWN' })
    for (const bad of [
      'GET / HTTP/1.1',
      'PROXY TCP4 192.0.2.7 10.0.0.1 56324',
      'PROXY TCP4 not-an-ip 10.0.0.1 1 2',
      'PROXY TCP4 ::1 10.0.0.1 1 2',
      'PROXY TCP4 192.0.2.7 10.0.0.1 65536 2',
      'PROXY TCP4 192.0.2.7 10.0.0.1 01 2',
      'PROXY TCP5 192.0.2.7 10.0.0.1 1 2',
      'proxy TCP4 192.0.2.7 10.0.0.1 1 2',
    ]) {
      expect(parseProxyV1(bad), bad).toBeUndefined()
    }
  })
})

describe('requireProxyProtocol', () => {
  it('gives the app the proxied client and destination, with the request in the same segment', async () => {
    const server = createHttpServer()
    requireProxyProtocol(server)
    const port = await listen(server)
    const { socket, state } = raw(port)
    socket.write(
      'PROXY TCP4 192.0.2.7 198.51.100.9 56324 8080\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n',
    )
    await waitFor(() => state.data.includes('remote='), 'the response')
    expect(state.data).toMatch(/^HTTP\/1\.1 200 /)
    expect(state.data).toContain('remote=192.0.2.7:56324 local=198.51.100.9:8080')
    // Keep-alive: the next request on the connection keeps the proxied address.
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await waitFor(() => state.data.split('remote=192.0.2.7').length === 3, 'the second response')
  })

  it('keeps the real addresses for UNKNOWN', async () => {
    const server = createHttpServer()
    requireProxyProtocol(server)
    const port = await listen(server)
    const { socket, state } = raw(port)
    socket.write('PROXY UNKNOWN\r\n')
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    await waitFor(() => state.closed, 'the response')
    expect(state.data).toMatch(/remote=127\.0\.0\.1:\d+ local=127\.0\.0\.1:\d+$/)
  })

  it.each([
    ['a plain HTTP request', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a malformed line', 'PROXY TCP4 192.0.2.7\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a line longer than 107 bytes', `PROXY UNKNOWN ${'x'.repeat(120)}`],
  ])('answers 400 and closes the connection on %s, never reaching the app', async (_what, sent) => {
    const server = createHttpServer()
    const invalid: string[] = []
    requireProxyProtocol(server, { onInvalid: (_s, line) => invalid.push(line) })
    let requests = 0
    server.on('request', () => requests++)
    const port = await listen(server)
    const { socket, state } = raw(port)
    socket.write(sent)
    await waitFor(() => state.closed, 'the connection to close')
    expect(state.data).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expect(state.data).toContain('Invalid PROXY line')
    expect(requests).toBe(0)
    expect(invalid).toHaveLength(1)
  })

  it('closes a connection that sends no line within the timeout', async () => {
    const server = createHttpServer()
    requireProxyProtocol(server, { timeoutMs: 200 })
    const port = await listen(server)
    const { state } = raw(port)
    await waitFor(() => state.closed, 'the silent connection to close')
  })

  it.skipIf(!hasOpenssl())(
    'reads the line before the TLS handshake of an https server',
    async () => {
      const { certFile, keyFile } = selfSignedCert(tempDir())
      const server = createHttpsServer({
        cert: readFileSync(certFile),
        key: readFileSync(keyFile),
      }) as unknown as Server
      requireProxyProtocol(server)
      const port = await listen(server)
      const tcp = connect(port, '127.0.0.1')
      onTestFinished(() => {
        tcp.destroy()
      })
      await new Promise<void>((r) => tcp.once('connect', () => r()))
      tcp.write('PROXY TCP6 2001:db8::7 2001:db8::1 4000 443\r\n')
      const tls = tlsConnect({ socket: tcp, rejectUnauthorized: false })
      let data = ''
      tls.setEncoding('latin1')
      tls.on('data', (c: string) => {
        data += c
      })
      tls.on('error', () => {})
      tls.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
      await waitFor(() => data.includes('remote='), 'the response over TLS')
      expect(data).toContain('remote=2001:db8::7:4000 local=2001:db8::1:443')
    },
  )
})
