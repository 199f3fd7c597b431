// The registry noticing its own failure, end to end with real forklift-volume
// processes: a SQLite file corrupted, deleted or replaced under running
// workers, a driver whose process keeps dying, a database path whose
// directory is missing while running as root.
import { existsSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import {
  FIXTURES,
  type Launched,
  linesAbout,
  listJson,
  manage,
  startVolume,
  volumeConf,
  writeConfig,
} from './helpers.js'

const OK = `volume_driver = ${join(FIXTURES, 'ok-driver.mjs')}#createDriver`

interface Row {
  host: string
  state: string
  report_count: number
  last_heartbeat: string | null
  crashed_at: string | null
}

/** Two backends heartbeating every 0.2 s into one SQLite file. */
async function twoBackends() {
  const dir = tempDir()
  const file = volumeConf(dir, {
    defaults: 'enabled_backends = a, b',
    serviceDownTime: '5',
    sections: `[a]\n${OK}\n[b]\n${OK}\n`,
  })
  const path = join(dir, 'registry.sqlite')
  const url = `sqlite:///${path}`
  const run = startVolume(['--config-file', file])
  const args = ['--connection', url]
  await waitFor(() => {
    const rows = listJson<Row>(args)
    return rows.length === 2 && rows.every((r) => r.report_count >= 3)
  }, 'both backends heartbeating')
  return { dir, file, path, url, run, args }
}

/** How many heartbeats of `host` were logged as not stored. */
function failures(run: Launched, host: string): number {
  return linesAbout(run, /^(model server went away|Heartbeat not stored)/, host).length
}

describe('forklift-volume when its SQLite registry fails', () => {
  it('logs every heartbeat it cannot store once the file is corrupted, in every worker', async () => {
    const { path, run, args } = await twoBackends()
    const fd = openSync(path, 'r+')
    writeSync(fd, Buffer.alloc(4096, 0x41), 0, 4096, 0) // a stray dd over the header
    await waitFor(
      () => failures(run, 'node1@a') >= 3 && failures(run, 'node1@b') >= 3,
      'three logged failures from each worker',
    )
    const [first] = linesAbout(run, 'model server went away', 'node1@a')
    expect(first).toMatchObject({ level: 'error' })
    const list = manage([...args, 'service', 'list'])
    expect(list.status).toBe(1)
    expect(list.stderr.trim().split('\n')).toHaveLength(1)
    expect(list.stderr).toContain(`cannot open registry sqlite:///${path}`)
    // The operator removes the broken file: the workers start a fresh registry and show up again.
    rmSync(path)
    await waitFor(() => {
      const rows = listJson<Row>(args)
      return rows.length === 2 && rows.every((r) => r.state === 'up') && rows
    }, 'both backends up in a fresh registry')
    expect(run.child.exitCode).toBeNull()
  })

  it('notices a deleted file and registers again in a new one', async () => {
    const { path, run, args } = await twoBackends()
    rmSync(path)
    await waitFor(
      () =>
        ['node1@a', 'node1@b'].every((host) =>
          linesAbout(run, 'model server went away', host).some((l) =>
            String(l.err).includes('the database file was deleted since it was opened'),
          ),
        ),
      'each worker to say the file was deleted',
    )
    // Before this check, the workers went on heartbeating into the deleted inode.
    const rows = await waitFor(() => {
      const r = listJson<Row>(args)
      return r.length === 2 && r.every((s) => s.state === 'up') && r
    }, 'both backends in the new file')
    expect(rows.map((r) => r.host)).toEqual(['node1@a', 'node1@b'])
  })

  it('follows a file replaced by a restored copy', async () => {
    const { dir, path, run, args } = await twoBackends()
    const backup = join(dir, 'backup.sqlite')
    const { DatabaseSync } = await import('node:sqlite')
    const db = new DatabaseSync(path)
    db.exec('PRAGMA busy_timeout = 10000')
    db.exec(`VACUUM INTO '${backup}'`)
    db.close()
    const atBackup = Object.fromEntries(
      listJson<Row>(['--connection', `sqlite:///${backup}`]).map((r) => [r.host, r.report_count]),
    )
    await waitFor(
      () => listJson<Row>(args).every((r) => r.report_count > atBackup[r.host]! + 2),
      'heartbeats past the backup',
    )
    renameSync(backup, path)
    await waitFor(
      () =>
        ['node1@a', 'node1@b'].every((host) =>
          linesAbout(run, 'model server went away', host).some((l) =>
            String(l.err).includes('was replaced by another file since it was opened'),
          ),
        ),
      'each worker to notice the replacement',
    )
    // Heartbeats continue in the restored file, counting on from the backup's numbers.
    await waitFor(
      () =>
        listJson<Row>(args).every(
          (r) => r.state === 'up' && r.report_count > atBackup[r.host]! + 1,
        ),
      'heartbeats in the restored file',
    )
  })
})

describe('forklift-volume with a driver whose process keeps dying', () => {
  it('never shows up while its driver dies before a heartbeat is due', async () => {
    const dir = tempDir()
    const file = volumeConf(dir, {
      defaults: 'enabled_backends = loop',
      reportInterval: '1',
      serviceDownTime: '30',
      sections: `[loop]\nvolume_driver = ${join(FIXTURES, 'crashing-driver.mjs')}#createDriver\ncrash_after_ms = 300\n`,
    })
    const args = ['--connection', `sqlite:///${join(dir, 'registry.sqlite')}`]
    const run = startVolume(['--config-file', file])
    const states: string[] = []
    await waitFor(() => {
      const [row] = listJson<Row>(args)
      if (row) states.push(row.state)
      return linesAbout(run, /^Child \d+ exited with status 3$/).length >= 3
    }, 'three crashes')
    const [row] = listJson<Row>(args)
    expect(row).toMatchObject({ host: 'node1@loop', state: 'down', report_count: 0 })
    expect(row!.crashed_at).not.toBeNull()
    expect(states).not.toContain('up')
  })

  it('turns down when its driver dies, not service_down_time later', async () => {
    const dir = tempDir()
    const file = volumeConf(dir, {
      defaults: 'enabled_backends = once',
      reportInterval: '0.2',
      serviceDownTime: '60',
      sections: `[once]\nvolume_driver = ${join(FIXTURES, 'crash-once-driver.mjs')}#createDriver\ncrash_after_ms = 1500\nmarker = ${join(dir, 'crashed')}\n`,
    })
    const args = ['--connection', `sqlite:///${join(dir, 'registry.sqlite')}`]
    const run = startVolume(['--config-file', file])
    await waitFor(() => listJson<Row>(args)[0]?.state === 'up', 'the backend up')
    await waitFor(
      () => linesAbout(run, /^Child \d+ exited with status 3$/).length >= 1,
      'the driver to die',
    )
    // Its respawned worker hangs in setup: nothing runs the driver, and it must read down now.
    const row = await waitFor(
      () => {
        const [r] = listJson<Row>(args)
        return r?.state === 'down' && r
      },
      'the backend down',
      10_000,
    )
    const since = Date.now() - Date.parse(row.last_heartbeat!)
    expect(since).toBeLessThan(60_000) // well within service_down_time
    expect(Date.parse(row.crashed_at!)).toBeGreaterThanOrEqual(Date.parse(row.last_heartbeat!))
  })
})

describe.runIf(process.getuid?.() === 0)('forklift-volume as root', () => {
  it('creates no directory for its database path', async () => {
    const dir = tempDir()
    const state = join(dir, 'missing', 'state')
    const file = writeConfig(
      dir,
      `[DEFAULT]\nenabled_backends = a\nhost = node1\nstate_path = ${state}\nreport_interval = 0.2\n\n[a]\n${OK}\n`,
    )
    const run = startVolume(['--config-file', file])
    expect((await run.exited).code).toBe(1)
    const [failed] = linesAbout(run, 'Volume service node1@a failed to start.')
    expect(failed?.err).toBe(
      `registry sqlite:///${state}/forklift.sqlite: directory ${state} does not exist (create it first: forklift does not create directories as root)`,
    )
    expect(existsSync(join(dir, 'missing'))).toBe(false)
  })
})
