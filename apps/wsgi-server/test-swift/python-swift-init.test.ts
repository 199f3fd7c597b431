// Python's swift-init (Swift's Manager from Debian's python3-swift) drives our
// swift-*-server binaries: start waits for our stdout to close, reload sends
// SIGHUP and starts anew, reload-seamless sends SIGUSR1, stop sends SIGTERM.
import { execFileSync, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { alive, childPids, freePort, tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { BIN_DIR, get, writeConf } from '../test/helpers.js'

const DRIVER = join(import.meta.dirname, 'python-swift-init.py')
const HAVE_SWIFT =
  spawnSync('/usr/bin/python3', ['-c', 'import swift.common.manager'], { stdio: 'ignore' })
    .status === 0
if (!HAVE_SWIFT) {
  console.warn(
    'test:swift: skipped — python3-swift is not installed (run `pnpm test:swift` as root, or apt-get install python3-swift)',
  )
}

describe.skipIf(!HAVE_SWIFT)('Python swift-init drives our servers', () => {
  it('start, status, reload-seamless, reload, stop', async () => {
    const dir = tempDir('fl-pyswift-')
    const etc = join(dir, 'etc')
    const run = join(dir, 'run')
    const port = await freePort()
    execFileSync('mkdir', ['-p', etc, run])
    writeConf(etc, { port, extra: `workers = 2\nlog_file = ${join(dir, 'object.log')}` })
    const pidOf = () => Number(readFileSync(join(run, 'object-server.pid'), 'utf8').trim())
    onTestFinished(() => {
      for (const f of readdirSync(run).filter((n) => n.endsWith('.pid'))) {
        const pid = Number(readFileSync(join(run, f), 'utf8').trim())
        try {
          process.kill(-pid, 'SIGKILL')
        } catch {}
      }
    })
    const env = {
      ...process.env,
      PATH: `${BIN_DIR}:${dirname(process.execPath)}:${process.env.PATH}`,
    }
    const swiftInit = (command: string) => {
      const r = spawnSync('/usr/bin/python3', [DRIVER, etc, run, 'object-server', command], {
        env,
        encoding: 'utf8',
        timeout: 60_000,
      })
      return { status: r.status, out: `${r.stdout}${r.stderr}` }
    }

    const start = swiftInit('start')
    expect(start, start.out).toMatchObject({ status: 0 })
    expect(start.out).toContain(`Starting object-server...(${etc}/object-server.conf)`)
    // start returned because our stdout closed: the port answers already
    expect(await get(`http://127.0.0.1:${port}/healthcheck`)).toMatchObject({
      status: 200,
      body: 'OK',
    })
    const first = pidOf()
    expect(swiftInit('status').out).toContain(
      `object-server running (${first} - ${etc}/object-server.conf)`,
    )

    const workers = childPids(first)
    const seamless = swiftInit('reload-seamless')
    expect(seamless.out).toContain(`Signal object-server  pid: ${first}  signal: 10`)
    await waitForNewWorkers(first, workers)
    expect(pidOf()).toBe(first)

    const reload = swiftInit('reload')
    expect(reload, reload.out).toMatchObject({ status: 0 })
    expect(reload.out).toContain(`Signal object-server  pid: ${first}  signal: 1`)
    const second = pidOf()
    expect(second).not.toBe(first)
    expect(alive(first)).toBe(false)
    expect((await get(`http://127.0.0.1:${port}/healthcheck`)).status).toBe(200)

    const stop = swiftInit('stop')
    expect(stop.out).toContain(`object-server (${second}) appears to have stopped`)
    expect(alive(second)).toBe(false)
    expect(swiftInit('status').out).toContain('No object-server running')
  })
})

async function waitForNewWorkers(parent: number, old: number[]): Promise<void> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const now = childPids(parent).filter(alive)
    if (now.length === 2 && now.every((p) => !old.includes(p))) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('the old workers were not replaced')
}
