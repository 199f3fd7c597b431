import { spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { killOnFinish, tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  adoptListeningSocket,
  bindHandoffSocket,
  bindSocket,
  listenFdsFromEnv,
  listenFdsWithNames,
  pickListenFd,
} from '../src/index.js'
import { FIXTURES, get, waitForLine } from './_helpers.js'

describe('listenFdsFromEnv', () => {
  it('returns fds 3.. when LISTEN_PID is this process', () => {
    expect(listenFdsFromEnv({ LISTEN_FDS: '2', LISTEN_PID: String(process.pid) })).toEqual([3, 4])
    expect(listenFdsFromEnv({ LISTEN_FDS: '1', LISTEN_PID: '42' }, 42)).toEqual([3])
  })

  it('ignores variables meant for another process (inherited from a parent)', () => {
    expect(listenFdsFromEnv({ LISTEN_FDS: '1', LISTEN_PID: String(process.pid + 1) })).toEqual([])
  })

  it('is empty without socket activation', () => {
    expect(listenFdsFromEnv({})).toEqual([])
    expect(listenFdsFromEnv({ LISTEN_FDS: '1' })).toEqual([])
    expect(listenFdsFromEnv({ LISTEN_FDS: '0', LISTEN_PID: String(process.pid) })).toEqual([])
  })

  it('rejects malformed values', () => {
    expect(() => listenFdsFromEnv({ LISTEN_FDS: 'x', LISTEN_PID: String(process.pid) })).toThrow(
      expect.objectContaining({ code: 'E_SOCKET_FD' }),
    )
  })
})

/**
 * Starts the adopt fixture as systemd would: the listening socket in fd 3,
 * LISTEN_FDS=1 and LISTEN_PID set to the server's own pid (the shell execs
 * node, so `$$` is that pid).
 */
function socketActivate(fd: number, extraEnv: Record<string, string> = {}) {
  return killOnFinish(
    spawn(
      '/bin/sh',
      [
        '-c',
        'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$1"',
        process.execPath,
        `${FIXTURES}adopt-child.mjs`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe', fd], env: { ...process.env, ...extraEnv } },
    ),
  )
}

describe('adoptListeningSocket', () => {
  it('adopts a socket passed by systemd rules (LISTEN_FDS + LISTEN_PID, fd 3)', async () => {
    // systemd hands over a socket that is already listening; so does bindSocket.
    const server = await bindSocket({ host: '127.0.0.1', port: 0 })
    const { port } = server.address() as { port: number }
    // spawn() cannot put a net.Server in a stdio slot (it wants streams); its fd it can.
    const child = socketActivate((server as unknown as { _handle: { fd: number } })._handle.fd)
    // The child has its own copy now; ours must not accept (connections would hang here).
    server.close()
    const line = JSON.parse(await waitForLine(child, /^\{/)) as { pid: number; fds: number[] }
    expect(line).toEqual({ pid: child.pid, fds: [3] })
    expect(await get(`http://127.0.0.1:${port}/`)).toEqual({ status: 200, body: String(child.pid) })
  })

  it('adopts a bound hand-off socket in a socket-activated child', async () => {
    const handoff = await bindHandoffSocket({ host: '127.0.0.1', port: 0 })
    onTestFinished(() => handoff.close())
    const child = socketActivate(handoff.fd)
    await waitForLine(child, /^\{/)
    expect(await get(`http://127.0.0.1:${handoff.address.port}/`)).toEqual({
      status: 200,
      body: String(child.pid),
    })
  })

  it('does not take fds whose LISTEN_PID names another process', async () => {
    const handoff = await bindHandoffSocket({ host: '127.0.0.1', port: 0 })
    onTestFinished(() => handoff.close())
    const child = killOnFinish(
      spawn(process.execPath, [`${FIXTURES}adopt-child.mjs`], {
        stdio: ['ignore', 'pipe', 'pipe', handoff.fd],
        env: { ...process.env, LISTEN_FDS: '1', LISTEN_PID: String(process.pid) },
      }),
    )
    const [code] = await new Promise<[number | null]>((r) => child.once('exit', (c) => r([c])))
    expect(code).toBe(3)
  })

  it('refuses a descriptor that is not a socket, or not open', async () => {
    const dir = tempDir()
    const fd = openSync(join(dir, 'file'), 'w')
    onTestFinished(() => closeSync(fd))
    await expect(adoptListeningSocket(fd)).rejects.toMatchObject({
      code: 'E_SOCKET_FD',
      message: `fd ${fd} is not a socket`,
    })
    await expect(adoptListeningSocket(987654)).rejects.toMatchObject({
      code: 'E_SOCKET_FD',
      message: expect.stringMatching(/^fd 987654 is not open: .*EBADF/),
    })
    await expect(adoptListeningSocket(-1)).rejects.toThrow(TypeError)
  })
})

describe('listenFdsWithNames / pickListenFd', () => {
  const env = (extra: Record<string, string>) => ({
    LISTEN_FDS: '2',
    LISTEN_PID: String(process.pid),
    ...extra,
  })

  it("names each descriptor from LISTEN_FDNAMES, or 'unknown' without it", () => {
    expect(listenFdsWithNames(env({ LISTEN_FDNAMES: 'proxy:object' }))).toEqual([
      { fd: 3, name: 'proxy' },
      { fd: 4, name: 'object' },
    ])
    expect(listenFdsWithNames(env({}))).toEqual([
      { fd: 3, name: 'unknown' },
      { fd: 4, name: 'unknown' },
    ])
    expect(listenFdsWithNames({ ...env({}), LISTEN_PID: '1' })).toEqual([])
  })

  it('refuses LISTEN_FDNAMES naming another number of sockets', () => {
    expect(() => listenFdsWithNames(env({ LISTEN_FDNAMES: 'a' }))).toThrow(
      'LISTEN_FDNAMES="a" names 1 sockets but LISTEN_FDS=2',
    )
  })

  it('picks the wanted name in order, the only one when unnamed, and refuses to guess among several', () => {
    const fds = [
      { fd: 3, name: 'a' },
      { fd: 4, name: 'b' },
    ]
    expect(pickListenFd(fds, ['x', 'b', 'a'])).toEqual({ fd: 4, name: 'b' })
    expect(pickListenFd([{ fd: 3, name: 'swift.socket' }], ['object-server'])).toEqual({
      fd: 3,
      name: 'swift.socket',
    })
    expect(pickListenFd([], ['a'])).toBeUndefined()
    expect(() => pickListenFd(fds, ['c', 'c'])).toThrow(
      'LISTEN_FDS passed 2 sockets (a, b) and none is named "c": set FileDescriptorName= in the socket unit',
    )
  })
})
