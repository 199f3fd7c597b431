import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { alive } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { defineFamily, Manager } from '../src/index.js'
import { FIXTURE, Sandbox } from './_sandbox.js'

describe('configs', () => {
  it('numbered configs: one process each, pid files beside; object.2 is exactly 2.conf', async () => {
    const sb = new Sandbox().install('object-server')
    const c1 = sb.conf('object-server/1.conf')
    const c2 = sb.conf('object-server/2.conf')
    const c12 = sb.conf('object-server/12.conf')
    expect(await sb.manager(['object.2']).start()).toBe(0)
    expect(sb.take()).toBe(`Starting object-server...(${c2})\n`)
    const pid2 = sb.readPid('object-server/2.pid')
    expect(await sb.manager(['object.2']).status()).toBe(0)
    expect(sb.take()).toBe(`object-server running (${pid2} - ${c2})\n`)
    expect(await sb.manager(['object.12']).status()).toBe(1)
    expect(sb.take()).toBe('No object-server running\n')

    // The others start too; the running one blocks a plain start, as in swift.
    expect(await sb.manager(['object']).start()).toBe(1)
    expect(sb.take()).toBe(
      `object-server running (${pid2} - ${c2})\nobject-server already started...\n`,
    )
    expect(await sb.manager(['object.1', 'object.12']).start()).toBe(0)
    expect(sb.take()).toBe(`Starting object-server...(${c1})\nStarting object-server...(${c12})\n`)
    expect(await sb.manager(['object']).status()).toBe(0)
    const pids = [1, 12, 2].map((n) => sb.readPid(`object-server/${n}.pid`))
    expect(sb.take()).toBe(
      `object-server running (${pids[0]} - ${c1})\nobject-server running (${pids[1]} - ${c12})\nobject-server running (${pids[2]} - ${c2})\n`,
    )
    expect(await sb.manager(['object.2']).stop()).toBe(0)
    expect(sb.take()).toBe(
      `Signal object-server  pid: ${pid2}  signal: 15\nobject-server (${pid2}) appears to have stopped\n`,
    )
    expect(alive(pids[0]!)).toBe(true)
  })

  it('-c N picks the Nth config in sorted order, for start, status and stop', async () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server/1.conf')
    const c10 = sb.conf('object-server/10.conf')
    sb.conf('object-server/2.conf')
    expect(await sb.manager(['object']).start({ number: 2 })).toBe(0)
    expect(sb.take()).toBe(`Starting object-server...(${c10})\n`)
    const pid = sb.readPid('object-server/10.pid')
    expect(await sb.manager(['object']).status({ number: 2 })).toBe(0)
    expect(sb.take()).toBe(`object-server running (${pid} - ${c10})\n`)
    expect(await sb.manager(['object']).status({ number: 1 })).toBe(1)
    expect(sb.take()).toBe(`object-server #1 not running (${sb.etc}/object-server/1.conf)\n`)
    expect(await sb.manager(['object']).status({ number: 4 })).toBe(1)
    expect(sb.take()).toBe('Unable to locate config number 4 for object-server\n')
    // With -c, a running sibling does not block starting another.
    expect(await sb.manager(['object']).start({ number: 1 })).toBe(0)
    expect(sb.take()).toBe(`Starting object-server...(${sb.etc}/object-server/1.conf)\n`)
    expect(await sb.manager(['object']).stop({ number: 2 })).toBe(0)
    expect(sb.take()).toContain(`object-server (${pid}) appears to have stopped`)
    expect(alive(sb.readPid('object-server/1.pid'))).toBe(true)
  })

  it('.conf.d directories ↔ .pid.d files', async () => {
    const sb = new Sandbox().install('object-server')
    sb.conf('object-server.conf.d/00.conf')
    sb.conf('object-server.conf.d/10.conf', { say: 'merged' })
    expect(await sb.manager(['object']).start()).toBe(0)
    // `say` prints, so the 3 s warning wait applies; the server lives on.
    expect(sb.take()).toBe(`Starting object-server...(${sb.etc}/object-server.conf.d)\nmerged\n\n`)
    const pid = sb.readPid('object-server.pid.d')
    expect(await sb.manager(['object']).status()).toBe(0)
    expect(sb.take()).toBe(`object-server running (${pid} - ${sb.etc}/object-server.conf.d)\n`)
  })

  it('per-type daemons share <type>-server confs and own their pid files; standalone servers their own conf', async () => {
    const sb = new Sandbox().install('container-replicator', 'container-reconciler')
    const shared = sb.conf('container-server.conf')
    const own = sb.conf('container-reconciler.conf')
    expect(await sb.manager(['container-replicator', 'container-reconciler']).start()).toBe(0)
    expect(sb.take()).toBe(
      `Starting container-reconciler...(${own})\nStarting container-replicator...(${shared})\n`,
    )
    expect(alive(sb.readPid('container-replicator.pid'))).toBe(true)
    expect(alive(sb.readPid('container-reconciler.pid'))).toBe(true)
  })

  it('object-expirer reads object-server.conf with [object-expirer], else its own with a warning', async () => {
    const sb = new Sandbox().install('object-expirer')
    const own = sb.conf('object-expirer.conf')
    sb.conf('object-server.conf')
    expect(await sb.manager(['object-expirer']).run('no-wait')).toBe(0)
    expect(sb.take()).toBe(
      `WARNING: object-expirer.conf is deprecated. Move object-expirers' configuration into object-server.conf.\nStarting object-expirer...(${own})\n`,
    )
    await sb.manager(['object-expirer']).stop()
    sb.take()
    appendFileSync(`${sb.etc}/object-server.conf`, '[object-expirer]\n')
    expect(await sb.manager(['object-expirer']).run('no-wait')).toBe(0)
    expect(sb.take()).toBe(`Starting object-expirer...(${sb.etc}/object-server.conf)\n`)
  })
})

