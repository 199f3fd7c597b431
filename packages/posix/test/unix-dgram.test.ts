import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { spawnCollect, tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  decodeUnixAddress,
  encodeUnixAddress,
  sendUnixDatagram,
  type UnixDatagram,
  UnixDatagramSocket,
} from '../src/unix-dgram.js'

const PYTHON = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import socket'], { stdio: 'ignore' }).status === 0,
)

function uniqueAbstract(): string {
  return `@fl-posix-test-${process.pid}-${Math.random().toString(36).slice(2)}`
}

function receiver(address: string) {
  const socket = new UnixDatagramSocket().bind(address)
  onTestFinished(() => socket.close())
  const got: UnixDatagram[] = []
  socket.on('message', (m) => got.push(m))
  return { socket, got }
}

describe('addresses', () => {
  it('encodes @name as NUL + name and a path as its bytes, at their exact length', () => {
    expect(encodeUnixAddress('@notify')).toEqual(Buffer.from('\0notify'))
    expect(encodeUnixAddress('/run/x.sock')).toEqual(Buffer.from('/run/x.sock'))
    expect(decodeUnixAddress(Buffer.from('\0notify'))).toBe('@notify')
    expect(encodeUnixAddress(`@${'a'.repeat(107)}`)).toHaveLength(108)
  })

  it('refuses an empty path, a NUL in a path and an address over 108 bytes, naming it', () => {
    expect(() => encodeUnixAddress('')).toThrow(expect.objectContaining({ code: 'E_ADDRESS' }))
    expect(() => encodeUnixAddress('/a\0b')).toThrow(/holds a NUL byte/)
    expect(() => encodeUnixAddress(`/${'d'.repeat(108)}`)).toThrow(/109 bytes, over the 108/)
    expect(() => encodeUnixAddress(`@${'a'.repeat(108)}`)).toThrow(/over the 108/)
  })
})

