import type { IncomingMessage, ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  applyServerLimits,
  limitRequests,
  type ServerLimitsState,
  serverLimitsFromConf,
} from '../src/index.js'
import { serve, until } from './helpers.js'

/** A raw client: what it received, and whether the server closed it. */
function rawClient(port: number) {
  const socket: Socket = connect(port, '127.0.0.1')
  onTestFinished(() => {
    socket.destroy()
  })
  const state = { data: '', closed: false }
  socket.on('data', (c) => {
    state.data += c
  })
  socket.on('error', () => {})
  socket.on('close', () => {
    state.closed = true
  })
  return { socket, state }
}

describe('max_clients', () => {
  it('runs at most max_clients requests at once; the rest wait in order, none refused', async () => {
    const held: ServerResponse[] = []
    const order: string[] = []
    let inside = 0
    let maxInside = 0
    const app = (req: IncomingMessage, res: ServerResponse) => {
      inside++
      maxInside = Math.max(maxInside, inside)
      order.push(req.url!)
      held.push(res)
      res.once('close', () => {
        inside--
      })
    }
    let limits!: ServerLimitsState
    const { url } = await serve(app, (s) => {
      limits = applyServerLimits(s, { maxClients: 2 })
    })
    expect(limits.maxClients).toBe(2)
    const aborted = new AbortController()
    const responses: Promise<Response>[] = []
    for (const i of [1, 2, 3, 4, 5]) {
      responses.push(fetch(`${url}/${i}`, i === 4 ? { signal: aborted.signal } : {}))
      // In order, so the queue order is known.
      await until(() => limits.active + limits.queued === i, `request ${i} to arrive`)
    }
    expect([limits.active, limits.queued, held.length]).toEqual([2, 3, 2])

    // A waiting client that gives up leaves the queue and never reaches the app.
    aborted.abort()
    await expect(responses[3]).rejects.toThrow()
    await until(() => limits.queued === 2, 'the aborted request to leave the queue')

    for (let released = 0; released < 4; released++) {
      await until(() => held.length > released, `request ${released + 1} to reach the app`)
      held[released]!.end(`done ${released}`)
    }
    for (const i of [0, 1, 2, 4]) expect((await responses[i]!).status).toBe(200)
    expect(order).toEqual(['/1', '/2', '/3', '/5'])
    expect(maxInside).toBe(2)
    await until(() => limits.active === 0 && limits.queued === 0, 'the counters to settle')
  })

  it('refuses a max_clients below 1', () => {
    expect(() => limitRequests(() => {}, 0)).toThrow(TypeError)
    expect(() => limitRequests(() => {}, 1.5)).toThrow(TypeError)
  })
})

describe('client_timeout', () => {
  const TIMEOUT_SEC = 0.3

  async function limitedServer(app: (req: IncomingMessage, res: ServerResponse) => void) {
    return serve(app, (s) => {
      applyServerLimits(s, { clientTimeoutSec: TIMEOUT_SEC })
    })
  }

  it('closes a connection whose client sends nothing', async () => {
    const { port } = await limitedServer((_req, res) => res.end('x'))
    const { state } = rawClient(port)
    await until(() => state.closed, 'the silent connection to be closed')
    expect(state.data).toBe('')
  })

  it('closes a connection that stalls in the middle of its headers, or of its body', async () => {
    const { port } = await limitedServer((req, res) => {
      req.on('data', () => {})
      req.on('end', () => res.end('got it'))
    })
    const headers = rawClient(port)
    headers.socket.write('GET / HTTP/1.1\r\nHost: x\r\n')
    const body = rawClient(port)
    body.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345')
    await until(
      () => headers.state.closed && body.state.closed,
      'both stalled connections to close',
    )
    expect(body.state.data).toBe('')
  })

  it('keeps the connection while a slow app works on a complete request', async () => {
    const { port } = await limitedServer((_req, res) => {
      setTimeout(() => res.end('slow but fine'), TIMEOUT_SEC * 4 * 1000)
    })
    const { socket, state } = rawClient(port)
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    await until(() => state.closed, 'the response', 10_000)
    expect(state.data).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(state.data).toMatch(/slow but fine$/)
  })

  it('serves normally and then closes the idle keep-alive connection', async () => {
    const { port } = await limitedServer((_req, res) => res.end('hi'))
    const { socket, state } = rawClient(port)
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await until(() => state.data.endsWith('hi'), 'the first response')
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await until(() => state.data.split('HTTP/1.1 200').length === 3, 'the second response')
    await until(() => state.closed, 'the idle connection to be closed', 15_000)
  })

  it('refuses a negative timeout', async () => {
    const { server } = await serve(() => {})
    expect(() => applyServerLimits(server, { clientTimeoutSec: -1 })).toThrow(TypeError)
  })
})

describe('keepalive_timeout', () => {
  it('keeps an idle keep-alive connection past client_timeout for keepalive_timeout, advertised in Keep-Alive', async () => {
    const { port } = await serve(
      (_req, res) => res.end('hi'),
      (s) => {
        applyServerLimits(s, { clientTimeoutSec: 0.2, keepaliveTimeoutSec: 0.8 })
      },
    )
    const { socket, state } = rawClient(port)
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await until(() => state.data.endsWith('hi'), 'the first response')
    expect(state.data).toMatch(/\r\nKeep-Alive: timeout=0\r\n/i)
    const idleFrom = Date.now()
    await until(() => state.closed, 'the idle connection to be closed', 15_000)
    // Node adds keepAliveTimeoutBuffer (1 s) to keepalive_timeout; client_timeout (0.2 s) is not the bound.
    expect(Date.now() - idleFrom).toBeGreaterThanOrEqual(700)
  })

  it("0 closes every connection after its response, as Swift's keepalive = False", async () => {
    const { port } = await serve(
      (_req, res) => res.end('hi'),
      (s) => {
        applyServerLimits(s, { keepaliveTimeoutSec: 0 })
      },
    )
    const { socket, state } = rawClient(port)
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
    await until(() => state.closed, 'the connection to close after the response')
    expect(state.data).toMatch(/\r\nConnection: close\r\n/i)
    expect(state.data).toMatch(/hi$/)
  })
})

describe('serverLimitsFromConf', () => {
  it("reads max_clients and client_timeout with Swift's defaults, naming a bad key", () => {
    expect(serverLimitsFromConf({})).toEqual({
      maxClients: 1024,
      clientTimeoutSec: 60,
      keepaliveTimeoutSec: 60,
    })
    expect(serverLimitsFromConf({ max_clients: ' 10 ', client_timeout: '2.5' })).toEqual({
      maxClients: 10,
      clientTimeoutSec: 2.5,
      keepaliveTimeoutSec: 2.5,
    })
    expect(serverLimitsFromConf({ client_timeout: '30', keepalive_timeout: '0' })).toEqual({
      maxClients: 1024,
      clientTimeoutSec: 30,
      keepaliveTimeoutSec: 0,
    })
    const where = { file: '/etc/swift/object-server.conf', section: 'app:object-server' }
    expect(() => serverLimitsFromConf({ max_clients: '0' }, where)).toThrow(
      /object-server\.conf \[app:object-server\] max_clients/,
    )
    expect(() => serverLimitsFromConf({ client_timeout: 'soon' }, where)).toThrow(/client_timeout/)
    expect(() => serverLimitsFromConf({ keepalive_timeout: '-1' }, where)).toThrow(
      /\[app:object-server\] keepalive_timeout/,
    )
  })
})
