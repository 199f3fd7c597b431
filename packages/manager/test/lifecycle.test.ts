import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { UnixDatagramSocket } from '@forklift/posix/unix-dgram'
import { alive, waitGone } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Sandbox } from './_sandbox.js'

describe('start, status, stop', () => {
  it('starts several servers, reports them, stops them', async () => {
    const sb = new Sandbox().install('object-server', 'container-server', 'proxy-server')
    const obj = sb.conf('object-server.conf')
    const cont = sb.conf('container-server.conf')
    const proxy = sb.conf('proxy-server.conf')

    expect(await sb.manager(['object', 'container', 'proxy']).start()).toBe(0)
    expect(sb.take()).toBe(
      [
        `Starting container-server...(${cont})`,
        `Starting object-server...(${obj})`,
        `Starting proxy-server...(${proxy})`,
        '',
      ].join('\n'),
    )
    const started = sb.eventList().filter((e) => e.event === 'started')
    expect(started).toHaveLength(3)
    for (const e of started) expect(e.port).toBeGreaterThan(0)
    const pid = {
      object: sb.readPid('object-server.pid'),
      container: sb.readPid('container-server.pid'),
      proxy: sb.readPid('proxy-server.pid'),
    }
    expect(started.map((e) => e.pid).sort()).toEqual(Object.values(pid).sort())

    expect(await sb.manager(['object', 'container', 'proxy']).status()).toBe(0)
    expect(sb.take()).toBe(
      [
        `container-server running (${pid.container} - ${cont})`,
        `object-server running (${pid.object} - ${obj})`,
        `proxy-server running (${pid.proxy} - ${proxy})`,
        '',
      ].join('\n'),
    )

    expect(await sb.manager(['object', 'container', 'proxy']).stop()).toBe(0)
    const out = sb.take()
    expect(out).toContain(`Signal container-server  pid: ${pid.container}  signal: 15\n`)
    expect(out).toContain(`Signal object-server  pid: ${pid.object}  signal: 15\n`)
    expect(out).toContain(`Signal proxy-server  pid: ${pid.proxy}  signal: 15\n`)
    expect(out).toContain(`object-server (${pid.object}) appears to have stopped\n`)
    expect(out).toContain(`proxy-server (${pid.proxy}) appears to have stopped\n`)
    expect(out).toContain(`container-server (${pid.container}) appears to have stopped\n`)
    // "appears to have stopped" once it is exiting; it is gone a moment later.
    for (const p of Object.values(pid)) await waitGone(p)
    expect(existsSync(sb.pidFile('object-server.pid'))).toBe(false)
    expect(sb.eventList().filter((e) => e.event === 'SIGTERM')).toHaveLength(3)

    expect(await sb.manager(['object', 'container', 'proxy']).status()).toBe(1)
    expect(sb.take()).toBe(
      'No container-server running\nNo object-server running\nNo proxy-server running\n',
    )
  })

  it('start when already running: names the running one, strict exit 1, alias exit 0', async () => {
    const sb = new Sandbox().install('object-server')
    const conf = sb.conf('object-server.conf')
    expect(await sb.manager(['object']).start()).toBe(0)
    const pid = sb.readPid('object-server.pid')
    sb.take()
    expect(await sb.manager(['object']).start()).toBe(1)
    expect(sb.take()).toBe(
      `object-server running (${pid} - ${conf})\nobject-server already started...\n`,
    )
    expect(await sb.manager(['main']).start()).toBe(0)
    expect(sb.take()).toBe(
      `object-server running (${pid} - ${conf})\nobject-server already started...\n`,
    )
    expect(sb.eventList().filter((e) => e.event === 'started')).toHaveLength(1)
  })

  it('stop when none is running', async () => {
    const sb = new Sandbox().install('object-server', 'proxy-server')
    sb.conf('object-server.conf')
    expect(await sb.manager(['object', 'proxy']).stop()).toBe(1)
    expect(sb.take()).toBe('No object-server running\nNo proxy-server running\n')
  })

  it('a server whose binary is not installed is ignored; none at all is exit 1 in silence', async () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server.conf')
    sb.conf('proxy-server.conf')
    expect(await sb.manager(['proxy']).status()).toBe(1)
    expect(sb.take()).toBe('')
    expect(await sb.manager(['nonsense-thing']).start()).toBe(1)
    expect(sb.take()).toBe('')
    expect(sb.manager(['object', 'proxy']).servers.map(String)).toEqual(['object-server'])
  })

  it('restart stops then starts', async () => {
    const sb = new Sandbox().install('object-server')
    const conf = sb.conf('object-server.conf')
    await sb.manager(['object']).start()
    const before = sb.readPid('object-server.pid')
    sb.take()
    expect(await sb.manager(['object']).restart()).toBe(0)
    const after = sb.readPid('object-server.pid')
    expect(after).not.toBe(before)
    expect(sb.take()).toBe(
      [
        `Signal object-server  pid: ${before}  signal: 15`,
        `object-server (${before}) appears to have stopped`,
        `Starting object-server...(${conf})`,
        '',
      ].join('\n'),
    )
    await waitGone(before)
    expect(alive(after)).toBe(true)
  })
})

