// The binaries as programs (their /bin/sh launcher part, not `node bin/x`):
// Node's debugger signal never opens the inspector, from the first instant,
// and an old Node gets one line naming the version needed.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { launcherHeader } from '@forklift/posix/launch'
import { signalDisposition } from '@forklift/posix/signals'
import { freePort, spawnCollect, tempDir } from '@forklift/test-utils'
import { describe, expect, it } from 'vitest'
import { BIN_DIR, get, startBin, waitFor, writeConf } from './helpers.js'

interface AppPackage {
  name: string
  bin: Record<string, string>
  engines: { node: string }
}
const APPS_DIR = join(import.meta.dirname, '..', '..')
const readPkg = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as AppPackage
// Every app's binaries: the version check runs before anything is imported,
// so it needs no build.
const ALL_BINS = readdirSync(APPS_DIR)
  .filter((d) => existsSync(join(APPS_DIR, d, 'package.json')))
  .flatMap((d) => {
    const pkg = readPkg(join(APPS_DIR, d))
    return Object.entries(pkg.bin ?? {}).map(([name, rel]) => ({
      name,
      file: join(APPS_DIR, d, rel),
      range: pkg.engines.node,
    }))
  })
// This machine's own Node (Debian's 20), first on PATH as on a fresh host.
const OLD_PATH = `/usr/bin:/bin:${process.env.PATH}`
const OLD_NODE_VERSION = existsSync('/usr/bin/node')
  ? execFileSync('/usr/bin/node', ['-v'], { encoding: 'utf8' }).trim()
  : undefined
const HAS_OLD_NODE = OLD_NODE_VERSION !== undefined && !OLD_NODE_VERSION.startsWith('v24')

// A parent that spawns a server blocks SIGUSR1 for it (GNU env, what
// swift-init should do): the signal then waits from the child's first
// instruction. Without it, it is ignored from the launcher's first line.
const BLOCKED = ['env', '--block-signal=USR1']

