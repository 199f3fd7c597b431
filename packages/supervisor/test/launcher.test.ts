// The launchers with real processes and real signals: test/fixtures/launch.mjs
// runs a ServiceLauncher or ProcessLauncher over test/fixtures/services.mjs
// and prints JSON events on stdout.
import { spawn, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createNotifyReceiver, type NotifyReceiver } from '@forklift/notify/testing'
import { alive, freePort, killOnFinish, tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { procStatFields } from '../src/_proc-stat.js'
import { accepts, fixture, type Proc, startNode, waitUntil, wakeupsDuring } from './helpers.js'

interface Ev {
  event: string
  pid: number
  at: number
  [key: string]: unknown
}

interface LauncherConfig {
  launcher: 'service' | 'process'
  services: {
    export?: string
    options?: Record<string, unknown>
    name?: string
    workers?: number
  }[]
  gracefulShutdownTimeout?: number
  restartMethod?: 'reload' | 'mutate'
  daemon?: boolean
  execArgv?: string[]
  usr1AfterMs?: number[]
  onlyReturn?: boolean
  mutateOptions?: Record<string, unknown>
}

interface Launcher extends Proc {
  pid: number
  events(name?: string): Ev[]
  /** The first event (seen or to come) named `name` that matches `pred`, after `after` events. */
  next(name: string, pred?: (e: Ev) => boolean, timeoutMs?: number): Promise<Ev>
  /** Pids of the worker processes spawned so far. */
  workerPids(): number[]
}

function parse(line: string, at: number): Ev | undefined {
  try {
    const v = JSON.parse(line) as Ev
    return typeof v?.event === 'string' ? { ...v, at } : undefined
  } catch {
    return undefined
  }
}

function wrapLauncher(proc: Proc, pid: () => number): Launcher {
  const seen: Ev[] = []
  let parsed = 0
  const sync = () => {
    for (; parsed < proc.lines.length; parsed++) {
      const e = parse(proc.lines[parsed]!, Date.now())
      if (e) seen.push(e)
    }
  }
  proc.child.stdout?.on('data', sync)
  // Kill every worker the test saw, whatever happened to the launcher.
  onTestFinished(() => {
    sync()
    for (const e of seen) {
      for (const p of [e.pid, e.event === 'spawn' ? (e.pid as number) : undefined]) {
        try {
          if (p) process.kill(p, 'SIGKILL')
        } catch {}
      }
    }
  })
  return Object.assign(proc, {
    get pid() {
      return pid()
    },
    events(name?: string) {
      sync()
      return name ? seen.filter((e) => e.event === name) : [...seen]
    },
    async next(name: string, pred: (e: Ev) => boolean = () => true, timeoutMs = 15_000) {
      await proc.line((l) => {
        const e = parse(l, 0)
        return e?.event === name && pred(e)
      }, timeoutMs)
      sync()
      return seen.find((e) => e.event === name && pred(e))!
    },
    workerPids() {
      sync()
      return seen.filter((e) => e.event === 'spawn').map((e) => e.pid)
    },
  })
}

function startLauncher(
  cfg: LauncherConfig,
  options: { detached?: boolean; env?: NodeJS.ProcessEnv } = {},
): Launcher {
  const proc = startNode(fixture('launch.mjs'), [JSON.stringify(cfg)], {
    detached: options.detached ?? false,
    env: { ...process.env, ...options.env },
  })
  return wrapLauncher(proc, () => proc.child.pid!)
}

async function receiver(): Promise<NotifyReceiver> {
  const r = await createNotifyReceiver()
  onTestFinished(() => r.close())
  return r
}

/** utime + stime of `pid`, in clock ticks. */
function cpuTicks(pid: number): number {
  const f = procStatFields(pid)!
  return Number(f[11]) + Number(f[12])
}

const allDead = (pids: number[]) => pids.every((p) => !alive(p))

/** The top-level keys of a JSON object text, in order, duplicates kept (JSON.parse would fold them). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = []
  let depth = 0
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string)
      expectKey = false
      i = j
    } else if (c === '{' || c === '[') {
      depth++
      expectKey = c === '{' && depth === 1
    } else if (c === '}' || c === ']') depth--
    else if (c === ',' && depth === 1) expectKey = true
  }
  return keys
}

describe('ServiceLauncher (in a real process)', () => {
  it('SIGTERM: graceful stop inside graceful_shutdown_timeout, status 0; READY=1 after start, STOPPING=1', async () => {
    const r = await receiver()
    const l = startLauncher(
      {
        launcher: 'service',
        services: [{ options: { stopDelayMs: 300 } }],
        gracefulShutdownTimeout: 5,
      },
      { env: r.env },
    )
    await l.next('ready')
    await r.waitFor('READY=1')
    expect(l.events('start')).toHaveLength(1)
    const t0 = Date.now()
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 0, signal: null })
    const ms = Date.now() - t0
    expect(l.events('stopped')).toHaveLength(1)
    expect(ms).toBeGreaterThanOrEqual(250)
    expect(ms).toBeLessThan(5000)
    await r.waitFor('STOPPING=1')
  })

  it('a hung service: status 1 when graceful_shutdown_timeout expires', async () => {
    const l = startLauncher({
      launcher: 'service',
      services: [{ options: { mode: 'hang-stop' } }],
      gracefulShutdownTimeout: 1,
    })
    await l.next('ready')
    const t0 = Date.now()
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 1, signal: null })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900)
    await l.logLine(/Graceful shutdown timeout exceeded \(1 s\)/)
  })

  it('SIGINT: exits at once with status 1, even with a hung service', async () => {
    const l = startLauncher({
      launcher: 'service',
      services: [{ options: { mode: 'hang-stop' } }],
      gracefulShutdownTimeout: 60,
    })
    await l.next('ready')
    const t0 = Date.now()
    l.child.kill('SIGINT')
    expect(await l.exited).toEqual({ code: 1, signal: null })
    expect(Date.now() - t0).toBeLessThan(2000)
  })

  describe('a stop() that blocks the event loop is ended at the deadline (watchdog thread)', () => {
    /** Exit status and how long after `t0` it came. */
    async function exitAfter(l: Launcher, t0: number) {
      const exit = await l.exited
      return { ...exit, ms: Date.now() - t0 }
    }

    it('SIGTERM with graceful_shutdown_timeout 2: status 1 at the deadline', async () => {
      const l = startLauncher({
        launcher: 'service',
        services: [{ options: { mode: 'block-stop' } }],
        gracefulShutdownTimeout: 2,
      })
      await l.next('ready')
      const t0 = Date.now()
      l.child.kill('SIGTERM')
      await l.next('stop')
      const { code, signal, ms } = await exitAfter(l, t0)
      console.log(`blocked stop after SIGTERM: exit ${code} after ${ms} ms (deadline 2000)`)
      expect({ code, signal }).toEqual({ code: 1, signal: null })
      expect(ms).toBeGreaterThanOrEqual(1900)
      expect(ms).toBeLessThan(2000 + 3000)
      // The main thread was interrupted, and logged the timeout itself.
      await l.logLine(/Graceful shutdown timeout exceeded \(2 s\)/)
    })

    it('SIGINT: status 1 at once although stop(false) blocks', async () => {
      const l = startLauncher({
        launcher: 'service',
        services: [{ options: { mode: 'block-stop' } }],
        gracefulShutdownTimeout: 60,
      })
      await l.next('ready')
      const t0 = Date.now()
      l.child.kill('SIGINT')
      await l.next('stop')
      const { code, signal, ms } = await exitAfter(l, t0)
      console.log(`blocked stop after SIGINT: exit ${code} after ${ms} ms`)
      expect({ code, signal }).toEqual({ code: 1, signal: null })
      expect(ms).toBeLessThan(3000)
    })

    it('the timeout, when stop() hangs and the app only returns: the process still ends, status 1', async () => {
      const l = startLauncher({
        launcher: 'service',
        // hang-stop leaves the service's 60 s timer holding the event loop.
        services: [{ options: { mode: 'hang-stop' } }],
        gracefulShutdownTimeout: 2,
        onlyReturn: true,
      })
      await l.next('ready')
      const t0 = Date.now()
      l.child.kill('SIGTERM')
      await l.next('exit', (e) => e.code === 1)
      const { code, signal, ms } = await exitAfter(l, t0)
      expect({ code, signal }).toEqual({ code: 1, signal: null })
      expect(ms).toBeGreaterThanOrEqual(1900)
      expect(ms).toBeLessThan(2000 + 3000)
    })

    it('stop() is called after a failed start(); when it blocks, the deadline holds', async () => {
      const l = startLauncher({
        launcher: 'service',
        services: [{ options: { mode: 'fail-start-block-stop' } }],
        gracefulShutdownTimeout: 2,
      })
      const t0 = Date.now()
      await l.next('stop')
      const { code, signal, ms } = await exitAfter(l, t0)
      expect({ code, signal }).toEqual({ code: 1, signal: null })
      expect(ms).toBeGreaterThanOrEqual(1900)
      expect(ms).toBeLessThan(2000 + 4000)
      await l.logLine(/Error starting service .*refusing to start/)
    })
  })

  it('SIGHUP as a daemon (no controlling terminal): re-reads config and restarts; RELOADING=1 then READY=1', async () => {
    const r = await receiver()
    const dir = tempDir()
    const configFile = join(dir, 'service.conf')
    writeFileSync(configFile, 'v1\n')
    const l = startLauncher(
      { launcher: 'service', services: [{ options: { configFile } }] },
      { detached: true, env: r.env },
    )
    expect((await l.next('start')).config).toBe('v1')
    await r.waitFor('READY=1')
    writeFileSync(configFile, 'v2\n')
    const mark = r.received.length
    l.child.kill('SIGHUP')
    await l.next('reload-config')
    expect((await l.next('start', (e) => e.config === 'v2')).config).toBe('v2')
    expect(l.events('reset')).toHaveLength(1)
    const reloading = await r.waitFor('RELOADING=1', { after: mark })
    expect(Number(reloading.fields.MONOTONIC_USEC)).toBeGreaterThan(0)
    await r.waitFor('READY=1', { after: r.received.indexOf(reloading) + 1 })
    expect(alive(l.pid)).toBe(true)
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 0, signal: null })
  })

  it('SIGHUP as a daemon with restart_method mutate: resets without restarting', async () => {
    const l = startLauncher(
      { launcher: 'service', services: [{}], restartMethod: 'mutate' },
      { detached: true },
    )
    await l.next('ready')
    l.child.kill('SIGHUP')
    await l.next('mutate-config')
    await l.next('reset')
    await waitUntil(() => l.events('ready').length === 2, { what: 'READY after mutate' })
    expect(l.events('start')).toHaveLength(1)
    expect(l.events('stop')).toHaveLength(0)
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 0, signal: null })
  })

  it('SIGHUP with a controlling terminal is a hang-up: stops', async (ctx) => {
    if (spawnSync('script', ['--version']).status !== 0) {
      ctx.skip(true, 'script (util-linux) is not installed: cannot run the launcher under a pty')
    }
    const cfg: LauncherConfig = { launcher: 'service', services: [{}] }
    const cmd = `exec '${process.execPath}' '${fixture('launch.mjs')}' '${JSON.stringify(cfg)}'`
    const child = killOnFinish(
      spawn('script', ['-qefc', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] }),
    )
    // Wrap it like startNode does, to read its (pty) output.
    const lines: string[] = []
    let buf = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (c: string) => {
      buf += c
      const parts = buf.split('\n')
      buf = parts.pop()!
      lines.push(...parts.map((l) => l.replace(/\r$/, '')))
    })
    const events = () => lines.map((l) => parse(l, 0)).filter((e): e is Ev => e !== undefined)
    const launched = await waitUntil(() => events().find((e) => e.event === 'ready'), {
      what: 'launcher ready under a pty',
    })
    onTestFinished(() => {
      try {
        process.kill(launched.pid, 'SIGKILL')
      } catch {}
    })
    process.kill(launched.pid, 'SIGHUP')
    const exit = await waitUntil(() => events().find((e) => e.event === 'exit'), {
      what: 'exit after SIGHUP',
    })
    expect(exit.code).toBe(0)
    expect(events().filter((e) => e.event === 'stopped')).toHaveLength(1)
    expect(events().filter((e) => e.event === 'reset')).toHaveLength(0)
  })
})

