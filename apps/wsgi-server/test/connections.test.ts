// Swift's connection options on the real binary, with raw sockets:
// keepalive_timeout, require_proxy_protocol and max_clients across workers.

import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { childPids, tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { serverSocket, startBin, waitFor, writeConf } from './helpers.js'

const BIN = 'swift-object-server'
const WHOAMI_APP = `${join(import.meta.dirname, 'fixtures/whoami.mjs')}#app`

async function startServer(extra: string) {
  const socket = serverSocket()
  const conf = writeConf(tempDir(), { port: socket.port, extra, app: WHOAMI_APP })
  const p = startBin(BIN, [conf], {}, [], socket)
  await p.ready()
  return { p, port: socket.port }
}

/** A raw connection: everything received, and whether (and when) the server closed it. */
async function rawConnection(port: number) {
  const socket: Socket = connect(port, '127.0.0.1')
  onTestFinished(() => {
    socket.destroy()
  })
  const state = { data: '', closed: false, closedAt: 0 }
  socket.setEncoding('latin1')
  socket.on('data', (c: string) => {
    state.data += c
  })
  socket.on('error', () => {})
  socket.on('close', () => {
    state.closed = true
    state.closedAt = Date.now()
  })
  await new Promise<void>((r, j) => {
    socket.once('connect', () => r())
    socket.once('error', j)
  })
  /** Sends one keep-alive GET and resolves with its response's body line. */
  const request = async (path = '/', before = '') => {
    const from = state.data.length
    socket.write(`${before}GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)
    await waitFor(
      () => /pid=\d+ remote=\S+\n/.test(state.data.slice(from)) || state.closed,
      'a response',
    )
    const m = /pid=(\d+) remote=(\S+)\n/.exec(state.data.slice(from))
    if (!m) throw new Error(`no response, got ${JSON.stringify(state.data.slice(from))}`)
    return { pid: Number(m[1]), remote: m[2]! }
  }
  return { socket, state, request }
}

/** Resolves once `ms` went by: the idle time a keep-alive test is about, not a synchronisation. */
const idle = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('keepalive_timeout', () => {
  it("keeps an idle keep-alive connection open past Node's 5 s, and closes it after keepalive_timeout", async () => {
    const { port } = await startServer('workers = 1\nclient_timeout = 60\nkeepalive_timeout = 8')
    const c = await rawConnection(port)
    const first = await c.request()
    expect(c.state.data).toMatch(/\r\nKeep-Alive: timeout=8\r\n/i)
    // Node's default closes an idle connection after 5 s (+1 s of buffer).
    await idle(6_500)
    expect(c.state.closed).toBe(false)
    const second = await c.request()
    expect(second.pid).toBe(first.pid)
    const idleFrom = Date.now()
    await waitFor(() => c.state.closed, 'the idle connection to be closed', 20_000)
    const waited = c.state.closedAt - idleFrom
    // keepalive_timeout (8 s) + Node's keepAliveTimeoutBuffer (1 s), with slack for a noisy machine.
    expect(waited).toBeGreaterThanOrEqual(7_500)
    expect(waited).toBeLessThan(14_000)
  }, 40_000)

  it('keepalive_timeout = 0 closes every connection after its response', async () => {
    const { port } = await startServer('workers = 1\nkeepalive_timeout = 0')
    const c = await rawConnection(port)
    await c.request()
    await waitFor(() => c.state.closed, 'the connection to close after its response')
    expect(c.state.data).toMatch(/\r\nConnection: close\r\n/i)
  })
})

describe('require_proxy_protocol', () => {
  it.each([
    ['workers = 2', 2],
    ['workers = 0', 0],
  ])(
    '%s: a PROXY v1 line gives the app (REMOTE_ADDR) the proxied client address',
    async (extra) => {
      const { port } = await startServer(`${extra}\nrequire_proxy_protocol = true`)
      const c = await rawConnection(port)
      const r = await c.request('/', 'PROXY TCP4 203.0.113.9 127.0.0.1 40123 6200\r\n')
      expect(r.remote).toBe('203.0.113.9:40123')
      // The rest of the connection keeps it.
      expect((await c.request()).remote).toBe('203.0.113.9:40123')
    },
  )

  it('a connection without a valid PROXY line gets a 400 and is closed; the app never sees it', async () => {
    const { port } = await startServer('workers = 1\nrequire_proxy_protocol = yes')
    for (const bad of ['', 'PROXY TCP4 203.0.113.9\r\n', 'PROXY TCP4 evil 127.0.0.1 1 2\r\n']) {
      const c = await rawConnection(port)
      c.socket.write(`${bad}GET / HTTP/1.1\r\nHost: x\r\n\r\n`)
      await waitFor(() => c.state.closed, `the connection sending ${JSON.stringify(bad)} to close`)
      expect(c.state.data).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
      expect(c.state.data).not.toContain('pid=')
    }
  })

  it('without the option, the real peer address is what the app sees', async () => {
    const { port } = await startServer('workers = 1')
    const c = await rawConnection(port)
    expect((await c.request()).remote).toMatch(/^127\.0\.0\.1:\d+$/)
  })
})

describe('max_clients', () => {
  it('max_clients = 1 with 2 workers: a worker holding a connection leaves the next ones to its sibling, and a third waits in the kernel queue', async () => {
    const { p, port } = await startServer('workers = 2\nmax_clients = 1\nclient_timeout = 60')
    const workers = childPids(p.pid)
    expect(workers).toHaveLength(2)
    // Several rounds: on a server that queued inside the worker, the kernel
    // would hand the second connection to the busy worker half of the time.
    for (let round = 0; round < 5; round++) {
      const a = await rawConnection(port)
      const first = await a.request()
      const b = await rawConnection(port)
      const second = await b.request()
      expect(workers).toContain(first.pid)
      expect(second.pid, `round ${round}`).not.toBe(first.pid)
      expect(workers).toContain(second.pid)

      // Both workers hold a connection: a third is accepted by the kernel but
      // by no worker, and is served once one of them lets go.
      const c = await rawConnection(port)
      c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
      await idle(500)
      expect(c.state.data).toBe('')
      a.socket.destroy()
      await waitFor(() => /pid=\d+/.test(c.state.data), 'the queued connection to be served')
      expect(Number(/pid=(\d+)/.exec(c.state.data)![1])).toBe(first.pid)
      b.socket.destroy()
      c.socket.destroy()
      // Let both workers see their connections close (they then accept again).
      await waitFor(async () => {
        const probe = await rawConnection(port)
        const r = await probe.request()
        probe.socket.destroy()
        return r
      }, 'a worker to accept again')
    }
  }, 60_000)
})
