// The per-pid reload socket: the outcome is read only from the server's own
// pid, in order (RELOADING=1 first), and a name someone holds cannot be bound.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  notifyReloadSocket,
  ReloadWatch,
  reloadNotifySocket,
  reloadOutcomeState,
} from '../src/reload.js'

const RELOAD_JS = fileURLToPath(new URL('../dist/reload.js', import.meta.url))

function watch(pid: number, uids?: number[]): ReloadWatch {
  const w = new ReloadWatch(pid, uids)
  onTestFinished(() => w.close())
  return w
}

describe('reload socket', () => {
  it("is Swift's name: @swift-notifications, NUL, the pid", () => {
    expect(reloadNotifySocket(1234)).toBe('@swift-notifications\u00001234')
  })

  it('nobody listening: false, no throw', () => {
    expect(notifyReloadSocket('READY=1', 2 ** 22 + 7)).toBe(false)
  })

  it('done and refused, with the reason; a READY=1 before RELOADING=1 is an earlier reload', async () => {
    const w = watch(process.pid, [process.getuid!()])
    notifyReloadSocket(reloadOutcomeState({ ok: true, status: 'old one' }))
    notifyReloadSocket('RELOADING=1')
    notifyReloadSocket(reloadOutcomeState({ ok: true, status: 'reloaded: 2 workers' }))
    expect(await w.wait({ timeoutMs: 5_000 })).toEqual({
      state: 'done',
      status: 'reloaded: 2 workers',
    })
    notifyReloadSocket('RELOADING=1')
    notifyReloadSocket(reloadOutcomeState({ ok: false, reason: 'a.conf [app:x] workers:\nbad' }))
    expect(await w.wait({ timeoutMs: 5_000 })).toEqual({
      state: 'refused',
      reason: 'a.conf [app:x] workers: bad',
    })
  })

  it("drops another process's datagrams (kernel credentials), times out, and reports an exit", async () => {
    const w = watch(process.pid)
    const forger = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { notifyReloadSocket, reloadOutcomeState } = await import(${JSON.stringify(RELOAD_JS)})
for (let i = 0; i < 50; i++) {
  notifyReloadSocket('RELOADING=1', ${process.pid})
  notifyReloadSocket(reloadOutcomeState({ ok: true }), ${process.pid})
}
console.log('sent')`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    onTestFinished(() => {
      forger.kill('SIGKILL')
    })
    const sent = new Promise((r) => forger.stdout!.once('data', r))
    await sent
    expect(await w.wait({ timeoutMs: 500 })).toEqual({ state: 'timeout' })
    expect(await w.wait({ timeoutMs: 5_000, quietMs: 300 })).toEqual({ state: 'silent' })
    expect(await w.wait({ timeoutMs: 5_000, alive: () => false })).toEqual({ state: 'exited' })
  })

  it('a name already bound cannot be bound again (EADDRINUSE)', () => {
    watch(4_000_000)
    expect(() => new ReloadWatch(4_000_000)).toThrow(/EADDRINUSE/)
  })
})
