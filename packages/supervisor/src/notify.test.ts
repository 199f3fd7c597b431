import { readFileSync } from 'node:fs'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  envWithoutNotifySocket,
  monotonicUsec,
  notifyReady,
  notifyReloading,
  notifyStatus,
  notifyStopping,
  sdNotify,
} from './notify.js'
import { createNotifyReceiver, parseNotification } from './notify-testing.js'

async function receiver(abstract = false) {
  const r = await createNotifyReceiver({ abstract })
  onTestFinished(() => r.close())
  return r
}

describe('sdNotify', () => {
  it('is a no-op resolving false without NOTIFY_SOCKET', async () => {
    expect(await sdNotify('READY=1', {})).toBe(false)
    expect(await notifyReady({ env: {} })).toBe(false)
  })

  it('sends READY, RELOADING with MONOTONIC_USEC, STOPPING and STATUS to a socket path', async () => {
    const r = await receiver()
    expect(r.socket.startsWith('/')).toBe(true)
    expect(await notifyReady({ env: r.env })).toBe(true)
    expect(await notifyReloading({ env: r.env })).toBe(true)
    expect(await notifyStopping({ env: r.env })).toBe(true)
    expect(await notifyStatus('serving\n2 workers', { env: r.env })).toBe(true)
    await r.waitFor('STATUS')
    expect(r.received.map((n) => n.text.split('\n')[0])).toEqual([
      'READY=1',
      'RELOADING=1',
      'STOPPING=1',
      'STATUS=serving 2 workers',
    ])
    // MONOTONIC_USEC is CLOCK_MONOTONIC: close to the uptime the kernel reports.
    const usec = Number(r.received[1]!.fields.MONOTONIC_USEC)
    const uptimeUsec = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1e6
    expect(usec).toBeGreaterThan(0)
    expect(usec).toBeLessThanOrEqual(uptimeUsec + 1e6)
    expect(Number(monotonicUsec())).toBeGreaterThanOrEqual(usec)
  })

  it('reaches an abstract @name socket', async () => {
    const r = await receiver(true)
    expect(r.socket.startsWith('@')).toBe(true)
    expect(await sdNotify('READY=1\nSTATUS=up', r.env)).toBe(true)
    const n = await r.waitFor('READY=1')
    expect(n.fields).toEqual({ READY: '1', STATUS: 'up' })
  })

  it('resolves false (never rejects) when the socket is missing or invalid', async () => {
    const warnings: string[] = []
    const logger = { warn: (_o: unknown, msg: string) => warnings.push(msg) } as never
    expect(
      await sdNotify('READY=1', { NOTIFY_SOCKET: '/nonexistent/notify.sock' }, { logger }),
    ).toBe(false)
    expect(await sdNotify('READY=1', { NOTIFY_SOCKET: 'relative.sock' }, { logger })).toBe(false)
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toMatch(/could not notify systemd on \/nonexistent\/notify.sock/)
  })

  it('strips NOTIFY_SOCKET from a child environment', () => {
    expect(envWithoutNotifySocket({ NOTIFY_SOCKET: '/x', A: '1' })).toEqual({ A: '1' })
  })
})

describe('notify receiver', () => {
  it('waitFor skips notifications before `after` and times out listing what came', async () => {
    const r = await receiver()
    await sdNotify('READY=1', r.env)
    await r.waitFor('READY=1')
    await expect(r.waitFor('READY=1', { after: 1, timeoutMs: 100 })).rejects.toThrow(
      /received: \["READY=1"\]/,
    )
    expect(parseNotification('A=1\nB=x=y\n')).toEqual({ A: '1', B: 'x=y' })
  })
})
