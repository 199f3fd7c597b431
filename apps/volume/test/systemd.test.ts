// forklift-volume under systemd (Type=notify, WatchdogSec=): READY=1 once
// its backends run, WATCHDOG=1 from the launcher's own pid while it runs,
// none after STOPPING=1. A real notification socket, a real launcher.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createNotifyReceiver } from '@forklift/notify/testing'
import { tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { FIXTURES, startVolume, volumeConf, workerPid } from './helpers.js'

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

describe('forklift-volume status', () => {
  it("tells STATUS and keeps FORKLIFT_STATUS_FILE with the servers' keys: workers, respawns, the last reload", async () => {
    const r = await createNotifyReceiver()
    onTestFinished(() => r.close())
    const dir = tempDir()
    const statusFile = join(dir, 'volume.status.json')
    const file = volumeConf(dir, {
      defaults: 'enabled_backends = a, b',
      sections: `[a]\nvolume_driver = ${join(FIXTURES, 'ok-driver.mjs')}#createDriver\n[b]\nvolume_driver = ${join(FIXTURES, 'ok-driver.mjs')}#createDriver\n`,
    })
    const run = startVolume(['--config-file', file], {
      ...r.env,
      FORKLIFT_STATUS_FILE: statusFile,
    })
    const status = (n: { fields: Record<string, string> }) => n.fields.STATUS ?? ''
    await r.waitFor((n) => status(n) === '2 workers; 0 respawned; no reload yet', {
      timeoutMs: 30_000,
    })
    const read = () => JSON.parse(readFileSync(statusFile, 'utf8'))
    expect(read()).toEqual({
      pid: run.child.pid,
      server: 'forklift-volume',
      worker_count: 2,
      respawn_count: 0,
      last_reload: null,
      status: '2 workers; 0 respawned; no reload yet',
      updated_at: expect.stringMatching(/^\d{4}-/),
    })
    const victim = await waitFor(() => workerPid(run, 'node1@a'), "backend a's worker pid")
    process.kill(victim, 'SIGKILL')
    await r.waitFor((n) => status(n) === '2 workers; 1 respawned; no reload yet', {
      timeoutMs: 30_000,
    })
    expect(read().respawn_count).toBe(1)
    run.child.kill('SIGHUP')
    await r.waitFor((n) => / ok$/.test(status(n)), { timeoutMs: 30_000 })
    expect(read().last_reload).toEqual({
      at: expect.stringMatching(/^\d{4}-/),
      result: 'ok',
      reason: null,
    })
    // The restart's own worker exits are no respawns.
    await r.waitFor('READY=1', { after: r.received.findIndex((n) => n.fields.RELOADING === '1') })
    expect(read().respawn_count).toBe(1)
    run.child.kill('SIGTERM')
    expect(await run.exited).toMatchObject({ signal: null })
    expect(existsSync(statusFile)).toBe(false)
  })
})
