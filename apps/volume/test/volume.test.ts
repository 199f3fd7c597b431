import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { testMysqlUrl, testPgUrl } from '@forklift/registry/testing'
import { tempDir, waitFor } from '@forklift/test-utils'
import { VOLUME_BINARY } from '@forklift/volume'
import { describe, expect, it } from 'vitest'
import {
  volumeConf as conf,
  FIXTURES,
  isAlive,
  manage,
  mysqlDatabaseUrl,
  pgSchemaUrl,
  registry,
  startVolume,
  volumeSync,
  workerPid,
  writeConfig,
} from './helpers.js'

const ENABLED_BACKENDS_LINE =
  'Configuration for forklift-volume does not specify "enabled_backends". Using DEFAULT section to configure drivers is not supported since Ocata.'
const NONE_STARTED_LINE = 'No volume service(s) started successfully, terminating.'

const pgBase = testPgUrl()
if (!pgBase) {
  console.warn('FORKLIFT_TEST_PG_URL is not set: skipping the shared-PostgreSQL volume tests')
}
const mysqlBase = testMysqlUrl()
if (!mysqlBase) {
  console.warn('FORKLIFT_TEST_MYSQL_URL is not set: skipping the shared-MariaDB volume tests')
}

const OK = `volume_driver = ${join(FIXTURES, 'ok-driver.mjs')}#createDriver`
/** The same driver, declaring active-active support (a backend in a cluster needs it). */
const OK_AA = `volume_driver = ${join(FIXTURES, 'ok-driver.mjs')}#activeActive`

async function heartbeatsOf(url: string, host: string) {
  return (await registry(url).getService(host, VOLUME_BINARY))?.reportCount ?? -1
}

