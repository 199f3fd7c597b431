import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import {
  formatServerName,
  PathsError,
  parseServerName,
  RUN_DIR,
  ServerPaths,
  SWIFT_DIR,
  selectConfigNumber,
} from '../src/index.js'
import { tree } from './_helpers.js'

const STANDALONE = ['container-reconciler']

describe('parseServerName', () => {
  it('reads names as swift-init does', () => {
    expect(parseServerName('object')).toEqual({
      server: 'object-server',
      type: 'object',
      conf: undefined,
    })
    expect(parseServerName('Object-Server')).toEqual({
      server: 'object-server',
      type: 'object',
      conf: undefined,
    })
    expect(parseServerName('object-replicator')).toEqual({
      server: 'object-replicator',
      type: 'object',
      conf: undefined,
    })
    expect(parseServerName('object.2')).toEqual({
      server: 'object-server',
      type: 'object',
      conf: '2',
    })
    expect(parseServerName('object-server.sda')).toEqual({
      server: 'object-server',
      type: 'object',
      conf: 'sda',
    })
    expect(parseServerName('container-reconciler')).toEqual({
      server: 'container-reconciler',
      type: 'container',
      conf: undefined,
    })
    expect(formatServerName(parseServerName('object.2'))).toBe('object-server.2')
  })

  it('rejects empty names; an empty config names none (swift then matches every config)', () => {
    expect(() => parseServerName('')).toThrow(PathsError)
    expect(() => parseServerName('.1')).toThrow(/invalid server name '\.1'/)
    expect(parseServerName('object.')).toEqual({
      server: 'object-server',
      type: 'object',
      conf: undefined,
    })
  })
})

describe('ServerPaths defaults', () => {
  it('uses /etc/swift and /var/run/swift', () => {
    const p = new ServerPaths('object')
    expect([p.confDir, p.runDir]).toEqual([SWIFT_DIR, RUN_DIR])
    expect(p.pidFileFor('/etc/swift/object-server.conf')).toBe('/var/run/swift/object-server.pid')
    expect(p.confFileFor('/var/run/swift/object-server.pid')).toBe('/etc/swift/object-server.conf')
  })
})

describe('conf ↔ pid mapping', () => {
  const opts = { confDir: '/srv/conf/', runDir: '/srv/run', standaloneServers: STANDALONE }

  it('plain, numbered, conf.d, per type, standalone, in custom dirs', () => {
    const obj = new ServerPaths('object', opts)
    expect(obj.pidFileFor('/srv/conf/object-server.conf')).toBe('/srv/run/object-server.pid')
    expect(obj.pidFileFor('/srv/conf/object-server/1.conf')).toBe('/srv/run/object-server/1.pid')
    expect(obj.pidFileFor('/srv/conf/object-server.conf.d')).toBe('/srv/run/object-server.pid.d')
    expect(obj.confFileFor('/srv/run/object-server/1.pid')).toBe('/srv/conf/object-server/1.conf')
    expect(obj.confFileFor('/srv/run/object-server.pid.d')).toBe('/srv/conf/object-server.conf.d')

    const repl = new ServerPaths('object-replicator', opts)
    expect(repl.pidFileFor('/srv/conf/object-server.conf')).toBe('/srv/run/object-replicator.pid')
    expect(repl.pidFileFor('/srv/conf/object-server/3.conf')).toBe(
      '/srv/run/object-replicator/3.pid',
    )
    expect(repl.confFileFor('/srv/run/object-replicator/3.pid')).toBe(
      '/srv/conf/object-server/3.conf',
    )

    const rec = new ServerPaths('container-reconciler', opts)
    expect(rec.standalone).toBe(true)
    expect(rec.confSearchName).toBe('container-reconciler')
    expect(rec.pidFileFor('/srv/conf/container-reconciler.conf')).toBe(
      '/srv/run/container-reconciler.pid',
    )
    expect(rec.confFileFor('/srv/run/container-reconciler/2.pid')).toBe(
      '/srv/conf/container-reconciler/2.conf',
    )
    // Without the standalone list it would share container-server.conf.
    expect(
      new ServerPaths('container-reconciler', { ...opts, standaloneServers: [] }).confSearchName,
    ).toBe('container-server')
  })

  it('only replaces inside the dirs, never in the dirs themselves', () => {
    const p = new ServerPaths('object-auditor', {
      confDir: '/x/object-server.conf/etc',
      runDir: '/x/run.conf',
    })
    expect(p.pidFileFor('/x/object-server.conf/etc/object-server.conf')).toBe(
      '/x/run.conf/object-auditor.pid',
    )
    expect(p.confFileFor('/x/run.conf/object-auditor.pid')).toBe(
      '/x/object-server.conf/etc/object-server.conf',
    )
  })
})