describe('server names', () => {
  it('globs and aliases expand over the family and only keep installed servers', () => {
    const sb = new Sandbox().install('object-server', 'object-replicator', 'proxy-server')
    expect(sb.manager(['object-*']).servers.map(String)).toEqual([
      'object-replicator',
      'object-server',
    ])
    expect(sb.manager(['*-server']).servers.map(String)).toEqual(['object-server', 'proxy-server'])
    expect(sb.manager(['main']).servers.map(String)).toEqual(['object-server', 'proxy-server'])
    expect(sb.manager(['rest']).servers.map(String)).toEqual(['object-replicator'])
    expect(sb.manager(['all']).servers.map(String)).toEqual([
      'object-replicator',
      'object-server',
      'proxy-server',
    ])
    expect(sb.manager(['object', 'object-server', 'OBJECT']).servers).toHaveLength(1)
    expect(sb.manager(['main']).serverNames).toEqual([
      'account-server',
      'container-server',
      'object-server',
      'proxy-server',
    ])
  })

  it('glob start, non-strict: missing configs do not fail', async () => {
    const sb = new Sandbox().install('object-server', 'object-replicator')
    const conf = sb.conf('object-server.conf')
    expect(await sb.manager(['object-*']).start()).toBe(0)
    expect(sb.take()).toBe(
      `Starting object-replicator...(${conf})\nStarting object-server...(${conf})\n`,
    )
  })

  it('strict vs non-strict with a missing config', async () => {
    const sb = new Sandbox().install('object-server', 'proxy-server')
    const conf = sb.conf('object-server.conf')
    expect(await sb.manager(['object', 'proxy']).start()).toBe(1)
    expect(sb.take()).toBe(
      `Starting object-server...(${conf})\nUnable to locate config for proxy-server\n`,
    )
    await sb.manager(['object']).stop()
    sb.take()
    expect(await sb.manager(['object', 'proxy']).start({ strict: false })).toBe(0)
    sb.take()
    await sb.manager(['object']).stop()
    sb.take()
    expect(await sb.manager(['main']).start()).toBe(0)
    expect(sb.take()).toBe(
      `Starting object-server...(${conf})\nUnable to locate config for proxy-server\n`,
    )
    await sb.manager(['object']).stop()
    sb.take()
    expect(await sb.manager(['main']).start({ strict: true })).toBe(1)
    expect(await sb.manager(['proxy']).start({ verbose: true })).toBe(1)
    sb.take()
  })

  it('a family of our own: other names, binaries, aliases and dirs', async () => {
    const sb = new Sandbox()
    const text = readFileSync(FIXTURE, 'utf8').replace(/^#!.*\n/, `#!${process.execPath}\n`)
    writeFileSync(`${sb.bin}/forklift-volume-server`, text, { mode: 0o755 })
    const family = defineFamily({
      servers: ['volume-server', 'volume-auditor'],
      aliases: { everything: ['volume-server', 'volume-auditor'] },
      gracefulServers: ['volume-server'],
      seamlessServers: [],
      onceServers: ['volume-auditor'],
      standaloneServers: [],
      binaryPrefix: 'forklift-',
      confFrom: {},
      confDir: sb.etc,
      runDir: sb.run,
    })
    const conf = sb.conf('volume-server.conf')
    const m = () =>
      new Manager(['everything'], {
        family,
        searchPath: [sb.bin],
        raiseLimits: () => [],
        stdout: { write: (s: string) => sb.lines.push(s) },
      })
    expect(m().servers.map(String)).toEqual(['volume-server'])
    expect(await m().start()).toBe(0)
    expect(sb.take()).toBe(`Starting volume-server...(${conf})\n`)
    const pid = sb.readPid('volume-server.pid')
    expect(await m().shutdown()).toBe(0)
    expect(sb.take()).toBe(
      `Signal volume-server  pid: ${pid}  signal: 1\nvolume-server (${pid}) appears to have stopped\n`,
    )
  })
})