describe('lifecycle edges', () => {
  it('workers orphaned by a SIGKILLed parent log it and exit non-zero', async () => {
    const l = startLauncher({
      launcher: 'process',
      services: [{ workers: 2, options: { reportExit: true } }],
    })
    await l.next('ready')
    const workers = l.workerPids()
    l.child.kill('SIGKILL')
    for (const pid of workers) {
      const ev = await l.next('exit-code', (e) => e.pid === pid)
      expect(ev.code).not.toBe(0)
      await l.logLine(
        new RegExp(`"pid":${pid},.*"msg":"Parent process has died unexpectedly, exiting"`),
      )
    }
    await waitUntil(() => allDead(workers), { what: 'orphans gone' })
  })

  it('a launcher that rejects its options leaves nothing keeping the process alive', () => {
    const url = new URL('../dist/launcher.js', import.meta.url).href
    const script = `
      import { ProcessLauncher, ServiceLauncher, launch } from ${JSON.stringify(url)}
      const tries = [
        () => new ServiceLauncher({ gracefulShutdownTimeout: -1 }),
        () => new ProcessLauncher({ restartMethod: 'bounce' }),
        () => launch({ module: 'no-such-package-here' }),
        () => launch({ module: 'no-such-package-here' }, 2),
        () => launch({}),
      ]
      for (const t of tries) {
        try { t(); console.log('accepted') } catch (err) { console.log(err.code) }
      }`
    const t0 = Date.now()
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 10_000,
      killSignal: 'SIGKILL',
    })
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null })
    expect(r.stdout.trim().split('\n')).toEqual([
      'E_SUPERVISOR_OPTION',
      'E_SUPERVISOR_OPTION',
      'E_SUPERVISOR_SERVICE_LOAD',
      'E_SUPERVISOR_SERVICE_LOAD',
      'E_SUPERVISOR_SERVICE_LOAD',
    ])
    expect(Date.now() - t0).toBeLessThan(8000)
  })

  it('worker log lines carry each key once', async () => {
    const l = startLauncher({ launcher: 'process', services: [{ workers: 1 }] })
    await l.next('ready')
    const line = await l.logLine(/test service started/)
    const keys = topLevelKeys(line)
    expect(keys).toContain('service')
    expect(keys).toContain('worker')
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([])
    for (const line of l.stderr.filter((s) => s.startsWith('{'))) {
      const ks = topLevelKeys(line)
      expect(
        ks.filter((k, i) => ks.indexOf(k) !== i),
        line,
      ).toEqual([])
    }
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 0, signal: null })
  })
})

