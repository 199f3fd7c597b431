// systemd as the host, with real processes and sockets: what a server tells
// a notification socket (STATUS with workers, respawns and the last reload;
// WATCHDOG=1; EXTEND_TIMEOUT_USEC while starting and draining), the status
// file swift-init reads, the same notifications seen by Python's socket
// module, and socket activation by systemd's own systemd-socket-activate
// with two named sockets (LISTEN_FDNAMES).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createNotifyReceiver, type Notification } from '@forklift/notify/testing'
import { childPids, freePort, tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  BIN_DIR,
  get,
  REPO,
  SLOW_APP,
  serverSocket,
  slowGet,
  startBin,
  waitFor,
  writeConf,
} from './helpers.js'

const BIN = 'swift-object-server'
const PYTHON = ['/usr/bin/python3', 'python3'].find(
  (p) => spawnSync(p, ['-c', 'import socket'], { stdio: 'ignore' }).status === 0,
)
const ANALYZE = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find(
  (p) => spawnSync(p, ['--version'], { stdio: 'ignore' }).status === 0,
)
const ACTIVATE = ['/usr/bin/systemd-socket-activate', '/bin/systemd-socket-activate'].find(
  (p) => spawnSync(p, ['--version'], { stdio: 'ignore' }).status === 0,
)

async function receiver() {
  const r = await createNotifyReceiver()
  onTestFinished(() => r.close())
  return r
}

const statusOf = (n: Notification) => n.fields.STATUS ?? ''

describe('a server under systemd (Type=notify-reload)', () => {
  it('tells STATUS (workers, respawns, last reload and its result), pings the watchdog from its own pid, and keeps a status file', async () => {
    const r = await receiver()
    const dir = tempDir()
    const statusFile = join(dir, 'object-server.status.json')
    const socket = serverSocket()
    const conf = writeConf(dir, { port: socket.port, extra: 'workers = 2' })
    const p = startBin(
      BIN,
      [conf],
      { ...r.env, WATCHDOG_USEC: '400000', FORKLIFT_STATUS_FILE: statusFile },
      [],
      socket,
    )
    await r.waitFor('READY=1')
    const first = await r.waitFor('STATUS')
    expect(statusOf(first)).toBe('2 workers; 0 respawned; no reload yet')
    // Pings every 200 ms, from the main pid (NotifyAccess=main).
    await r.waitFor(() => r.received.filter((m) => m.fields.WATCHDOG === '1').length >= 3)
    expect(new Set(r.received.map((n) => n.pid))).toEqual(new Set([p.pid]))
    const file = () => JSON.parse(readFileSync(statusFile, 'utf8'))
    expect(file()).toMatchObject({
      pid: p.pid,
      server: 'object-server',
      worker_count: 2,
      respawn_count: 0,
      last_reload: null,
    })

    // A worker killed from outside is a respawn.
    const [victim] = childPids(p.pid)
    process.kill(victim!, 'SIGKILL')
    await r.waitFor((n) => statusOf(n).startsWith('2 workers; 1 respawned'), { timeoutMs: 30_000 })
    expect(file().respawn_count).toBe(1)

    // A reload that works, then one the config refuses.
    let mark = r.received.length
    p.child.kill('SIGUSR1')
    const ok = await r.waitFor((n) => / ok$/.test(statusOf(n)), { after: mark, timeoutMs: 30_000 })
    expect(statusOf(ok)).toMatch(/^2 workers; 1 respawned; last reload \d{4}-\d\d-\d\dT\S+Z ok$/)
    expect(file().last_reload).toMatchObject({ result: 'ok', reason: null })
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('workers = 2', 'workers = many'))
    mark = r.received.length
    p.child.kill('SIGUSR1')
    await r.waitFor((n) => / refused$/.test(statusOf(n)), { after: mark, timeoutMs: 30_000 })
    expect(file().last_reload.result).toBe('refused')
    expect(file().last_reload.reason).toContain('workers')
    await r.waitFor('READY=1', { after: mark })
    expect((await get(`http://127.0.0.1:${socket.port}/healthcheck`)).status).toBe(200)

    p.child.kill('SIGTERM')
    await r.waitFor('STOPPING=1')
    expect(await p.exited).toEqual({ code: 0, signal: null })
    // Gone with its pid: it never speaks for a recycled one.
    expect(existsSync(statusFile)).toBe(false)
    // No ping once stopping: systemd stops watching, a ping would be noise.
    const stopping = r.received.findIndex((n) => n.fields.STOPPING === '1')
    expect(r.received.slice(stopping).filter((n) => n.fields.WATCHDOG)).toEqual([])
  })

  it('asks for more time (EXTEND_TIMEOUT_USEC) while the workers start and while a drain waits for a slow request', async () => {
    const r = await receiver()
    const socket = serverSocket()
    const conf = writeConf(tempDir(), {
      port: socket.port,
      extra: 'workers = 1',
      app: SLOW_APP,
    })
    const p = startBin(BIN, [conf], r.env, [], socket)
    const ready = await r.waitFor('READY=1')
    const before = r.received.slice(0, r.received.indexOf(ready))
    expect(before.map((n) => n.text)).toContain('EXTEND_TIMEOUT_USEC=15000000')
    const slow = slowGet(socket.port, 3000)
    await slow.started
    const mark = r.received.length
    p.child.kill('SIGHUP')
    await r.waitFor('STOPPING=1', { after: mark })
    await r.waitFor('EXTEND_TIMEOUT_USEC=15000000', { after: mark })
    expect(await slow.done).toMatchObject({ status: 200 })
    expect(await p.exited).toEqual({ code: 0, signal: null })
  })

  it('workers = 0: STATUS says it serves in process, and a reload is reported', async () => {
    const r = await receiver()
    const socket = serverSocket()
    const conf = writeConf(tempDir(), { port: socket.port, extra: 'workers = 0' })
    const p = startBin(BIN, [conf], r.env, [], socket)
    expect(statusOf(await r.waitFor('STATUS'))).toBe(
      'serving in process; 0 respawned; no reload yet',
    )
    const mark = r.received.length
    p.child.kill('SIGUSR1')
    await r.waitFor((n) => / ok$/.test(statusOf(n)), { after: mark })
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
  })
})

