import { describe, expect, it } from 'vitest'
import {
  describeWhere,
  ForkliftError,
  formatError,
  isForkliftError,
  locate,
  MAX_ECHOED_INPUT,
  MAX_ERROR_LINE,
  printable,
  quoteInput,
  shortInput,
} from './index.js'

class PidError extends ForkliftError<'E_STALE' | 'E_FOREIGN'> {
  override name = 'PidError'
}

describe('ForkliftError', () => {
  it('carries a stable code, a name and a cause', () => {
    const cause = new Error('ENOENT: no such file')
    const err = new PidError('E_STALE', 'pid file is stale', { cause })
    expect(err.code).toBe('E_STALE')
    expect(err.name).toBe('PidError')
    expect(err.cause).toBe(cause)
    expect(isForkliftError(err)).toBe(true)
    expect(isForkliftError(new Error('plain'))).toBe(false)
    expect(isForkliftError({ code: 'E_STALE' })).toBe(false)
  })

  it('tells one class from another by its name, also for a copy from another module instance', () => {
    const err = new PidError('E_STALE', 'stale')
    expect(isForkliftError(err, 'PidError')).toBe(true)
    expect(isForkliftError(err, 'ConfigError')).toBe(false)
    // What another copy of @forklift/errors makes: not our class, but branded.
    const copy = Object.assign(new Error('stale'), { name: 'PidError', code: 'E_STALE' })
    Object.defineProperty(copy, Symbol.for('forklift.error'), { value: true })
    expect(isForkliftError(copy, 'PidError')).toBe(true)
    // A look-alike without the brand is not one.
    const fake = Object.assign(new Error('stale'), { name: 'PidError', code: 'E_STALE' })
    expect(isForkliftError(fake, 'PidError')).toBe(false)
  })

  it('formats a chain of causes on one line without repeating them', () => {
    const inner = new Error('EACCES: permission denied')
    const err = new PidError('E_FOREIGN', 'cannot read /run/x.pid', { cause: inner })
    expect(formatError(err)).toBe('cannot read /run/x.pid: EACCES: permission denied')
    expect(formatError('text')).toBe('text')
  })
})

describe('formatError: one bounded line whatever the input', () => {
  it('cuts a huge message to MAX_ERROR_LINE, saying how long it was', () => {
    const err = new PidError('E_STALE', `bad value ${'x'.repeat(7_000_000)}`)
    const line = formatError(err)
    expect(line.length).toBeLessThanOrEqual(MAX_ERROR_LINE)
    expect(line).toMatch(/^bad value x+ … \(7000010 characters\)$/)
  })

  it('escapes newlines, escapes and bidi overrides from messages and causes', () => {
    const cause = new Error('in\nner \u001b[2J \u202eevil')
    const err = new PidError('E_STALE', 'path /tmp/a\nb.conf', { cause })
    const line = formatError(err)
    expect(line).toBe('path /tmp/a\\nb.conf: in\\nner \\u001b[2J \\u202eevil')
    for (const c of ['\n', '\r', '\u001b', '\u202e']) expect(line).not.toContain(c)
  })

  it('never splits an escape or a surrogate pair when it cuts', () => {
    for (let n = 990; n < 1000; n++) {
      const line = formatError(new Error(`${'a'.repeat(n)}\u0007\u0007😀😀${'b'.repeat(50)}`))
      expect(line.length).toBeLessThanOrEqual(MAX_ERROR_LINE)
      expect(line).toMatch(/^a+(\\u0007)*(😀)* … \(\d+ characters\)$/)
    }
  })

  it('does not repeat a cause that the message already holds escaped', () => {
    const cause = new Error('line1\nline2')
    const err = new PidError('E_STALE', `loading failed: ${formatError(cause)}`, { cause })
    expect(formatError(err)).toBe('loading failed: line1\\nline2')
  })

  it('takes a max and formats non-errors too', () => {
    expect(formatError('a\nb')).toBe('a\\nb')
    expect(formatError(new Error('abcdefghijklmnopqrstuvwxyz0123456789'), 30)).toBe(
      'abcdefghijkl … (36 characters)',
    )
    expect(formatError(new Error())).toBe('Error')
  })
})

describe('quoteInput / shortInput / printable', () => {
  it('quotes input with JSON escapes and cuts it with its length', () => {
    expect(quoteInput('a"b\\c\n')).toBe('"a\\"b\\\\c\\n"')
    expect(quoteInput('x'.repeat(7_000_000))).toBe(
      `"${'x'.repeat(MAX_ECHOED_INPUT)}…" (7000000 characters)`,
    )
    expect(quoteInput('\u0085\u2028\u200b')).toBe('"\\u0085\\u2028\\u200b"')
  })

  it('shows names unquoted and cut with an ellipsis', () => {
    expect(shortInput('app:main')).toBe('app:main')
    expect(shortInput('k'.repeat(500))).toBe(`${'k'.repeat(MAX_ECHOED_INPUT)}…`)
    expect(shortInput('bind_ip\0')).toBe('bind_ip\\u0000')
    expect(printable('tab\there \u{e0041}')).toBe('tab\\there \\u{e0041}')
  })
})

describe('describeWhere / locate', () => {
  it('names file:line [section] key, printable and bounded', () => {
    expect(describeWhere({ file: '/etc/x.conf', line: 3, section: 'app:x', key: 'workers' })).toBe(
      '/etc/x.conf:3 [app:x] workers',
    )
    expect(describeWhere({ line: 3 })).toBe('line 3')
    expect(describeWhere({ file: '/tmp/a\nb', section: 'y'.repeat(1e6) })).toBe(
      `/tmp/a\\nb [${'y'.repeat(MAX_ECHOED_INPUT)}…]`,
    )
    expect(locate({ file: '/f', key: 'k' }, 'bad')).toBe('/f k: bad')
    expect(locate(undefined, 'bad')).toBe('bad')
    expect(locate({}, 'bad')).toBe('bad')
  })
})
