import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MAX_ECHOED_INPUT } from '@forklift/errors'
import { killOnFinish, tempFiles } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import {
  configAutoIntValue,
  configFloatValue,
  configIntValue,
  configWorkersValue,
  loadConfig,
  loadPasteApp,
  MAX_WORKERS,
} from '../src/index.js'
import { errorOf, ini } from './helpers.js'

const BASE = ini(`
  [DEFAULT]
  bind_port = 6200
  KEY = 10.0.0.1
  [app:main]
  use = forklift#hello
`)

describe('names with control or invisible characters are errors, never another key', () => {
  it.each([
    ['a NUL byte', 'bind_ip\0', 'bind_ip\\u0000: the key name holds a NUL byte'],
    ['a zero-width space', 'bind_ip\u200b', 'bind_ip\\u200b: the key name holds the invisible'],
    ['an escape', '\u001b[2Jbind_ip', '\\u001b[2Jbind_ip: the key name holds the control'],
    ['a bidi override', 'bind_\u202eip', 'bind_\\u202eip: the key name holds the invisible'],
  ])('a key holding %s names file, line, section and key', (_what, key, text) => {
    const { write } = tempFiles()
    const file = write('object-server.conf', BASE.replace('KEY', key))
    const err = errorOf(() => loadConfig(file))
    expect(err).toMatchObject({ code: 'E_CONFIG_SYNTAX', file, line: 3, section: 'DEFAULT', key })
    expect(err.message).toContain(`${file}:3 [DEFAULT] ${text}`)
  })

  it('a section name holding a control character is an error', () => {
    const { write } = tempFiles()
    const file = write('x.conf', `${BASE}[x\u001b[2J]\na = 1\n`)
    const err = errorOf(() => loadConfig(file))
    expect(err).toMatchObject({ code: 'E_CONFIG_SYNTAX', line: 6, section: 'x\u001b[2J' })
    expect(err.message).toBe(
      `${file}:6 [x\\u001b[2J]: the section name holds the control character \\u001b`,
    )
  })

  it('a NUL byte in a value (also in a continuation line) is an error naming the key', () => {
    const { write } = tempFiles()
    const one = write(
      'one.conf',
      BASE.replace('KEY', 'bind_ip').replace('10.0.0.1', '127.0.0.1\0x'),
    )
    expect(errorOf(() => loadConfig(one))).toMatchObject({
      code: 'E_CONFIG_SYNTAX',
      line: 3,
      section: 'DEFAULT',
      key: 'bind_ip',
      message: `${one}:3 [DEFAULT] bind_ip: the value holds a NUL byte`,
    })
    const cont = write('cont.conf', `${BASE.replace('KEY', 'bind_ip')}k = a\n  b\0\n`)
    expect(errorOf(() => loadConfig(cont))).toMatchObject({
      line: 6,
      section: 'app:main',
      key: 'k',
    })
  })

  it('keeps tabs inside names and control characters inside values, as configparser does', () => {
    const { write } = tempFiles()
    const file = write('t.conf', '[s]\na\tb = x\u001by\n')
    expect(loadConfig(file).section('s')).toEqual({ 'a\tb': 'x\u001by' })
  })
})

describe('files that are not text or not regular', () => {
  it('invalid UTF-8 is an error naming the line, never U+FFFD in a value', () => {
    const { dir } = tempFiles()
    const file = join(dir, 'latin1.conf')
    writeFileSync(
      file,
      Buffer.from('[app:main]\nuse = forklift#hello\nmessage = caf\xe9\n', 'latin1'),
    )
    const err = errorOf(() => loadConfig(file))
    expect(err).toMatchObject({ code: 'E_CONFIG_SYNTAX', file, line: 3 })
    expect(err.message).toBe(`${file}:3: not valid UTF-8 (byte 46 of the file); save it as UTF-8`)
  })

  it('a character device is refused, not read as an empty config', () => {
    const err = errorOf(() => loadConfig('/dev/null'))
    expect(err).toMatchObject({ code: 'E_CONFIG_UNREADABLE', file: '/dev/null' })
    expect(err.message).toBe(
      '/dev/null: not a regular file (a character device); a config is a file or a .conf.d directory',
    )
  })

  it('a FIFO is refused at once, never read', () => {
    const { dir } = tempFiles()
    const fifo = join(dir, 'object-server.conf')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    // A writer waits for a reader, so a blocking read gets a config instead of hanging.
    killOnFinish(spawn('sh', ['-c', 'printf "[app:main]\\nuse = x#y\\n" > "$0"', fifo]))
    const err = errorOf(() => loadConfig(fifo))
    expect(err).toMatchObject({ code: 'E_CONFIG_UNREADABLE', file: fifo })
    expect(err.message).toBe(
      `${fifo}: not a regular file (a FIFO); a config is a file or a .conf.d directory`,
    )
  })
})

