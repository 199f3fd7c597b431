// SIGUSR1 after the installed build changed upgrades the parent too (issue
// 12): an installed copy of this app is started by our swift-init, its bundle
// is replaced by one whose parent logs another version, and a reload under
// load must leave the same pid running the new code, with no failed request
// and the old workers reaped. A new build whose config check fails is refused
// and the old generation serves on.

import { spawn } from 'node:child_process'
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import * as http from 'node:http'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { ReloadWatch } from '@forklift/notify/reload'
import { createNotifyReceiver } from '@forklift/notify/testing'
import { alive, childPids, freePort, killOwned, spawnCollect, tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  get,
  REPO,
  SLOW_APP,
  serverSocket,
  slowGet,
  startBin,
  waitFor,
  writeConf,
} from './helpers.js'

const APP = resolve(import.meta.dirname, '..')
const BIN = 'swift-object-server'
const SWIFT_INIT = join(REPO, 'apps/swift-init/bin/swift-init.mjs')
const V1 = 'workers listening: '
const V2 = 'workers listening (v2): '

/** An installed copy of the built app (bin, bundle, package.json; node_modules linked). */
function install(root: string): string {
  const copy = join(root, 'app')
  mkdirSync(join(copy, 'dist'), { recursive: true })
  cpSync(join(APP, 'bin'), join(copy, 'bin'), { recursive: true })
  cpSync(join(APP, 'dist', 'bundle'), join(copy, 'dist', 'bundle'), { recursive: true })
  cpSync(join(APP, 'package.json'), join(copy, 'package.json'))
  symlinkSync(join(APP, 'node_modules'), join(copy, 'node_modules'))
  return copy
}

/** Replaces a bundle file as an installer does (a new file renamed over the old one). */
function replace(file: string, text: string): void {
  writeFileSync(`${file}.new`, text)
  renameSync(`${file}.new`, file)
}

async function site(opts: { extra?: string; app?: string } = {}) {
  const root = tempDir('fl-upg-')
  const copy = install(root)
  const etc = join(root, 'etc')
  const run = join(root, 'run')
  const bin = join(root, 'bin')
  for (const d of [etc, run, bin]) mkdirSync(d, { recursive: true })
  // swift-init finds the server on PATH; it runs the installed copy's launcher.
  writeFileSync(join(bin, BIN), `#!/bin/sh\nexec ${join(copy, 'bin', BIN)} "$@"\n`, {
    mode: 0o755,
  })
  const port = await freePort()
  const log = join(root, 'object.log')
  writeConf(etc, {
    port,
    extra: `${opts.extra ?? 'workers = 2'}\nlog_file = ${log}`,
    message: 'hello',
    ...(opts.app ? { app: opts.app } : {}),
  })
  const pidFile = join(run, 'object-server.pid')
  onTestFinished(() => {
    try {
      const pid = Number(readFileSync(pidFile, 'utf8'))
      killOwned([...childPids(pid), pid], root)
    } catch {}
  })
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    FORKLIFT_NODE: process.execPath,
    NOTIFY_SOCKET: '',
  }
  const swiftInit = async (...args: string[]) => {
    const p = spawnCollect(
      process.execPath,
      [SWIFT_INIT, 'object', ...args, '--conf-dir', etc, '-r', run],
      { env },
    )
    const e = await p.closed
    return { code: e.code, out: `${p.stdout()}${p.stderr()}` }
  }
  return {
    port,
    copy,
    swiftInit,
    log: () => {
      try {
        return readFileSync(log, 'utf8')
      } catch {
        return ''
      }
    },
    pid: () => Number(readFileSync(pidFile, 'utf8')),
  }
}

/** Requests without pause until stopped, half on a keep-alive agent, half on new connections. */
function load(port: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 })
  let ok = 0
  const failed: string[] = []
  let running = true
  const one = (keep: boolean) =>
    new Promise<void>((res) => {
      const req = http.get(
        { host: '127.0.0.1', port, path: '/', agent: keep ? agent : false },
        (r) => {
          r.resume()
          r.on('end', () => {
            if (r.statusCode === 200) ok++
            else failed.push(`status ${r.statusCode}`)
            res()
          })
        },
      )
      req.on('error', (err) => {
        failed.push(err.message)
        res()
      })
    })
  const loops = [true, true, false, false].map(async (keep) => {
    while (running) await one(keep)
  })
  return {
    get ok() {
      return ok
    },
    async stop() {
      running = false
      await Promise.all(loops)
      agent.destroy()
      return { ok, failed }
    },
  }
}

