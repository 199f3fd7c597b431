import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { alive, waitGone } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { APP, collect, Site } from './_helpers.js'

// status --json's live keys: /proc facts for a running (fake) server, which
// keeps no status file; every key present, null or empty, for the others.
const RUNNING_FAKE = {
  started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
  uptime_seconds: expect.any(Number),
  rss_bytes: expect.any(Number),
  worker_count: expect.any(Number),
  worker_pids: expect.any(Array),
  workers: expect.any(Array),
  respawn_count: null,
  last_reload: null,
  status: null,
}
const NOT_RUNNING = {
  started_at: null,
  uptime_seconds: null,
  rss_bytes: null,
  worker_count: null,
  worker_pids: [],
  workers: [],
  respawn_count: null,
  last_reload: null,
  status: null,
}

const MAIN = ['account-server', 'container-server', 'object-server', 'proxy-server']

describe('swift-init arguments', () => {
  it('no arguments: the help, then the error line, exit 1', async () => {
    const r = await new Site().swiftInit([], { bare: true })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^Usage: swift-init <server>\[\.<config>\]/)
    expect(r.stdout).toMatch(/Commands:\n {4}force-reload: alias for reload\n/)
    expect(r.stdout.endsWith('\nERROR: specify server(s) and command\n')).toBe(true)
  })

  it('unknown command: the help, then the error line, exit 1', async () => {
    const r = await new Site().swiftInit(['object', 'frobnicate'])
    expect(r.code).toBe(1)
    expect(r.stdout.endsWith('\nERROR: unknown command, frobnicate\n')).toBe(true)
  })

  it('--help lists every command, exit 0', async () => {
    const r = await new Site().swiftInit(['--help'], { bare: true })
    expect(r.code).toBe(0)
    for (const c of [
      'force-reload',
      'kill',
      'no-daemon',
      'no-wait',
      'once',
      'reload',
      'reload-seamless',
      'restart',
      'shutdown',
      'start',
      'status',
      'stop',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^ *${c}: `, 'm'))
    }
  })

  it("a bad option value: optparse's usage and error line on stderr, exit 2", async () => {
    const r = await new Site().swiftInit(['object', 'status', '-c', 'two'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^Usage: swift-init <server>\[\.<config>\]/)
    expect(r.stderr).toMatch(
      /\n {12}stop: stops a server\n\nswift-init: error: option -c: invalid integer value: 'two'\n$/,
    )
  })

  it('--version: the name and the package version, exit 0', async () => {
    const r = await new Site().swiftInit(['--version'], { bare: true })
    const { version } = JSON.parse(readFileSync(join(APP, 'package.json'), 'utf8'))
    expect([r.code, r.stdout, r.stderr]).toEqual([0, `swift-init ${version}\n`, ''])
  })

  it('an unsafe run dir: one line naming it and why, exit 1, nothing started', async () => {
    const site = new Site().install('object-server')
    site.conf('object-server.conf')
    mkdirSync(site.run, { mode: 0o775 })
    chmodSync(site.run, 0o775)
    const r = await site.swiftInit(['object', 'start'])
    expect([r.code, r.stdout, r.stderr]).toEqual([
      1,
      '',
      `swift-init: refusing run dir ${site.run}: writable by its group (mode 775)\n`,
    ])
    expect(site.eventList()).toEqual([])
  })
})

describe('swift-init end to end', () => {
  it('main start, status, start main again, stop main; exit codes as swift-init', async () => {
    // All four main servers are ours: Debian's may be on PATH too.
    const site = new Site().install(...MAIN)
    const confs = MAIN.map((s) => site.conf(`${s}.conf`))
    let r = await site.swiftInit(['main', 'start'])
    expect([r.code, r.stdout, r.stderr]).toEqual([
      0,
      MAIN.map((s, i) => `Starting ${s}...(${confs[i]})\n`).join(''),
      '',
    ])
    const pids = MAIN.map((s) => site.readPid(`${s}.pid`))
    r = await site.swiftInit(['status', 'main'])
    expect([r.code, r.stdout]).toEqual([
      0,
      MAIN.map((s, i) => `${s} running (${pids[i]} - ${confs[i]})\n`).join(''),
    ])
    r = await site.swiftInit(['start', 'main'])
    expect([r.code, r.stdout]).toEqual([
      0,
      MAIN.map((s, i) => `${s} running (${pids[i]} - ${confs[i]})\n${s} already started...\n`).join(
        '',
      ),
    ])
    r = await site.swiftInit(['object', 'start'])
    expect(r.code).toBe(1)
    r = await site.swiftInit(['main', 'stop'])
    expect(r.code).toBe(0)
    MAIN.forEach((s, i) => {
      expect(r.stdout).toContain(`Signal ${s}  pid: ${pids[i]}  signal: 15\n`)
      expect(r.stdout).toContain(`${s} (${pids[i]}) appears to have stopped\n`)
    })
    r = await site.swiftInit(['main', 'stop'])
    expect([r.code, r.stdout]).toEqual([1, MAIN.map((s) => `No ${s} running\n`).join('')])
    r = await site.swiftInit(['main', 'status'])
    expect(r.code).toBe(1)
  })

  it("start raises swift-init's limits for the servers, or warns for each one it cannot", async () => {
    // Through the built bundle: the limits come from @forklift/posix's addon,
    // which a bundle must load from its own package (a copy inlined in the
    // bundle finds no addon, and all three limits would only warn).
    const site = new Site().install('object-server')
    site.conf('object-server.conf')
    const r = await site.swiftInit(['object', 'start'])
    expect(r.code).toBe(0)
    const pid = site.readPid('object-server.pid')
    const row = (text: string, name: string) =>
      (new RegExp(`^${name} +(\\S+) +(\\S+)`, 'm').exec(text) ?? []).slice(1)
    const limits = readFileSync(`/proc/${pid}/limits`, 'utf8')
    const own = readFileSync('/proc/self/limits', 'utf8')
    for (const [name, what, value] of [
      ['Max open files', 'file descriptor', 32768],
      ['Max data size', 'memory', 2 ** 31],
      ['Max processes', 'max process', 8192],
    ] as const) {
      const warned = r.rawStdout.includes(`WARNING: Unable to modify ${what} limit.`)
      const set = row(limits, name).every((v) => v === String(value))
      expect({ name, set, warned }).toEqual({ name, set: !warned, warned })
      // What this process's hard limit allows is raised without a warning.
      const hard = row(own, name)[1]
      if (hard === 'unlimited' || Number(hard) >= value)
        expect({ name, warned }).toEqual({ name, warned: false })
    }
    expect((await site.swiftInit(['object', 'stop'])).code).toBe(0)
  })

  it('--conf-dir and SWIFT_DIR, -r and the pid files there', async () => {
    const site = new Site().install('object-server')
    const conf = site.conf('object-server.conf')
    const runDir = join(site.root, 'elsewhere', 'run')
    let r = await site.swiftInit(['object', 'start', '-r', runDir], {
      bare: true,
      env: site.env({ SWIFT_DIR: site.etc }),
    })
    expect([r.code, r.stdout]).toEqual([0, `Starting object-server...(${conf})\n`])
    expect(existsSync(join(runDir, 'object-server.pid'))).toBe(true)
    expect(existsSync(join(site.run, 'object-server.pid'))).toBe(false)
    r = await site.swiftInit(['object', 'status', '--conf-dir', site.etc, '--run-dir', runDir], {
      bare: true,
    })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^object-server running \(\d+ - .*object-server\.conf\)\n$/)
    r = await site.swiftInit(['object', 'stop', '--conf-dir', site.etc, '-r', runDir], {
      bare: true,
    })
    expect(r.code).toBe(0)
  })

  it('status --json', async () => {
    const site = new Site().install(...MAIN)
    const obj = site.conf('object-server.conf')
    const proxy = site.conf('proxy-server.conf')
    await site.swiftInit(['object', 'start'])
    const pid = site.readPid('object-server.pid')
    const r = await site.swiftInit(['main', 'status', '--json'])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toEqual([
      {
        server: 'object-server',
        conf_file: obj,
        pid_file: join(site.run, 'object-server.pid'),
        pid,
        state: 'running',
        ...RUNNING_FAKE,
      },
      {
        server: 'proxy-server',
        conf_file: proxy,
        pid_file: join(site.run, 'proxy-server.pid'),
        pid: null,
        state: 'stopped',
        ...NOT_RUNNING,
      },
    ])
    const start = await site.swiftInit(['main', 'start', '--json'])
    expect(start.code).toBe(2)
    expect(start.stderr).toContain('\nswift-init: error: --json applies to status only\n')
  })

  it('--strict and --non-strict: the last one wins', async () => {
    const site = new Site().install(...MAIN)
    site.conf('object-server.conf')
    let r = await site.swiftInit(['object', 'proxy', 'no-wait', '--strict', '--non-strict'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Unable to locate config for proxy-server\n')
    await site.swiftInit(['object', 'stop'])
    r = await site.swiftInit(['main', 'no-wait', '--non-strict', '--strict'])
    expect(r.code).toBe(1)
  })

  it('-k 1 on a server ignoring SIGTERM gives up; --kill-after-timeout kills it', async () => {
    const site = new Site().install('object-server')
    site.conf('object-server.conf', { ignore_sigterm: 'true' })
    await site.swiftInit(['object', 'start'])
    const pid = site.readPid('object-server.pid')
    let r = await site.swiftInit(['object', 'stop', '-k', '1'])
    expect([r.code, r.stdout]).toEqual([
      1,
      `Signal object-server  pid: ${pid}  signal: 15\nWaited 1 seconds for object-server to die; giving up\n`,
    ])
    expect(alive(pid)).toBe(true)
    r = await site.swiftInit(['object', 'stop', '--kill-wait', '1', '--kill-after-timeout'])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('Waited 1 seconds for object-server to die; killing\n')
    expect(r.stdout).toContain(`Signal object-server  pid: ${pid}  signal: 9\n`)
    await waitGone(pid)
  })

  it('no-daemon in the foreground; Ctrl-C (SIGINT) stops the servers', async () => {
    const site = new Site().install('object-server')
    const conf = site.conf('object-server.conf')
    const child = site.spawn(['object', 'no-daemon'])
    const done = collect(child)
    const started = await site.waitForEvent('started')
    child.kill('SIGINT')
    const r = await done
    expect(r.code).toBe(0)
    // The server shares our stdout in the foreground: its own line is there too.
    expect(r.stdout).toBe(
      `Starting object-server...(${conf})\nswift-object-server listening on ${started.port}\n\nuser quit\nSignal object-server  pid: ${started.pid}  signal: 15\nobject-server (${started.pid}) appears to have stopped\n`,
    )
    await waitGone(started.pid)
  })

  it("cannot create the run dir: swift-init's line, exit 1", async () => {
    const site = new Site().install('object-server')
    site.conf('object-server.conf')
    writeFileSync(join(site.root, 'blocker'), '')
    const r = await site.swiftInit(
      ['object', 'start', '--conf-dir', site.etc, '-r', join(site.root, 'blocker', 'run')],
      { bare: true },
    )
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`Unable to create ${join(site.root, 'blocker', 'run')}`)
  })
})
