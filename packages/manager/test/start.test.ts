import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { launcherHeader } from '@forklift/posix/launch'
import { alive, waitGone } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { FIXTURE, Sandbox } from './_sandbox.js'

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

describe('starting', () => {
  it('a server that dies while starting: its output and a non-zero status', async () => {
    const sb = new Sandbox().install('object-server', 'proxy-server')
    const bad = sb.conf('object-server.conf', { fail_at_start: 'ERROR: bind_port is required' })
    const good = sb.conf('proxy-server.conf')
    expect(await sb.manager(['object', 'proxy']).start()).toBe(1)
    expect(sb.take()).toBe(
      `Starting object-server...(${bad})\nStarting proxy-server...(${good})\nERROR: bind_port is required\n\n`,
    )
    expect(alive(sb.readPid('proxy-server.pid'))).toBe(true)
  })

  it('a server that dies silently while starting still fails the start', async () => {
    const sb = new Sandbox()
    const conf = sb.conf('object-server.conf')
    writeFileSync(`${sb.bin}/swift-object-server`, '#!/bin/sh\nexit 3\n', { mode: 0o755 })
    expect(await sb.manager(['object']).start()).toBe(1)
    expect(sb.take()).toBe(`Starting object-server...(${conf})\n`)
  })

  it('a start that fails leaves no pid file naming the dead pid', async () => {
    const sb = new Sandbox().install('object-server', 'proxy-server')
    sb.conf('object-server.conf', { fail_at_start: 'ERROR: bind_port is required' })
    sb.conf('proxy-server.conf')
    writeFileSync(`${sb.bin}/swift-account-server`, '#!/bin/sh\nexit 3\n', { mode: 0o755 })
    sb.conf('account-server.conf')
    expect(await sb.manager(['object', 'proxy', 'account']).start()).toBe(1)
    expect(existsSync(sb.pidFile('object-server.pid'))).toBe(false)
    expect(existsSync(sb.pidFile('account-server.pid'))).toBe(false)
    expect(alive(sb.readPid('proxy-server.pid'))).toBe(true)
  })

  it('the run dir is checked before anything is spawned: an unsafe one fails the start whole', async () => {
    const sb = new Sandbox().install('object-server', 'proxy-server')
    sb.conf('proxy-server.conf')
    sb.conf('object-server/1.conf')
    mkdirSync(join(sb.run, 'object-server'), { recursive: true, mode: 0o755 })
    // proxy-server.pid would go in the (safe) run dir; object-server/1.pid
    // in a group-writable subdir: nothing at all may start.
    chmodSync(join(sb.run, 'object-server'), 0o775)
    await expect(sb.manager(['proxy', 'object']).start()).rejects.toThrow(
      `refusing run dir ${sb.run}: ${join(sb.run, 'object-server')} is writable by its group (mode 775)`,
    )
    expect(sb.take()).toBe('')
    expect(sb.eventList()).toEqual([])
    expect(readdirSync(sb.run)).toEqual(['object-server'])
  })

  it('output that is only a warning: printed, the server lives, status 0', async () => {
    const sb = new Sandbox().install('object-server')
    const conf = sb.conf('object-server.conf', { say: 'WARNING: running without mount_check' })
    const t0 = Date.now()
    expect(await sb.manager(['object']).start()).toBe(0)
    // swift waits WARNING_WAIT (3 s) to see whether the server dies after printing.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_900)
    expect(sb.take()).toBe(
      `Starting object-server...(${conf})\nWARNING: running without mount_check\n\n`,
    )
    expect(alive(sb.readPid('object-server.pid'))).toBe(true)
  })

  it('a binary that vanished: "does not exist"', async () => {
    const sb = new Sandbox().install('object-server')
    const conf = sb.conf('object-server.conf')
    const m = sb.manager(['object'])
    rmSync(`${sb.bin}/swift-object-server`)
    expect(await m.start()).toBe(1)
    expect(sb.take()).toBe(
      `Starting object-server...(${conf})\nswift-object-server does not exist\n`,
    )
  })

  it('no-wait: returns at once, the server comes up on its own', async () => {
    const sb = new Sandbox().install('object-server')
    const conf = sb.conf('object-server.conf', { say: 'never read' })
    expect(await sb.manager(['object']).noWait()).toBe(0)
    // Its output is never read: no 3 s warning wait, nothing printed.
    expect(sb.take()).toBe(`Starting object-server...(${conf})\n`)
    const started = await sb.waitForEvent((e) => e.event === 'started')
    expect(started.pid).toBe(sb.readPid('object-server.pid'))
  })

  it('once on a daemon: "Running ... once", waits for the pass to end', async () => {
    const sb = new Sandbox().install('object-replicator')
    const conf = sb.conf('object-server.conf', { once_seconds: '0.3' })
    expect(await sb.manager(['object-replicator']).once()).toBe(0)
    expect(sb.take()).toBe(`Running object-replicator once...(${conf})\n`)
    const events = sb.eventList()
    expect(events.map((e) => e.event)).toEqual(['started', 'once-done'])
    expect(events[0]!.argv).toEqual([conf, 'once'])
    await waitGone(events[0]!.pid)
  })

  it('once on a main server returns when it is up (swift never returns)', async () => {
    const sb = new Sandbox().install('object-server')
    const conf = sb.conf('object-server.conf')
    expect(await sb.manager(['object']).start({ once: true })).toBe(0)
    expect(sb.take()).toBe(`Starting object-server...(${conf})\n`)
    const [started] = sb.eventList()
    expect(started!.argv).toEqual([conf])
    expect(alive(started!.pid)).toBe(true)
  })

  it('no-daemon: foreground with `verbose`, abort (Ctrl-C) stops it', async () => {
    const sb = new Sandbox().install('object-server')
    const conf = sb.conf('object-server.conf')
    const ac = new AbortController()
    const done = sb.manager(['object']).noDaemon({ signal: ac.signal })
    const started = await sb.waitForEvent((e) => e.event === 'started')
    expect(started.argv).toEqual([conf, 'verbose'])
    expect(sb.readPid('object-server.pid')).toBe(started.pid)
    ac.abort()
    expect(await done).toBe(0)
    expect(sb.take()).toBe(
      [
        `Starting object-server...(${conf})`,
        '',
        'user quit',
        `Signal object-server  pid: ${started.pid}  signal: 15`,
        `object-server (${started.pid}) appears to have stopped`,
        '',
      ].join('\n'),
    )
    await waitGone(started.pid)
  })

  it('no-daemon: returns when the server exits, status by its exit code', async () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server.conf', { fail_at_start: 'boom', exit_code: 2 })
    expect(await sb.manager(['object']).noDaemon()).toBe(1)
    expect(existsSync(sb.pidFile('object-server.pid'))).toBe(false)
  })

  it('raises resource limits before spawning, warning when not permitted', async () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server.conf')
    const m = sb.manager(['object'], { raiseLimits: true })
    expect(await m.start()).toBe(0)
    const limits = readFileSync(`/proc/${sb.readPid('object-server.pid')}/limits`, 'utf8')
    const out = sb.take()
    // Each limit is either in force in the child, or swift-init's warning says why not
    // (not root, or above what the kernel allows, e.g. fs.nr_open < 32768).
    for (const [row, value, words] of [
      ['Max open files', 32768, 'file descriptor'],
      ['Max data size', 2147483648, 'memory'],
      ['Max processes', 8192, 'max process'],
    ] as const) {
      const applied = new RegExp(`${row}\\s+${value}\\s+${value}`).test(limits)
      const warned = out.includes(
        `WARNING: Unable to modify ${words} limit.  Running as non-root?\n`,
      )
      expect(applied !== warned, `${row}: applied=${applied} warned=${warned}`).toBe(true)
    }
    if (process.getuid?.() === 0) expect(limits).toMatch(/Max processes\s+8192\s+8192/)
  })
})

