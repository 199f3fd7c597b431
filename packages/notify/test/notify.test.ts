import type { Logger } from '@forklift/log'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  envWithoutNotifySocket,
  type NotifyLogger,
  notifyExtendTimeout,
  notifyMainPid,
  notifyReady,
  notifyReloading,
  notifyStatus,
  notifyStopping,
  notifyWatchdog,
  sdNotify,
  watchdogUsec,
} from '../src/notify.js'
import { createNotifyReceiver, parseNotification } from '../src/testing.js'

async function receiver(abstract: boolean) {
  const r = await createNotifyReceiver({ abstract })
  onTestFinished(() => r.close())
  return r
}

function warnings() {
  const seen: string[] = []
  const logger: NotifyLogger = { warn: (_obj, msg) => seen.push(msg) }
  return { logger, seen }
}

describe('sdNotify', () => {
  it('does nothing, and says so, without NOTIFY_SOCKET', () => {
    expect(sdNotify('READY=1', {})).toBe(false)
    expect(notifyReady({ env: {} })).toBe(false)
    expect(notifyReady({ env: { NOTIFY_SOCKET: '' } })).toBe(false)
  })

  for (const abstract of [false, true]) {
    it(`sends every message kind to a ${abstract ? 'abstract' : 'path'} socket, from this pid`, async () => {
      const r = await receiver(abstract)
      const env = r.env
      expect(notifyReady({ env })).toBe(true)
      expect(notifyReloading({ env })).toBe(true)
      expect(notifyStopping({ env })).toBe(true)
      expect(notifyStatus('serving\n2 workers', { env })).toBe(true)
      expect(notifyWatchdog({ env })).toBe(true)
      expect(notifyExtendTimeout(2500, { env })).toBe(true)
      expect(notifyMainPid(4242, { env })).toBe(true)
      await r.waitFor('MAINPID=4242')
      expect(r.received.map((n) => Object.keys(n.fields)[0])).toEqual([
        'READY',
        'RELOADING',
        'STOPPING',
        'STATUS',
        'WATCHDOG',
        'EXTEND_TIMEOUT_USEC',
        'MAINPID',
      ])
      const [, reloading, , status, , extend] = r.received
      expect(Number(reloading!.fields.MONOTONIC_USEC)).toBeGreaterThan(0)
      expect(status!.fields.STATUS).toBe('serving 2 workers')
      expect(extend!.fields.EXTEND_TIMEOUT_USEC).toBe('2500000')
      expect(new Set(r.received.map((n) => n.pid))).toEqual(new Set([process.pid]))
    })
  }

  it('sends a multi-line state as one datagram', async () => {
    const r = await receiver(true)
    expect(sdNotify('READY=1\nSTATUS=up', r.env)).toBe(true)
    const n = await r.waitFor('READY=1')
    expect(n.fields).toEqual({ READY: '1', STATUS: 'up' })
  })

  it('logs and returns false, never throws, when the socket is bad or gone', async () => {
    const { logger, seen } = warnings()
    expect(sdNotify('READY=1', { NOTIFY_SOCKET: '/nonexistent/notify.sock' }, { logger })).toBe(
      false,
    )
    expect(sdNotify('READY=1', { NOTIFY_SOCKET: 'relative.sock' }, { logger })).toBe(false)
    expect(sdNotify('READY=1', { NOTIFY_SOCKET: `@fl-nobody-${process.pid}` }, { logger })).toBe(
      false,
    )
    const r = await receiver(false)
    r.close()
    expect(notifyReady({ env: r.env, logger })).toBe(false)
    expect(seen).toEqual([
      'could not notify systemd on /nonexistent/notify.sock: sendto /nonexistent/notify.sock: ENOENT (no such file or directory)',
      'NOTIFY_SOCKET is neither a path nor @abstract',
      `could not notify systemd on @fl-nobody-${process.pid}: sendto @fl-nobody-${process.pid}: ECONNREFUSED (connection refused)`,
      expect.stringMatching(/^could not notify systemd on .*notify\.sock: sendto .*: ENOENT/),
    ])
  })

  it('accepts the forklift logger (pino) as its logger', () => {
    const takes = (logger: NotifyLogger) => logger
    const pinoShaped = {} as Logger
    expect(takes(pinoShaped)).toBe(pinoShaped)
  })

  it('refuses a nonsense EXTEND_TIMEOUT or MAINPID before sending', () => {
    expect(() => notifyExtendTimeout(Number.NaN)).toThrow(RangeError)
    expect(() => notifyMainPid(0)).toThrow(/positive integer/)
  })
})

describe('environment', () => {
  it('keeps NOTIFY_SOCKET and the watchdog out of a child environment', () => {
    expect(
      envWithoutNotifySocket({
        NOTIFY_SOCKET: '/x',
        WATCHDOG_USEC: '1',
        WATCHDOG_PID: '2',
        A: '1',
      }),
    ).toEqual({ A: '1' })
  })

  it('reads the watchdog interval only for the pid it names', () => {
    expect(watchdogUsec({})).toBeUndefined()
    expect(watchdogUsec({ WATCHDOG_USEC: '3000000' })).toBe(3_000_000)
    expect(watchdogUsec({ WATCHDOG_USEC: '3000000', WATCHDOG_PID: String(process.pid) })).toBe(
      3_000_000,
    )
    expect(watchdogUsec({ WATCHDOG_USEC: '3000000', WATCHDOG_PID: '1' })).toBeUndefined()
    expect(watchdogUsec({ WATCHDOG_USEC: 'soon' })).toBeUndefined()
  })

  it('parses KEY=value lines', () => {
    expect(parseNotification('READY=1\nSTATUS=a=b\n\nbogus')).toEqual({ READY: '1', STATUS: 'a=b' })
  })
})