describe('echoed input is bounded', () => {
  const where = { file: '/etc/swift/object-server.conf', section: 'app:object-server', key: 'x' }

  it.each([
    ['configIntValue', (v: string) => configIntValue(v, where)],
    ['configFloatValue', (v: string) => configFloatValue(v, where)],
    ['configAutoIntValue', (v: string) => configAutoIntValue(v, 1, where)],
  ])('%s shows a 7 MB value as its first characters and its length', (_name, read) => {
    const err = errorOf(() => read('y'.repeat(7_000_000)))
    expect(err.message.length).toBeLessThan(250)
    expect(err.message).toContain(`"${'y'.repeat(MAX_ECHOED_INPUT)}…" (7000000 characters)`)
  })

  it('a 1 MB line outside any section and a 1 MB section name stay short', () => {
    const { write } = tempFiles()
    const before = write('a.conf', `${'z'.repeat(1e6)} = 1\n`)
    expect(errorOf(() => loadConfig(before)).message.length).toBeLessThan(250)
    const section = write('b.conf', `[${'y'.repeat(1e6)}]\n${'z'.repeat(1e6)}\n`)
    expect(errorOf(() => loadConfig(section)).message.length).toBeLessThan(250)
    const use = write('c.conf', `[app:main]\nuse = ${'u'.repeat(1e6)}\n`)
    expect(errorOf(() => loadPasteApp(loadConfig(use))).message.length).toBeLessThan(400)
    const interp = write('d.conf', `[s]\na = %(${'n'.repeat(1e6)})s\n`)
    expect(errorOf(() => loadConfig(interp).section('s')).message.length).toBeLessThan(250)
  })
})

describe('interpolation that multiplies ("billion laughs")', () => {
  function laughs(base: string, levels: number): string {
    const lines = ['[s]', `l0 = ${base}`]
    for (let i = 1; i <= levels; i++) lines.push(`l${i} = ${`%(l${i - 1})s`.repeat(16)}`)
    return `${lines.join('\n')}\nv = %(l${levels})s\n`
  }

  it('a value that would grow past 16 Mi characters is an error naming the key, not a RangeError', () => {
    const { write } = tempFiles()
    const file = write('l.conf', laughs('x'.repeat(100_000), 9))
    const err = errorOf(() => loadConfig(file).get('s', 'v'))
    expect(err).toMatchObject({ code: 'E_CONFIG_INTERPOLATION', section: 's', key: 'v' })
    expect(err.message).toMatch(/v: interpolation expands to more than 16777216 characters/)
  })

  it('references that multiply to nothing stop after 10000, instead of running for ever', () => {
    const { write } = tempFiles()
    // 16^6 = 16.7 million expansions of an empty value.
    const file = write('l.conf', laughs('', 6))
    const err = errorOf(() => loadConfig(file).get('s', 'v'))
    expect(err.message).toMatch(/v: interpolation expands to more than 10000 references/)
  })
})

describe('paste.deploy references that multiply', () => {
  it('urlmaps of urlmaps stop at 10000 objects (16^4 here; 16^12 would never end)', () => {
    const { write } = tempFiles()
    const sections = ['[composite:main]\nuse = egg:Paste#urlmap\n/ = m1\n']
    for (let i = 1; i <= 4; i++) {
      const routes = Array.from({ length: 16 }, (_, r) => `/r${r} = m${i + 1}`).join('\n')
      sections.push(`[composite:m${i}]\nuse = egg:Paste#urlmap\n${routes}\n`)
    }
    sections.push('[app:m5]\nuse = forklift#hello\n')
    const file = write('u.conf', sections.join('\n'))
    const err = errorOf(() => loadPasteApp(loadConfig(file)))
    expect(err).toMatchObject({ code: 'E_CONFIG_VALUE', file })
    expect(err.message).toMatch(/paste\.deploy references make more than 10000 objects/)
  })
})

describe('numbers', () => {
  it('configFloatValue refuses values too large for a double (1e400, 1 and 400 zeros)', () => {
    expect(errorOf(() => configFloatValue('1e400', { key: 't' })).message).toBe(
      't: number out of range: "1e400"',
    )
    errorOf(() => configFloatValue(`1${'0'.repeat(400)}`))
    expect(configFloatValue('1e300')).toBe(1e300)
  })

  it('configAutoIntValue takes a range and names the value as written', () => {
    expect(errorOf(() => configAutoIntValue('-1', 4, { key: 'workers' }, { min: 0 })).message).toBe(
      'workers: must be at least 0, not "-1"',
    )
    expect(configAutoIntValue('auto', 4, {}, { min: 0, max: 2 })).toBe(4)
  })

  it('configWorkersValue: auto is the CPU count, 0..MAX_WORKERS, anything else names itself', () => {
    const where = { file: '/f.conf', section: 'app:x', key: 'workers' }
    expect(configWorkersValue(undefined, where, 8)).toBe(8)
    expect(configWorkersValue('AUTO', where, 5000)).toBe(MAX_WORKERS)
    expect(configWorkersValue('0', where)).toBe(0)
    expect(configWorkersValue(String(MAX_WORKERS), where)).toBe(MAX_WORKERS)
    expect(errorOf(() => configWorkersValue('-1', where)).message).toBe(
      `/f.conf [app:x] workers: must be between 0 and ${MAX_WORKERS}, not "-1"`,
    )
    expect(errorOf(() => configWorkersValue('100000000', where)).message).toBe(
      `/f.conf [app:x] workers: must be between 0 and ${MAX_WORKERS}, not "100000000"`,
    )
    expect(errorOf(() => configWorkersValue('99999999999999999999', where)).message).toBe(
      '/f.conf [app:x] workers: integer out of range: "99999999999999999999"',
    )
  })
})