const workersOf = (pid: number, n = 2) =>
  waitFor(() => {
    const live = childPids(pid).filter(alive)
    return live.length === n ? live.sort() : undefined
  }, `${n} workers`)

describe('SIGUSR1 upgrades the parent', () => {
  it('same pid, the new code in the parent, no failed request, old workers reaped', async () => {
    const s = await site()
    expect((await s.swiftInit('start')).code).toBe(0)
    const pid = s.pid()
    await waitFor(() => (s.log().includes(V1) ? true : undefined), 'first generation')
    const old = await workersOf(pid)
    const traffic = load(s.port)
    await waitFor(() => (traffic.ok > 20 ? true : undefined), 'traffic')

    const main = join(s.copy, 'dist/bundle/main.js')
    const text = readFileSync(main, 'utf8')
    expect(text).toContain(V1)
    replace(main, text.replace(V1, V2))
    const r = await s.swiftInit('reload-seamless')
    expect(r.code, `${r.out}\n${s.log()}`).toBe(0)
    expect(s.pid()).toBe(pid)
    // The parent itself runs the new bundle: its line, logged once its new workers listen.
    expect(s.log()).toContain(V2)
    expect(s.log()).toContain('parent upgraded in place')
    // Old workers drained and reaped: no process, not even a zombie, is left of them.
    await waitFor(
      () => (old.every((w) => !childPids(pid).includes(w) && !alive(w)) ? true : undefined),
      'old workers reaped',
    )
    await waitFor(() => (childPids(pid).length === 2 ? true : undefined), 'no zombies')
    const before = traffic.ok
    await waitFor(() => (traffic.ok > before + 20 ? true : undefined), 'traffic after')
    const { ok, failed } = await traffic.stop()
    expect(failed).toEqual([])
    expect(ok).toBeGreaterThan(40)
    const st = await s.swiftInit('status')
    expect(st.code, st.out).toBe(0)
    expect(st.out).toContain(String(pid))
    const stop = await s.swiftInit('stop')
    expect(stop.code, stop.out).toBe(0)
    await waitFor(() => (alive(pid) ? undefined : true), 'stopped')
  })

  it('in-flight requests of the old workers finish; stale_worker_timeout still bounds them', async () => {
    const s = await site({ extra: 'workers = 1\nstale_worker_timeout = 3', app: SLOW_APP })
    expect((await s.swiftInit('start')).code).toBe(0)
    const pid = s.pid()
    const [old] = await workersOf(pid, 1)
    const short = slowGet(s.port, 500)
    const hung = slowGet(s.port, 120_000)
    await Promise.all([short.started, hung.started])
    const main = join(s.copy, 'dist/bundle/main.js')
    replace(main, readFileSync(main, 'utf8').replace(V1, V2))
    const r = await s.swiftInit('reload-seamless')
    expect(r.code, `${r.out}\n${s.log()}`).toBe(0)
    expect(await short.done).toMatchObject({
      status: 200,
      body: expect.stringContaining('finished'),
    })
    // The new image (same pid) kills the one still busy after the timeout, and reaps it.
    await waitFor(
      () => (!alive(old!) && !childPids(pid).includes(old!) ? true : undefined),
      'stale worker killed and reaped',
    )
    expect(await hung.done).toBeInstanceOf(Error)
    const log = s.log()
    expect(log).toContain('parent upgraded in place')
    expect(log.indexOf(`Killing long-running stale worker ${old} after 3s`)).toBeGreaterThan(
      log.indexOf('parent upgraded in place'),
    )
    expect(s.pid()).toBe(pid)
    expect((await s.swiftInit('stop')).code).toBe(0)
  })

  it('a new build whose config check fails is refused: old parent and workers serve on', async () => {
    const s = await site()
    expect((await s.swiftInit('start')).code).toBe(0)
    const pid = s.pid()
    const old = await workersOf(pid)
    const traffic = load(s.port)
    await waitFor(() => (traffic.ok > 20 ? true : undefined), 'traffic')
    replace(join(s.copy, 'dist/bundle/main.js'), "throw new Error('a broken build')\n")
    // The parent's own word, on Swift's per-pid reload socket (swift-init's
    // own config check would refuse this build before signalling).
    const watch = new ReloadWatch(pid)
    onTestFinished(() => watch.close())
    process.kill(pid, 'SIGUSR1')
    const result = await watch.wait({ timeoutMs: 60_000 })
    expect(result).toMatchObject({ state: 'refused' })
    expect((result as { reason: string }).reason).toMatch(/config check failed.*a broken build/)
    await waitFor(() => (s.log().includes('upgrade refused') ? true : undefined), 'refused')
    expect(s.log()).toMatch(
      /upgrade refused, keeping the running parent and workers: .*a broken build/,
    )
    const before = traffic.ok
    await waitFor(() => (traffic.ok > before + 20 ? true : undefined), 'traffic after')
    const { failed } = await traffic.stop()
    expect(failed).toEqual([])
    expect(s.pid()).toBe(pid)
    expect(await workersOf(pid)).toEqual(old)
    expect((await s.swiftInit('stop')).code).toBe(0)
  })
})

