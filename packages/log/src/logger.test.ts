import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { tempDir } from '@forklift/test-utils'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import {
  createLogger,
  createWorkerLogger,
  type LogDestination,
  type Logger,
  type LogRecord,
  type MinimalLogger,
  relayLine,
  silentLogger,
  stdioLine,
} from './index.js'

const DIST = new URL('../dist/index.js', import.meta.url).pathname

function memory(): LogDestination & { records: LogRecord[] } {
  const records: LogRecord[] = []
  return { records, description: 'memory', write: (r) => void records.push(r) }
}

describe('createLogger', () => {
  it('writes JSON lines: level, time, server, pid, hostname, bindings, fields, msg, in that order', () => {
    const file = join(tempDir(), 'server.log')
    const log = createLogger({ name: 'object-server', file })
    log.child({ worker: 2 }).info({ port: 6200 }, 'listening')
    log.debug('hidden at info')
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(1)
    const rec = JSON.parse(lines[0]!)
    expect(Object.keys(rec)).toEqual([
      'level',
      'time',
      'server',
      'pid',
      'hostname',
      'worker',
      'port',
      'msg',
    ])
    expect(rec).toMatchObject({
      level: 'info',
      server: 'object-server',
      pid: process.pid,
      hostname: hostname(),
      worker: 2,
      port: 6200,
      msg: 'listening',
    })
    expect(new Date(rec.time).toISOString()).toBe(rec.time)
  })

  it('writes to stderr by default (JSON when it is not a terminal), and verbose enables debug', () => {
    const script = `
      import { createLogger } from ${JSON.stringify(DIST)}
      createLogger({ name: 'x', verbose: true }).debug('dbg')`
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    })
    expect(res.status).toBe(0)
    expect(res.stdout).toBe('')
    expect(JSON.parse(res.stderr.trim())).toMatchObject({ server: 'x', level: 'debug', msg: 'dbg' })
  })

  it('takes pino call shapes: a message, fields and a message, an Error, {err}, fields with msg', () => {
    const dest = memory()
    const log = createLogger({ name: 's', level: 'trace' }, { destination: dest })
    const err = Object.assign(new Error('boom'), { code: 'E_X' })
    log.info('only text')
    log.warn({ a: 1 }, 'fields')
    log.error(err)
    log.error({ err }, 'with err')
    log.trace({ msg: 'msg in fields' })
    log.fatal({ b: 2 })
    expect(dest.records.map((r) => [r.level, r.msg])).toEqual([
      ['info', 'only text'],
      ['warn', 'fields'],
      ['error', 'boom'],
      ['error', 'with err'],
      ['trace', 'msg in fields'],
      ['fatal', ''],
    ])
    expect(dest.records[2]!.err).toBe(err)
  })

  it('writes each key once: fields named like record keys keep their value under a suffixed key', () => {
    const file = join(tempDir(), 'x.log')
    const log = createLogger({ name: 'a', file }).child({ server: 'b' })
    log.info({ pid: 7, level: 'nope', time: 0, hostname: 'elsewhere' }, 'm')
    const text = readFileSync(file, 'utf8').trim()
    const rec = JSON.parse(text)
    expect(rec).toMatchObject({
      pid: process.pid,
      level: 'info',
      server: 'a',
      pid_: 7,
      level_: 'nope',
      time_: 0,
      hostname_: 'elsewhere',
      server_: 'b',
    })
    for (const key of ['"pid":', '"level":', '"server":', '"msg":']) {
      expect(text.split(key)).toHaveLength(2)
    }
  })

  it('serializes errors (type, message, stack, code, cause), bigints and cycles without throwing', () => {
    const file = join(tempDir(), 'x.log')
    const log = createLogger({ name: 'a', file })
    const cyclic: Record<string, unknown> = { n: 1 }
    cyclic.self = cyclic
    const err = new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ENOENT' }) })
    log.error({ err, big: 2n ** 70n, cyclic }, 'failed')
    const rec = JSON.parse(readFileSync(file, 'utf8'))
    expect(rec.err).toMatchObject({
      type: 'Error',
      message: 'outer',
      stack: expect.stringContaining('Error: outer'),
      cause: { type: 'Error', message: 'inner', code: 'ENOENT' },
    })
    expect(rec.big).toBe('1180591620717411303424')
    expect(rec.cyclic).toEqual({ n: 1, self: '[Circular]' })
  })

  it('knows its level and bindings', () => {
    const log = createLogger({ name: 'a', level: 'warn' }, { destination: memory() })
    expect(log.level).toBe('warn')
    expect(log.isLevelEnabled('info')).toBe(false)
    expect(log.isLevelEnabled('error')).toBe(true)
    expect(log.isLevelEnabled('bogus')).toBe(false)
    expect(log.child({ worker: 1 }).bindings()).toEqual({
      server: 'a',
      pid: process.pid,
      hostname: hostname(),
      worker: 1,
    })
  })

  it('refuses an unknown level', () => {
    expect(() => createLogger({ name: 'a', level: 'loud' as 'info' })).toThrow(
      'unknown log level "loud"',
    )
  })
})

