import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { connect, createServer } from 'node:net'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { createNotifyReceiver } from '@forklift/notify/testing'
import {
  alive,
  type BoundPort,
  childPids,
  freePort,
  selfSignedCert,
  tempDir,
} from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  get,
  runBin,
  SLOW_APP,
  serverSocket,
  slowGet,
  startBin,
  waitFor,
  writeConf,
} from './helpers.js'

const BIN = 'swift-object-server'

/** The pid a hello response names (the sample app puts it in its body). */
function pidOf(body: string): number {
  const m = /pid[ =:]+(\d+)/i.exec(body)
  if (!m) throw new Error(`no pid in ${JSON.stringify(body)}`)
  return Number(m[1])
}

/** Starts the server on `socket` (or binding from its conf without one) and waits until it is ready. */
async function startReady(conf: string, socket?: BoundPort) {
  const p = startBin(BIN, [conf], {}, [], socket)
  await p.ready()
  return p
}

/** A server on a port of its own (held here, handed over as systemd does), started and ready. */
async function startServer(opts: Omit<Parameters<typeof writeConf>[1], 'port'>, dir = tempDir()) {
  const socket = serverSocket()
  const conf = writeConf(dir, { ...opts, port: socket.port })
  const p = await startReady(conf, socket)
  return { p, port: socket.port }
}