describe('forklift-volume', () => {
  it('runs one worker per backend, registered as host@backend with report_count rising', async () => {
    const dir = tempDir()
    const file = conf(dir, {
      defaults: 'enabled_backends = a, b\ncluster = c1\nbackend_host = ignored-in-default',
      sections: `[a]\n${OK_AA}\n\n[b]\n${OK_AA}\nbackend_host = other\n`,
    })
    const url = `sqlite:///${join(dir, 'registry.sqlite')}`
    const run = startVolume(['--config-file', file])
    await waitFor(async () => (await heartbeatsOf(url, 'node1@a')) >= 3, 'node1@a heartbeats')
    await waitFor(async () => (await heartbeatsOf(url, 'other@b')) >= 3, 'other@b heartbeats')
    const pids = [workerPid(run, 'node1@a'), workerPid(run, 'other@b')]
    expect(new Set(pids).size).toBe(2)
    expect(pids).not.toContain(run.child.pid)
    const list = await registry(url).listServices({ serviceDownTime: 5 })
    expect(list.map((s) => [s.host, s.cluster, s.up])).toEqual([
      ['node1@a', 'c1@a', true],
      ['other@b', 'c1@b', true],
    ])
    expect(run.lines.some((l) => l.msg === 'periodic ok')).toBe(true)
    run.child.kill('SIGTERM')
    expect(await run.exited).toEqual({ code: 0, signal: null })
    for (const pid of pids) expect(isAlive(pid!)).toBe(false)
  })

  it('respawns a worker killed with SIGKILL, which heartbeats on the same record', async () => {
    const dir = tempDir()
    const file = conf(dir, {
      defaults: 'enabled_backends = a,b',
      sections: `[a]\n${OK}\n[b]\n${OK}\n`,
    })
    const url = `sqlite:///${join(dir, 'registry.sqlite')}`
    const run = startVolume(['--config-file', file])
    await waitFor(async () => (await heartbeatsOf(url, 'node1@a')) >= 2, 'first heartbeats')
    const before = await registry(url).getService('node1@a', VOLUME_BINARY)
    const victim = workerPid(run, 'node1@a')!
    const other = workerPid(run, 'node1@b')!
    process.kill(victim, 'SIGKILL')
    const respawned = await waitFor(() => {
      const p = workerPid(run, 'node1@a')
      return p !== victim && p
    }, 'a respawned worker')
    const countAtRespawn = await heartbeatsOf(url, 'node1@a')
    await waitFor(
      async () => (await heartbeatsOf(url, 'node1@a')) >= countAtRespawn + 3,
      'heartbeats after respawn',
    )
    const after = await registry(url).getService('node1@a', VOLUME_BINARY)
    expect(after!.id).toBe(before!.id)
    expect(after!.createdAt).toEqual(before!.createdAt)
    expect(after!.reportCount).toBeGreaterThan(before!.reportCount)
    expect(isAlive(respawned)).toBe(true)
    expect(workerPid(run, 'node1@b')).toBe(other) // the other backend was left alone
    expect((await registry(url).listServices()).length).toBe(2)
  })

  it('skips a backend whose driver fails to load or start and runs the others', async () => {
    const dir = tempDir()
    const file = conf(dir, {
      defaults: 'enabled_backends = good, missing, throws, nosection, nodriver',
      sections: `[good]\n${OK}\n[missing]\nvolume_driver = ./no-such-driver.mjs#createDriver\n[throws]\nvolume_driver = ${join(FIXTURES, 'throwing-driver.mjs')}#createDriver\n[nodriver]\nvolume_backend_name = x\n`,
    })
    const url = `sqlite:///${join(dir, 'registry.sqlite')}`
    const run = startVolume(['--config-file', file])
    await waitFor(async () => (await heartbeatsOf(url, 'node1@good')) >= 3, 'the good backend')
    const failed = await waitFor(() => {
      const f = run.lines.filter((l) =>
        String(l.msg).match(/^Volume service .* failed to start\.$/),
      )
      return f.length === 4 && f
    }, 'four failure lines')
    expect(failed.map((l) => l.msg).sort()).toEqual([
      'Volume service node1@missing failed to start.',
      'Volume service node1@nodriver failed to start.',
      'Volume service node1@nosection failed to start.',
      'Volume service node1@throws failed to start.',
    ])
    const byMsg = (host: string) =>
      failed.find((l) => l.msg === `Volume service ${host} failed to start.`)
    expect(byMsg('node1@throws')?.err).toMatch(/driver constructor exploded/)
    expect(byMsg('node1@missing')?.err).toMatch(/cannot load volume_driver/)
    expect(byMsg('node1@nodriver')?.err).toBe('[nodriver] volume_driver is not set')
    expect(run.child.exitCode).toBeNull()
    run.child.kill('SIGTERM')
    expect((await run.exited).code).toBe(0)
  })

  it("exits 1 with cinder's line when no backend started", async () => {
    const dir = tempDir()
    const file = conf(dir, {
      defaults: 'enabled_backends = throws, missing',
      sections: `[throws]\nvolume_driver = ${join(FIXTURES, 'throwing-driver.mjs')}#createDriver\n[missing]\nvolume_driver = nope-pkg#x\n`,
    })
    const run = startVolume(['--config-file', file])
    expect(await run.exited).toEqual({ code: 1, signal: null })
    const last = run.lines.at(-1)
    expect(last).toEqual({ text: NONE_STARTED_LINE })
    expect(run.lines.some((l) => l.msg === NONE_STARTED_LINE && l.level === 'error')).toBe(true)
  })

  it.each([
    ['missing', ''],
    ['empty', 'enabled_backends ='],
    ['only commas', 'enabled_backends = , ,'],
  ])("exits 1 with cinder's enabled_backends line when it is %s", async (_what, line) => {
    const dir = tempDir()
    const file = conf(dir, { defaults: line, sections: `[a]\n${OK}\n` })
    const run = startVolume(['--config-file', file])
    expect(await run.exited).toEqual({ code: 1, signal: null })
    expect(run.lines).toEqual([{ text: ENABLED_BACKENDS_LINE }])
    expect(run.stdout()).toBe('')
  })

  it('leaves no worker alive 2 s after the parent is killed with SIGKILL', async () => {
    const dir = tempDir()
    const file = conf(dir, {
      defaults: 'enabled_backends = a,b',
      sections: `[a]\n${OK}\n[b]\n${OK}\n`,
    })
    const run = startVolume(['--config-file', file])
    const pids = await waitFor(() => {
      const p = [workerPid(run, 'node1@a'), workerPid(run, 'node1@b')]
      return p.every(Boolean) && (p as number[])
    }, 'two workers')
    process.kill(run.child.pid!, 'SIGKILL')
    await run.exited
    await waitFor(() => pids.every((p) => !isAlive(p)), 'workers to exit', 2000)
  })

  it('keeps a backend whose driver fails to initialise down, logging each interval', async () => {
    const dir = tempDir()
    const file = conf(dir, {
      defaults: 'enabled_backends = sick',
      sections: `[sick]\nvolume_driver = ${join(FIXTURES, 'failing-setup-driver.mjs')}#createDriver\n`,
    })
    const url = `sqlite:///${join(dir, 'registry.sqlite')}`
    const run = startVolume(['--config-file', file])
    await waitFor(
      () =>
        run.lines.filter((l) =>
          String(l.msg).startsWith(
            'Manager for service forklift-volume node1@sick is reporting problems',
          ),
        ).length >= 3,
      'repeated not-working lines',
    )
    expect(
      run.lines.some(
        (l) => l.msg === 'Failed to initialize driver.' && String(l.err).includes('pool offline'),
      ),
    ).toBe(true)
    const [svc] = await registry(url).listServices({ serviceDownTime: 1 })
    expect(svc).toMatchObject({ host: 'node1@sick', reportCount: 0, up: false })
  })

  it('restarts the workers on SIGHUP as a daemon (restart_method reload); they heartbeat the same records', async () => {
    const dir = tempDir()
    const file = conf(dir, {
      defaults: 'enabled_backends = a\nrestart_method = reload',
      sections: `[a]\n${OK}\n`,
    })
    const url = `sqlite:///${join(dir, 'registry.sqlite')}`
    const run = startVolume(['--config-file', file]) // detached: no controlling terminal
    await waitFor(async () => (await heartbeatsOf(url, 'node1@a')) >= 2, 'heartbeats')
    const before = await registry(url).getService('node1@a', VOLUME_BINARY)
    const starts = () =>
      run.lines.filter((l) => l.msg === 'Starting forklift-volume node node1@a').length
    const startsBefore = starts()
    run.child.kill('SIGHUP')
    await waitFor(() => starts() > startsBefore, 'the service to start again')
    const count = await heartbeatsOf(url, 'node1@a')
    await waitFor(
      async () => (await heartbeatsOf(url, 'node1@a')) >= count + 2,
      'heartbeats after SIGHUP',
    )
    expect((await registry(url).getService('node1@a', VOLUME_BINARY))?.id).toBe(before!.id)
    expect(run.child.exitCode).toBeNull()
    run.child.kill('SIGTERM')
    expect((await run.exited).code).toBe(0)
  })

  it('SIGHUP (mutate, the default): report_interval 2 -> 1 applied in the same pid; backends added and removed', async () => {
    const dir = tempDir()
    const url = `sqlite:///${join(dir, 'registry.sqlite')}`
    const sections = `[a]\n${OK}\n\n[b]\n${OK}\n\n[c]\n${OK}\n`
    const file = conf(dir, {
      defaults: 'enabled_backends = a, c',
      reportInterval: '2',
      serviceDownTime: '10',
      sections,
    })
    const run = startVolume(['--config-file', file])
    await waitFor(
      async () => (await heartbeatsOf(url, 'node1@a')) >= 2,
      'heartbeats at 2 s',
      20_000,
    )
    await waitFor(async () => (await heartbeatsOf(url, 'node1@c')) >= 1, 'c heartbeats', 20_000)
    const a = workerPid(run, 'node1@a')!
    const c = workerPid(run, 'node1@c')!
    const starts = () =>
      run.lines.filter((l) => String(l.msg).startsWith('Starting forklift-volume node')).length
    const startsBefore = starts()
    conf(dir, {
      defaults: 'enabled_backends = a, b',
      reportInterval: '1',
      serviceDownTime: '10',
      sections,
    })
    run.child.kill('SIGHUP')
    await waitFor(
      () =>
        run.lines.find(
          (l) => l.pid === a && String(l.msg).startsWith('Applied new reportInterval'),
        ),
      'worker a to apply the new report_interval',
    )
    // The new rate, measured: the time between heartbeats of the same worker.
    const times: number[] = []
    let last = await heartbeatsOf(url, 'node1@a')
    await waitFor(
      async () => {
        const n = await heartbeatsOf(url, 'node1@a')
        if (n > last) {
          times.push(Date.now())
          last = n
        }
        return times.length >= 4
      },
      'four heartbeats at the new rate',
      15_000,
      20,
    )
    const gaps = times.slice(1).map((t, i) => t - times[i]!)
    console.log(`heartbeat gaps after SIGHUP (report_interval 2 -> 1): ${gaps.join(', ')} ms`)
    expect(Math.max(...gaps)).toBeLessThan(1600)
    // The same worker: no respawn, no restart of its service.
    expect(workerPid(run, 'node1@a')).toBe(a)
    expect(isAlive(a)).toBe(true)
    // b was added: started and heartbeating; c was removed: its worker is gone.
    await waitFor(async () => (await heartbeatsOf(url, 'node1@b')) >= 1, 'b heartbeats')
    await waitFor(() => !isAlive(c), 'c stopped')
    expect(starts()).toBe(startsBefore + 1)
    expect(run.child.exitCode).toBeNull()
    run.child.kill('SIGTERM')
    expect((await run.exited).code).toBe(0)
  })

  it('raises service_down_time to 2.5 x report_interval with a warning', async () => {
    const dir = tempDir()
    const file = conf(dir, {
      defaults: 'enabled_backends = a',
      reportInterval: '1',
      sections: `[a]\n${OK}\n`,
    })
    const run = startVolume(['--config-file', file])
    const warning = await waitFor(
      () =>
        run.lines.find((l) =>
          String(l.msg).startsWith('Report interval must be less than service down time'),
        ),
      'the warning',
    )
    expect(warning).toMatchObject({ level: 'warn', newServiceDownTime: 2.5 })
    expect(warning.msg).toBe(
      'Report interval must be less than service down time. Current config service_down_time: 1, report_interval for this service is: 1. Setting global service_down_time to: 2.5',
    )
    run.child.kill('SIGTERM')
    await run.exited
  })

  it('names a missing config file in one line and exits 1', () => {
    const r = volumeSync(['--config-file', '/nonexistent/volume.conf'])
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^forklift-volume: .*\/nonexistent\/volume\.conf/)
    expect(volumeSync([]).status).toBe(2)
  })

  it('reads --config-dir after --config-file, backends defined there included', async () => {
    const dir = tempDir()
    const file = conf(dir, { defaults: 'enabled_backends = a' })
    const confd = join(dir, 'volume.conf.d')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(confd)
    writeConfig(
      confd,
      `[DEFAULT]\nhost = node9\n\n[a]\n${OK}\nbackend_host = b-host\n`,
      '10-a.conf',
    )
    const url = `sqlite:///${join(dir, 'registry.sqlite')}`
    const run = startVolume(['--config-file', file, '--config-dir', confd])
    await waitFor(async () => (await heartbeatsOf(url, 'b-host@a')) >= 1, 'b-host@a')
    run.child.kill('SIGTERM')
    expect((await run.exited).code).toBe(0)
  })

  it('explains bad usage and bad values in one line', () => {
    const noFile = manage([])
    expect(noFile.status).toBe(2)
    const dir = tempDir()
    const typo = manage(['--connection', `sqlite:///${dir}/typo.sqlite`, 'service-list'])
    expect([typo.status, typo.stderr.trim()]).toEqual([
      1,
      `forklift-volume-manage: registry sqlite:///${dir}/typo.sqlite does not exist (no service has registered there yet)`,
    ])
    const file = conf(dir, {
      defaults: 'enabled_backends = a',
      reportInterval: 'soon',
      sections: `[a]\n${OK}\n`,
    })
    const bad = conf(tempDir(), { defaults: 'enabled_backends = a\nrestart_method = never' })
    const r2 = volumeSync(['--config-file', bad])
    expect([r2.status, r2.stderr.trim()]).toEqual([
      1,
      `forklift-volume: ${bad}:${lineOf(bad, 'restart_method')} [DEFAULT] restart_method: must be reload or mutate, got "never"`,
    ])
    const r = manage(['--config-file', file, 'service-list'])
    expect(r.status).toBe(1)
    expect(r.stderr.trim()).toBe(
      `forklift-volume-manage: ${file}:${lineOf(file, 'report_interval')} [DEFAULT] report_interval: must be a number, not "soon"`,
    )
  })
})

