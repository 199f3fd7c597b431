import { spawn } from 'node:child_process'
import { lookup } from 'node:dns/promises'
import { once } from 'node:events'
import { connect, createServer as createNetServer, type Server } from 'node:net'
import { networkInterfaces } from 'node:os'
import { killOnFinish } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  applyConnectionOptions,
  bindHandoffSocket,
  bindSocket,
  formatAddress,
  type SocketError,
} from '../src/index.js'
import { captureLogger, FIXTURES, get, have, ss, waitForLine } from './_helpers.js'

function closeOnFinish<T extends Server>(server: T): T {
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())))
  return server
}

function port(server: Server): number {
  return (server.address() as { port: number }).port
}

/** A child process holding HOST:PORT (0 = any), resolved once it listens. */
async function holdPort(host: string, p = 0) {
  const child = killOnFinish(
    spawn(process.execPath, [`${FIXTURES}hold-port.mjs`, host, String(p)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  )
  const line = await waitForLine(child, /^listening \d+$/)
  return { child, port: Number(line.split(' ')[1]) }
}

const hasIpv6Loopback = Object.values(networkInterfaces())
  .flat()
  .some((i) => i?.address === '::1')
const hasSs = have('ss')
if (!hasIpv6Loopback) console.warn('skipping the ::1 test: no IPv6 loopback address here')
if (!hasSs)
  console.warn("skipping the backlog and keepalive checks: 'ss' (iproute2) is not installed")

describe('bindSocket', () => {
  it('binds 127.0.0.1 on port 0 and accepts connections', async () => {
    const server = closeOnFinish(await bindSocket({ host: '127.0.0.1', port: 0 }))
    expect(server.listening).toBe(true)
    expect(server.address()).toMatchObject({ address: '127.0.0.1', family: 'IPv4' })
    server.on('connection', (c) => c.end('hi'))
    const c = connect(port(server), '127.0.0.1')
    let got = ''
    for await (const chunk of c) got += chunk
    expect(got).toBe('hi')
  })

  it.skipIf(!hasIpv6Loopback)('binds the IPv6 loopback ::1', async () => {
    const server = closeOnFinish(await bindSocket({ host: '::1', port: 0 }))
    expect(server.address()).toMatchObject({ address: '::1', family: 'IPv6' })
    server.on('connection', (c) => c.end('v6'))
    const c = connect(port(server), '::1')
    let got = ''
    for await (const chunk of c) got += chunk
    expect(got).toBe('v6')
  })

  it('resolves a hostname (localhost) once and binds that address', async () => {
    const expected = await lookup('localhost')
    const server = closeOnFinish(await bindSocket({ host: 'localhost', port: 0 }))
    expect((server.address() as { address: string }).address).toBe(expected.address)
  })

  it('fails clearly for a host that does not resolve', async () => {
    await expect(bindSocket({ host: 'no-such-host.invalid', port: 0 })).rejects.toMatchObject({
      code: 'E_SOCKET_RESOLVE',
      message: expect.stringMatching(
        /^bind_ip "no-such-host.invalid" does not resolve .*\(no such host\)$/,
      ),
    })
  })

  it.skipIf(!hasSs)('passes backlog through to listen(2)', async () => {
    const server = closeOnFinish(await bindSocket({ host: '127.0.0.1', port: 0, backlog: 37 }))
    // For a listening socket, ss shows the backlog in the Send-Q column.
    const rows = ss(['-lt', `( sport = :${port(server)} )`])
    expect(rows).toHaveLength(1)
    expect(rows[0]!.split(/\s+/)[2]).toBe('37')
  })

  it('listens with a server given by the caller (an http.Server)', async () => {
    const { createServer } = await import('node:http')
    const http = createServer((_q, r) => r.end('in-process'))
    const server = closeOnFinish(await bindSocket({ host: '127.0.0.1', port: 0, server: http }))
    expect(server).toBe(http)
    expect(await get(`http://127.0.0.1:${port(server)}/`)).toEqual({
      status: 200,
      body: 'in-process',
    })
  })

  it('retries while another process holds the port, then fails naming address and timeout', async () => {
    const holder = await holdPort('127.0.0.1')
    const cap = captureLogger()
    const started = performance.now()
    const err = (await bindSocket({
      host: '127.0.0.1',
      port: holder.port,
      bindTimeoutSec: 1,
      logger: cap.logger,
    }).catch((e: unknown) => e)) as SocketError
    const elapsed = performance.now() - started
    expect(err.code).toBe('E_SOCKET_BIND_TIMEOUT')
    expect(err.message).toBe(
      `Could not bind to 127.0.0.1:${holder.port} after trying for 1 seconds: address already in use`,
    )
    expect((err.cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE')
    expect(elapsed).toBeGreaterThanOrEqual(950)
    expect(elapsed).toBeLessThan(10_000)
    // One warning for the whole retry window, not one per attempt.
    expect(cap.records.filter((r) => r.level === 'warn')).toHaveLength(1)
    expect(holder.child.exitCode).toBe(null)
  })

  it('binds once the holder releases the port during the retry window', async () => {
    const holder = await holdPort('127.0.0.1')
    const cap = captureLogger()
    const binding = bindSocket({
      host: '127.0.0.1',
      port: holder.port,
      bindTimeoutSec: 20,
      logger: cap.logger,
    })
    const warning = await cap.waitFor(/is in use; retrying for up to 20 seconds/)
    expect(warning.level).toBe('warn')
    holder.child.stdin?.write('release\n')
    await waitForLine(holder.child, /^released$/)
    const server = closeOnFinish(await binding)
    expect(port(server)).toBe(holder.port)
  })

  it('stops retrying when aborted', async () => {
    const holder = await holdPort('127.0.0.1')
    const cap = captureLogger()
    const ac = new AbortController()
    const binding = bindSocket({
      host: '127.0.0.1',
      port: holder.port,
      bindTimeoutSec: 30,
      logger: cap.logger,
      signal: ac.signal,
    })
    await cap.waitFor(/is in use/)
    const started = performance.now()
    ac.abort(new Error('shutting down'))
    await expect(binding).rejects.toThrow('shutting down')
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('fails at once for errors other than EADDRINUSE', async () => {
    // 192.0.2.1 (TEST-NET-1) is on no interface here: EADDRNOTAVAIL, not worth retrying.
    const started = performance.now()
    await expect(
      bindSocket({ host: '192.0.2.1', port: 0, bindTimeoutSec: 30 }),
    ).rejects.toMatchObject({
      code: 'E_SOCKET_BIND',
      message: expect.stringMatching(/^Could not bind to 192\.0\.2\.1:0: .*EADDRNOTAVAIL/),
    })
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('binds a port below 1024 as root, and as non-root fails with EACCES', async () => {
    if (process.getuid?.() !== 0) {
      await expect(bindSocket({ host: '127.0.0.1', port: 1 })).rejects.toMatchObject({
        code: 'E_SOCKET_BIND',
        message: expect.stringContaining('EACCES'),
      })
      return
    }
    let server: Server | undefined
    for (let p = 900; p < 1000 && !server; p++) {
      server = await bindSocket({ host: '127.0.0.1', port: p, bindTimeoutSec: 0 }).catch(
        () => undefined,
      )
    }
    expect(server, 'no free port in 900-999').toBeDefined()
    closeOnFinish(server!)
    expect(port(server!)).toBeLessThan(1024)
  })

  it('lets several sockets share a port with reusePort', async () => {
    const a = closeOnFinish(await bindSocket({ host: '127.0.0.1', port: 0, reusePort: true }))
    const b = closeOnFinish(
      await bindSocket({ host: '127.0.0.1', port: port(a), reusePort: true, bindTimeoutSec: 0 }),
    )
    expect(port(b)).toBe(port(a))
    // Without SO_REUSEPORT the same port stays taken.
    await expect(
      bindSocket({ host: '127.0.0.1', port: port(a), bindTimeoutSec: 0 }),
    ).rejects.toMatchObject({ code: 'E_SOCKET_BIND_TIMEOUT' })
  })
})

describe('connection options', () => {
  it.skipIf(!hasSs)(
    'accepted connections get keepalive with keep_idle (bindSocket default server)',
    async () => {
      const server = closeOnFinish(
        await bindSocket({ host: '127.0.0.1', port: 0, keepIdleSec: 77 }),
      )
      const accepted = once(server, 'connection')
      const client = connect(port(server), '127.0.0.1')
      onTestFinished(() => void client.destroy())
      await accepted
      const rows = ss(['-to', 'state', 'established', `( sport = :${port(server)} )`])
      expect(rows).toHaveLength(1)
      // e.g. timer:(keepalive,1min16sec,0): the first probe is due keep_idle seconds after the last packet.
      const m = /timer:\(keepalive,(?:(\d+)min)?(\d+)(?:\.\d+)?sec/.exec(rows[0]!)
      expect(m, rows[0]).not.toBeNull()
      const seconds = Number(m![1] ?? 0) * 60 + Number(m![2])
      expect(seconds).toBeGreaterThan(60)
      expect(seconds).toBeLessThanOrEqual(77)
    },
  )

  it.skipIf(!hasSs)('applyConnectionOptions sets them on a connection of any server', async () => {
    const server = closeOnFinish(
      createNetServer((c) => applyConnectionOptions(c, { keepIdleSec: 300 })),
    )
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const accepted = once(server, 'connection')
    const client = connect(port(server), '127.0.0.1')
    onTestFinished(() => void client.destroy())
    await accepted
    const rows = ss(['-to', 'state', 'established', `( sport = :${port(server)} )`])
    expect(rows[0]).toMatch(/timer:\(keepalive,(4min\d+|5min0?)/)
  })
})

describe('bindHandoffSocket', () => {
  it('binds without accepting here; forked workers listen on the fd and serve', async () => {
    const handoff = await bindHandoffSocket({ host: '127.0.0.1', port: 0, backlog: 64 })
    onTestFinished(() => handoff.close())
    expect(handoff.address.port).toBeGreaterThan(0)
    expect(handoff.options.backlog).toBe(64)
    const { fork } = await import('node:child_process')
    const pids: number[] = []
    for (let i = 0; i < 2; i++) {
      const child = killOnFinish(
        fork(`${FIXTURES}adopt-child.mjs`, ['4'], {
          stdio: ['ignore', 'pipe', 'pipe', 'ipc', handoff.fd],
        }),
      )
      await once(child, 'message')
      pids.push(child.pid!)
    }
    const seen = new Set<string>()
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const res = await get(`http://127.0.0.1:${handoff.address.port}/`)
      seen.add(res.body)
    }
    // Every answer comes from a worker: the parent never accepts.
    expect([...seen].every((b) => pids.includes(Number(b)))).toBe(true)
    // The port is taken for everybody else.
    await expect(
      bindSocket({ host: '127.0.0.1', port: handoff.address.port, bindTimeoutSec: 0 }),
    ).rejects.toMatchObject({ code: 'E_SOCKET_BIND_TIMEOUT' })
  })

  it('retries EADDRINUSE like bindSocket', async () => {
    const holder = await holdPort('127.0.0.1')
    await expect(
      bindHandoffSocket({ host: '127.0.0.1', port: holder.port, bindTimeoutSec: 0.3 }),
    ).rejects.toMatchObject({
      code: 'E_SOCKET_BIND_TIMEOUT',
      message: `Could not bind to ${formatAddress('127.0.0.1', holder.port)} after trying for 0.3 seconds: address already in use`,
    })
  })
})
