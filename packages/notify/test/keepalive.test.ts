// WATCHDOG=1 and EXTEND_TIMEOUT_USEC from a real child process to a real
// notification socket: the pings follow WATCHDOG_USEC, stop while the main
// loop is wedged and resume after; extensions flow only while work is pending.
import { join } from 'node:path'
import { spawnCollect } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createNotifyReceiver, type Notification } from '../src/testing.js'

const FIXTURE = join(import.meta.dirname, 'fixtures', 'keepalive.mjs')

async function receiver() {
  const r = await createNotifyReceiver()
  onTestFinished(() => r.close())
  return r
}

function start(args: string[], env: NodeJS.ProcessEnv) {
  // spawnCollect kills it after the test if it is still there.
  return spawnCollect(process.execPath, [FIXTURE, ...args], { env: { ...process.env, ...env } })
}

const pings = (list: readonly Notification[]) => list.filter((n) => n.fields.WATCHDOG === '1')

describe('startWatchdog', () => {
  it('pings at half WATCHDOG_USEC, not while the main loop is stuck, and again after', async () => {
    const r = await receiver()
    const child = start([], { ...r.env, WATCHDOG_USEC: '200000' })
    expect((await r.waitFor('X_STARTED')).fields.X_STARTED).toBe('100')
    await r.waitFor((n) => pings(r.received).length >= 3 && n.fields.WATCHDOG === '1')
    expect(new Set(r.received.map((n) => n.pid))).toEqual(new Set([child.child.pid]))
    child.child.kill('SIGUSR2')
    await r.waitFor('X_BUSY=1')
    const busy = r.received.length
    await r.waitFor('X_BUSY=0', { after: busy, timeoutMs: 20_000 })
    const idle = r.received.length
    // 1.5 s wedged at a 100 ms period: no ping between the two markers.
    expect(r.received.slice(busy, idle - 1).map((n) => n.text)).toEqual([])
    await r.waitFor('WATCHDOG=1', { after: idle })
    child.child.kill('SIGTERM')
    expect(await child.closed).toEqual({ code: 0, signal: null })
  })

  it('starts nothing when WATCHDOG_PID names another process, or WATCHDOG_USEC is unset', async () => {
    for (const extra of [{ WATCHDOG_USEC: '200000', WATCHDOG_PID: '1' }, {}]) {
      const r = await receiver()
      const child = start([], { ...r.env, ...extra })
      expect((await r.waitFor('X_STARTED')).fields.X_STARTED).toBe('none')
      // The wedge and what follows it (> 1.5 s): a 100 ms ping would have come by then.
      child.child.kill('SIGUSR2')
      await r.waitFor('X_BUSY=0', { timeoutMs: 20_000 })
      child.child.kill('SIGTERM')
      expect(await child.closed).toEqual({ code: 0, signal: null })
      expect(pings(r.received)).toEqual([])
    }
  })
})

describe('extendTimeoutWhile', () => {
  it('asks for three intervals more at once and on each interval until the work settles, then stops', async () => {
    const r = await receiver()
    const child = start(['extend'], r.env)
    expect(await child.closed).toEqual({ code: 0, signal: null })
    const ready = r.received.findIndex((n) => n.fields.READY === '1')
    expect(ready).toBeGreaterThan(0)
    const before = r.received.slice(0, ready)
    expect(new Set(before.map((n) => n.text))).toEqual(new Set(['EXTEND_TIMEOUT_USEC=300000']))
    // 600 ms of work at 100 ms: one at once and about one per interval (a loaded machine fires fewer).
    expect(before.length).toBeGreaterThanOrEqual(2)
    expect(r.received.slice(ready + 1)).toEqual([])
  })

  it('sends nothing and just awaits without NOTIFY_SOCKET; rejects as the work does', async () => {
    const { extendTimeoutWhile } = await import('../src/keepalive.js')
    await expect(extendTimeoutWhile(Promise.resolve(7), { env: {} })).resolves.toBe(7)
    const r = await receiver()
    await expect(
      extendTimeoutWhile(Promise.reject(new Error('boom')), { env: r.env, intervalMs: 50 }),
    ).rejects.toThrow('boom')
    await r.waitFor('EXTEND_TIMEOUT_USEC=150000')
  })
})
