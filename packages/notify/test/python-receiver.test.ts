// sd_notify against a receiver nobody here wrote: Python's socket module
// binds the notification socket as systemd and libsystemd do (the abstract
// name at its exact length), and reports each datagram with the sender's pid.
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { spawnCollect, tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'

const FIXTURES = join(import.meta.dirname, 'fixtures')
const PYTHON = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import socket'], { stdio: 'ignore' }).status === 0,
)
// Another sender to run the same scenario against (a module URL exporting
// notifyReady/notifyReloading/notifyStopping), to show what it would catch.
const IMPL = process.env.FORKLIFT_NOTIFY_IMPL

function pythonReceiver(address: string) {
  const py = spawn(PYTHON!, [join(FIXTURES, 'notify_receiver.py'), address], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  onTestFinished(() => {
    py.kill('SIGKILL')
  })
  let out = ''
  py.stdout.on('data', (d) => (out += d))
  const lines = () =>
    out
      .split('\n')
      .slice(1)
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { text: string; pid: number })
  return { bound: waitFor(() => out.startsWith('bound\n'), 'python to bind'), lines }
}

describe.skipIf(!PYTHON && !process.env.CI)('a Python notification socket', () => {
  for (const kind of ['path', 'abstract'] as const) {
    it(`receives READY, RELOADING and STOPPING on a ${kind} socket, from the server's own pid, even when it exits right after`, async () => {
      const address =
        kind === 'path'
          ? join(tempDir('fl-ntf-py-'), 'notify.sock')
          : `@fl-notify-py-${process.pid}-${Math.random().toString(36).slice(2)}`
      const r = pythonReceiver(address)
      await r.bound
      const server = spawnCollect(
        process.execPath,
        [join(FIXTURES, 'send.mjs'), ...(IMPL ? [IMPL] : [])],
        { env: { ...process.env, NOTIFY_SOCKET: address } },
      )
      expect(await server.closed).toEqual({ code: 0, signal: null })
      await waitFor(() => r.lines().length >= 4, 'four notifications', 5_000).catch((err) => {
        throw new Error(`${err.message}; python got ${JSON.stringify(r.lines())}`)
      })
      const got = r.lines()
      expect(got.map((l) => l.text.split('\n')[0])).toEqual([
        'READY=1',
        'RELOADING=1',
        'READY=1',
        'STOPPING=1',
      ])
      expect(got[1]!.text).toMatch(/^RELOADING=1\nMONOTONIC_USEC=\d+$/)
      expect(new Set(got.map((l) => l.pid))).toEqual(new Set([server.child.pid]))
      expect(server.stderr()).toBe('')
    })
  }
})
