import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import {
  createLogger,
  type DatagramSender,
  type LogRecord,
  relayLine,
  syslogDestination,
  udpDatagramSender,
  unixDatagramSender,
} from '../src/index.js'
import { DIST, startReceiver } from './helpers.js'

const memory = () => {
  const records: LogRecord[] = []
  return { records, description: 'memory', write: (r: LogRecord) => void records.push(r) }
}

describe('syslog over a unix datagram socket (Python receiver)', () => {
  it('sends <PRI>server[pid]: message, PRI from the facility and the level', async () => {
    const rx = await startReceiver('unix', join(tempDir(), 'log.sock'))
    const dest = syslogDestination({ sender: unixDatagramSender(rx.address), facility: 19 })
    const log = createLogger({ name: 'object-server', level: 'debug' }, { destination: dest })
    log.info('plain')
    log.child({ worker: 2 }).warn({ port: 6200 }, 'with fields')
    log.error({ err: new Error('boom') }, 'failed')
    log.debug('dbg')
    log.fatal('fatal')
    await log.flushed()
    const got = await waitFor(() => rx.texts().length === 5 && rx.texts(), 'five datagrams')
    const pid = process.pid
    // LOCAL3 = 19: 19*8 + info 6 = 158, warning 4 = 156, err 3 = 155, debug 7 = 159, crit 2 = 154
    expect(got[0]).toBe(`<158>object-server[${pid}]: plain`)
    expect(got[1]).toBe(`<156>object-server[${pid}]: with fields worker=2 port=6200`)
    expect(got[2]).toMatch(
      new RegExp(`^<155>object-server\\[${pid}\\]: failed err="Error: boom"#012    at `),
    )
    expect(got[2]).not.toContain('\n')
    expect(got[3]).toBe(`<159>object-server[${pid}]: dbg`)
    expect(got[4]).toBe(`<154>object-server[${pid}]: fatal`)
  })

  it('writes a newline a client put in a message as #012: one record, one syslog line', async () => {
    const rx = await startReceiver('unix', join(tempDir(), 'log.sock'))
    const log = createLogger(
      { name: 'proxy-server' },
      { destination: syslogDestination({ sender: unixDatagramSender(rx.address) }) },
    )
    log.info({ path: '/v1/a\nFAKE' }, 'GET /v1/a\n<14>forged: line')
    await waitFor(() => rx.texts().length === 1, 'one datagram')
    const [text] = rx.texts()
    expect(text).not.toMatch(/[\n\r]/)
    expect(text).toBe(
      `<134>proxy-server[${process.pid}]: GET /v1/a\\n<14>forged: line path="/v1/a\\nFAKE"`,
    )
  })

  it('keeps a relayed worker line with the worker pid in the tag', async () => {
    const rx = await startReceiver('unix', join(tempDir(), 'log.sock'))
    const log = createLogger(
      { name: 'object-server' },
      { destination: syslogDestination({ sender: unixDatagramSender(rx.address) }) },
    )
    relayLine(
      log.child({ generation: 1 }),
      '{"level":"warn","time":"2026-01-01T00:00:00.000Z","server":"object-server","pid":4242,"hostname":"h","worker":0,"msg":"slow"}',
    )
    relayLine(log, 'Traceback-ish raw text', 'stderr')
    await waitFor(() => rx.texts().length === 2, 'two datagrams')
    expect(rx.texts()).toEqual([
      '<132>object-server[4242]: slow generation=1 worker=0',
      `<131>object-server[${process.pid}]: STDERR: Traceback-ish raw text`,
    ])
  })

  it('falls back to stderr with one warning while the daemon is down, and says when it is back', async () => {
    const sock = join(tempDir(), 'log.sock')
    const rx = await startReceiver('unix', sock)
    const fallback = memory()
    const log = createLogger(
      { name: 'x' },
      { destination: syslogDestination({ sender: unixDatagramSender(sock), fallback }) },
    )
    log.info('one')
    await waitFor(() => rx.texts().length === 1, 'the first datagram')
    await rx.stop() // the daemon dies: its socket file stays, nobody reads it
    log.info('two')
    log.info('three')
    await log.flushed()
    expect(fallback.records.map((r) => `${r.level} ${r.msg}`)).toEqual([
      `warn cannot log to syslog at ${sock} (ECONNREFUSED): writing to memory until it is back`,
      'info two',
      'info three',
    ])
    const rx2 = await startReceiver('unix', sock) // a new daemon binds the same path
    log.info('four')
    await waitFor(() => rx2.texts().length === 2, 'the datagrams after the outage')
    expect(rx2.texts()).toEqual([
      `<134>x[${process.pid}]: four`,
      `<134>x[${process.pid}]: syslog at ${sock} reachable again (was: ECONNREFUSED)`,
    ])
    expect(fallback.records).toHaveLength(3)
  })

  it("createLogger's syslog option logs beside the file; during an outage the file gets one warning and keeps every record", async () => {
    const dir = tempDir()
    const sock = join(dir, 'log.sock')
    const file = join(dir, 'volume.log')
    const rx = await startReceiver('unix', sock)
    const log = createLogger({
      name: 'forklift-volume',
      file,
      syslog: { address: sock, facility: 17, tag: 'cinder-volume' },
    })
    expect(log.destination.description).toBe(`file ${file} and syslog ${sock}`)
    log.info('one')
    log.error('two')
    await waitFor(() => rx.texts().length === 2, 'two datagrams')
    // LOCAL1 = 17: 17*8 + info 6 = 142, err 3 = 139; the tag renames the server there only
    expect(rx.texts()).toEqual([
      `<142>cinder-volume[${process.pid}]: one`,
      `<139>cinder-volume[${process.pid}]: two`,
    ])
    await rx.stop()
    log.info('three')
    log.info('four')
    await log.flushed()
    const lines = () =>
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as LogRecord)
    expect(lines().map((r) => `${r.server} ${r.level} ${r.msg}`)).toEqual([
      'forklift-volume info one',
      'forklift-volume error two',
      'forklift-volume info three',
      `forklift-volume warn cannot log to syslog at ${sock} (ECONNREFUSED): records go to file ${file} only until it is back`,
      'forklift-volume info four',
    ])
    const rx2 = await startReceiver('unix', sock)
    log.info('five')
    await waitFor(() => rx2.texts().length === 2, 'the datagrams after the outage')
    expect(rx2.texts()[1]).toBe(
      `<142>cinder-volume[${process.pid}]: syslog at ${sock} reachable again (was: ECONNREFUSED)`,
    )
    expect(lines()).toHaveLength(6)
    log.close()
  })

  it("createLogger's syslog option defaults to /dev/log at LOG_USER, and a worker given the same options opens its own", () => {
    const script = `
      import { createLogger } from ${JSON.stringify(DIST)}
      const log = createLogger({ name: 'w', syslog: {} })
      process.stdout.write(log.destination.description)`
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(res.status).toBe(0)
    expect(res.stdout).toBe('standard error and syslog /dev/log')
  })

  it('does not keep a process alive, and a line logged just before exit is delivered', async () => {
    const rx = await startReceiver('unix', join(tempDir(), 'log.sock'))
    const script = `
      import { createLogger, syslogDestination, unixDatagramSender } from ${JSON.stringify(DIST)}
      const log = createLogger({ name: 'once' }, { destination: syslogDestination({ sender: unixDatagramSender(${JSON.stringify(rx.address)}) }) })
      log.info('first')
      setTimeout(() => { log.info('last words'); process.exit(3) }, 10)`
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(res.stderr).toBe('')
    expect(res.status).toBe(3)
    const natural = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createLogger, syslogDestination, unixDatagramSender } from ${JSON.stringify(DIST)}
         createLogger({ name: 'done' }, { destination: syslogDestination({ sender: unixDatagramSender(${JSON.stringify(rx.address)}) }) }).info('bye')`,
      ],
      { encoding: 'utf8', timeout: 20_000 },
    )
    expect(natural.signal).toBeNull() // not killed by the timeout: the loop ended
    expect(natural.status).toBe(0)
    await waitFor(() => rx.texts().length === 3, 'three datagrams')
    expect(rx.texts().map((t) => t.replace(/\[\d+\]/, '[N]'))).toEqual([
      '<134>once[N]: first',
      '<134>once[N]: last words',
      '<134>done[N]: bye',
    ])
  })

  it('sends to an abstract log_address (@name) with its exact length, as journald binds it', async () => {
    const name = `@forklift-log-test-${process.pid}-${Date.now()}`
    const rx = await startReceiver('unix', name)
    const log = createLogger(
      { name: 'x' },
      { destination: syslogDestination({ sender: unixDatagramSender(name), facility: 16 }) },
    )
    log.info('abstract')
    await waitFor(() => rx.texts().length === 1, 'the datagram')
    expect(rx.texts()).toEqual([`<134>x[${process.pid}]: abstract`])
  })

  it('refuses an address no socket can have, with a clear error', () => {
    expect(() => unixDatagramSender(`@${'x'.repeat(120)}`)).toThrow(
      expect.objectContaining({
        code: 'E_LOG_ADDRESS',
        message: expect.stringMatching(/sun_path/),
      }),
    )
    expect(() => unixDatagramSender('/dev/\0log')).toThrow(
      expect.objectContaining({ code: 'E_LOG_ADDRESS' }),
    )
  })
})

describe('syslog over UDP (Python receiver)', () => {
  it('sends the same datagrams to log_udp_host:log_udp_port', async () => {
    const rx = await startReceiver('udp')
    const sender = udpDatagramSender('127.0.0.1', Number(rx.address))
    expect(sender.address).toBe(`udp 127.0.0.1:${rx.address}`)
    const log = createLogger(
      { name: 'container-server' },
      { destination: syslogDestination({ sender, facility: 23 }) },
    )
    log.warn({ device: 'sdb1' }, 'unmounted')
    await log.flushed()
    await waitFor(() => rx.texts().length === 1, 'one UDP datagram')
    // LOCAL7 = 23: 23*8 + warning 4 = 188
    expect(rx.texts()).toEqual([`<188>container-server[${process.pid}]: unmounted device=sdb1`])
  })

  it('resolves a host name', async () => {
    const rx = await startReceiver('udp')
    const log = createLogger(
      { name: 'n' },
      {
        destination: syslogDestination({
          sender: udpDatagramSender('localhost', Number(rx.address)),
        }),
      },
    )
    log.info('via localhost')
    await waitFor(() => rx.texts().length === 1, 'one UDP datagram')
    expect(rx.texts()).toEqual([`<134>n[${process.pid}]: via localhost`])
  })
})

describe('syslogDestination with a sender of your own', () => {
  it('takes any DatagramSender; a stuck receiver sends records to the fallback', () => {
    const pending: Array<() => void> = []
    const sent: string[] = []
    const sender: DatagramSender = {
      address: 'stuck',
      send(d, done) {
        sent.push(d.toString())
        pending.push(() => done(null))
      },
      close() {},
    }
    const fallback = memory()
    const log = createLogger(
      { name: 's' },
      { destination: syslogDestination({ sender, fallback, maxInFlight: 2 }) },
    )
    log.info('a')
    log.info('b')
    log.info('c')
    expect(sent).toHaveLength(2)
    expect(fallback.records.map((r) => r.msg)).toEqual([
      'cannot log to syslog at stuck (2 messages not yet taken): writing to memory until it is back',
      'c',
    ])
  })
})
