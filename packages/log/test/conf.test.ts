import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { LogConfigError, logDestinationFromConf, logOptionsFromConf } from '../src/conf.js'
import { DIST, DIST_CONF, startReceiver } from './helpers.js'

const where = { file: '/etc/swift/object-server.conf', section: 'app:object-server' }

describe('logOptionsFromConf', () => {
  it("has Swift's defaults", () => {
    expect(logOptionsFromConf({}, { name: 'object-server' })).toEqual({
      name: 'object-server',
      level: 'info',
      facility: 16,
      address: '/dev/log',
      udpHost: undefined,
      udpPort: 514,
      file: undefined,
      createDir: false,
      format: 'auto',
      maxLineLength: 0,
    })
    expect(logOptionsFromConf({}).name).toBe('swift')
  })

  it('reads every option; log_name wins over the given name', () => {
    expect(
      logOptionsFromConf(
        {
          log_name: 'obj-6200',
          log_level: 'DEBUG',
          log_facility: 'LOG_LOCAL4',
          log_address: '/run/systemd/journal/dev-log',
          log_udp_host: '10.0.0.1',
          log_udp_port: '5514',
          log_file: '/var/log/forklift/object.log',
          log_file_mkdir: 'yes',
          log_format: 'TEXT',
          log_max_line_length: '2048',
        },
        { name: 'object-server' },
      ),
    ).toEqual({
      name: 'obj-6200',
      level: 'debug',
      facility: 20,
      address: '/run/systemd/journal/dev-log',
      udpHost: '10.0.0.1',
      udpPort: 5514,
      file: '/var/log/forklift/object.log',
      createDir: true,
      format: 'text',
      maxLineLength: 2048,
    })
  })

  it("leaves Swift's access-log log_format template to the app", () => {
    expect(
      logOptionsFromConf({
        log_format: '{remote_addr} - - [{time.d}/{time.b}/{time.Y}] "{method} {path}"',
      }).format,
    ).toBe('auto')
  })

  it('names the file, section and key of a bad value', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [
        { log_level: 'LOUD' },
        `${where.file} [${where.section}] log_level: unknown level "LOUD" (expected one of NOTSET, TRACE, DEBUG, INFO, NOTICE, WARN, WARNING, ERROR, CRITICAL, FATAL, SILENT)`,
      ],
      [
        { log_facility: 'LOG_LOCAL9' },
        `${where.file} [${where.section}] log_facility: unknown facility "LOG_LOCAL9" (expected one of LOG_KERN,`,
      ],
      [
        { log_udp_host: 'x', log_udp_port: '70000' },
        `${where.file} [${where.section}] log_udp_port: expected an integer from 1 to 65535, got "70000"`,
      ],
      [
        { log_max_line_length: '-1' },
        `${where.file} [${where.section}] log_max_line_length: expected an integer from 0 to`,
      ],
    ]
    for (const [conf, message] of cases) {
      let err: unknown
      try {
        logOptionsFromConf(conf, { where })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(LogConfigError)
      expect(err).toMatchObject({ code: 'E_LOG_OPTION', file: where.file, section: where.section })
      expect((err as Error).message.startsWith(message)).toBe(true)
      expect((err as Error).message).not.toContain('\n')
    }
  })
})

describe('logDestinationFromConf', () => {
  it('log_file: the file, opened safely; a planted symlink is a located error', () => {
    const dir = tempDir()
    expect(logDestinationFromConf({ log_file: join(dir, 'a.log') }).destination.description).toBe(
      `file ${join(dir, 'a.log')}`,
    )
    writeFileSync(join(dir, 'secret'), 'x')
    symlinkSync(join(dir, 'secret'), join(dir, 'b.log'))
    expect(() => logDestinationFromConf({ log_file: join(dir, 'b.log') }, { where })).toThrow(
      expect.objectContaining({
        name: 'LogConfigError',
        code: 'E_LOG_FILE_UNSAFE',
        key: 'log_file',
        message: `${where.file} [${where.section}] log_file: refusing log file ${join(dir, 'b.log')}: it is a symlink`,
      }),
    )
    expect(readFileSync(join(dir, 'secret'), 'utf8')).toBe('x')
  })

  it('log_file in a missing directory: only with log_file_mkdir', () => {
    const file = join(tempDir(), 'new', 'a.log')
    expect(() => logDestinationFromConf({ log_file: file })).toThrow(
      expect.objectContaining({ code: 'E_LOG_DIR_MISSING' }),
    )
    expect(
      logDestinationFromConf({ log_file: file, log_file_mkdir: 'true' }).destination.description,
    ).toBe(`file ${file}`)
  })

  it('log_file = - is standard error, with no warning', () => {
    const chosen = logDestinationFromConf({ log_file: '-' })
    expect(chosen.destination.description).toBe('standard error')
    expect(chosen.warning).toBeUndefined()
  })

  it('log_udp_host: syslog over UDP; log_address a socket: syslog there', async () => {
    expect(logDestinationFromConf({ log_udp_host: '127.0.0.1' }).destination.description).toBe(
      'syslog udp 127.0.0.1:514',
    )
    const rx = await startReceiver('unix', join(tempDir(), 'dev-log'))
    expect(logDestinationFromConf({ log_address: rx.address }).destination.description).toBe(
      `syslog ${rx.address}`,
    )
  })

  it('an abstract log_address (@name) is syslog there; one too long is a located error', () => {
    expect(logDestinationFromConf({ log_address: '@syslog' }).destination.description).toBe(
      'syslog @syslog',
    )
    expect(() => logDestinationFromConf({ log_address: `@${'x'.repeat(200)}` }, { where })).toThrow(
      expect.objectContaining({
        code: 'E_LOG_ADDRESS',
        key: 'log_address',
        message: expect.stringMatching(
          /^\/etc\/swift\/object-server.conf \[app:object-server\] log_address: /,
        ),
      }),
    )
  })

  it('log_address that is not a socket: standard error and a warning saying so', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'file'), '')
    const missing = logDestinationFromConf({ log_address: join(dir, 'nope') })
    expect(missing.destination.description).toBe('standard error')
    expect(missing.warning).toBe(
      `log_address ${join(dir, 'nope')} is unusable (no such file): logging to standard error (set log_file, or log_udp_host, or start a syslog daemon)`,
    )
    expect(logDestinationFromConf({ log_address: join(dir, 'file') }).warning).toMatch(
      /is not a socket: logging to standard error/,
    )
  })
})