describe('a daemon under systemd (Type=notify)', () => {
  it('swift-object-replicator pings the watchdog between passes and stops at STOPPING=1', async () => {
    const r = await receiver()
    const dir = tempDir()
    const conf = join(dir, 'object-replicator.conf')
    writeFileSync(
      conf,
      `[DEFAULT]\nuser =\ndevices = ${dir}\n\n[object-replicator]\ninterval = 3600\n`,
    )
    const p = startBin('swift-object-replicator', [conf], { ...r.env, WATCHDOG_USEC: '400000' })
    await r.waitFor('READY=1')
    await r.waitFor(() => r.received.filter((m) => m.fields.WATCHDOG === '1').length >= 3)
    p.child.kill('SIGTERM')
    await r.waitFor('STOPPING=1')
    expect(await p.exited).toEqual({ code: 0, signal: null })
    const stopping = r.received.findIndex((n) => n.fields.STOPPING === '1')
    expect(r.received.slice(stopping).filter((n) => n.fields.WATCHDOG)).toEqual([])
  })
})

describe.skipIf(!PYTHON)("the same notifications, seen by Python's socket module", () => {
  it('READY, STATUS and WATCHDOG arrive from the server pid on an abstract socket Python bound', async () => {
    const address = `@fl-wsgi-py-${process.pid}-${Math.random().toString(36).slice(2)}`
    const py = spawn(
      PYTHON!,
      [join(REPO, 'packages/notify/test/fixtures/notify_receiver.py'), address],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
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
    await waitFor(() => out.startsWith('bound\n'), 'python to bind')
    const socket = serverSocket()
    const conf = writeConf(tempDir(), { port: socket.port, extra: 'workers = 1' })
    const p = startBin(BIN, [conf], { NOTIFY_SOCKET: address, WATCHDOG_USEC: '400000' }, [], socket)
    await waitFor(
      () => lines().filter((l) => l.text === 'WATCHDOG=1').length >= 2,
      'two watchdog pings',
    )
    const texts = lines().map((l) => l.text)
    expect(texts).toContain('READY=1')
    expect(texts).toContain('STATUS=1 workers; 0 respawned; no reload yet')
    expect(new Set(lines().map((l) => l.pid))).toEqual(new Set([p.pid]))
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
  })
})

describe.skipIf(!ACTIVATE)("systemd-socket-activate's LISTEN_FDS and LISTEN_FDNAMES", () => {
  for (const workers of [2, 0]) {
    it(`workers = ${workers}: of two named sockets, serves the one named after the server and closes the other`, async () => {
      const r = await receiver()
      // systemd-socket-activate binds ports it is given (not 0): ports free a moment ago.
      const [mine, other] = [await freePort(), await freePort()]
      const confPort = serverSocket().port // held, never listening
      const conf = writeConf(tempDir(), { port: confPort, extra: `workers = ${workers}` })
      const act = spawn(
        ACTIVATE!,
        [
          '-l',
          `127.0.0.1:${other}`,
          '-l',
          `127.0.0.1:${mine}`,
          '--fdname=proxy-server:object-server',
          '-E',
          `NOTIFY_SOCKET=${r.socket}`,
          process.execPath,
          '--disable-sigusr1',
          join(BIN_DIR, BIN),
          conf,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      )
      onTestFinished(() => {
        try {
          process.kill(-act.pid!, 'SIGKILL')
        } catch {}
      })
      let err = ''
      act.stderr.on('data', (d) => (err += d))
      const exited = new Promise<number | string | null>((res) =>
        act.once('exit', (c, sig) => res(c ?? sig)),
      )
      await waitFor(() => (err.match(/Listening on/g) ?? []).length === 2, `two sockets: ${err}`)
      // The first connection makes systemd-socket-activate exec the server,
      // which answers it on the socket it was handed.
      expect(await get(`http://127.0.0.1:${mine}/healthcheck`)).toMatchObject({ status: 200 })
      // STATUS comes right before the signal handlers are installed (READY=1 a turn earlier).
      await r.waitFor('STATUS')
      expect(r.received[0]!.pid).toBe(act.pid)
      await expect(get(`http://127.0.0.1:${other}/healthcheck`)).rejects.toThrow(/ECONNREFUSED/)
      await expect(get(`http://127.0.0.1:${confPort}/healthcheck`)).rejects.toThrow(/ECONNREFUSED/)
      act.kill('SIGTERM')
      expect(await exited).toBe(0)
    })
  }

  it('two sockets and neither named for this server: one line naming them, exit 1, nothing served', async () => {
    const [a, b] = [await freePort(), await freePort()]
    const conf = writeConf(tempDir(), { port: serverSocket().port, extra: 'workers = 1' })
    const act = spawn(
      ACTIVATE!,
      [
        '-l',
        `127.0.0.1:${a}`,
        '-l',
        `127.0.0.1:${b}`,
        '--fdname=proxy-server:account-server',
        process.execPath,
        '--disable-sigusr1',
        join(BIN_DIR, BIN),
        conf,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    )
    onTestFinished(() => {
      try {
        process.kill(-act.pid!, 'SIGKILL')
      } catch {}
    })
    let err = ''
    act.stderr.on('data', (d) => (err += d))
    const exited = new Promise<number | string | null>((res) =>
      act.once('exit', (c, sig) => res(c ?? sig)),
    )
    await waitFor(() => (err.match(/Listening on/g) ?? []).length === 2, `two sockets: ${err}`)
    await get(`http://127.0.0.1:${a}/`, { timeoutMs: 30_000 }).catch(() => {})
    expect(await exited).toBe(1)
    expect(err).toContain(
      'swift-object-server: LISTEN_FDS passed 2 sockets (proxy-server, account-server) and none is named "object-server": set FileDescriptorName= in the socket unit\n',
    )
  })
})

describe.skipIf(!ANALYZE)('examples/systemd', () => {
  it('every unit passes systemd-analyze verify, its ExecStart naming a binary we ship', () => {
    const dir = tempDir()
    const units = join(REPO, 'examples/systemd')
    const names = readdirSync(units).filter((f) => /\.(service|socket)$/.test(f))
    expect(names).toEqual(
      expect.arrayContaining(['swift-proxy-server.socket', 'forklift-volume.service']),
    )
    const bins = new Set<string>()
    for (const name of names) {
      const text = readFileSync(join(units, name), 'utf8')
      for (const m of text.matchAll(/^ExecStart=\/usr\/local\/bin\/(\S+)/gm)) bins.add(m[1]!)
      writeFileSync(join(dir, name), text.replaceAll('/usr/local/bin/', `${dir}/`))
    }
    for (const bin of bins) {
      const shipped = ['wsgi-server', 'volume']
        .flatMap((app) => [
          join(REPO, 'apps', app, 'bin', bin),
          join(REPO, 'apps', app, 'bin', `${bin}.mjs`),
        ])
        .find((f) => existsSync(f))
      expect(shipped, `${bin} is a binary of apps/*/bin`).toBeDefined()
      symlinkSync(shipped!, join(dir, bin))
    }
    expect([...bins].sort()).toEqual([
      'forklift-volume',
      'swift-object-replicator',
      'swift-object-server',
      'swift-proxy-server',
    ])
    const r = spawnSync(ANALYZE!, ['verify', '--man=no', ...names.map((n) => join(dir, n))], {
      encoding: 'utf8',
    })
    // systemd < 253 knows neither notify-reload nor ReloadSignal=; nothing else may be said.
    const said = r.stderr
      .split('\n')
      .filter(Boolean)
      .filter(
        (l) =>
          !/Failed to parse service type, ignoring: notify-reload|Unknown key 'ReloadSignal'/.test(
            l,
          ),
      )
    expect(said).toEqual([])
    expect(r.status).toBe(0)
  })
})