describe('workers', () => {
  it('workers = 0 serves in the server process itself, with no children', async () => {
    const { p, port } = await startServer({ extra: 'workers = 0' })
    const hc = await get(`http://127.0.0.1:${port}/healthcheck`)
    expect(hc).toMatchObject({ status: 200, body: 'OK' })
    const hello = await get(`http://127.0.0.1:${port}/`)
    expect(hello.status).toBe(200)
    expect(pidOf(hello.body)).toBe(p.pid)
    expect(childPids(p.pid)).toEqual([])
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
  })

  it('workers = 2 runs two worker processes that answer, and SIGTERM takes them all down', async () => {
    const { p, port } = await startServer({ extra: 'workers = 2' })
    const workers = childPids(p.pid)
    expect(workers).toHaveLength(2)
    const seen = new Set<number>()
    for (let i = 0; i < 20; i++) seen.add(pidOf((await get(`http://127.0.0.1:${port}/`)).body))
    for (const pid of seen) expect(workers).toContain(pid)
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
    await waitFor(() => workers.every((w) => !alive(w)), 'workers to exit', 5_000)
  })

  it('workers = auto runs one worker per CPU', async () => {
    const { p, port } = await startServer({ extra: 'workers = auto' })
    expect(childPids(p.pid)).toHaveLength(availableParallelism())
    expect((await get(`http://127.0.0.1:${port}/healthcheck`)).status).toBe(200)
  })

  it('a worker killed with SIGKILL is replaced', async () => {
    const { p, port } = await startServer({ extra: 'workers = 2' })
    const [victim, other] = childPids(p.pid)
    process.kill(victim!, 'SIGKILL')
    const now = await waitFor(() => {
      const pids = childPids(p.pid).filter((c) => c !== victim && alive(c))
      return pids.length === 2 ? pids : undefined
    }, 'a replacement worker')
    expect(now).toContain(other)
    expect((await get(`http://127.0.0.1:${port}/healthcheck`)).status).toBe(200)
  })

  it('standby_worker = true keeps a booted spare that takes a killed worker slot at once', async () => {
    const { p, port } = await startServer({ extra: 'workers = 2\nstandby_worker = true' })
    const all = await waitFor(() => {
      const pids = childPids(p.pid)
      return pids.length === 3 ? pids : undefined
    }, 'two workers and a spare')
    const serving = new Set<number>()
    await waitFor(async () => {
      serving.add(pidOf((await get(`http://127.0.0.1:${port}/`, { agent: false })).body))
      return serving.size === 2
    }, 'both workers to answer')
    const spare = all.find((pid) => !serving.has(pid))!
    const [victim] = [...serving]
    process.kill(victim!, 'SIGKILL')
    // The spare, already booted, serves in the victim's place; a new spare follows.
    await waitFor(async () => {
      const body = (await get(`http://127.0.0.1:${port}/`, { agent: false })).body
      return pidOf(body) === spare
    }, 'the spare to answer')
    await waitFor(() => {
      const pids = childPids(p.pid).filter((c) => c !== victim && alive(c))
      return pids.length === 3 ? pids : undefined
    }, 'a new spare')
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
  })

  it('workers that crash while starting are respawned at a limited rate, and logged', async () => {
    const dir = tempDir()
    const marker = join(dir, 'crash')
    const socket = serverSocket()
    const { port } = socket
    const conf = writeConf(dir, {
      port,
      extra: 'workers = 2',
      app: `${join(import.meta.dirname, 'fixtures/crashy.mjs')}#app`,
    })
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}crash_marker = ${marker}\n`)
    const p = await startReady(conf, socket)
    writeFileSync(marker, '')
    for (const w of childPids(p.pid)) process.kill(w, 'SIGKILL')
    const from = p.stderr().length
    const windowMs = 4_000
    await new Promise((r) => setTimeout(r, windowMs))
    const log = p.stderr().slice(from)
    const deaths = (log.match(/Removing dead child/g) ?? []).length
    // Without a brake a 2-worker crash loop forks every ~0.1-0.2 s per worker
    // (40+ in 4 s); with it, at most workers + 1 forks per 2 s (+ slack).
    expect(deaths).toBeGreaterThanOrEqual(3)
    expect(deaths).toBeLessThanOrEqual(12)
    expect(log).toContain('Forking too fast, sleeping')
    expect(log).toContain('(code 3)')
    // The parent stays up through it all.
    expect(p.child.exitCode).toBeNull()
  })

  it('stale_worker_timeout bounds how long an old worker may drain after a reload', async () => {
    const { p, port } = await startServer({
      extra: 'workers = 1\nstale_worker_timeout = 1',
      app: SLOW_APP,
    })
    const [old] = childPids(p.pid)
    const slow = slowGet(port, 60_000)
    await slow.started
    p.child.kill('SIGUSR1')
    await waitFor(() => !alive(old!), 'the stale worker to be killed', 15_000)
    expect(await slow.done).toBeInstanceOf(Error)
    expect(p.stderr()).toMatch(/Killing long-running stale worker \d+ after 1s/)
    expect((await get(`http://127.0.0.1:${port}/healthcheck`)).status).toBe(200)
  })

  it('parent SIGKILL: no worker is alive 2 s later', async () => {
    const { p } = await startServer({ extra: 'workers = 2' })
    const workers = childPids(p.pid)
    expect(workers).toHaveLength(2)
    p.child.kill('SIGKILL')
    await p.exited
    const killedAt = Date.now()
    await waitFor(() => workers.every((w) => !alive(w)), 'orphaned workers to exit', 5_000)
    expect(Date.now() - killedAt).toBeLessThan(2_000)
  })
})

