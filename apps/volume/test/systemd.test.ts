// forklift-volume under systemd (Type=notify, WatchdogSec=): READY=1 once
// its backends run, WATCHDOG=1 from the launcher's own pid while it runs,
// none after STOPPING=1. A real notification socket, a real launcher.
import { join } from 'node:path'
import { createNotifyReceiver } from '@forklift/notify/testing'
import { tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { FIXTURES, startVolume, volumeConf } from './helpers.js'

describe('forklift-volume under systemd', () => {
  it('says READY=1, pings the watchdog from its pid while running, and stops the pings at STOPPING=1', async () => {
    const r = await createNotifyReceiver()
    onTestFinished(() => r.close())
    const dir = tempDir()
    const file = volumeConf(dir, {
      defaults: 'enabled_backends = a',
      sections: `[a]\nvolume_driver = ${join(FIXTURES, 'ok-driver.mjs')}#createDriver\n`,
    })
    const run = startVolume(['--config-file', file], { ...r.env, WATCHDOG_USEC: '400000' })
    await r.waitFor('READY=1', { timeoutMs: 30_000 })
    await r.waitFor(() => r.received.filter((n) => n.fields.WATCHDOG === '1').length >= 3)
    expect(new Set(r.received.map((n) => n.pid))).toEqual(new Set([run.child.pid]))
    run.child.kill('SIGTERM')
    await r.waitFor('STOPPING=1', { timeoutMs: 30_000 })
    expect(await run.exited).toMatchObject({ signal: null })
    const stopping = r.received.findIndex((n) => n.fields.STOPPING === '1')
    expect(r.received.slice(stopping).filter((n) => n.fields.WATCHDOG)).toEqual([])
  })
})
