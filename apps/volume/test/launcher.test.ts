// forklift-volume as a program (its /bin/sh launcher part, not `node bin/x`):
// Node with the debugger signal disabled, so a SIGUSR1 never opens the
// inspector in the launcher, which never handles that signal.
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { signalDisposition } from '@forklift/posix/signals'
import { openRegistry } from '@forklift/registry'
import { freePort, spawnCollect, tempDir, waitFor } from '@forklift/test-utils'
import { VOLUME_BINARY } from '@forklift/volume'
import { describe, expect, it, onTestFinished } from 'vitest'
import { BIN, FIXTURES, MANAGE_BIN, writeConfig } from './helpers.js'

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

const env = { ...process.env, FORKLIFT_NODE: process.execPath }

describe('the launcher of forklift-volume', () => {
  it('runs both binaries on the pinned Node (--help)', async () => {
    for (const [bin, name] of [
      [BIN, 'forklift-volume'],
      [MANAGE_BIN, 'forklift-volume-manage'],
    ] as const) {
      const p = spawnCollect(bin, ['--help'], { env })
      expect(await p.closed, name).toEqual({ code: 0, signal: null })
      expect(p.stdout()).toMatch(new RegExp(`^Usage: ${name} `))
    }
  })

  it('a SIGUSR1 to the launcher waits, blocked: no inspector, heartbeats go on', async () => {
    const dir = tempDir('fl-vol-usr1-')
    const inspect = await freePort()
    const db = join(dir, 'registry.sqlite')
    const file = writeConfig(
      dir,
      `[DEFAULT]\nhost = node1\nstate_path = ${dir}\nreport_interval = 0.2\nservice_down_time = 1\nenabled_backends = a\n\n[database]\nconnection = sqlite:///${db}\n\n[a]\nvolume_driver = ${join(FIXTURES, 'ok-driver.mjs')}#createDriver\n`,
    )
    const run = spawnCollect(BIN, ['--config-file', file], {
      detached: true,
      env: { ...env, NODE_OPTIONS: `--inspect-port=127.0.0.1:${inspect}` },
    })
    const pid = run.child.pid!
    // Started by a parent that blocks nothing: safe from the launcher's first line on.
    await waitFor(() => {
      const d = signalDisposition('SIGUSR1', pid)
      return d.ignored || d.blocked
    }, 'the launcher to guard SIGUSR1')
    process.kill(pid, 'SIGUSR1')
    const registry = openRegistry(`sqlite:///${db}`)
    onTestFinished(() => registry.close())
    const count = async () =>
      (await registry.getService('node1@a', VOLUME_BINARY).catch(() => undefined))?.reportCount ?? 0
    await waitFor(async () => (await count()) >= 2, 'heartbeats of node1@a')
    process.kill(pid, 'SIGUSR1')
    const seen = await count()
    await waitFor(async () => (await count()) >= seen + 2, 'heartbeats after SIGUSR1')
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, 3)).toEqual([
      process.execPath,
      '--disable-sigusr1',
      BIN,
    ])
    expect(signalDisposition('SIGUSR1', pid)).toMatchObject({ blocked: true, pending: true })
    expect(await listening(inspect)).toBe(false)
    expect(run.stderr()).not.toContain('Debugger listening')
    run.child.kill('SIGTERM')
    expect(await run.exited).toEqual({ code: 0, signal: null })
  })
})