describe('--test-config', () => {
  it('exits 0 on a good config without binding the port', async () => {
    const held = serverSocket()
    const { port } = held
    const conf = writeConf(tempDir(), { port, extra: 'workers = 2' })
    const r = await runBin(BIN, [conf, '--test-config'])
    expect(r).toMatchObject({ code: 0, signal: null })
    // nothing is listening: we can bind the port ourselves
    held.close()
    const srv = createServer()
    await new Promise<void>((res, rej) =>
      srv.once('error', rej).listen(port, '127.0.0.1', () => res()),
    )
    srv.close()
  })

  it.each([
    ['a missing bind_port', '', /object-server\.conf.*bind_port/],
    ['a bad workers value', 'workers = many', /object-server\.conf.*workers/],
    ['a bad max_clients value', 'max_clients = lots', /object-server\.conf.*max_clients/],
    ['a bad keepalive_timeout', 'keepalive_timeout = -1', /object-server\.conf.*keepalive_timeout/],
    ['a bad worker_timeout', 'worker_timeout = soon', /object-server\.conf.*worker_timeout/],
    ['a bad max_requests', 'max_requests = 1.5', /object-server\.conf.*max_requests/],
    [
      'a bad max_requests_jitter',
      'max_requests_jitter = -2',
      /object-server\.conf.*max_requests_jitter/,
    ],
    ['a bad max_worker_rss', 'max_worker_rss = 1G', /object-server\.conf.*max_worker_rss/],
  ])('exits 1 with one line naming the key on %s', async (_what, extra, pattern) => {
    const dir = tempDir()
    const conf = writeConf(dir, { port: 1, extra })
    if (extra === '')
      writeFileSync(conf, readFileSync(conf, 'utf8').replace(/^bind_port = .*$/m, ''))
    const r = await runBin(BIN, [conf, '-t'])
    expect(r).toMatchObject({ code: 1, signal: null })
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^swift-object-server: /)
    expect(lines[0]).toMatch(pattern)
  })

  it('exits 1 naming the file when the config does not exist', async () => {
    const missing = join(tempDir(), 'nope.conf')
    const r = await runBin(BIN, [missing, '--test-config'])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(missing)
  })

  it('exits 1 naming the section when the app section is missing', async () => {
    // A port held here: the server must fail before it would bind.
    const { port } = serverSocket()
    const conf = writeConf(tempDir(), { port, name: 'proxy-server' })
    const r = await runBin(BIN, [conf, '--test-config'])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain('object-server')
  })

  it('exits 1 when the app module cannot be loaded', async () => {
    // A port held here: the server must fail before it would bind.
    const { port } = serverSocket()
    const conf = writeConf(tempDir(), { port, app: './no-such-app.mjs#app' })
    const r = await runBin(BIN, [conf, '--test-config'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('no-such-app.mjs')
  })

  it('rejects an unknown word after CONF with a usage error', async () => {
    const r = await runBin(BIN, ['/etc/swift/object-server.conf', 'sometimes'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("unexpected argument 'sometimes'")
  })
})

describe.each([0, 2])('signals, workers = %i', (workerCount) => {
  it('SIGHUP lets a slow in-flight request finish, then exits', async () => {
    const { p, port } = await startServer({ extra: `workers = ${workerCount}`, app: SLOW_APP })
    const workers = childPids(p.pid)
    const slow = slowGet(port, 1500)
    await slow.started
    p.child.kill('SIGHUP')
    const reply = await slow.done
    expect(reply).toMatchObject({
      status: 200,
      body: expect.stringMatching(/^started .*\nfinished\n$/),
    })
    expect(await p.exited).toEqual({ code: 0, signal: null })
    await waitFor(() => workers.every((w) => !alive(w)), 'workers to exit', 5_000)
  })

  it('SIGUSR1 under load: no request fails and the new config is in effect', async () => {
    const dir = tempDir()
    const { p, port } = await startServer(
      { extra: `workers = ${workerCount}`, message: 'before' },
      dir,
    )
    const oldWorkers = childPids(p.pid)
    const agent = new Agent({ keepAlive: true, maxSockets: 8 })
    onTestFinished(() => agent.destroy())
    let failures = 0
    let ok = 0
    let sawNew = false
    let running = true
    const client = async () => {
      while (running) {
        try {
          const r = await get(`http://127.0.0.1:${port}/`, { agent })
          if (r.status !== 200) failures++
          else ok++
          if (r.body.includes('after')) sawNew = true
        } catch {
          failures++
        }
      }
    }
    const clients = Array.from({ length: 8 }, client)
    await waitFor(() => ok >= 50, 'the load to run')
    writeConf(dir, { port, extra: `workers = ${workerCount}`, message: 'after' })
    p.child.kill('SIGUSR1')
    await waitFor(() => sawNew, 'the new config to answer', 20_000)
    // The load goes on while the old workers drain.
    const okAtNew = ok
    await waitFor(() => ok >= okAtNew + 100, 'answers while the old workers drain')
    running = false
    await Promise.all(clients)
    expect(failures).toBe(0)
    expect(ok).toBeGreaterThan(50)
    const body = (await get(`http://127.0.0.1:${port}/`)).body
    expect(body).toContain('after')
    await waitFor(() => oldWorkers.every((w) => !alive(w)), 'old workers to drain and exit', 10_000)
    expect(childPids(p.pid).filter(alive)).toHaveLength(workerCount)
  })
})

describe('a bad reload', () => {
  it('keeps the running workers when the new config is invalid or the new app does not load', async () => {
    const dir = tempDir()
    const { p, port } = await startServer({ extra: 'workers = 2', message: 'original' }, dir)
    const workers = childPids(p.pid)

    writeConf(dir, { port, extra: 'workers = many', message: 'broken' })
    let from = p.stderr().length
    p.child.kill('SIGUSR1')
    await waitFor(() => p.stderr().slice(from).includes('reload refused'), 'the refusal')
    expect(p.stderr().slice(from)).toMatch(/object-server\.conf.*workers/)

    writeConf(dir, { port, extra: 'workers = 2', app: './no-such-app.mjs#app' })
    from = p.stderr().length
    p.child.kill('SIGUSR1')
    await waitFor(() => p.stderr().slice(from).includes('reload failed'), 'the failure')
    expect(p.stderr().slice(from)).toContain('no-such-app.mjs')

    expect(childPids(p.pid).filter(alive).sort()).toEqual([...workers].sort())
    expect((await get(`http://127.0.0.1:${port}/`)).body).toContain('original')
    expect(p.child.exitCode).toBeNull()
  })
})

describe('sockets', () => {
  it('retries a port held by another process, then fails clearly after bind_timeout', async () => {
    // The holder is a separate process, as in production (another server, a stale one).
    const holder = spawn(
      process.execPath,
      [
        '-e',
        "require('net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port) })",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    onTestFinished(() => {
      holder.kill('SIGKILL')
    })
    const port = Number((await once(holder.stdout!, 'data'))[0].toString().trim())
    const conf = writeConf(tempDir(), { port, extra: 'bind_timeout = 1\nworkers = 1' })
    const started = Date.now()
    const r = await runBin(BIN, [conf])
    expect(r.code).toBe(1)
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
    expect(r.stderr).toMatch(/is in use; retrying for up to 1 seconds/)
    const last = r.stderr.trim().split('\n').at(-1)!
    expect(last).toMatch(
      /^swift-object-server: \S+object-server\.conf \[app:object-server\] bind_port: Could not bind to 127\.0\.0\.1:\d+ after trying for 1 seconds/,
    )
  })

  it.each([0, 2])(
    'workers = %i: serves on a socket passed in LISTEN_FDS (systemd socket activation) instead of binding',
    async (workerCount) => {
      // Held, never listening: connections to it are refused.
      const confPort = serverSocket().port
      const passed = serverSocket()
      const passedPort = passed.port
      const conf = writeConf(tempDir(), { port: confPort, extra: `workers = ${workerCount}` })
      const p = startBin(BIN, [conf], {}, [], passed)
      await p.ready()
      expect(await get(`http://127.0.0.1:${passedPort}/healthcheck`)).toMatchObject({ status: 200 })
      await expect(get(`http://127.0.0.1:${confPort}/healthcheck`)).rejects.toThrow(/ECONNREFUSED/)
      expect(childPids(p.pid)).toHaveLength(workerCount)
      p.child.kill('SIGTERM')
      expect(await p.exited).toEqual({ code: 0, signal: null })
    },
  )

  it.each([1, 0])('binds ::1 from its conf (workers = %i)', async (workerCount) => {
    // Binding a number from the conf is what this tests: Swift refuses
    // bind_port = 0, so the number comes from a port free a moment ago.
    const port = await freePort('::1')
    const conf = writeConf(tempDir(), { port, extra: `bind_ip = ::1\nworkers = ${workerCount}` })
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('bind_ip = 127.0.0.1\n', ''))
    await startReady(conf)
    expect(await get(`http://[::1]:${port}/healthcheck`)).toMatchObject({ status: 200, body: 'OK' })
  })

  it("serves TLS with cert_file/key_file (certificate made here) and logs Swift's warning", async () => {
    const dir = tempDir()
    const { certFile: cert, keyFile: key } = selfSignedCert(dir)
    const { p, port } = await startServer(
      { extra: `workers = 1\ncert_file = ${cert}\nkey_file = ${key}` },
      dir,
    )
    const r = await get(`https://127.0.0.1:${port}/healthcheck`, { rejectUnauthorized: false })
    expect(r).toMatchObject({ status: 200, body: 'OK' })
    expect(p.stderr()).toContain('SSL should only be enabled for testing purposes')
  })
})

describe('limits', () => {
  it('max_clients = 1 holds a second request until the first is done', async () => {
    const { port } = await startServer({ extra: 'workers = 0\nmax_clients = 1', app: SLOW_APP })
    const order: string[] = []
    const slow = slowGet(port, 1000)
    await slow.started
    const fast = get(`http://127.0.0.1:${port}/`).then((r) => {
      order.push('fast')
      return r
    })
    const slowReply = await slow.done
    order.push('slow')
    expect(slowReply).toMatchObject({ status: 200 })
    expect((await fast).status).toBe(200)
    expect(order).toEqual(['slow', 'fast'])
  })

  it('client_timeout closes a connection whose client went quiet', async () => {
    const { port } = await startServer({ extra: 'workers = 1\nclient_timeout = 1' })
    const sock = connect(port, '127.0.0.1')
    onTestFinished(() => {
      sock.destroy()
    })
    await new Promise<void>((r) => sock.once('connect', () => r()))
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n') // never finished
    const started = Date.now()
    await new Promise<void>((r) => sock.once('close', () => r()))
    const waited = Date.now() - started
    expect(waited).toBeGreaterThan(500)
    expect(waited).toBeLessThan(10_000)
  })
})

describe('readiness', () => {
  it('closes stdout only once the workers listen, then sends READY=1; RELOADING=1 and STOPPING=1 follow signals', async () => {
    const receiver = await createNotifyReceiver()
    onTestFinished(() => receiver.close())
    const socket = serverSocket()
    const { port } = socket
    const conf = writeConf(tempDir(), { port, extra: 'workers = 2' })
    const p = startBin(BIN, [conf], receiver.env, [], socket)
    await p.ready()
    // stdout closed: the port must already answer, with the server still running
    expect((await get(`http://127.0.0.1:${port}/healthcheck`)).status).toBe(200)
    expect(p.child.exitCode).toBeNull()
    await receiver.waitFor('READY=1')
    const mark = receiver.received.length
    p.child.kill('SIGUSR1')
    const reloading = await receiver.waitFor('RELOADING=1', { after: mark })
    expect(reloading.fields.MONOTONIC_USEC).toMatch(/^\d+$/)
    await receiver.waitFor('READY=1', { after: mark + 1 })
    p.child.kill('SIGTERM')
    await receiver.waitFor('STOPPING=1')
    expect(await p.exited).toEqual({ code: 0, signal: null })
  })

  it('a SIGTERM while the workers start stops the server once they are up: exit 0, no worker left', async () => {
    const dir = tempDir()
    const mark = join(dir, 'worker-loading')
    const socket = serverSocket()
    const conf = writeConf(dir, {
      port: socket.port,
      extra: 'workers = 2',
      app: `${join(import.meta.dirname, 'fixtures/slow-worker.mjs')}#app`,
    })
    const p = startBin(BIN, [conf], { SLOW_WORKER_MARK: mark }, [], socket)
    await waitFor(() => existsSync(mark), 'a worker loading its app')
    const workers = readFileSync(mark, 'utf8').trim().split('\n').map(Number)
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
    for (const pid of workers) {
      await waitFor(() => !existsSync(`/proc/${pid}`), `worker ${pid} gone`)
    }
  })

  it('verbose (swift-init no-daemon) logs at debug on the console as well as to log_file, workers included', async () => {
    const dir = tempDir()
    const socket = serverSocket()
    const { port } = socket
    const conf = writeConf(dir, {
      port,
      extra: `workers = 1\nlog_file = ${join(dir, 'server.log')}`,
    })
    const p = startBin(BIN, [conf, 'verbose'], {}, [], socket)
    await p.ready()
    await waitFor(
      () => /"level":"debug".*"worker":\d+/.test(p.stderr()),
      'a worker debug line on stderr',
    )
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
    expect(p.stderr()).toContain('"level":"debug"')
    // Swift's log_to_console: the console in addition to the log, not instead
    expect(readFileSync(join(dir, 'server.log'), 'utf8')).toMatch(/"level":"debug".*"worker":\d+/)
  })

  it('after start-up, stdout/stderr writes of app code go to the log (capture_stdio)', async () => {
    const dir = tempDir()
    const log = join(dir, 'server.log')
    const { p, port } = await startServer(
      {
        extra: `workers = 0\nlog_file = ${log}`,
        app: `${join(import.meta.dirname, 'fixtures/printer.mjs')}#app`,
      },
      dir,
    )
    expect((await get(`http://127.0.0.1:${port}/x`)).body).toBe('printed\n')
    p.child.kill('SIGTERM')
    await p.exited
    expect(p.stdout()).toBe('')
    expect(p.stderr()).toBe('')
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    for (const l of lines) expect(l).toMatchObject({ server: 'object-server', pid: p.pid })
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'info', msg: 'STDOUT: printed to stdout by /x' }),
    )
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'STDERR: printed to stderr by /x' }),
    )
    expect(lines.some((l) => /SIGTERM received/.test(l.msg))).toBe(true)
  })
})