describe('forklift-volume-manage', () => {
  it('lists, disables and enables services (table and --json)', async () => {
    const dir = tempDir()
    const file = conf(dir, {
      defaults: 'enabled_backends = a',
      serviceDownTime: '5', // up even when the machine is loaded
      sections: `[a]\n${OK}\n`,
    })
    const url = `sqlite:///${join(dir, 'registry.sqlite')}`
    const run = startVolume(['--config-file', file])
    await waitFor(async () => (await heartbeatsOf(url, 'node1@a')) >= 1, 'a heartbeat')
    const table = manage(['--config-file', file, 'service-list'])
    expect(table.status).toBe(0)
    const [head, row] = table.stdout.trim().split('\n')
    expect(head).toMatch(/^Binary\s+Host\s+Zone\s+Cluster\s+Status\s+State\s+Last Heartbeat$/)
    expect(row).toMatch(
      /^forklift-volume\s+node1@a\s+nova\s+enabled\s+up\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
    )
    const off = manage([
      '--connection',
      url,
      'service-disable',
      'node1@a',
      VOLUME_BINARY,
      '--reason',
      'maintenance',
    ])
    expect([off.status, off.stdout]).toEqual([
      0,
      'Service forklift-volume on host node1@a disabled.\n',
    ])
    const json = JSON.parse(manage(['--config-file', file, 'service-list', '--json']).stdout)
    expect(json).toEqual([
      expect.objectContaining({
        host: 'node1@a',
        binary: VOLUME_BINARY,
        state: 'up',
        disabled: true,
        disabled_reason: 'maintenance',
      }),
    ])
    expect(manage(['--connection', url, 'service-enable', 'node1@a', VOLUME_BINARY]).status).toBe(0)
    const missing = manage(['--connection', url, 'service-enable', 'nope@a', VOLUME_BINARY])
    expect([missing.status, missing.stderr.trim()]).toEqual([
      1,
      'forklift-volume-manage: no service "forklift-volume" on host "nope@a"',
    ])
    run.child.kill('SIGTERM')
    await run.exited
  })

  it.for([
    ['PostgreSQL', !pgBase, () => pgSchemaUrl(pgBase!)],
    ['MariaDB', !mysqlBase, () => mysqlDatabaseUrl(mysqlBase!)],
  ] as const)(
    'shows two launchers sharing %s together; a stopped one turns down',
    async ([, skip, makeUrl], ctx) => {
      if (skip) ctx.skip()
      const url = await makeUrl()
      const runs = ['alpha', 'beta'].map((host) => {
        const dir = tempDir()
        const file = conf(dir, {
          connection: url,
          host,
          defaults: 'enabled_backends = a',
          sections: `[a]\n${OK}\n`,
        })
        return startVolume(['--config-file', file])
      })
      // Heartbeats every 0.2 s; 3 s of silence is down, with room for a loaded machine.
      const list = () =>
        JSON.parse(
          manage(['--connection', url, '--service-down-time', '3', 'service-list', '--json'])
            .stdout,
        ) as Array<{ host: string; state: string; report_count: number }>
      await waitFor(() => {
        const l = list()
        return l.length === 2 && l.every((s) => s.state === 'up' && s.report_count >= 2)
      }, 'both launchers up')
      const table = manage(['--connection', url, '--service-down-time', '3', 'service-list'])
      expect(table.stdout).toMatch(/alpha@a\s+nova\s+enabled\s+up/)
      expect(table.stdout).toMatch(/beta@a\s+nova\s+enabled\s+up/)
      runs[1]!.child.kill('SIGTERM')
      expect((await runs[1]!.exited).code).toBe(0)
      const stoppedAt = Date.now()
      const after = await waitFor(() => {
        const l = list()
        return l.find((s) => s.host === 'beta@a')?.state === 'down' && l
      }, 'beta to turn down')
      expect(Date.now() - stoppedAt).toBeGreaterThan(2000) // not before service_down_time
      expect(after.map((s) => [s.host, s.state])).toEqual([
        ['alpha@a', 'up'],
        ['beta@a', 'down'],
      ])
    },
  )

  it('both binaries have --help', () => {
    for (const bin of ['forklift-volume', 'forklift-volume-manage']) {
      const r = (bin === 'forklift-volume' ? volumeSync : manage)(['--help'])
      expect(r.status).toBe(0)
      expect(r.stdout).toContain(`${bin}`)
    }
  })
})

/** The 1-based line of `file` that sets `key`. */
function lineOf(file: string, key: string): number {
  return (
    readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.startsWith(`${key} =`)) + 1
  )
}
