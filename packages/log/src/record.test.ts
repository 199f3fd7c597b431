import { describe, expect, it } from 'vitest'
import {
  formatSyslogDatagram,
  formatText,
  isoTime,
  type LogRecord,
  MAX_SYSLOG_DATAGRAM,
  parseFacility,
  parseRecordLine,
  parseSwiftLevel,
  truncateMiddle,
} from './index.js'

const rec = (over: Partial<LogRecord> = {}): LogRecord => ({
  level: 'info',
  time: '2026-05-01T10:11:12.345Z',
  server: 'object-server',
  pid: 4242,
  hostname: 'h',
  msg: 'listening',
  ...over,
})

describe('the text format', () => {
  it('reads as a line for a person: local time, level, server[pid], message, key=value', () => {
    const line = formatText(rec({ worker: 1, port: 6200, path: '/a b', ok: true, n: null }))
    expect(line).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.345 INFO {2}object-server\[4242\]: listening worker=1 port=6200 path="\/a b" ok=true n=null$/,
    )
  })

  it('shows an error as Type: message [code], its stack frames on indented lines after', () => {
    const err = Object.assign(new Error('boom'), { code: 'E_X' })
    const [first, ...frames] = formatText(rec({ level: 'error', msg: 'failed', err })).split('\n')
    expect(first).toMatch(/ERROR object-server\[4242\]: failed err="Error: boom \[E_X\]"$/)
    expect(frames.length).toBeGreaterThan(0)
    for (const f of frames) expect(f).toMatch(/^ {4}at /)
  })

  it('never lets client text forge a line or send terminal escapes', () => {
    const line = formatText(
      rec({
        msg: 'GET /x\n2026-01-01 00:00:00.000 ERROR forged[1]: owned\x1b[2J',
        path: 'a\r\nb\u009b',
      }),
    )
    expect(line.split('\n')).toHaveLength(1)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f]/)
    expect(line).toContain('GET /x\\n2026-01-01 00:00:00.000 ERROR forged[1]: owned\\u001b[2J')
    expect(line).toContain('path="a\\r\\nb\\u009b"')
  })

  it('colours the level on a terminal', () => {
    expect(formatText(rec({ level: 'warn' }), { color: true })).toContain('\x1b[33mWARN \x1b[0m')
  })

  it('leaves printable text alone, and escapes invisible bidi overrides too', () => {
    expect(formatText(rec({ msg: 'héllo wörld ✓' }), { header: false })).toBe('héllo wörld ✓')
    expect(formatText(rec({ msg: 'file\u202egpj.exe', name: 'a\u202eb' }), { header: false })).toBe(
      'file\\u202egpj.exe name="a\\u202eb"',
    )
  })
})

describe('parseRecordLine', () => {
  it('reads our lines and pino lines, and nothing else', () => {
    expect(
      parseRecordLine(
        '{"level":"warn","time":"2026-01-01T00:00:00.000Z","server":"s","pid":1,"hostname":"h","msg":"m","x":1}',
      ),
    ).toEqual({
      level: 'warn',
      time: '2026-01-01T00:00:00.000Z',
      server: 's',
      pid: 1,
      hostname: 'h',
      msg: 'm',
      x: 1,
    })
    expect(
      parseRecordLine(
        '{"level":50,"time":1767225600000,"pid":2,"hostname":"h","name":"app","msg":"p"}',
      ),
    ).toEqual({
      level: 'error',
      time: '2026-01-01T00:00:00.000Z',
      pid: 2,
      hostname: 'h',
      server: 'app',
      msg: 'p',
    })
    for (const line of [
      'plain',
      '{"level":"loud","msg":"x"}',
      '{"msg":"no level"}',
      '[1,2]',
      '{broken',
      '{"level":"info"',
    ]) {
      expect(parseRecordLine(line)).toBeUndefined()
    }
  })
})

describe('syslog datagrams', () => {
  it('PRI is facility * 8 + severity, as Python SysLogHandler computes it', () => {
    const levels = { trace: 7, debug: 7, info: 6, warn: 4, error: 3, fatal: 2 } as const
    for (const [level, sev] of Object.entries(levels)) {
      expect(
        formatSyslogDatagram(rec({ level: level as LogRecord['level'] }), {
          facility: 17,
        }).toString(),
      ).toBe(`<${17 * 8 + sev}>object-server[4242]: listening`)
    }
  })

  it('log_max_line_length cuts the message in the middle as Swift does', () => {
    expect(truncateMiddle('abcdefghijklmnopqrstuvwxyz', 15)).toBe('abcde ... vwxyz')
    expect(truncateMiddle('abcdefgh', 5)).toBe('abcde')
    expect(truncateMiddle('short', 0)).toBe('short')
    expect(
      formatSyslogDatagram(rec({ msg: 'x'.repeat(100) }), { maxLineLength: 21 }).toString(),
    ).toBe(`<134>object-server[4242]: ${'x'.repeat(8)} ... ${'x'.repeat(8)}`)
  })

  it('json format puts the whole record in the message', () => {
    const text = formatSyslogDatagram(rec(), { format: 'json' }).toString()
    expect(text.startsWith('<134>object-server[4242]: {"level":"info"')).toBe(true)
    expect(JSON.parse(text.slice(text.indexOf('{')))).toEqual(rec())
  })

  it('a huge message is cut to one datagram, on a UTF-8 boundary', () => {
    const buf = formatSyslogDatagram(rec({ msg: 'é'.repeat(MAX_SYSLOG_DATAGRAM) }))
    expect(buf.length).toBeLessThanOrEqual(MAX_SYSLOG_DATAGRAM)
    expect(buf.toString('utf8')).not.toContain('\ufffd')
  })

  it('a server name cannot break the tag', () => {
    expect(formatSyslogDatagram(rec({ server: 'a b:c[d]' })).toString()).toBe(
      '<134>a_b_c_d_[4242]: listening',
    )
  })
})

describe("Swift's level and facility names", () => {
  it('log_level: Python logging names, case-insensitive; NOTICE is info', () => {
    expect(
      ['DEBUG', 'info', 'Notice', 'WARNING', 'warn', 'ERROR', 'CRITICAL', 'fatal', 'NOTSET'].map(
        parseSwiftLevel,
      ),
    ).toEqual(['debug', 'info', 'info', 'warn', 'warn', 'error', 'fatal', 'fatal', 'trace'])
    expect(parseSwiftLevel('loud')).toBeUndefined()
  })

  it('log_facility: LOG_LOCAL0..7 and the others, with or without LOG_', () => {
    expect(parseFacility('LOG_LOCAL0')).toBe(16)
    expect(parseFacility('LOG_LOCAL7')).toBe(23)
    expect(parseFacility('local3')).toBe(19)
    expect(parseFacility('LOG_DAEMON')).toBe(3)
    expect(parseFacility('LOG_LOCAL8')).toBeUndefined()
  })
})

describe('isoTime', () => {
  it("is toISOString's text, without V8's date formatting", () => {
    const samples = [
      0,
      1,
      999,
      1000,
      86_399_999,
      951_782_400_000,
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ]
    for (let i = 0; i < 1000; i++) samples.push(Math.floor(Math.random() * Date.UTC(9999, 0)))
    for (const ms of samples) expect(isoTime(ms)).toBe(new Date(ms).toISOString())
  })
})