/** Polls until `pid` ignores or blocks SIGUSR1 (the launcher's first line ran). */
function usr1Guarded(pid: number): Promise<boolean> {
  return waitFor(() => {
    const d = signalDisposition('SIGUSR1', pid)
    return d.ignored || d.blocked
  }, 'the launcher to guard SIGUSR1')
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

describe('the binaries’ launcher', () => {
  it('every binary of every app starts with the launcher (regenerate with launcherHeader() when it changes)', () => {
    expect(ALL_BINS.length).toBeGreaterThanOrEqual(9)
    for (const { file } of ALL_BINS) {
      expect(readFileSync(file, 'utf8').startsWith(launcherHeader()), file).toBe(true)
    }
  })

  it.skipIf(!HAS_OLD_NODE)(
    'on the system Node 20 every binary, --help and --test-config included, prints one line and exits 1',
    async () => {
      const env = { ...process.env, PATH: OLD_PATH, FORKLIFT_NODE: '' }
      const conf = writeConf(tempDir('fl-old-node-'), { port: 1 })
      for (const { name, file, range } of ALL_BINS) {
        for (const args of [['--help'], [conf, '--test-config'], [conf]]) {
          const p = spawnCollect(file, args, { env })
          expect(await p.closed, `${name} ${args.join(' ')}`).toEqual({ code: 1, signal: null })
          expect(p.stdout()).toBe('')
          expect(p.stderr()).toBe(
            `${name.replace(/\.mjs$/, '')}: needs Node ${range} (found ${OLD_NODE_VERSION} at /usr/bin/node); set FORKLIFT_NODE to a newer node\n`,
          )
        }
        // Started as `node bin/x` on that Node: the module's own check, same line.
        const direct = spawnCollect('/usr/bin/node', [file, '--help'])
        expect(await direct.closed).toEqual({ code: 1, signal: null })
        expect(direct.stderr()).toMatch(
          new RegExp(
            `^${name.replace(/\.mjs$/, '')}: needs Node \\S.* \\(this is ${OLD_NODE_VERSION!.replace(/\./g, '\\.')}, /usr/bin/node\\);`,
          ),
        )
      }
    },
  )

  it('on the pinned Node every binary of this app and swift-init answers --help', async () => {
    const built = ALL_BINS.filter(({ file }) => !file.includes('/volume/'))
    for (const { name, file } of built) {
      const p = spawnCollect(file, ['--help'], {
        env: { ...process.env, FORKLIFT_NODE: process.execPath },
      })
      expect(await p.closed, name).toEqual({ code: 0, signal: null })
      expect(p.stdout()).toMatch(new RegExp(`^Usage: ${name.replace(/\.mjs$/, '')} `))
    }
  })

  for (const delay of [5, 10, 20, 40, 60]) {
    it(`a SIGUSR1 ${delay} ms after the server is spawned never opens the inspector; a later one reloads`, async () => {
      const dir = tempDir('fl-usr1-')
      const port = await freePort()
      const inspect = await freePort()
      const log = join(dir, 'object.log')
      const conf = writeConf(dir, { port, extra: `workers = 1\nlog_file = ${log}` })
      const server = startBin(
        'swift-object-server',
        [conf],
        { FORKLIFT_NODE: process.execPath, NODE_OPTIONS: `--inspect-port=127.0.0.1:${inspect}` },
        BLOCKED,
      )
      await new Promise((r) => setTimeout(r, delay))
      process.kill(server.pid, 'SIGUSR1')
      await server.ready()
      expect(readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0').slice(0, 3)).toEqual([
        process.execPath,
        '--disable-sigusr1',
        join(BIN_DIR, 'swift-object-server'),
      ])
      expect((await get(`http://127.0.0.1:${port}/healthcheck`)).status).toBe(200)
      expect(await listening(inspect)).toBe(false)

      // Once serving, SIGUSR1 is the seamless reload, as before.
      const reloads = () => readFileSync(log, 'utf8').split('SIGUSR1 received').length - 1
      const before = reloads()
      process.kill(server.pid, 'SIGUSR1')
      await waitFor(() => reloads() > before, 'the reload to be logged')
      expect((await get(`http://127.0.0.1:${port}/healthcheck`)).status).toBe(200)
      expect(await listening(inspect)).toBe(false)
      expect(server.stderr()).not.toContain('Debugger listening')
      expect(readFileSync(log, 'utf8')).not.toContain('Debugger listening')
      process.kill(server.pid, 'SIGTERM')
      expect((await server.exited).code).toBe(0)
    })
  }

  it('the daemon, which never handles SIGUSR1, ignores or keeps it waiting and runs on', async () => {
    const dir = tempDir('fl-usr1-daemon-')
    const inspect = await freePort()
    const conf = join(dir, 'object-replicator.conf')
    const log = join(dir, 'replicator.log')
    writeFileSync(
      conf,
      `[DEFAULT]\nuser =\nlog_file = ${log}\n\n[object-replicator]\ndevices = /nonexistent\n`,
    )
    const daemon = startBin(
      'swift-object-replicator',
      [conf, '--interval', '0.2'],
      { FORKLIFT_NODE: process.execPath, NODE_OPTIONS: `--inspect-port=127.0.0.1:${inspect}` },
      ['/bin/sh'],
    )
    // Started by a parent that blocks nothing: safe from the launcher's first line on.
    await usr1Guarded(daemon.pid)
    process.kill(daemon.pid, 'SIGUSR1')
    const passes = () => readFileSync(log, 'utf8').split('replication pass').length - 1
    await waitFor(() => passes() >= 1, 'a first pass')
    process.kill(daemon.pid, 'SIGUSR1')
    const seen = passes()
    await waitFor(() => passes() > seen + 1, 'two more passes after SIGUSR1')
    expect(signalDisposition('SIGUSR1', daemon.pid)).toMatchObject({ blocked: true, pending: true })
    expect(await listening(inspect)).toBe(false)
    process.kill(daemon.pid, 'SIGTERM')
    expect((await daemon.exited).code).toBe(0)
  })
})