describe('silentLogger', () => {
  it('drops everything, and its children too', () => {
    const log = silentLogger()
    expect(log.isLevelEnabled('fatal')).toBe(false)
    expect(log.level).toBe('silent')
    const child = log.child({ worker: 1 })
    expect(child.isLevelEnabled('error')).toBe(false)
    let flushed = false
    child.error({ err: new Error('x') }, 'dropped')
    log.flush(() => {
      flushed = true
    })
    expect(flushed).toBe(true)
  })
})

describe('start-up cost', () => {
  it('importing and logging to stderr loads neither pino, nor the unix socket addon, nor node:dgram', () => {
    const script = `
      import { createLogger, createWorkerLogger, silentLogger } from ${JSON.stringify(DIST)}
      import { createRequire } from 'node:module'
      import { readFileSync, writeSync } from 'node:fs'
      silentLogger().info('x')
      createWorkerLogger({ name: 'w' }).info('to stderr')
      const cache = Object.keys(createRequire(import.meta.url).cache)
      // not process.stdout: that stream itself loads node:net for a pipe
      writeSync(1, JSON.stringify({
        pino: cache.some((k) => k.includes('/pino/')),
        // the native addon behind unix datagrams, mapped only on the first one sent
        addon: readFileSync('/proc/self/maps', 'utf8').includes('forklift-posix'),
        dgram: process.moduleLoadList.some((m) => m.endsWith(' dgram')),
        net: process.moduleLoadList.some((m) => m.endsWith(' net')),
      }))`
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    })
    expect(JSON.parse(res.stderr)).toMatchObject({ msg: 'to stderr' })
    expect(JSON.parse(res.stdout)).toEqual({ pino: false, addon: false, dgram: false, net: false })
  })
})

describe('consumers bring their own logger', () => {
  it('a pino logger is a MinimalLogger and a Logger, and takes relayed worker lines', () => {
    const chunks: string[] = []
    const sink = new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk))
        cb()
      },
    })
    const p = pino({ level: 'debug', base: { app: 'theirs' } }, sink)
    const minimal: MinimalLogger = p
    const full: Logger = p
    relayLine(
      minimal.child({ worker: 1 }),
      '{"level":"warn","time":"2026-01-01T00:00:00.000Z","server":"s","pid":9,"hostname":"h","port":6200,"msg":"from a worker"}',
    )
    stdioLine(full, 'stdout', 'console.log text\n')
    const recs = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(recs[0]).toMatchObject({
      level: 40,
      app: 'theirs',
      worker: 1,
      port: 6200,
      msg: 'from a worker',
    })
    expect(recs[1]).toMatchObject({ level: 30, msg: 'STDOUT: console.log text' })
  })

  it('so is a console-style object with child()', () => {
    const seen: unknown[][] = []
    const make = (bindings: object): MinimalLogger => ({
      debug: (...a: unknown[]) => void seen.push(['debug', bindings, ...a]),
      info: (...a: unknown[]) => void seen.push(['info', bindings, ...a]),
      warn: (...a: unknown[]) => void seen.push(['warn', bindings, ...a]),
      error: (...a: unknown[]) => void seen.push(['error', bindings, ...a]),
      child: (b) => make({ ...bindings, ...b }),
    })
    relayLine(make({}).child({ worker: 3 }), '{"level":"fatal","msg":"bad","pid":1}')
    relayLine(make({}), 'not json', 'stderr')
    expect(seen).toEqual([
      ['error', { worker: 3 }, {}, 'bad'],
      ['error', {}, 'STDERR: not json'],
    ])
  })
})