describe('privileges', () => {
  const testUser = process.env.FORKLIFT_TEST_USER
  const isRoot = process.getuid?.() === 0

  it.runIf(isRoot)(
    'as root: workers run as the configured user, on a port below 1024',
    async (ctx) => {
      if (!testUser) {
        if (process.env.CI) throw new Error('FORKLIFT_TEST_USER must be set in CI')
        ctx.skip('FORKLIFT_TEST_USER is not set (scripts/test-deps.sh creates it)')
      }
      const ids = execFileSync('id', [testUser!], { encoding: 'utf8' })
      const uid = Number(/uid=(\d+)/.exec(ids)![1])
      const gid = Number(/gid=(\d+)/.exec(ids)![1])
      const groups = execFileSync('id', ['-G', testUser!], { encoding: 'utf8' })
        .trim()
        .split(/\s+/)
        .map(Number)
      let port = 0
      for (let candidate = 900; candidate < 1000 && port === 0; candidate += 7) {
        const srv = createServer()
        const ok = await new Promise<boolean>((r) =>
          srv.once('error', () => r(false)).listen(candidate, '127.0.0.1', () => r(true)),
        )
        if (ok) {
          port = candidate
          await new Promise<void>((r) => srv.close(() => r()))
        }
      }
      expect(port).toBeGreaterThan(0)
      // Workers read the config after dropping privileges, as Swift's do.
      const dir = tempDir()
      chmodSync(dir, 0o755)
      const conf = writeConf(dir, { port, extra: `workers = 2\nuser = ${testUser}` })
      writeFileSync(conf, readFileSync(conf, 'utf8').replace('user =\n', ''))
      const p = await startReady(conf)
      expect((await get(`http://127.0.0.1:${port}/healthcheck`)).status).toBe(200)
      const workers = childPids(p.pid)
      expect(workers).toHaveLength(2)
      for (const w of workers) {
        const status = readFileSync(`/proc/${w}/status`, 'utf8')
        const field = (name: string) =>
          /^(\w+):\s*(.*)$/m.exec(status.split('\n').find((l) => l.startsWith(`${name}:`))!)![2]!
        expect(field('Uid').split(/\s+/).map(Number)).toEqual([uid, uid, uid, uid])
        expect(field('Gid').split(/\s+/).map(Number)).toEqual([gid, gid, gid, gid])
        expect(field('Groups').split(/\s+/).filter(Boolean).map(Number).sort()).toEqual(
          [...groups].sort(),
        )
      }
    },
  )

  it.runIf(!isRoot)(
    'as non-root: asking for another user fails clearly before binding',
    async () => {
      const { port } = serverSocket()
      const conf = writeConf(tempDir(), { port, extra: 'user = root' })
      writeFileSync(conf, readFileSync(conf, 'utf8').replace('user =\n', ''))
      const r = await runBin(BIN, [conf])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/root/)
    },
  )
})
