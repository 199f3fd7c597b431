// `swift-init status --json` on a real server it started: uptime, worker
// pids and RSS from /proc, respawns and the last reload from the status file
// the server keeps next to its pid file; the same keys when it is stopped.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { alive, childPids, freePort, tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { BIN_DIR, get, REPO, waitFor, writeConf } from './helpers.js'

const SWIFT_INIT = join(REPO, 'apps/swift-init/bin/swift-init.mjs')

interface Instance {
  server: string
  pid: number | null
  state: string
  started_at: string | null
  uptime_seconds: number | null
  rss_bytes: number | null
  worker_count: number | null
  worker_pids: number[]
  workers: { pid: number; rss_bytes: number | null }[]
  respawn_count: number | null
  last_reload: { at: string; result: string; reason: string | null } | null
  status: string | null
}

describe.skipIf(!existsSync(SWIFT_INIT))('swift-init status --json on a forklift server', () => {
  it('reports uptime, workers and their RSS, respawns and the last reload; the same keys once stopped', async () => {
    const dir = tempDir()
    const etc = join(dir, 'etc')
    const run = join(dir, 'run')
    // swift-init starts the server, which binds its conf's number: a port free a moment ago.
    const port = await freePort()
    spawnSync('mkdir', ['-p', etc])
    writeConf(etc, { port, extra: 'workers = 2' })
    const swiftInit = (...args: string[]) => {
      const r = spawnSync(
        process.execPath,
        [SWIFT_INIT, ...args, '--conf-dir', etc, '--run-dir', run, '--bin-dir', BIN_DIR],
        {
          encoding: 'utf8',
          timeout: 60_000,
          env: { ...process.env, FORKLIFT_NODE: process.execPath, NOTIFY_SOCKET: '' },
        },
      )
      return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout }
    }
    onTestFinished(() => {
      // By the pid file only, and only our server: never a broad kill.
      for (const f of existsSync(run) ? (readdirSync(run) as string[]) : []) {
        if (!f.endsWith('.pid')) continue
        const pid = Number(readFileSync(join(run, f), 'utf8').trim())
        if (pid > 0 && alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(BIN_DIR))
          process.kill(-pid, 'SIGKILL')
      }
    })
    const status = (): Instance => {
      const r = swiftInit('object', 'status', '--json')
      const list = JSON.parse(r.stdout) as Instance[]
      expect(list).toHaveLength(1)
      return list[0]!
    }

    const before = Date.now()
    const started = swiftInit('object', 'start')
    expect(started.code, started.out).toBe(0)
    expect((await get(`http://127.0.0.1:${port}/healthcheck`)).status).toBe(200)
    // READY comes when every worker listens; the status file follows at once.
    let s = await waitFor(() => {
      const now = status()
      return now.respawn_count === 0 && now.worker_pids.length === 2 && now
    }, 'the first status')
    const pid = s.pid!
    expect(s.state).toBe('running')
    expect(s.worker_pids).toEqual(childPids(pid).sort((a, b) => a - b))
    expect(s.worker_count).toBe(2)
    expect(s.rss_bytes).toBeGreaterThan(1 << 20)
    expect(s.workers.map((w) => w.pid)).toEqual(s.worker_pids)
    for (const w of s.workers) expect(w.rss_bytes).toBeGreaterThan(1 << 20)
    expect(s.uptime_seconds).toBeGreaterThanOrEqual(0)
    expect(s.uptime_seconds).toBeLessThan((Date.now() - before) / 1000 + 2)
    // /proc's start time is in 10 ms ticks: allow them, and the clock's rounding.
    expect(Date.parse(s.started_at!)).toBeGreaterThanOrEqual(before - 1000)
    expect(Date.parse(s.started_at!)).toBeLessThanOrEqual(Date.now())
    expect(s.last_reload).toBeNull()
    expect(s.status).toBe('2 workers; 0 respawned; no reload yet')

    // A worker killed from outside: one respawn, two workers again, another pid.
    const victim = s.worker_pids[0]!
    process.kill(victim, 'SIGKILL')
    s = await waitFor(() => {
      const now = status()
      return now.respawn_count === 1 && now.worker_pids.length === 2 && now
    }, 'the respawn counted')
    expect(s.worker_pids).not.toContain(victim)

    // A seamless reload (SIGUSR1): time and result.
    const reloadAsked = Date.now()
    const reload = swiftInit('object', 'reload-seamless')
    expect(reload.code, reload.out).toBe(0)
    s = await waitFor(() => {
      const now = status()
      return now.last_reload?.result === 'ok' && now
    }, 'the reload reported')
    expect(s.pid).toBe(pid)
    expect(Date.parse(s.last_reload!.at)).toBeGreaterThanOrEqual(reloadAsked - 1000)
    expect(s.last_reload!.reason).toBeNull()
    expect(s.respawn_count).toBe(1)

    const stopped = swiftInit('object', 'stop')
    expect(stopped.code, stopped.out).toBe(0)
    expect(status()).toEqual({
      server: 'object-server',
      conf_file: join(etc, 'object-server.conf'),
      pid_file: join(run, 'object-server.pid'),
      pid: null,
      state: 'stopped',
      started_at: null,
      uptime_seconds: null,
      rss_bytes: null,
      worker_count: null,
      worker_pids: [],
      workers: [],
      respawn_count: null,
      last_reload: null,
      status: null,
    })
  })
})