describe('relayLine into our logger', () => {
  it('keeps the worker record (pid, time, fields) and adds the bindings it lacks', () => {
    const dest = memory()
    const log = createLogger({ name: 'object-server' }, { destination: dest })
    const relay = log.child({ worker: 1, generation: 2 })
    relayLine(
      relay,
      '{"level":"info","time":"2026-01-01T00:00:00.000Z","server":"object-server","pid":4242,"hostname":"h","worker":0,"path":"/x","msg":"GET"}',
    )
    relayLine(relay, '{"level":"debug","msg":"below the parent level: dropped"}')
    relayLine(relay, 'Error: thrown before the logger existed', 'stderr')
    relayLine(relay, 'hello from console.log', 'stdout')
    relayLine(relay, '   ')
    relayLine(relay, '{"not":"a record"}', 'stdout')
    expect(dest.records).toEqual([
      {
        level: 'info',
        time: '2026-01-01T00:00:00.000Z',
        server: 'object-server',
        pid: 4242,
        hostname: 'h',
        generation: 2,
        worker: 0,
        path: '/x',
        msg: 'GET',
      },
      expect.objectContaining({
        level: 'error',
        pid: process.pid,
        worker: 1,
        msg: 'STDERR: Error: thrown before the logger existed',
      }),
      expect.objectContaining({ level: 'info', worker: 1, msg: 'STDOUT: hello from console.log' }),
      expect.objectContaining({ level: 'info', msg: 'STDOUT: {"not":"a record"}' }),
    ])
  })

  it('createWorkerLogger writes what relayLine reads, always JSON', () => {
    const script = `
      import { createWorkerLogger } from ${JSON.stringify(DIST)}
      createWorkerLogger({ name: 'object-server', level: 'debug', bindings: { worker: 5 } }).debug({ a: 1 }, 'x')`
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    })
    const dest = memory()
    relayLine(createLogger({ name: 'p', level: 'debug' }, { destination: dest }), res.stderr.trim())
    expect(dest.records).toEqual([
      expect.objectContaining({
        level: 'debug',
        server: 'object-server',
        pid: res.pid,
        worker: 5,
        a: 1,
        msg: 'x',
      }),
    ])
    expect(createWorkerLogger({ name: 'w' }).destination.description).toBe('standard error')
  })
})

describe('on a terminal', () => {
  it('stderr gets text a person reads, coloured; with NO_COLOR, plain; log_format json wins', () => {
    // script(1) from util-linux gives the child a real pseudo-terminal
    const inPty = (env: NodeJS.ProcessEnv, format = 'auto') => {
      const base: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm', ...env }
      if (!('NO_COLOR' in env)) delete base.NO_COLOR
      return spawnSync(
        'script',
        [
          '-qec',
          `${process.execPath} --input-type=module -e "import { createLogger } from '${DIST}'; createLogger({ name: 'object-server', format: '${format}' }).child({ worker: 1 }).warn({ port: 6200 }, 'slow')"`,
          '/dev/null',
        ],
        { encoding: 'utf8', env: base },
      ).stdout
    }
    const colored = inPty({})
    expect(colored).toMatch(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the colour sequences are the point
      /^\x1b\[2m\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\x1b\[0m \x1b\[33mWARN \x1b\[0m object-server\[\d+\]: slow worker=1 port=6200\r\n$/,
    )
    expect(inPty({ NO_COLOR: '1' })).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} WARN {2}object-server\[\d+\]: slow worker=1 port=6200\r\n$/,
    )
    expect(JSON.parse(inPty({}, 'json'))).toMatchObject({ level: 'warn', msg: 'slow', worker: 1 })
  })
})