describe('an upgrade of Node alone', () => {
  it('a new Node binary in place of the one the server runs on: SIGUSR1 re-execs the parent on it', async () => {
    const root = tempDir('fl-upg-node-')
    const copy = install(root)
    const node = join(root, 'node')
    copyFileSync(process.execPath, node)
    const port = await freePort()
    const log = join(root, 'object.log')
    const conf = writeConf(root, { port, extra: `workers = 2\nlog_file = ${log}` })
    const p = spawnCollect(node, ['--disable-sigusr1', join(copy, 'bin', BIN), conf], {
      detached: true,
      env: { ...process.env, NOTIFY_SOCKET: '' },
    })
    onTestFinished(() => killOwned([...childPids(p.child.pid!), p.child.pid!], root))
    const pid = p.child.pid!
    await waitFor(
      () => (readFileSync(log, 'utf8').includes(V1) ? true : undefined),
      'serving',
      30_000,
    )
    const before = statSync(`/proc/${pid}/exe`).ino
    expect(before).toBe(statSync(node).ino)
    // The upgrade of Node, as a package manager does it: a new file renamed over the old.
    copyFileSync(process.execPath, `${node}.new`)
    renameSync(`${node}.new`, node)
    const watch = new ReloadWatch(pid)
    onTestFinished(() => watch.close())
    process.kill(pid, 'SIGUSR1')
    expect(await watch.wait({ timeoutMs: 60_000 })).toMatchObject({ state: 'done' })
    const after = statSync(`/proc/${pid}/exe`).ino
    expect(after).not.toBe(before)
    expect(after).toBe(statSync(node).ino)
    expect(readFileSync(log, 'utf8')).toContain('parent upgraded in place')
    expect((await get(`http://127.0.0.1:${port}/healthcheck`)).status).toBe(200)
    // Its new workers run on the new Node too.
    for (const w of await workersOf(pid)) expect(statSync(`/proc/${w}/exe`).ino).toBe(after)
    process.kill(pid, 'SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
  })
})

describe('an upgrade under systemd (Type=notify-reload)', () => {
  it('RELOADING=1, then READY=1 and STATUS from the same pid (MAINPID) once the new image serves; the status file follows', async () => {
    const r = await createNotifyReceiver()
    onTestFinished(() => r.close())
    const root = tempDir('fl-upg-sd-')
    const copy = install(root)
    const port = await freePort()
    const log = join(root, 'object.log')
    const statusFile = join(root, 'object-server.status.json')
    const conf = writeConf(root, { port, extra: `workers = 2\nlog_file = ${log}` })
    const p = spawnCollect(process.execPath, ['--disable-sigusr1', join(copy, 'bin', BIN), conf], {
      detached: true,
      env: { ...process.env, ...r.env, FORKLIFT_STATUS_FILE: statusFile },
    })
    onTestFinished(() => killOwned([...childPids(p.child.pid!), p.child.pid!], root))
    const pid = p.child.pid!
    await r.waitFor('READY=1', { timeoutMs: 30_000 })
    // One worker dies unasked before the upgrade: the count must survive the re-exec.
    const [victim] = await workersOf(pid)
    process.kill(victim!, 'SIGKILL')
    await r.waitFor((n) => /^2 workers; 1 respawned;/.test(n.fields.STATUS ?? ''), {
      timeoutMs: 30_000,
    })
    const main = join(copy, 'dist/bundle/main.js')
    replace(main, readFileSync(main, 'utf8').replace(V1, V2))
    const mark = r.received.length
    process.kill(pid, 'SIGUSR1')
    await r.waitFor('RELOADING=1', { after: mark, timeoutMs: 30_000 })
    const ok = await r.waitFor((n) => / ok$/.test(n.fields.STATUS ?? ''), {
      after: mark,
      timeoutMs: 30_000,
    })
    expect(ok.fields.STATUS).toMatch(/^2 workers; 1 respawned; last reload \S+ ok$/)
    const since = r.received.slice(mark)
    expect(since.some((n) => n.fields.READY === '1')).toBe(true)
    expect(new Set(r.received.map((n) => n.pid))).toEqual(new Set([pid]))
    expect(readFileSync(log, 'utf8')).toContain(V2)
    expect(JSON.parse(readFileSync(statusFile, 'utf8'))).toMatchObject({
      pid,
      worker_count: 2,
      respawn_count: 1,
      last_reload: { result: 'ok' },
    })
    expect((await get(`http://127.0.0.1:${port}/healthcheck`)).status).toBe(200)
    process.kill(pid, 'SIGTERM')
    expect(await p.exited).toEqual({ code: 0, signal: null })
    expect(existsSync(statusFile)).toBe(false)
  })
})

describe('a hand-over the process did not make itself', () => {
  /** Workers' environment: the hand-over variables never reach them. */
  const workerEnv = (pid: number) =>
    childPids(pid).map((w) => readFileSync(`/proc/${w}/environ`, 'utf8'))

  /** A process of the test's own, named as an "old worker": it must never be signalled. */
  function bystander(): number {
    const c = spawn('sleep', ['60'], { stdio: 'ignore' })
    onTestFinished(() => {
      c.kill('SIGKILL')
    })
    return c.pid!
  }

  /** A socket listening here, in the test: a hand-over's fd would pass the listening check. */
  async function listeningFd(): Promise<number> {
    const srv = createServer()
    onTestFinished(() => {
      srv.close()
    })
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
    return (srv as unknown as { _handle: { fd: number } })._handle.fd
  }

  async function start(env: NodeJS.ProcessEnv, wrapper: string[], fd3: { fd: number }) {
    const root = tempDir('fl-upg-env-')
    const port = await freePort()
    const log = join(root, 'object.log')
    const conf = writeConf(root, { port, extra: `workers = 2\nlog_file = ${log}` })
    const p = startBin('swift-object-server', [conf], env, wrapper, fd3 as never)
    await p.ready()
    return { p, port, log: () => readFileSync(log, 'utf8') }
  }

  it('another pid, or a socket that does not listen: ignored, the server binds its own port', async () => {
    const sleeper = bystander()
    const listening = { fd: await listeningFd() }
    const held = serverSocket() // bound, not listening
    const vars = { FORKLIFT_UPGRADE_FD: '3', FORKLIFT_UPGRADE_WORKERS: String(sleeper) }
    for (const [env, wrapper, fd3] of [
      [{ ...vars, FORKLIFT_UPGRADE_PID: '1' }, [process.execPath], listening],
      [vars, ['sh', '-c', 'FORKLIFT_UPGRADE_PID=$$ exec "$0" "$@"', process.execPath], held],
    ] as const) {
      const s = await start(env, [...wrapper], fd3)
      expect((await get(`http://127.0.0.1:${s.port}/`)).status).toBe(200)
      expect(s.log()).toContain('ignoring FORKLIFT_UPGRADE_FD/FORKLIFT_UPGRADE_PID')
      expect(s.log()).not.toContain('parent upgraded in place')
      for (const e of await waitFor(() => {
        const envs = workerEnv(s.p.pid)
        return envs.length === 2 ? envs : undefined
      }, 'workers'))
        expect(e).not.toContain('FORKLIFT_UPGRADE')
      expect(alive(sleeper)).toBe(true)
      s.p.child.kill('SIGTERM')
      await s.p.exited
    }
  })

  it('pids that are not its children are never signalled', async () => {
    const sleeper = bystander()
    const fd = await listeningFd()
    const s = await start(
      { FORKLIFT_UPGRADE_FD: '3', FORKLIFT_UPGRADE_WORKERS: `${sleeper},1` },
      ['sh', '-c', 'FORKLIFT_UPGRADE_PID=$$ exec "$0" "$@"', process.execPath],
      { fd },
    )
    // Taken (this pid, a listening socket), but with no old worker of its own to retire.
    expect(s.log()).toMatch(/"oldWorkers":\[\].*parent upgraded in place/)
    await waitFor(() => (workerEnv(s.p.pid).length === 2 ? true : undefined), 'workers')
    for (const e of workerEnv(s.p.pid)) expect(e).not.toContain('FORKLIFT_UPGRADE')
    expect(alive(sleeper)).toBe(true)
    s.p.child.kill('SIGTERM')
    await s.p.exited
  })
})