const run = (script: string) =>
  spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { createServerLogger } from ${JSON.stringify(DIST_CONF)}\n${script}`,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  )

describe('createServerLogger', () => {
  it('with no syslog socket and no log_file: every line on stderr, after exactly one warning', () => {
    const res = run(`
      const log = createServerLogger({ log_address: '/nonexistent/dev/log' }, { name: 'object-server' })
      log.info('started')
      log.child({ worker: 1 }).error('oops')`)
    expect(res.status).toBe(0)
    const lines = res.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [
        'warn',
        'log_address /nonexistent/dev/log is unusable (no such file): logging to standard error (set log_file, or log_udp_host, or start a syslog daemon)',
      ],
      ['info', 'started'],
      ['error', 'oops'],
    ])
    expect(lines.every((l) => l.server === 'object-server' && l.pid === res.pid)).toBe(true)
  })

  it('in a worker (worker set): JSON lines on stderr with the worker, at log_level, opening nothing', () => {
    const dir = tempDir()
    const res = run(`
      const log = createServerLogger({ log_file: ${JSON.stringify(join(dir, 'never.log'))}, log_level: 'WARNING', log_name: 'obj' }, { name: 'object-server', worker: 3 })
      log.info('dropped')
      log.warn('kept')`)
    expect(res.status).toBe(0)
    expect(JSON.parse(res.stderr)).toMatchObject({
      server: 'obj',
      worker: 3,
      level: 'warn',
      msg: 'kept',
    })
    expect(() => readFileSync(join(dir, 'never.log'))).toThrow()
  })

  it('console (verbose) writes to the log file and to stderr', () => {
    const file = join(tempDir(), 'x.log')
    const res = run(`
      createServerLogger({ log_file: ${JSON.stringify(file)} }, { name: 'object-server', console: true, level: 'debug' }).debug('both')`)
    expect(res.status).toBe(0)
    expect(JSON.parse(res.stderr)).toMatchObject({ level: 'debug', msg: 'both' })
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ level: 'debug', msg: 'both' })
  })

  it('log_format = text in a file; reopenOnSignal reopens it on SIGUSR2', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'log'))
    chmodSync(join(dir, 'log'), 0o755)
    const file = join(dir, 'log', 'x.log')
    const res = run(`
      const log = createServerLogger({ log_file: ${JSON.stringify(file)}, log_format: 'text' }, { name: 'object-server', reopenOnSignal: true })
      const { renameSync } = await import('node:fs')
      log.info('before')
      renameSync(${JSON.stringify(file)}, ${JSON.stringify(`${file}.1`)})
      // our handler was installed first, so it has run when this one runs
      // (a signal listener alone does not keep the event loop alive)
      const alive = setInterval(() => {}, 1000)
      const delivered = new Promise((r) => process.once('SIGUSR2', r))
      process.kill(process.pid, 'SIGUSR2')
      await delivered
      clearInterval(alive)
      log.info('after')`)
    expect(res.stderr).toBe('')
    expect(res.status).toBe(0)
    expect(readFileSync(`${file}.1`, 'utf8')).toMatch(
      /^\S+ \S+ INFO {2}object-server\[\d+\]: before\n$/,
    )
    expect(readFileSync(file, 'utf8')).toMatch(
      /INFO {2}object-server\[\d+\]: log file reopened signal=SIGUSR2\n.*INFO {2}object-server\[\d+\]: after\n$/,
    )
  })

  it('to syslog from the conf, a relayed worker line included', async () => {
    const rx = await startReceiver('unix', join(tempDir(), 'dev-log'))
    const res = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createServerLogger } from ${JSON.stringify(DIST_CONF)}
         import { relayLine } from ${JSON.stringify(DIST)}
         const log = createServerLogger({ log_address: ${JSON.stringify(rx.address)}, log_facility: 'LOG_LOCAL1', log_name: 'proxy-server' }, { name: 'proxy' })
         log.info('up')
         relayLine(log.child({ worker: 0 }), '{"level":"error","time":"2026-01-01T00:00:00.000Z","server":"proxy-server","pid":77,"hostname":"h","msg":"worker says"}')`,
      ],
      { encoding: 'utf8', timeout: 20_000 },
    )
    expect(res.stderr).toBe('')
    await waitFor(() => rx.texts().length === 2, 'two datagrams')
    expect(rx.texts()).toEqual([
      `<142>proxy-server[${res.pid}]: up`,
      '<139>proxy-server[77]: worker says worker=0',
    ])
  })
})