describe('UnixDatagramSocket', () => {
  for (const kind of ['path', 'abstract'] as const) {
    it(`sends to and receives on a ${kind} socket, with the sender's credentials`, async () => {
      const address = kind === 'path' ? join(tempDir('fl-dg-'), 'r.sock') : uniqueAbstract()
      const r = receiver(address)
      expect(sendUnixDatagram(address, 'READY=1')).toBe(true)
      const named = new UnixDatagramSocket().bind(`${address}-from`)
      onTestFinished(() => named.close())
      expect(named.send(Buffer.from('STATUS=x'), address)).toBe(true)
      await waitFor(() => r.got.length === 2, 'both datagrams')
      expect(r.got[0]).toMatchObject({
        from: undefined,
        pid: process.pid,
        uid: process.getuid!(),
        gid: process.getgid!(),
      })
      expect(r.got[0]!.data.toString()).toBe('READY=1')
      expect(r.got[1]).toMatchObject({ from: `${address}-from` })
    })
  }

  it('reuses one connected socket for many sends, in order (the syslog pattern)', async () => {
    const address = join(tempDir('fl-dg-'), 'log.sock')
    const r = receiver(address)
    const s = new UnixDatagramSocket({ sendTimeoutMs: Infinity }).connect(address)
    onTestFinished(() => s.close())
    for (let i = 0; i < 2000; i++) expect(s.send(`<14>app: line ${i}`)).toBe(true)
    await waitFor(() => r.got.length === 2000, 'every line')
    expect(r.got.map((m) => m.data.toString())).toEqual(
      Array.from({ length: 2000 }, (_, i) => `<14>app: line ${i}`),
    )
  })

  it('returns false when the receiver’s queue is full, at once or after sendTimeoutMs', () => {
    const address = uniqueAbstract()
    const idle = new UnixDatagramSocket().bind(address) // bound, never read
    onTestFinished(() => idle.close())
    const s = new UnixDatagramSocket()
    onTestFinished(() => s.close())
    let sent = 0
    while (s.send('x'.repeat(512), address) && sent < 1_000_000) sent++
    expect(sent).toBeGreaterThan(0)
    expect(sent).toBeLessThan(1_000_000)
    const waiting = new UnixDatagramSocket({ sendTimeoutMs: 30 })
    onTestFinished(() => waiting.close())
    const t0 = performance.now()
    expect(waiting.send('y', address)).toBe(false)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(20)
    // Drained, the queue has room again.
    while (idle.receive()) {}
    expect(s.send('z', address)).toBe(true)
    expect(idle.receive()?.data.toString()).toBe('z')
  })

  it('names the errno of a failed send and refuses use after close', () => {
    const s = new UnixDatagramSocket()
    expect(() => s.send('x', uniqueAbstract())).toThrow(
      expect.objectContaining({ code: 'E_SYSCALL', errno: 'ECONNREFUSED', syscall: 'sendto' }),
    )
    expect(() => s.send('x', '/nonexistent/fl.sock')).toThrow(
      /^sendto \/nonexistent\/fl.sock: ENOENT/,
    )
    const address = join(tempDir('fl-dg-'), 'taken.sock')
    const r = receiver(address)
    expect(() => new UnixDatagramSocket().bind(address)).toThrow(
      expect.objectContaining({ errno: 'EADDRINUSE' }),
    )
    expect(r.socket.closed).toBe(false)
    s.close()
    s.close()
    expect(s.fd).toBe(-1)
    expect(() => s.send('x', address)).toThrow(expect.objectContaining({ code: 'E_CLOSED' }))
  })

  it('an unref’d receiver does not keep the process alive; a ref’d one does until closed', async () => {
    const script = `
      import { UnixDatagramSocket } from ${JSON.stringify(join(import.meta.dirname, '../dist/unix-dgram.js'))}
      const s = new UnixDatagramSocket().bind(process.argv[1])
      s.on('message', (m) => {
        console.log('got', m.data.toString())
        if (process.argv[2] === 'exit') process.exit(0) // the thread must not hold up teardown
        s.close()
      })
      if (process.argv[2] === 'unref') s.unref()
      console.log('bound')`
    const unref = spawnCollect(process.execPath, [
      '--input-type=module',
      '-e',
      script,
      uniqueAbstract(),
      'unref',
    ])
    expect((await unref.closed).code).toBe(0)
    const address = uniqueAbstract()
    const ref = spawnCollect(process.execPath, ['--input-type=module', '-e', script, address])
    await waitFor(() => ref.stdout().includes('bound'), 'the receiver to bind')
    expect(sendUnixDatagram(address, 'bye')).toBe(true)
    expect(await ref.closed).toEqual({ code: 0, signal: null })
    expect(ref.stdout()).toContain('got bye')

    // process.exit while datagrams keep arriving and the socket is open.
    const busy = uniqueAbstract()
    const exiting = spawnCollect(process.execPath, [
      '--input-type=module',
      '-e',
      script,
      busy,
      'exit',
    ])
    await waitFor(() => exiting.stdout().includes('bound'), 'the receiver to bind')
    const flood = new UnixDatagramSocket()
    onTestFinished(() => flood.close())
    let sent = 0
    const timer = setInterval(() => {
      for (let i = 0; i < 50; i++) {
        try {
          if (flood.send(`m${sent}`, busy)) sent++
        } catch {
          clearInterval(timer) // gone: ECONNREFUSED
          return
        }
      }
    }, 1)
    onTestFinished(() => clearInterval(timer))
    expect(await exiting.closed).toEqual({ code: 0, signal: null })
  })

  it.skipIf(!PYTHON)(
    'reaches a Python receiver bound on an abstract name (exact length)',
    async () => {
      const name = `fl-posix-py-${process.pid}`
      const py = spawn(
        PYTHON!,
        [
          '-c',
          'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind("\\0"+sys.argv[1])\nprint("bound",flush=True)\ns.settimeout(20)\nprint(s.recv(4096).decode(),flush=True)',
          name,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      )
      onTestFinished(() => {
        py.kill('SIGKILL')
      })
      let out = ''
      py.stdout.on('data', (d) => (out += d))
      await waitFor(() => out.includes('bound'), 'python to bind')
      expect(sendUnixDatagram(`@${name}`, 'READY=1')).toBe(true)
      await waitFor(() => out.includes('READY=1'), 'python to receive it')
    },
  )

  it('leaves a bound path on disk after close (the owner unlinks it)', () => {
    const address = join(tempDir('fl-dg-'), 'kept.sock')
    new UnixDatagramSocket().bind(address).close()
    expect(existsSync(address)).toBe(true)
  })
})
