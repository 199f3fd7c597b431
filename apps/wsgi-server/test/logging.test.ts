// Swift's log options, end to end: real server processes (the built bins),
// receivers bound by the test (a unix datagram socket, a UDP socket), a
// rotated log file, a planted symlink. No test depends on /dev/log: each
// conf names its own log_address or log_file.
import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { once } from 'node:events'
import { readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { UnixDatagramSocket } from '@forklift/posix/unix-dgram'
import { alive, childPids, tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { BIN_DIR, get, runBin, serverSocket, startBin, waitFor, writeConf } from './helpers.js'

const BIN = 'swift-object-server'
const PRINTER = `${join(import.meta.dirname, 'fixtures/printer.mjs')}#app`

/** A unix datagram socket bound by the test in a temp dir: a syslog daemon's /dev/log. */
function unixReceiver(dir: string): { path: string; lines: () => string[] } {
  const path = join(dir, 'log.sock')
  const got: string[] = []
  const socket = new UnixDatagramSocket().bind(path)
  socket.on('message', (m) => got.push(m.data.toString('utf8')))
  onTestFinished(() => socket.close())
  return { path, lines: () => got }
}

/** A UDP socket on 127.0.0.1 bound by the test: a syslog daemon's port 514. */
async function udpReceiver(): Promise<{ port: number; lines: () => string[] }> {
  const got: string[] = []
  const socket = createSocket('udp4')
  socket.on('message', (m) => got.push(m.toString('utf8')))
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening')
  onTestFinished(() => {
    socket.close()
  })
  return { port: socket.address().port, lines: () => got }
}

/** A server with a conf of its own (`extra` under [DEFAULT]) on a port the test holds, started and ready. */
async function startServer(dir: string, extra: string, app?: string) {
  const socket = serverSocket()
  const conf = writeConf(dir, { port: socket.port, extra, ...(app ? { app } : {}) })
  const p = startBin(BIN, [conf], {}, [], socket)
  await p.ready()
  return { p, port: socket.port, conf }
}

/** The parsed JSON records of a log file. */
function records(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('syslog (log_address, log_udp_host, log_facility)', () => {
  it('parent and every worker reach a unix datagram log_address as <PRI>name[pid]: message', async () => {
    const dir = tempDir()
    const syslog = unixReceiver(dir)
    const { p, port } = await startServer(
      dir,
      `workers = 2\nlog_address = ${syslog.path}\nlog_facility = LOG_LOCAL2\nlog_level = DEBUG`,
      PRINTER,
    )
    const workers = childPids(p.pid)
    expect(workers).toHaveLength(2)
    expect((await get(`http://127.0.0.1:${port}/x`)).body).toBe('printed\n')
    // LOG_LOCAL2 = 18: info 18*8+6 = 150, debug 151, error 147
    await waitFor(
      () =>
        syslog
          .lines()
          .some((l) =>
            l.startsWith(`<150>object-server[${p.pid}]: STDOUT: printed to stdout by /x`),
          ),
      'a worker stdout line relayed at info',
    )
    await waitFor(
      () =>
        syslog
          .lines()
          .some((l) =>
            l.startsWith(`<147>object-server[${p.pid}]: STDERR: printed to stderr by /x`),
          ),
      'a worker stderr line relayed at error',
    )
    for (const w of workers) {
      // a worker's own record keeps its pid in the tag
      expect(syslog.lines()).toContainEqual(
        expect.stringMatching(new RegExp(`^<151>object-server\\[${w}\\]: pipeline: app loaded`)),
      )
    }
    expect(syslog.lines()).toContainEqual(
      expect.stringMatching(new RegExp(`^<150>object-server\\[${p.pid}\\]: workers listening: 2`)),
    )
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
    await waitFor(
      () => syslog.lines().some((l) => l === `<150>object-server[${p.pid}]: Exited (${p.pid})`),
      'the exit line',
    )
    // nothing on the terminal: syslog took every line
    expect(p.stderr()).toBe('')
    for (const l of syslog.lines()) expect(l).toMatch(/^<1(4[4-9]|5[01])>object-server\[\d+\]: /)
  })

  it('an abstract log_address (@name) reaches a receiver bound to that exact name', async () => {
    const name = `@forklift-logwire-${process.pid}-${Date.now()}`
    const got: string[] = []
    const socket = new UnixDatagramSocket().bind(name)
    socket.on('message', (m) => got.push(m.data.toString('utf8')))
    onTestFinished(() => socket.close())
    const { p } = await startServer(tempDir(), `workers = 1\nlog_address = ${name}`)
    await waitFor(
      () => got.some((l) => l.startsWith(`<134>object-server[${p.pid}]: workers listening: 1`)),
      'the parent line at the abstract address',
    )
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
    expect(p.stderr()).toBe('')
  })

  it('log_udp_host/log_udp_port: lines go over UDP with log_name and log_facility', async () => {
    const dir = tempDir()
    const udp = await udpReceiver()
    const { p } = await startServer(
      dir,
      `workers = 1\nlog_udp_host = 127.0.0.1\nlog_udp_port = ${udp.port}\nlog_facility = LOG_LOCAL5\nlog_name = my-objects`,
    )
    // LOG_LOCAL5 = 21: info 21*8+6 = 174
    await waitFor(
      () =>
        udp.lines().some((l) => l.startsWith(`<174>my-objects[${p.pid}]: workers listening: 1`)),
      'the parent line over UDP',
    )
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
    expect(p.stderr()).toBe('')
  })

  it('no log_file and no syslog socket: standard error, after exactly one warning', async () => {
    const dir = tempDir()
    const missing = join(dir, 'no-such-log.sock')
    const { p, port } = await startServer(dir, `workers = 2\nlog_address = ${missing}`, PRINTER)
    await get(`http://127.0.0.1:${port}/x`)
    await waitFor(
      () => p.stderr().includes('STDOUT: printed to stdout by /x'),
      'the worker line on stderr',
    )
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
    const lines = p
      .stderr()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    const warnings = lines.filter((l) => String(l.msg).includes('logging to standard error'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ level: 'warn', pid: p.pid })
    expect(String(warnings[0]!.msg)).toContain(`log_address ${missing} is unusable (no such file)`)
    expect(lines.some((l) => l.msg === `Exited (${p.pid})`)).toBe(true)
  })

  it('an unknown log_facility is one line naming file, section and key; nothing starts', async () => {
    const dir = tempDir()
    const conf = writeConf(dir, { port: serverSocket().port, extra: 'log_facility = LOG_LOCAL9' })
    const r = await runBin(BIN, [conf])
    expect(r.code).toBe(1)
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`${conf} [app:object-server] log_facility: unknown facility`)
  })
})

describe('log_file', () => {
  it('SIGUSR2 reopens log_file: new lines land in the new file, no request fails, none is lost', async () => {
    const dir = tempDir()
    const log = join(dir, 'object-server.log')
    const { p, port } = await startServer(dir, `workers = 2\nlog_file = ${log}`, PRINTER)
    const workers = childPids(p.pid)
    // requests all through the rotation, each with a line of its own
    let n = 0
    let stop = false
    const statuses: Array<number | string> = []
    const load = (async () => {
      while (!stop) {
        const i = n++
        const r = await get(`http://127.0.0.1:${port}/r${i}`).catch((e: Error) => e.message)
        statuses.push(typeof r === 'string' ? r : r.status)
      }
    })()
    await waitFor(() => n > 20, 'requests before the rotation')
    renameSync(log, `${log}.1`)
    p.child.kill('SIGUSR2')
    await waitFor(() => {
      try {
        return records(log).some((r) => r.msg === 'log file reopened')
      } catch {
        return false
      }
    }, 'the reopened log file')
    const after = n
    await waitFor(() => n > after + 20, 'requests after the rotation')
    stop = true
    await load
    await waitFor(
      () => records(log).some((r) => r.msg === `STDOUT: printed to stdout by /r${n - 1}`),
      'the last request line',
    )
    // the same workers served throughout: SIGUSR2 is the parent's alone
    expect(childPids(p.pid).sort()).toEqual([...workers].sort())
    expect(workers.every(alive)).toBe(true)
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    expect(statuses).toHaveLength(n)
    const old = records(`${log}.1`)
    const now = records(log)
    expect(now[0]).toMatchObject({ level: 'info', msg: 'log file reopened', pid: p.pid })
    expect(now.some((r) => r.msg === `Exited (${p.pid})`)).toBe(true)
    // every request's line is in exactly one of the two files
    const seen = new Map<string, number>()
    for (const r of [...old, ...now]) {
      const m = /^STDOUT: printed to stdout by \/r(\d+)$/.exec(String(r.msg))
      if (m) seen.set(m[1]!, (seen.get(m[1]!) ?? 0) + 1)
    }
    for (let i = 0; i < n; i++) expect(seen.get(String(i)), `request ${i}`).toBe(1)
    expect(old.some((r) => /by \/r0$/.test(String(r.msg)))).toBe(true)
    expect(now.some((r) => new RegExp(`by /r${n - 1}$`).test(String(r.msg)))).toBe(true)
  })

  it('a planted symlink at log_file is refused in one line; its target is unchanged', async () => {
    const dir = tempDir()
    const target = join(dir, 'root-only')
    writeFileSync(target, 'secret\n', { mode: 0o600 })
    const before = statSync(target)
    const log = join(dir, 'object-server.log')
    symlinkSync(target, log)
    const conf = writeConf(dir, {
      port: serverSocket().port,
      extra: `workers = 1\nlog_file = ${log}`,
    })
    const r = await runBin(BIN, [conf])
    expect(r.code).toBe(1)
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(`${conf} [app:object-server] log_file:`)
    expect(lines[0]).toMatch(/symlink/)
    expect(readFileSync(target, 'utf8')).toBe('secret\n')
    expect(statSync(target).size).toBe(before.size)
    expect(statSync(target).mtimeMs).toBe(before.mtimeMs)
  })

  it('a missing log directory is refused (not created) unless log_file_mkdir', async () => {
    const dir = tempDir()
    const log = join(dir, 'logs', 'object-server.log')
    const conf = writeConf(dir, {
      port: serverSocket().port,
      extra: `workers = 0\nlog_file = ${log}`,
    })
    const r = await runBin(BIN, [conf, '--test-config'])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain('log_file:')
    const ok = writeConf(dir, {
      port: serverSocket().port,
      extra: `workers = 0\nlog_file = ${log}\nlog_file_mkdir = true`,
    })
    const r2 = await runBin(BIN, [ok, '--test-config'])
    expect(r2).toMatchObject({ code: 0 })
    expect(statSync(join(dir, 'logs')).isDirectory()).toBe(true)
  })

  it('a fatal start-up error is written to the configured log too', async () => {
    const dir = tempDir()
    const log = join(dir, 'object-server.log')
    const conf = writeConf(dir, {
      port: serverSocket().port,
      extra: `workers = 1\nlog_file = ${log}`,
      app: `${join(dir, 'no-such-app.mjs')}#app`,
    })
    const r = await runBin(BIN, [conf])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    const fatal = records(log).filter((l) => l.level === 'fatal')
    expect(fatal).toHaveLength(1)
    expect(String(fatal[0]!.msg)).toMatch(/^start-up failed: .*no-such-app/)
  })
})

describe('daemons (run_daemon)', () => {
  /** The sample daemon's conf (`extra` under [object-replicator]). */
  function daemonConf(dir: string, extra: string): string {
    const file = join(dir, 'object-replicator.conf')
    writeFileSync(file, `[DEFAULT]\nuser =\ndevices = ${dir}\n\n[object-replicator]\n${extra}\n`)
    return file
  }

  it('a daemon logs to syslog with its facility, and reopens log_file on SIGUSR2', async () => {
    const dir = tempDir()
    const syslog = unixReceiver(dir)
    const conf = daemonConf(
      dir,
      `interval = 0.1\nlog_address = ${syslog.path}\nlog_facility = LOG_DAEMON`,
    )
    const d = startBin('swift-object-replicator', [conf])
    await d.ready()
    // LOG_DAEMON = 3: info 3*8+6 = 30
    await waitFor(
      () =>
        syslog
          .lines()
          .some((l) =>
            l.startsWith(`<30>object-replicator[${d.pid}]: Object replication pass 2 complete`),
          ),
      'two passes in syslog',
    )
    d.child.kill('SIGTERM')
    expect(await d.exited).toEqual({ code: 0, signal: null })
    expect(d.stderr()).toBe('')

    const log = join(dir, 'replicator.log')
    const conf2 = daemonConf(dir, `interval = 0.1\nlog_file = ${log}`)
    const r = startBin('swift-object-replicator', [conf2])
    await r.ready()
    await waitFor(() => /pass 2 complete/.test(readFileSync(log, 'utf8')), 'two passes in the file')
    renameSync(log, `${log}.1`)
    r.child.kill('SIGUSR2')
    await waitFor(() => {
      try {
        return /pass \d+ complete/.test(readFileSync(log, 'utf8'))
      } catch {
        return false
      }
    }, 'a pass in the new file')
    r.child.kill('SIGTERM')
    expect(await r.exited).toEqual({ code: 0, signal: null })
    expect(records(log)[0]).toMatchObject({ msg: 'log file reopened', pid: r.pid })
    expect(records(`${log}.1`).some((l) => /pass 1 complete/.test(String(l.msg)))).toBe(true)
  })
})

describe('--test-config checks the log options of a daemon too', () => {
  it("a planted log_file symlink fails the daemon's --test-config in one line", async () => {
    const dir = tempDir()
    const target = join(dir, 'target')
    writeFileSync(target, 'keep\n')
    symlinkSync(target, join(dir, 'd.log'))
    const file = join(dir, 'object-replicator.conf')
    writeFileSync(
      file,
      `[DEFAULT]\nuser =\n\n[object-replicator]\nlog_file = ${join(dir, 'd.log')}\n`,
    )
    const r = await runBin('swift-object-replicator', [file, '--test-config'])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain(`${file} [object-replicator] log_file:`)
    expect(readFileSync(target, 'utf8')).toBe('keep\n')
  })
})

describe('formats', () => {
  it('log_format = text: lines a person reads', async () => {
    const dir = tempDir()
    const log = join(dir, 'object-server.log')
    const { p } = await startServer(dir, `workers = 1\nlog_file = ${log}\nlog_format = text`)
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
    const text = readFileSync(log, 'utf8')
    expect(text).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  object-server\\[${p.pid}\\]: workers listening: 1`,
        'm',
      ),
    )
    expect(text).not.toContain('{"level"')
  })

  it('stderr on a terminal: text lines (and JSON when it is a pipe)', async () => {
    const dir = tempDir()
    const conf = writeConf(dir, {
      port: serverSocket().port,
      extra: 'workers = 0\nlog_level = DEBUG',
    })
    // Debian's Python gives the server a pseudo-terminal as stdin/stdout/stderr.
    const child = spawn(
      '/usr/bin/python3',
      [
        '-c',
        'import pty, sys; pty.spawn(sys.argv[1:])',
        process.execPath,
        join(BIN_DIR, BIN),
        conf,
        '--test-config',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } },
    )
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL')
    })
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    const [code] = (await once(child, 'exit')) as [number]
    expect(code).toBe(0)
    expect(out).toMatch(/ DEBUG object-server\[\d+\]: pipeline: app loaded/)
    expect(out).not.toContain('{"level"')
    const piped = await runBin(BIN, [conf, '--test-config'])
    expect(JSON.parse(piped.stderr.trim().split('\n')[0]!)).toMatchObject({
      level: 'debug',
      server: 'object-server',
    })
  })
})

describe('under a starter that reads one pipe (swift-init)', () => {
  it('no log_file and no syslog: the warnings reach the starter, then stderr closes for readiness', async () => {
    const dir = tempDir()
    const socket = serverSocket()
    const conf = writeConf(dir, {
      port: socket.port,
      extra: `workers = 1\nlog_address = ${join(dir, 'none.sock')}`,
    })
    // stderr on stdout's pipe, as Python swift-init passes them
    const p = startBin(
      BIN,
      [conf],
      {},
      ['sh', '-c', 'exec "$0" "$@" 2>&1', process.execPath],
      socket,
    )
    await p.ready()
    const out = p.stdout()
    expect(out).toContain('logging to standard error')
    expect(out).toContain('closes now: later log lines are lost (set log_file')
    expect(out.match(/logging to standard error/g)).toHaveLength(1)
    p.child.kill('SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
  })
})