describe('conf discovery', () => {
  it('finds plain, numbered, nested, .conf.d and skips other files, sorted', () => {
    const root = tempDir()
    tree(root, [
      'object-server.conf',
      'object-server.conf.bak',
      'object-server/1.conf',
      'object-server/2.conf',
      'object-server/10.conf',
      'object-server/README',
      'object-server/sub/3.conf',
      'object-server-extra.conf.d/a.conf',
      'object-expirer.conf',
      'proxy-server.conf',
    ])
    const p = new ServerPaths('object', { confDir: root })
    expect(p.findConfFiles()).toEqual(
      [
        'object-server-extra.conf.d',
        'object-server.conf',
        'object-server/1.conf',
        'object-server/10.conf',
        'object-server/2.conf',
        'object-server/sub/3.conf',
      ].map((f) => join(root, f)),
    )
    expect(new ServerPaths('object-replicator', { confDir: root }).findConfFiles()).toEqual(
      p.findConfFiles(),
    )
    expect(p.findConfFiles('object-expirer')).toEqual([join(root, 'object-expirer.conf')])
  })

  it('treats a dir holding .conf.d dirs as a leaf, as swift', () => {
    const root = tempDir()
    tree(root, [
      'object-server/1.conf.d/a.conf',
      'object-server/2.conf',
      'object-server/deeper/3.conf',
    ])
    expect(new ServerPaths('object', { confDir: root }).findConfFiles()).toEqual([
      join(root, 'object-server/1.conf.d'),
      join(root, 'object-server/2.conf'),
    ])
  })

  it('named configs match exactly <name>.conf (object.2 is not 12.conf)', () => {
    const root = tempDir()
    tree(root, [
      'object-server/2.conf',
      'object-server/12.conf',
      'object-server/x2.conf',
      'object-server/3.conf.d/',
    ])
    expect(new ServerPaths('object.2', { confDir: root }).findConfFiles()).toEqual([
      join(root, 'object-server/2.conf'),
    ])
    expect(new ServerPaths('object.3', { confDir: root }).findConfFiles()).toEqual([
      join(root, 'object-server/3.conf.d'),
    ])
    expect(new ServerPaths('object.4', { confDir: root }).findConfFiles()).toEqual([])
  })

  it('standalone servers search their own name', () => {
    const root = tempDir()
    tree(root, ['container-server.conf', 'container-reconciler.conf'])
    const rec = new ServerPaths('container-reconciler', {
      confDir: root,
      standaloneServers: STANDALONE,
    })
    expect(rec.findConfFiles()).toEqual([join(root, 'container-reconciler.conf')])
    expect(new ServerPaths('container-replicator', { confDir: root }).findConfFiles()).toEqual([
      join(root, 'container-server.conf'),
    ])
  })

  it('-c N picks the Nth in sorted (string) order', () => {
    const found = ['/e/object-server/1.conf', '/e/object-server/10.conf', '/e/object-server/2.conf']
    expect(selectConfigNumber(found, 2)).toEqual(['/e/object-server/10.conf'])
    expect(selectConfigNumber(found, 4)).toEqual([])
    expect(selectConfigNumber(found, 0)).toEqual(found)
    expect(selectConfigNumber(found)).toEqual(found)
    // Negative: as swift's found[N - 1] in Python.
    expect(selectConfigNumber(found, -1)).toEqual(['/e/object-server/10.conf'])
    expect(selectConfigNumber(found, -2)).toEqual(['/e/object-server/1.conf'])
    expect(selectConfigNumber(found, -3)).toEqual([])
  })

  it('a missing conf dir finds nothing', () => {
    expect(new ServerPaths('object', { confDir: '/nonexistent/forklift' }).findConfFiles()).toEqual(
      [],
    )
  })
})

describe('pid discovery', () => {
  it('lists every file under <server>*, never following symlinks, skipping our temporaries', () => {
    const run = tempDir()
    const elsewhere = tempDir()
    tree(elsewhere, ['object-server/9.pid'])
    tree(run, [
      'object-server.pid',
      'object-server/1.pid',
      'object-server/.1.pid.123.1.tmp',
      'object-replicator.pid',
      'proxy-server.pid',
    ])
    symlinkSync(join(elsewhere, 'object-server'), join(run, 'object-server-link'))
    const p = new ServerPaths('object', { runDir: run })
    expect(p.findPidFiles()).toEqual(
      ['object-server-link', 'object-server.pid', 'object-server/1.pid'].map((f) => join(run, f)),
    )
  })

  it('named pid files are exact', () => {
    const run = tempDir()
    tree(run, ['object-server/2.pid', 'object-server/12.pid'])
    expect(new ServerPaths('object.2', { runDir: run }).findPidFiles()).toEqual([
      join(run, 'object-server/2.pid'),
    ])
  })
})
