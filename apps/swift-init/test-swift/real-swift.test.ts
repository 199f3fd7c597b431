// Drives Debian's real Python swift-object-server through our swift-init:
// start, status, a healthcheck, reload (graceful SIGHUP, new process), stop.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { alive, freePort, tempDir, waitFor, waitGone } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { pythonObjectServerConf, Site } from '../test/_helpers.js'

const SERVER = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v swift-object-server'], { encoding: 'utf8' }).trim()
  } catch {
    return ''
  }
})()

if (!SERVER) {
  console.warn(
    "test:swift: skipped — Debian's swift-object-server is not installed (run `pnpm test:swift` as root to install swift-object, or apt-get install swift-object python3-swift)",
  )
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.on('data', (d) => {
        body += d
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.once('error', reject)
    req.end()
  })
}

function waitHealthy(port: number, ms = 30_000): Promise<string> {
  return waitFor(
    async () => {
      const r = await get(port, '/healthcheck')
      return r.status === 200 && r.body
    },
    `a healthcheck on ${port}`,
    ms,
  )
}

describe.skipIf(!SERVER)("Debian's swift-object-server through our swift-init", () => {
  it('start, status, reload, stop', async () => {
    // Removed last: cleanup hooks run newest first, after the kills below.
    const root = tempDir('forklift-swift-')
    const etc = join(root, 'etc')
    const run = join(root, 'run')
    const devices = join(root, 'srv')
    mkdirSync(etc)
    mkdirSync(join(devices, 'sda'), { recursive: true })
    const pids: number[] = []
    onTestFinished(() => {
      for (const pid of pids) {
        for (const t of [-pid, pid]) {
          try {
            if (alive(pid)) process.kill(t, 'SIGKILL')
          } catch {}
        }
      }
    })
    // swift reads swift.conf (hash prefixes) from swift_dir.
    if (existsSync('/etc/swift/swift.conf'))
      copyFileSync('/etc/swift/swift.conf', join(etc, 'swift.conf'))
    else {
      writeFileSync(
        join(etc, 'swift.conf'),
        '[swift-hash]\nswift_hash_path_suffix = forklift\nswift_hash_path_prefix = forklift\n',
      )
    }
    const port = await freePort()
    const conf = join(etc, 'object-server.conf')
    writeFileSync(conf, pythonObjectServerConf(port, devices, etc))
    const site = new Site()
    const swiftInit = (...args: string[]) =>
      site.swiftInit([...args, '--conf-dir', etc, '-r', run], { bare: true, env: process.env })

    let r = await swiftInit('object', 'start')
    expect([r.code, r.stdout, r.stderr]).toEqual([0, `Starting object-server...(${conf})\n`, ''])
    const pid = Number(execFileSync('cat', [join(run, 'object-server.pid')], { encoding: 'utf8' }))
    pids.push(pid)
    expect(await waitHealthy(port)).toBe('OK')

    r = await swiftInit('object', 'status')
    expect([r.code, r.stdout]).toEqual([0, `object-server running (${pid} - ${conf})\n`])

    r = await swiftInit('object', 'reload')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(
      `Signal object-server  pid: ${pid}  signal: 1\nobject-server (${pid}) appears to have stopped\nStarting object-server...(${conf})\n`,
    )
    const pid2 = Number(execFileSync('cat', [join(run, 'object-server.pid')], { encoding: 'utf8' }))
    pids.push(pid2)
    expect(pid2).not.toBe(pid)
    await waitGone(pid)
    expect(await waitHealthy(port)).toBe('OK')

    r = await swiftInit('object', 'status', '--json')
    const [entry, ...more] = JSON.parse(r.stdout)
    expect(more).toEqual([])
    expect(entry).toMatchObject({
      server: 'object-server',
      conf_file: conf,
      pid_file: join(run, 'object-server.pid'),
      pid: pid2,
      state: 'running',
      // /proc speaks for any server; a Python one writes no status file.
      worker_count: entry.worker_pids.length,
      respawn_count: null,
      last_reload: null,
    })
    expect(entry.uptime_seconds).toBeGreaterThanOrEqual(0)
    expect(entry.rss_bytes).toBeGreaterThan(0)
    for (const w of entry.workers) expect(w.rss_bytes).toBeGreaterThan(0)

    r = await swiftInit('object', 'stop')
    expect([r.code, r.stdout]).toEqual([
      0,
      `Signal object-server  pid: ${pid2}  signal: 15\nobject-server (${pid2}) appears to have stopped\n`,
    ])
    await waitGone(pid2)
    r = await swiftInit('object', 'status')
    expect([r.code, r.stdout]).toEqual([1, 'No object-server running\n'])
  })
})