describe('graceful and seamless signals', () => {
  it('reload: SIGHUP to a main server, then a new one', async () => {
    const sb = new Sandbox().install('object-server')
    const conf = sb.conf('object-server.conf')
    await sb.manager(['object']).start()
    const before = sb.readPid('object-server.pid')
    sb.take()
    expect(await sb.manager(['object']).reload()).toBe(0)
    expect(sb.take()).toBe(
      [
        `Signal object-server  pid: ${before}  signal: 1`,
        `object-server (${before}) appears to have stopped`,
        `Starting object-server...(${conf})`,
        '',
      ].join('\n'),
    )
    expect(sb.eventList().map((e) => e.event)).toEqual(['started', 'SIGHUP', 'started'])
    expect(alive(sb.readPid('object-server.pid'))).toBe(true)
  })

  it('shutdown: SIGHUP where supported (main), SIGTERM elsewhere', async () => {
    const sb = new Sandbox().install('object-server', 'object-replicator')
    sb.conf('object-server.conf')
    await sb.manager(['object-server', 'object-replicator']).start()
    const server = sb.readPid('object-server.pid')
    const repl = sb.readPid('object-replicator.pid')
    sb.take()
    expect(await sb.manager(['object-server', 'object-replicator']).shutdown()).toBe(0)
    const out = sb.take()
    expect(out).toContain(`Signal object-server  pid: ${server}  signal: 1\n`)
    expect(out).toContain(`Signal object-replicator  pid: ${repl}  signal: 15\n`)
    const signals = sb.eventList().filter((e) => e.event.startsWith('SIG'))
    expect(signals.map((e) => [e.pid, e.event]).sort()).toEqual(
      [
        [server, 'SIGHUP'],
        [repl, 'SIGTERM'],
      ].sort(),
    )
  })

  it('reload-seamless: SIGUSR1, then the server says it is done; nothing running is exit 1', async () => {
    const sb = new Sandbox().install('object-server', 'proxy-server')
    sb.conf('object-server.conf')
    sb.conf('proxy-server.conf')
    await sb.manager(['object']).start()
    const pid = sb.readPid('object-server.pid')
    sb.take()
    expect(await sb.manager(['object']).reloadSeamless()).toBe(0)
    expect(sb.take()).toBe(`Signal object-server  pid: ${pid}  signal: 10\n`)
    await sb.waitForEvent((e) => e.event === 'SIGUSR1' && e.pid === pid)
    expect(alive(pid)).toBe(true)
    expect(await sb.manager(['object']).reloadSeamless({ verbose: true })).toBe(0)
    expect(sb.take()).toContain(`object-server (${pid}) reloaded: fixture reloaded\n`)
    expect(await sb.manager(['proxy']).run('reload-seamless')).toBe(1)
    expect(sb.take()).toBe('No proxy-server running\n')
  })

  it('reload-seamless: a refused reload is exit 1 with the reason; a hung one a timeout; a silent server is only signalled', async () => {
    const sb = new Sandbox().install('object-server')
    const conf = sb.conf('object-server.conf')
    await sb.manager(['object']).start()
    const pid = sb.readPid('object-server.pid')
    sb.take()
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}reload_refuse = workers: not a number\n`)
    expect(await sb.manager(['object']).reloadSeamless()).toBe(1)
    expect(sb.take()).toBe(
      `Signal object-server  pid: ${pid}  signal: 10\nobject-server (${pid}) refused the reload: workers: not a number\n`,
    )
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}reload_hang = true\n`)
    expect(await sb.manager(['object']).reloadSeamless({ killWait: 1 })).toBe(1)
    expect(sb.take()).toContain(
      `Timed out after 1 seconds waiting for object-server (${pid}) to reload\n`,
    )
    // A server that does not speak the protocol (Swift before 2.35): signalled, as swift-init.
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}reload_silent = true\n`)
    expect(await sb.manager(['object']).reloadSeamless({ killWait: 1 })).toBe(0)
    expect(sb.take()).toContain(
      `object-server (${pid}) said nothing on its notification socket in 1 seconds: signalled, outcome unknown\n`,
    )
    // -w: signal and return, as swift-init.
    expect(await sb.manager(['object']).reloadSeamless({ wait: false })).toBe(0)
    expect(alive(pid)).toBe(true)
  })

  it('reload-seamless: a datagram from another process does not count, and a squatter blocks the signal', async () => {
    const sb = new Sandbox().install('object-server')
    // It says RELOADING=1 and never READY=1: only a forged READY=1 could end the wait well.
    const conf = sb.conf('object-server.conf', { reload_hang: 'true' })
    await sb.manager(['object']).start()
    const pid = sb.readPid('object-server.pid')
    sb.take()
    // A forger: another process sends the server's words to its socket.
    const forger = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { notifyReloadSocket, reloadOutcomeState } from '@forklift/notify/reload'
const t = setInterval(() => {
  notifyReloadSocket('RELOADING=1', ${pid})
  notifyReloadSocket(reloadOutcomeState({ ok: true }), ${pid})
}, 20)
setTimeout(() => clearInterval(t), 30000)`,
      ],
      { cwd: import.meta.dirname, stdio: 'ignore' },
    )
    onTestFinished(() => {
      forger.kill('SIGKILL')
    })
    expect(await sb.manager(['object']).reloadSeamless({ killWait: 2 })).toBe(1)
    expect(sb.take()).toContain('Timed out after 2 seconds')
    forger.kill('SIGKILL')

    // A squatter holds the pid's name first: nothing is signalled.
    const squatter = new UnixDatagramSocket().bind(`@swift-notifications\0${pid}`)
    onTestFinished(() => squatter.close())
    const before = sb.eventList().filter((e) => e.event === 'SIGUSR1').length
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('reload_hang = true', ''))
    expect(await sb.manager(['object']).reloadSeamless()).toBe(1)
    expect(sb.take()).toMatch(
      new RegExp(
        `Could not bind the notification socket of object-server \\(${pid}\\): .*EADDRINUSE.*; not signalled`,
      ),
    )
    expect(sb.eventList().filter((e) => e.event === 'SIGUSR1')).toHaveLength(before)
  })

  it('kill: stop, and no error when nothing runs', async () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server.conf')
    expect(await sb.manager(['object']).kill()).toBe(0)
    expect(sb.take()).toBe('No object-server running\nNo object-server running\n')
    await sb.manager(['object']).start()
    const pid = sb.readPid('object-server.pid')
    sb.take()
    expect(await sb.manager(['object']).kill()).toBe(0)
    expect(sb.take()).toBe(
      `Signal object-server  pid: ${pid}  signal: 15\nobject-server (${pid}) appears to have stopped\n`,
    )
  })
})

