import { chmodSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { tempFiles } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { ConfigError, configTrueValue, loadConfig, pasteDefaults } from '../src/index.js'
import { ini } from './helpers.js'

function expectConfigError(fn: () => unknown, code: string, fields: Partial<ConfigError> = {}) {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(ConfigError)
  const err = caught as ConfigError
  expect(err.code).toBe(code)
  expect(err).toMatchObject(fields)
  expect(err.message).not.toContain('\n')
  return err
}

describe('loadConfig: DEFAULT and sections', () => {
  it('puts [DEFAULT] in every section, the section overriding it, keys keeping their case', () => {
    const { write } = tempFiles()
    const file = write(
      'object-server.conf',
      ini(`
        [DEFAULT]
        bind_port = 6200
        workers = 2
        Log_Name = object

        [app:object-server]
        workers = 4
        CamelCase = yes

        [object-replicator]
      `),
    )
    const config = loadConfig(file)
    expect(config.path).toBe(file)
    expect(config.files).toEqual([file])
    expect(config.sectionNames()).toEqual(['app:object-server', 'object-replicator'])
    expect(config.hasSection('DEFAULT')).toBe(false)
    expect(config.hasSection('object-replicator')).toBe(true)
    expect(config.defaults()).toEqual({ bind_port: '6200', workers: '2', Log_Name: 'object' })
    expect(config.section('app:object-server')).toEqual({
      bind_port: '6200',
      workers: '4',
      Log_Name: 'object',
      CamelCase: 'yes',
    })
    expect(config.section('object-replicator')).toEqual(config.defaults())
    expect(config.get('app:object-server', 'log_name')).toBeUndefined()
    expect(config.get('DEFAULT', 'workers')).toBe('2')
  })

  it('lets options given to loadConfig be overridden by the file, as configparser defaults', () => {
    const { write } = tempFiles()
    const file = write('a.conf', '[DEFAULT]\nuser = swift\n[s]\nx = %(here)s/x\n')
    const config = loadConfig(file, { defaults: { user: 'nobody', here: '/etc/swift' } })
    expect(config.section('s')).toEqual({ user: 'swift', here: '/etc/swift', x: '/etc/swift/x' })
  })

  it('keeps every value a string: mount_check = false stays "false" and reads as false', () => {
    const { write } = tempFiles()
    const file = write(
      'a.conf',
      `${ini(`
        [DEFAULT]
        mount_check = false
        disable_fallocate = true
        nothing = null
        workers = 8
        empty =
      `)}[s]\n`,
    )
    const conf = loadConfig(file).section('s')
    expect(conf).toEqual({
      mount_check: 'false',
      disable_fallocate: 'true',
      nothing: 'null',
      workers: '8',
      empty: '',
    })
    expect(configTrueValue(conf.mount_check)).toBe(false)
    expect(configTrueValue(conf.disable_fallocate)).toBe(true)
  })

  it('reads values as configparser does: quotes, ; and # kept, `:` as a delimiter, continuation lines', () => {
    const { write } = tempFiles()
    const file = write(
      'a.conf',
      [
        '; a comment',
        '# another',
        '[s]',
        'quoted = "a b"',
        "single = 'x'",
        'inline = 10 ; not a comment in configparser',
        'url = http://host/#frag',
        'colon: value',
        'key[] = array-looking',
        'back = C:\\\\dir\\n',
        'pipeline = catch_errors',
        '    healthcheck   ',
        '  # a comment inside the value is dropped',
        '',
        '    proxy-server',
        '',
        'spaces   =    padded   ',
        '   indented = not a continuation after a blank? no: still one',
      ].join('\r\n'),
    )
    const conf = loadConfig(file).section('s')
    expect(conf).toEqual({
      quoted: '"a b"',
      single: "'x'",
      inline: '10 ; not a comment in configparser',
      url: 'http://host/#frag',
      colon: 'value',
      'key[]': 'array-looking',
      back: 'C:\\\\dir\\n',
      pipeline: 'catch_errors\nhealthcheck\n\nproxy-server',
      spaces: 'padded\nindented = not a continuation after a blank? no: still one',
    })
  })

  it('treats a line indented less than or as much as its key as a new key', () => {
    const { write } = tempFiles()
    const file = write('a.conf', '[s]\n  a = 1\n  b = 2\n    c\n')
    expect(loadConfig(file).section('s')).toEqual({ a: '1', b: '2\nc' })
  })

  it('skips a UTF-8 byte order mark', () => {
    const { write } = tempFiles()
    const file = write('a.conf', '\ufeff[s]\na = 1\n')
    expect(loadConfig(file).section('s')).toEqual({ a: '1' })
  })

  it('gives paste.deploy defaults (here, __file__)', () => {
    const { dir, write } = tempFiles()
    const file = write('proxy-server.conf', '[s]\n')
    expect(pasteDefaults(file)).toEqual({ here: dir, __file__: file })
    mkdirSync(join(dir, 'x.conf.d'))
    expect(pasteDefaults(join(dir, 'x.conf.d'))).toEqual({
      here: join(dir, 'x.conf.d'),
      __file__: join(dir, 'x.conf.d'),
    })
  })
})

describe('loadConfig: interpolation', () => {
  it('replaces %(name)s from the section first, then DEFAULT, recursively', () => {
    const { write } = tempFiles()
    const file = write(
      'a.conf',
      ini(`
        [DEFAULT]
        devices = /srv/node
        disk = %(devices)s/%(name)s
        name = default-name

        [one]
        name = sdb1

        [two]
        log = %(disk)s.log
      `),
    )
    const config = loadConfig(file)
    expect(config.defaults().disk).toBe('/srv/node/default-name')
    expect(config.section('one').disk).toBe('/srv/node/sdb1')
    expect(config.section('two').log).toBe('/srv/node/default-name.log')
  })

  it('passes a % that is not %(name)s through, as Swift does for fallocate_reserve = 1%', () => {
    const { write } = tempFiles()
    const file = write(
      'a.conf',
      `${ini(`
        [DEFAULT]
        fallocate_reserve = 1%
        literal = 100%% sure
        mixed = %(fallocate_reserve)s of 50%% and 3% more
        strftime = %Y-%m-%d
      `)}[s]\n`,
    )
    expect(loadConfig(file).section('s')).toMatchObject({
      fallocate_reserve: '1%',
      // Swift's NicerInterpolation leaves a value without `%(` untouched.
      literal: '100%% sure',
      mixed: '1% of 50% and 3% more',
      strftime: '%Y-%m-%d',
    })
  })

  it('names file, section and key for a missing reference', () => {
    const { write } = tempFiles()
    const file = write('a.conf', '[DEFAULT]\nok = 1\n[app:proxy]\n\nlog = %(nope)s/x\n')
    const err = expectConfigError(
      () => loadConfig(file).section('app:proxy'),
      'E_CONFIG_INTERPOLATION',
      {
        file,
        section: 'app:proxy',
        key: 'log',
        line: 5,
      },
    )
    expect(err.message).toBe(
      `${file}:5 [app:proxy] log: %(nope)s refers to a key that is not set in this section or [DEFAULT]`,
    )
  })

  it('reports a reference loop and a malformed reference', () => {
    const { write } = tempFiles()
    const file = write('a.conf', '[s]\na = %(b)s\nb = %(a)s\nc = %(unclosed\n')
    const config = loadConfig(file)
    expectConfigError(() => config.get('s', 'a'), 'E_CONFIG_INTERPOLATION', { key: 'a', line: 2 })
    expectConfigError(() => config.get('s', 'c'), 'E_CONFIG_INTERPOLATION', { key: 'c', line: 4 })
    expectConfigError(() => config.validate(), 'E_CONFIG_INTERPOLATION')
  })
})

describe('loadConfig: .conf.d directories', () => {
  it('merges every *.conf in sorted order, later files overriding key by key', () => {
    const { dir, write } = tempFiles()
    const d = join(dir, 'object-server.conf.d')
    write(
      'object-server.conf.d/20_override.conf',
      '[DEFAULT]\nworkers = 8\n[app:object-server]\nb = 20\n',
    )
    write(
      'object-server.conf.d/10_base.conf',
      '[DEFAULT]\nworkers = 2\nuser = swift\n[app:object-server]\na = 10\nb = 10\n[x]\n',
    )
    write('object-server.conf.d/30_more.conf', '[app:object-server]\nc = %(workers)s\n[y]\n')
    write('object-server.conf.d/.hidden.conf', '[DEFAULT]\nworkers = 99\n')
    write('object-server.conf.d/notes.txt', 'not a config')
    // The same section in two files merges; a duplicate would only be an error within one file.
    const config = loadConfig(d)
    expect(config.files).toEqual([
      join(d, '10_base.conf'),
      join(d, '20_override.conf'),
      join(d, '30_more.conf'),
    ])
    expect(config.sectionNames()).toEqual(['app:object-server', 'x', 'y'])
    expect(config.section('app:object-server')).toEqual({
      workers: '8',
      user: 'swift',
      a: '10',
      b: '20',
      c: '8',
    })
    expect(config.where('app:object-server', 'b')).toEqual({
      file: join(d, '20_override.conf'),
      line: 4,
      section: 'app:object-server',
      key: 'b',
    })
  })

  it('refuses a directory without *.conf files', () => {
    const { dir } = tempFiles()
    expectConfigError(() => loadConfig(dir), 'E_CONFIG_NOT_FOUND', { file: dir })
  })
})

describe('ConfigError for every failure', () => {
  it('E_CONFIG_NOT_FOUND for a missing file', () => {
    const { dir } = tempFiles()
    const file = join(dir, 'nope.conf')
    const err = expectConfigError(() => loadConfig(file), 'E_CONFIG_NOT_FOUND', { file })
    expect(err.message).toBe(`${file}: no such file`)
  })

  it('E_CONFIG_UNREADABLE for a directory where a conf.d file is expected (works as root too)', () => {
    const { dir, write } = tempFiles()
    write('s.conf.d/10.conf', '[s]\n')
    mkdirSync(join(dir, 's.conf.d', '20.conf'))
    expectConfigError(() => loadConfig(join(dir, 's.conf.d')), 'E_CONFIG_UNREADABLE', {
      file: join(dir, 's.conf.d', '20.conf'),
    })
  })

  it.skipIf(process.getuid?.() === 0)(
    'E_CONFIG_UNREADABLE for a file without read permission',
    () => {
      const { write } = tempFiles()
      const file = write('a.conf', '[s]\n')
      chmodSync(file, 0o000)
      const err = expectConfigError(() => loadConfig(file), 'E_CONFIG_UNREADABLE', { file })
      expect(err.message).toBe(`${file}: permission denied`)
    },
  )

  it('E_CONFIG_NO_SECTION for a missing section', () => {
    const { write } = tempFiles()
    const file = write('a.conf', '[DEFAULT]\na = 1\n')
    const config = loadConfig(file)
    expectConfigError(() => config.section('app:object-server'), 'E_CONFIG_NO_SECTION', {
      file,
      section: 'app:object-server',
    })
    expectConfigError(() => config.section('DEFAULT'), 'E_CONFIG_NO_SECTION')
    expectConfigError(() => config.get('x', 'a'), 'E_CONFIG_NO_SECTION')
  })

  it('E_CONFIG_DUPLICATE_SECTION for a section twice in one file, with the line', () => {
    const { write } = tempFiles()
    const file = write('a.conf', '[a]\nx = 1\n[b]\n[a]\ny = 2\n')
    const err = expectConfigError(() => loadConfig(file), 'E_CONFIG_DUPLICATE_SECTION', {
      file,
      section: 'a',
      line: 4,
    })
    expect(err.message).toBe(`${file}:4 [a]: section appears twice in this file`)
    // DEFAULT may be opened twice (configparser allows it) as long as no key repeats.
    const ok = loadConfig(tempFiles().write('b.conf', '[DEFAULT]\na = 1\n[s]\n[DEFAULT]\nb = 2\n'))
    expect(ok.section('s')).toEqual({ a: '1', b: '2' })
  })

  it('E_CONFIG_DUPLICATE_KEY for a key twice in one section of one file', () => {
    const { write } = tempFiles()
    const file = write('a.conf', '[DEFAULT]\nw = 1\n[s]\nw = 2\nx = 1\nx = 2\n')
    expectConfigError(() => loadConfig(file), 'E_CONFIG_DUPLICATE_KEY', {
      file,
      section: 's',
      key: 'x',
      line: 6,
    })
  })

  it('E_CONFIG_SYNTAX for a line without a section header, a line without a delimiter, an empty key', () => {
    const { write } = tempFiles()
    expectConfigError(
      () => loadConfig(write('a.conf', '# ok\nworkers = 2\n[s]\n')),
      'E_CONFIG_SYNTAX',
      {
        line: 2,
      },
    )
    expectConfigError(
      () => loadConfig(write('b.conf', '[s]\na = 1\njust words\n')),
      'E_CONFIG_SYNTAX',
      {
        section: 's',
        line: 3,
      },
    )
    expectConfigError(() => loadConfig(write('c.conf', '[s]\n= value\n')), 'E_CONFIG_SYNTAX', {
      line: 2,
    })
    expectConfigError(() => loadConfig(write('d.conf', '[s]\n[]\n')), 'E_CONFIG_SYNTAX', {
      line: 2,
    })
    expectConfigError(
      () => loadConfig(write('e.conf', '[s]\n__proto__ = 1\n')),
      'E_CONFIG_SYNTAX',
      {
        key: '__proto__',
      },
    )
  })
})