describe('ProcessLauncher', () => {
  it('two workers; READY=1 only after both started; SIGTERM stops them all with status 0', async () => {
    const r = await receiver()
    const l = startLauncher(
      {
        launcher: 'process',
        services: [{ workers: 2, options: { stopDelayMs: 200 } }],
        gracefulShutdownTimeout: 5,
      },
      { env: r.env },
    )
    const ready = await r.waitFor('READY=1')
    const starts = l.events('start')
    expect(starts).toHaveLength(2)
    expect(new Set(starts.map((e) => e.pid)).size).toBe(2)
    expect(starts.map((e) => e.worker).sort()).toEqual([0, 1])
    // Causal order on one clock: each service started (in its worker) before READY=1 arrived.
    expect(Math.max(...starts.map((e) => e.t as number))).toBeLessThanOrEqual(ready.at)
    const workers = l.workerPids()
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 0, signal: null })
    expect(l.events('stopped')).toHaveLength(2)
    expect(allDead(workers)).toBe(true)
    await r.waitFor('STOPPING=1')
    // Only the launcher talks to systemd.
    expect(r.received.filter((n) => n.fields.READY)).toHaveLength(1)
  })

  it('a worker hung in stop (event loop blocked) is SIGKILLed at the timeout: status 1, no orphans', async () => {
    const l = startLauncher({
      launcher: 'process',
      services: [{ workers: 2, options: { mode: 'block-stop' } }],
      gracefulShutdownTimeout: 1,
    })
    await l.next('ready')
    const workers = l.workerPids()
    const t0 = Date.now()
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 1, signal: null })
    const ms = Date.now() - t0
    expect(ms).toBeGreaterThanOrEqual(900)
    expect(ms).toBeLessThan(5000)
    await l.logLine(/Graceful shutdown timeout exceeded \(1 s\), killing 2 children/)
    await waitUntil(() => allDead(workers), { timeoutMs: 2000, what: 'no orphans' })
  })

  it('graceful_shutdown_timeout 0 waits for a hung worker without spinning', async () => {
    const l = startLauncher({
      launcher: 'process',
      services: [{ options: { mode: 'hang-stop' } }],
      gracefulShutdownTimeout: 0,
    })
    await l.next('ready')
    const [worker] = l.workerPids()
    l.child.kill('SIGTERM')
    await l.next('stop')
    const before = cpuTicks(l.pid)
    await new Promise((r) => setTimeout(r, 1000))
    const used = cpuTicks(l.pid) - before
    console.log(`launcher CPU while waiting 1 s on a hung worker: ${used} ticks`)
    // Spinning would be ~100 ticks a second; allow noise.
    expect(used).toBeLessThanOrEqual(10)
    expect(alive(l.pid)).toBe(true)
    process.kill(worker!, 'SIGKILL')
    expect(await l.exited).toEqual({ code: 1, signal: null })
  })

  it('parent SIGKILL: no worker alive 2 s later', async () => {
    const l = startLauncher({ launcher: 'process', services: [{ workers: 2 }] })
    await l.next('ready')
    const workers = l.workerPids()
    expect(workers).toHaveLength(2)
    const t0 = performance.now()
    l.child.kill('SIGKILL')
    await waitUntil(() => allDead(workers), {
      timeoutMs: 2000,
      intervalMs: 5,
      what: 'workers gone',
    })
    console.log(
      `workers gone ${(performance.now() - t0).toFixed(0)} ms after the launcher's SIGKILL`,
    )
  })

  it('respawns a killed worker in its slot, with the same options (time printed)', async () => {
    const l = startLauncher({
      launcher: 'process',
      services: [{ workers: 2, options: { tag: 'same' } }],
    })
    await l.next('ready')
    const victim = l.events('start').find((e) => e.worker === 1)!
    const t0 = performance.now()
    process.kill(victim.pid, 'SIGKILL')
    const again = await l.next('start', (e) => e.worker === 1 && e.respawns === 1)
    const respawnMs = performance.now() - t0
    expect(again.pid).not.toBe(victim.pid)
    await l.next('worker-exit', (e) => e.pid === victim.pid && e.signal === 'SIGKILL')
    // Node's bare start-up on this machine, for scale.
    const s0 = performance.now()
    spawnSync(process.execPath, ['-e', '0'])
    const bareMs = performance.now() - s0
    console.log(
      `respawn: ${respawnMs.toFixed(0)} ms from SIGKILL to the new worker's service started; bare node start-up ${bareMs.toFixed(0)} ms (x${(respawnMs / bareMs).toFixed(1)})`,
    )
    expect(respawnMs).toBeLessThan(5000)
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 0, signal: null })
  })

  it('8 workers, two kills 0.3 s apart: both replaced within about a second (no long stall)', async () => {
    const l = startLauncher({ launcher: 'process', services: [{ workers: 8 }] })
    await l.next('ready', undefined, 30_000)
    const starts = l.events('start')
    const victims = [starts.find((e) => e.worker === 2)!, starts.find((e) => e.worker === 5)!]
    const killedAt: number[] = []
    process.kill(victims[0]!.pid, 'SIGKILL')
    killedAt.push(Date.now())
    await new Promise((r) => setTimeout(r, 300))
    process.kill(victims[1]!.pid, 'SIGKILL')
    killedAt.push(Date.now())
    const ms = await Promise.all(
      victims.map(async (v, i) => {
        const again = await l.next('start', (e) => e.worker === v.worker && e.respawns === 1)
        return (again.t as number) - killedAt[i]!
      }),
    )
    console.log(`8 workers, kills 0.3 s apart: replaced after ${ms.join(' ms, ')} ms`)
    for (const m of ms) expect(m).toBeLessThan(1500)
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 0, signal: null })
  })

  it('limits forks of a crashing service to workers + 1 per workers-second, logging it', async () => {
    const workers = 2
    const l = startLauncher({
      launcher: 'process',
      services: [{ workers, options: { mode: 'crash-after', crashAfterMs: 50 } }],
    })
    // Each worker has started once; not 'ready' (all up at one instant), which a
    // loaded machine may never give when each worker lives 50 ms.
    await l.next('started')
    const windowMs = 4000
    await new Promise((r) => setTimeout(r, windowMs))
    const spawns = l.events('spawn').map((e) => e.t as number)
    l.child.kill('SIGTERM')
    await l.exited
    const first = spawns[0]!
    const inWindow = spawns.filter((t) => t - first <= windowMs)
    console.log(`crash loop: ${inWindow.length} forks in ${windowMs} ms with ${workers} workers`)
    // A burst of workers + 1, then workers + 1 per `workers` seconds: at most
    // 2 (workers + 1) in any such window (one extra for timing noise).
    for (const start of spawns) {
      expect(
        spawns.filter((t) => t >= start && t < start + workers * 1000).length,
      ).toBeLessThanOrEqual(2 * (workers + 1) + 1)
    }
    expect(inWindow.length).toBeLessThanOrEqual((workers + 1) * (windowMs / 1000 / workers + 1) + 1)
    expect(inWindow.length).toBeGreaterThan(workers + 1)
    await l.logLine(/Forking too fast, sleeping/)
  })

  it('a service failing its first start is reported and not respawned; the other runs and READY=1 counts it', async () => {
    const r = await receiver()
    const l = startLauncher(
      {
        launcher: 'process',
        services: [
          { name: 'good', options: {} },
          { name: 'bad', options: { mode: 'fail-start', reason: 'no driver' } },
        ],
      },
      { env: r.env },
    )
    const bad = await l.next('started', (e) => e.name === 'bad')
    expect(bad).toMatchObject({ ok: false, error: 'refusing to start: no driver' })
    expect(await l.next('started', (e) => e.name === 'good')).toMatchObject({ ok: true })
    await r.waitFor('READY=1')
    await l.logLine(/Service bad failed to start, not respawning it: refusing to start: no driver/)
    await new Promise((res) => setTimeout(res, 1000))
    expect(l.events('spawn').filter((e) => e.service === 'bad')).toHaveLength(1)
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 0, signal: null })
  })

  it('when no service starts (a failing start, a broken factory), wait() resolves 1', async () => {
    const l = startLauncher({
      launcher: 'process',
      services: [
        { name: 'bad', options: { mode: 'fail-start' } },
        { name: 'broken', export: 'brokenFactory' },
      ],
    })
    expect(await l.exited).toEqual({ code: 1, signal: null })
    expect(
      l
        .events('started')
        .map((e) => [e.name, e.ok, e.error])
        .sort(),
    ).toEqual([
      ['bad', false, 'refusing to start: test'],
      ['broken', false, 'factory exploded'],
    ])
    await l.logLine(/No service started successfully/)
  })

  it('SIGTERM to the whole process group (systemd) never respawns a worker', async () => {
    for (let round = 0; round < 3; round++) {
      const l = startLauncher(
        { launcher: 'process', services: [{ workers: 3 }], gracefulShutdownTimeout: 5 },
        { detached: true },
      )
      await l.next('ready')
      process.kill(-l.pid, 'SIGTERM')
      expect(await l.exited).toEqual({ code: 0, signal: null })
      expect(l.events('spawn')).toHaveLength(3)
      expect(allDead(l.workerPids())).toBe(true)
    }
  })

  it('SIGHUP as a daemon (reload): replaces every worker, RELOADING=1 then READY=1', async () => {
    const r = await receiver()
    const l = startLauncher(
      { launcher: 'process', services: [{ workers: 2 }] },
      { detached: true, env: r.env },
    )
    await r.waitFor('READY=1')
    const old = l.workerPids()
    const mark = r.received.length
    l.child.kill('SIGHUP')
    await l.next('reload-config')
    const reloading = await r.waitFor('RELOADING=1', { after: mark })
    await r.waitFor('READY=1', { after: r.received.indexOf(reloading) + 1 })
    const fresh = l.events('start').filter((e) => !old.includes(e.pid))
    expect(fresh).toHaveLength(2)
    expect(allDead(old)).toBe(true)
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 0, signal: null })
  })

  it('SIGHUP as a daemon (mutate): workers reset in place, READY=1 again', async () => {
    const r = await receiver()
    const l = startLauncher(
      { launcher: 'process', services: [{ workers: 2 }], restartMethod: 'mutate' },
      { detached: true, env: r.env },
    )
    await r.waitFor('READY=1')
    const mark = r.received.length
    l.child.kill('SIGHUP')
    await r.waitFor('READY=1', { after: mark })
    expect(l.events('mutate-config')).toHaveLength(1)
    expect(new Set(l.events('reset').map((e) => e.pid))).toEqual(new Set(l.workerPids()))
    expect(l.events('spawn')).toHaveLength(2)
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 0, signal: null })
  })

  it('SIGHUP (mutate) with updateService: the same pids apply the new options, no respawn', async () => {
    const l = startLauncher({
      launcher: 'process',
      services: [{ workers: 2, options: { tag: 'old' } }],
      restartMethod: 'mutate',
      daemon: true,
      mutateOptions: { tag: 'new' },
    })
    await l.next('ready')
    const pids = l.workerPids().sort()
    l.child.kill('SIGHUP')
    await l.next('ready', () => l.events('mutate').length === 2)
    const mutated = l.events('mutate')
    expect(mutated.map((e) => e.pid).sort()).toEqual(pids)
    expect(mutated.every((e) => (e.options as { tag: string }).tag === 'new')).toBe(true)
    expect(l.events('ready')).toHaveLength(2)
    expect(l.workerPids().sort()).toEqual(pids)
    // A worker respawned later starts with the new options too.
    process.kill(pids[0]!, 'SIGKILL')
    const again = await l.next('start', (e) => e.respawns === 1)
    expect(again.pid).not.toBe(pids[0])
    expect(again.tag).toBe('new')
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 0, signal: null })
  })

  it('SIGINT: status 1 at once, workers gone', async () => {
    const l = startLauncher({
      launcher: 'process',
      services: [{ workers: 2, options: { mode: 'hang-stop' } }],
    })
    await l.next('ready')
    const workers = l.workerPids()
    l.child.kill('SIGINT')
    expect(await l.exited).toEqual({ code: 1, signal: null })
    await waitUntil(() => allDead(workers), { timeoutMs: 2000, what: 'workers gone' })
  })

  it('SIGUSR1 soon after fork never opens the inspector of a worker (forked with --disable-sigusr1)', async () => {
    // A launcher worker has no SIGUSR1 handler at all: Node's default would
    // start the inspector on a SIGUSR1 sent to the process group.
    // Node's inspector takes a port number, never a socket: a number free a moment ago.
    const inspectPort = await freePort()
    const delays = [5, 10, 20, 40, 60]
    const l = startLauncher(
      {
        launcher: 'process',
        services: delays.map((_, i) => ({ name: `s${i}` })),
        restartMethod: 'mutate',
        execArgv: [`--inspect-port=127.0.0.1:${inspectPort}`],
        usr1AfterMs: delays,
      },
      { detached: true },
    )
    await waitUntil(() => l.events('usr1-sent').length === delays.length, {
      what: 'every SIGUSR1 sent',
    })
    await l.next('ready')
    // A restart in place is a round trip through every worker's event loop
    // after its SIGUSR1: the inspector would be open by then.
    const readies = l.events('ready').length
    l.child.kill('SIGHUP')
    await waitUntil(() => l.events('ready').length > readies, { what: 'READY after mutate' })
    expect(await accepts(inspectPort)).toBe(false)
    expect(l.stderr.filter((line) => /Debugger listening|inspector/i.test(line))).toEqual([])
    // Only a signal that beat Node's own start-up (the exec window) may kill one.
    const deaths = l.events('worker-exit')
    for (const d of deaths) expect(d.signal).toBe('SIGUSR1')
    expect(l.events('start')).toHaveLength(delays.length - deaths.length)
    expect(deaths.length).toBeLessThanOrEqual(2)
    l.child.kill('SIGTERM')
    expect(await l.exited).toMatchObject({ signal: null })
  })

  it('an idle worker sleeps: no timer polls its parent (the IPC disconnect says it died)', async () => {
    const l = startLauncher({ launcher: 'process', services: [{}] })
    await l.next('ready')
    const [worker] = l.workerPids() as [number]
    const woke = await wakeupsDuring(worker, 1000)
    console.log(`idle launcher worker: ${woke} wake-ups in 1 s`)
    // Polling the parent pid every 50 ms was 20 a second.
    expect(woke).toBeLessThanOrEqual(5)
    l.child.kill('SIGTERM')
    expect(await l.exited).toEqual({ code: 0, signal: null })
  })
})