describe('stubborn servers', () => {
  it('-k 1 on a server ignoring SIGTERM: gives up, exit 1, still alive', async () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server.conf', { ignore_sigterm: 'true' })
    await sb.manager(['object']).start()
    const pid = sb.readPid('object-server.pid')
    sb.take()
    const t0 = Date.now()
    expect(await sb.manager(['object']).stop({ killWait: 1 })).toBe(1)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900)
    expect(sb.take()).toBe(
      `Signal object-server  pid: ${pid}  signal: 15\nWaited 1 seconds for object-server to die; giving up\n`,
    )
    await sb.waitForEvent((e) => e.event === 'SIGTERM')
    expect(alive(pid)).toBe(true)
    expect(existsSync(sb.pidFile('object-server.pid'))).toBe(true)
  })

  it('--kill-after-timeout: SIGKILL to the process group, children too', async () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server.conf', { ignore_sigterm: 'true', children: 2 })
    await sb.manager(['object']).start()
    const pid = sb.readPid('object-server.pid')
    const { execFileSync } = await import('node:child_process')
    const children = execFileSync('ps', ['--ppid', String(pid), '--no-headers', '-o', 'pid'], {
      encoding: 'utf8',
    })
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
    expect(children).toHaveLength(2)
    sb.take()
    expect(await sb.manager(['object']).stop({ killWait: 1, killAfterTimeout: true })).toBe(1)
    expect(sb.take()).toBe(
      [
        `Signal object-server  pid: ${pid}  signal: 15`,
        'Waited 1 seconds for object-server to die; killing',
        `Signal object-server  pid: ${pid}  signal: 9`,
        '',
      ].join('\n'),
    )
    await waitGone(pid)
    for (const c of children) await waitGone(c)
  })
})