describe('status --json', () => {
  it('one entry per instance with its state; changes nothing', async () => {
    const sb = new Sandbox().install('object-server', 'proxy-server')
    const c1 = sb.conf('object-server/1.conf')
    const c2 = sb.conf('object-server/2.conf')
    const proxy = sb.conf('proxy-server.conf')
    await sb.manager(['object.1']).start()
    const pid = sb.readPid('object-server/1.pid')
    writeFileSync(sb.pidFile('object-server/2.pid'), 'junk')
    sb.take()
    const report = sb.manager(['main']).statusReport()
    expect(report.status).toBe(1)
    expect(report.instances).toEqual([
      {
        server: 'object-server',
        conf_file: c1,
        pid_file: sb.pidFile('object-server/1.pid'),
        pid,
        state: 'running',
        ...RUNNING_FAKE,
      },
      {
        server: 'object-server',
        conf_file: c2,
        pid_file: sb.pidFile('object-server/2.pid'),
        pid: null,
        state: 'invalid',
        ...NOT_RUNNING,
      },
      {
        server: 'proxy-server',
        conf_file: proxy,
        pid_file: sb.pidFile('proxy-server.pid'),
        pid: null,
        state: 'stopped',
        ...NOT_RUNNING,
      },
    ])
    expect(sb.take()).toBe('')
    expect(existsSync(sb.pidFile('object-server/2.pid'))).toBe(true)
    expect(sb.manager(['object']).statusReport().status).toBe(0)
  })

  it("a forklift launcher binary is exec'd as its launcher would exec it, without its shell part", async () => {
    const sb = new Sandbox()
    // The fixture behind @forklift/posix's launcher header, as the apps' bin files are.
    const body = readFileSync(FIXTURE, 'utf8').replace(/^#!.*\n/, '')
    for (const s of ['object-server', 'proxy-server']) {
      writeFileSync(join(sb.bin, `swift-${s}`), launcherHeader() + body, { mode: 0o755 })
    }
    // FORKLIFT_NODE, the launcher's Node, logs each run: a launcher probes
    // (`-v`) and then execs, every time; the manager probes once.
    const calls = join(sb.root, 'node-calls')
    const node = join(sb.root, 'node')
    writeFileSync(node, `#!/bin/sh\necho "$*" >> ${calls}\nexec ${process.execPath} "$@"\n`, {
      mode: 0o755,
    })
    const confs = ['object-server/1.conf', 'object-server/2.conf', 'proxy-server.conf'].map((c) =>
      sb.conf(c),
    )
    const env = { ...process.env, FORKLIFT_NODE: node }
    expect(await sb.manager(['object', 'proxy'], { env }).start()).toBe(0)
    const lines = readFileSync(calls, 'utf8').trim().split('\n')
    expect(lines.filter((l) => l === '--disable-sigusr1 -v')).toHaveLength(1)
    expect(lines.filter((l) => l !== '--disable-sigusr1 -v').sort()).toEqual(
      confs
        .map(
          (c, i) =>
            `--disable-sigusr1 ${join(sb.bin, i < 2 ? 'swift-object-server' : 'swift-proxy-server')} ${c}`,
        )
        .sort(),
    )
    // The same server as through the launcher: its own pid, SIGUSR1 blocked
    // from exec on, and the one status and stop see.
    for (const [rel, name] of [
      ['object-server/1.pid', 'swift-object-server'],
      ['proxy-server.pid', 'swift-proxy-server'],
    ] as const) {
      const pid = sb.readPid(rel)
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
      expect(cmdline.slice(1, 3)).toEqual(['--disable-sigusr1', join(sb.bin, name)])
      const started = sb.eventList().find((e) => e.pid === pid && e.event === 'started')
      expect(started?.argv).toEqual([confs[rel.startsWith('proxy') ? 2 : 0]])
    }
    expect(await sb.manager(['object', 'proxy'], { env }).status()).toBe(0)
    expect(await sb.manager(['object', 'proxy'], { env }).stop()).toBe(0)
  })
})
