// WorkerPool with real processes and sockets: the workers are
// test/fixtures/pool-worker.mjs (built dist), the port a bound-not-listening
// socket as the runner gets from bindHandoffSocket.
import { once } from 'node:events'
import { Agent } from 'node:http'
import { alive, freePort } from '@forklift/test-utils'
import { describe, expect, onTestFinished, test } from 'vitest'
import { isSupervisorError } from '../dist/errors.js'
import type { PoolWorkerExit, PoolWorkerInfo, WorkerPool } from '../dist/worker-pool.js'
import { accepts, fixture, startNode, waitUntil, wakeupsDuring } from './helpers.js'
import { get, handoffSocket, recordingLogger, testPool } from './worker-pool-helpers.js'

/** SIGKILLs the worker of slot 0 and resolves with the one listening in its place. */
function killAndReplace(pool: WorkerPool, victim: number): Promise<PoolWorkerInfo> {
  const replaced = new Promise<PoolWorkerInfo>((resolve) =>
    pool.on('listening', (w) => {
      if (w.index === 0) resolve(w)
    }),
  )
  process.kill(victim, 'SIGKILL')
  return replaced
}

/** Resolves once a worker relayed that a /slow request is in flight in it. */
function inFlight(lines: { msg: string }[]): Promise<unknown> {
  return waitUntil(() => lines.some((l) => l.msg.startsWith('STDOUT: slow request in flight')), {
    what: 'the slow request to reach a worker',
  })
}

/** Requests (new connection each) until every pid in `want` answered; returns who answered. */
async function answeringPids(
  port: number,
  want: number[],
  timeoutMs = 10_000,
): Promise<Set<number>> {
  const seen = new Set<number>()
  await waitUntil(
    async () => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => get(port)))
      for (const a of answers) seen.add(a.body.pid)
      return want.every((p) => seen.has(p))
    },
    { timeoutMs, intervalMs: 0, what: `answers from ${want.join(', ')}` },
  )
  return seen
}

describe('WorkerPool', () => {
  test('two workers serve the one socket, each answering (distinct pids)', async () => {
    const socket = handoffSocket()
    const pool = testPool({ socket })
    const ready = once(pool, 'ready')
    await pool.start()
    await ready
    expect(pool.state).toBe('running')
    expect(pool.generation).toBe(1)
    const pids = pool.pids()
    expect(pids).toHaveLength(2)
    expect(new Set(pids).size).toBe(2)
    expect(
      pool
        .workers()
        .map((w) => [w.index, w.state])
        .sort(),
    ).toEqual([
      [0, 'listening'],
      [1, 'listening'],
    ])
    const seen = await answeringPids(socket.port, pids)
    expect([...seen].sort()).toEqual([...pids].sort())
  })

  test('kill -9 of a worker: replaced in the same slot, no request waits on the dead one', async () => {
    const socket = handoffSocket()
    const { logger, lines } = recordingLogger()
    const pool = testPool({ socket, logger })
    await pool.start()
    const [victim, survivor] = pool.pids() as [number, number]

    // Requests keep flowing through the kill: the surviving worker shares the
    // accept queue, so nothing waits on the dead one.
    let failures = 0
    let served = 0
    let load = true
    const loader = (async () => {
      while (load) {
        await get(socket.port).then(
          () => served++,
          () => failures++,
        )
      }
    })()
    const killedAt = Date.now()
    const fresh = await killAndReplace(pool, victim)
    const listeningMs = Date.now() - killedAt
    const seen = await answeringPids(socket.port, [fresh.pid])
    const servingMs = Date.now() - killedAt
    load = false
    await loader
    console.log(
      `kill -9 → replacement listening in ${listeningMs} ms, answering within ${servingMs} ms (${served} requests meanwhile)`,
    )
    expect(fresh.pid).not.toBe(victim)
    expect(pool.pids().sort()).toEqual([fresh.pid, survivor].sort())
    expect(seen.has(victim)).toBe(false)
    // Only a request the victim had already accepted can fail (the loader has
    // one in flight); none waits on the dead worker.
    expect(failures).toBeLessThanOrEqual(1)
    expect(
      lines.some((l) => l.level === 'error' && /Removing dead child .*SIGKILL/.test(l.msg)),
    ).toBe(true)
  })

  test('standby: a booted spare takes the slot of a killed worker, and is itself replaced', async () => {
    const socket = handoffSocket()
    const pool = testPool({ socket, standby: true, data: { marker: 'one' } })
    await pool.start()
    const standbyOf = (generation: number) =>
      pool.workers().find((w) => w.state === 'standby' && w.generation === generation)
    const spare = await waitUntil(() => standbyOf(1), { what: 'a standby' })
    expect(pool.pids()).not.toContain(spare.pid)
    const [victim] = pool.pids() as [number]
    const killedAt = Date.now()
    const fresh = await killAndReplace(pool, victim)
    console.log(`kill -9 → standby listening in ${Date.now() - killedAt} ms`)
    expect(fresh.pid).toBe(spare.pid)
    await answeringPids(socket.port, [spare.pid])
    const next = await waitUntil(() => standbyOf(1), { what: 'a new standby' })
    expect(next.pid).not.toBe(spare.pid)
    // A reload replaces the standby too: it holds the old code and data.
    await pool.reload({ data: { marker: 'two' } })
    const gen2 = await waitUntil(() => standbyOf(2), { what: 'a standby of generation 2' })
    await waitUntil(() => !alive(next.pid), { what: 'the old standby to exit' })
    expect(pool.workers().filter((w) => w.state === 'standby')).toEqual([gen2])
    process.kill(pool.pids()[1]!, 'SIGKILL')
    const answer = await waitUntil(
      async () => {
        const a = await get(socket.port)
        return a.body.pid === gen2.pid ? a : undefined
      },
      { what: 'the generation-2 standby to serve' },
    )
    expect(answer.body).toMatchObject({ generation: 2, index: 1, marker: 'two' })
  })

  test('a crashing worker module is respawned, rate-limited and logged', async () => {
    const socket = handoffSocket()
    const { logger, lines } = recordingLogger()
    const spawns: number[] = []
    const exits: PoolWorkerExit[] = []
    const pool = testPool({ socket, logger, data: { crashAfterMs: 150 } })
    pool.on('spawn', () => spawns.push(Date.now()))
    pool.on('exit', (e) => exits.push(e))
    await pool.start()
    const from = Date.now()
    const windowMs = 4000
    await new Promise((r) => setTimeout(r, windowMs))
    const forks = spawns.filter((t) => t >= from).length
    console.log(`crash loop: ${forks} forks in ${windowMs} ms with 2 workers`)
    // ForkRateLimiter: at most workers + 1 = 3 forks per 2 s window, so ~6 in 4 s
    // (+1 for window alignment, +2 slack on a noisy machine). Without the brake
    // a 150 ms crash loop of 2 workers forks 20+ times in 4 s.
    expect(forks).toBeGreaterThanOrEqual(2)
    expect(forks).toBeLessThanOrEqual(9)
    expect(lines.some((l) => l.msg === 'Forking too fast, sleeping')).toBe(true)
    expect(exits.some((e) => e.code === 3 && !e.expected)).toBe(true)
    expect(
      lines.some((l) => l.level === 'error' && /Removing dead child .*code 3/.test(l.msg)),
    ).toBe(true)
  })

  test('drain: a slow request in flight completes, then the workers exit', async () => {
    const socket = handoffSocket()
    const { logger, lines } = recordingLogger()
    const pool = testPool({ socket, idleGraceMs: 200, logger })
    await pool.start()
    const pids = pool.pids()
    const slow = get(socket.port, '/slow?ms=1500')
    await inFlight(lines)
    const drainedAt = { t: 0 }
    const drained = pool.drain().then(() => {
      drainedAt.t = Date.now()
    })
    const answer = await slow
    const answeredAt = Date.now()
    await drained
    expect(answer.status).toBe(200)
    expect(answer.connection).toBe('close')
    expect(drainedAt.t).toBeGreaterThanOrEqual(answeredAt - 5)
    expect(pool.state).toBe('stopped')
    for (const pid of pids) expect(alive(pid)).toBe(false)
    // Nothing was respawned; once the owner closes its copy of the socket
    // (the runner does so first), the port refuses connections.
    socket.close()
    await expect(get(socket.port)).rejects.toThrow(/ECONNREFUSED/)
    expect(pool.workers()).toEqual([])
  })

  test('drain: an idle keep-alive connection is closed after idleGraceMs', async () => {
    const socket = handoffSocket()
    const pool = testPool({ socket, workers: 1, idleGraceMs: 600 })
    await pool.start()
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    onTestFinished(() => agent.destroy())
    await get(socket.port, '/', agent)
    const [idle] = Object.values(agent.freeSockets).flat()
    expect(idle).toBeDefined()
    const closed = new Promise<number>((resolve) => idle!.once('close', () => resolve(Date.now())))
    const drainAt = Date.now()
    await pool.drain()
    const closedAfter = (await closed) - drainAt
    expect(closedAfter).toBeGreaterThanOrEqual(550)
    expect(closedAfter).toBeLessThan(5000)
  })

  test("output: 'log' relays worker stdout and JSON stderr lines into the logger", async () => {
    const socket = handoffSocket()
    const { logger, lines } = recordingLogger()
    const pool = testPool({ socket, workers: 1, logger, data: { say: 'hello there' } })
    await pool.start()
    await waitUntil(() => lines.some((l) => l.msg === 'hello there as a log line'), {
      what: 'the relayed lines',
    })
    expect(lines).toContainEqual({ level: 'info', msg: 'STDOUT: hello there' })
    expect(lines).toContainEqual({ level: 'warn', msg: 'hello there as a log line' })
  })

  test('reload under load: no failed request, the new generation serves the new data', async () => {
    const socket = handoffSocket()
    const pool = testPool({ socket, data: { marker: 'one' }, idleGraceMs: 500 })
    await pool.start()
    const oldPids = pool.pids()
    const agent = new Agent({ keepAlive: true, maxSockets: 16 })
    onTestFinished(() => agent.destroy())
    const results: { ok: boolean; marker?: string; pid?: number; error?: string }[] = []
    let load = true
    const loop = async () => {
      while (load) {
        await get(socket.port, '/', agent).then(
          (a) => results.push({ ok: a.status === 200, marker: a.body.marker, pid: a.body.pid }),
          (err: Error) => results.push({ ok: false, error: err.message }),
        )
      }
    }
    const loops = Array.from({ length: 8 }, loop)
    await waitUntil(() => results.length >= 50, { what: 'the load to run' })
    await pool.reload({ data: { marker: 'two' } })
    const newPids = pool.pids()
    const mark = results.length
    // Every connection of the 8 loops moves over within a request or two.
    await waitUntil(() => results.slice(mark).filter((r) => r.marker === 'two').length >= 100, {
      what: '100 answers of the new generation',
    })
    load = false
    await Promise.all(loops)

    const failed = results.filter((r) => !r.ok)
    console.log(`reload under load: ${results.length} requests, ${failed.length} failed`)
    expect(failed).toEqual([])
    expect(pool.generation).toBe(2)
    expect(newPids.some((p) => oldPids.includes(p))).toBe(false)
    expect(results.some((r) => r.marker === 'one')).toBe(true)
    expect(results.at(-1)?.marker).toBe('two')
    expect(new Set(results.slice(-16).map((r) => r.pid)).size).toBeGreaterThanOrEqual(1)
    for (const r of results.slice(-16)) expect(newPids).toContain(r.pid)
    // The old generation drained and is gone.
    await waitUntil(() => oldPids.every((p) => !alive(p)), { what: 'old workers to exit' })
  })

  test('a reload whose workers cannot start keeps the old generation serving', async () => {
    const socket = handoffSocket()
    const pool = testPool({ socket, data: { marker: 'old' } })
    await pool.start()
    const pids = pool.pids()
    const err = await pool.reload({ data: { failStart: true } }).catch((e: unknown) => e)
    expect(isSupervisorError(err) && err.code).toBe('E_SUPERVISOR_SPAWN')
    expect((err as Error).message).toMatch(/failStart: refusing to start/)
    expect(pool.state).toBe('running')
    expect(pool.generation).toBe(1)
    expect(pool.pids()).toEqual(pids)
    expect((await get(socket.port)).body.marker).toBe('old')
    expect(pool.workers()).toHaveLength(2)
  })

  test('start() rejects, naming the worker error, when workers cannot start', async () => {
    const socket = handoffSocket()
    const pool = testPool({ socket, data: { failStart: true } })
    const err = await pool.start().catch((e: unknown) => e)
    expect(isSupervisorError(err) && err.code).toBe('E_SUPERVISOR_SPAWN')
    expect((err as Error).message).toMatch(/exited before listening \(code 1\): failStart/)
    expect(pool.state).toBe('stopped')
    expect(pool.workers()).toEqual([])
  })

  test('stop(): SIGTERM to every worker now, nothing respawned', async () => {
    const socket = handoffSocket()
    const { logger, lines } = recordingLogger()
    const pool = testPool({ socket, logger })
    await pool.start()
    const exits: PoolWorkerExit[] = []
    pool.on('exit', (e) => exits.push(e))
    const slow = get(socket.port, '/slow?ms=5000').catch((e: Error) => e)
    await inFlight(lines)
    await pool.stop()
    expect(exits.map((e) => [e.signal, e.expected])).toEqual([
      ['SIGTERM', true],
      ['SIGTERM', true],
    ])
    expect(await slow).toBeInstanceOf(Error)
    expect(pool.state).toBe('stopped')
    expect(pool.workers()).toEqual([])
  })

  test('reusePort: each worker binds its own socket on the port', async () => {
    const socket = handoffSocket()
    const port = socket.port
    socket.close() // free the port; the workers bind it themselves
    const pool = testPool({ socket: { reusePort: { port, host: '127.0.0.1' } } })
    await pool.start()
    const seen = await answeringPids(port, pool.pids())
    expect(seen.size).toBe(2)
  })

  test('parent SIGKILL: no worker alive 2 s later', async () => {
    const parent = startNode(fixture('pool-parent.mjs'), ['2'])
    const line = await parent.line(/^\{/)
    const { port, pids } = JSON.parse(line) as { port: number; pids: number[] }
    onTestFinished(() => {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {}
      }
    })
    expect((await get(port)).status).toBe(200)
    const killedAt = Date.now()
    process.kill(parent.child.pid!, 'SIGKILL')
    await waitUntil(() => pids.every((p) => !alive(p)), {
      timeoutMs: 2000,
      what: 'workers to exit after their parent was SIGKILLed',
    })
    console.log(`parent SIGKILL → workers gone in ${Date.now() - killedAt} ms`)
  })

  test('SIGUSR1 soon after fork never opens the inspector of a worker (forked with --disable-sigusr1)', async () => {
    // Node's default SIGUSR1 starts the inspector; a worker only installs a
    // handler of its own once its module ran, so a SIGUSR1 sent to the process
    // group meanwhile (swift-init's reload-seamless) used to open it.
    // Node's inspector takes a port number, never a socket: a number free a moment ago.
    const inspectPort = await freePort()
    const survivors: number[] = []
    const logs: string[] = []
    for (const delayMs of [5, 10, 20, 40, 60]) {
      const socket = handoffSocket()
      const { logger, lines } = recordingLogger()
      const pool = testPool({
        socket,
        workers: 1,
        logger,
        execArgv: [`--inspect-port=127.0.0.1:${inspectPort}`],
      })
      const sent = new Promise<number>((resolve) =>
        pool.once('spawn', (w) =>
          setTimeout(() => {
            try {
              process.kill(w.pid, 'SIGUSR1')
            } catch {}
            resolve(w.pid)
          }, delayMs),
        ),
      )
      const started = await pool.start().then(
        () => true,
        (err: Error) => {
          // Only a signal that beat Node's own start-up (the exec window) may kill it.
          expect(err.message).toMatch(/exited before listening \(signal SIGUSR1\)/)
          return false
        },
      )
      const pid = await sent
      if (started) {
        // Two requests after the signal: its event loop has turned since.
        await get(socket.port)
        expect((await get(socket.port)).body.pid).toBe(pid)
        survivors.push(delayMs)
      }
      expect(await accepts(inspectPort)).toBe(false)
      await pool.stop()
      logs.push(...lines.map((l) => l.msg))
    }
    console.log(`SIGUSR1 after fork: workers served after ${survivors.join(', ')} ms`)
    expect(logs.filter((l) => /Debugger listening|inspector/i.test(l))).toEqual([])
    expect(survivors.length).toBeGreaterThanOrEqual(3)
  })

  test('an idle worker sleeps: no timer polls its parent (the IPC disconnect says it died)', async () => {
    const socket = handoffSocket()
    const pool = testPool({ socket, workers: 1 })
    await pool.start()
    const [pid] = pool.pids() as [number]
    expect((await get(socket.port)).status).toBe(200)
    const woke = await wakeupsDuring(pid, 1000)
    console.log(`idle worker: ${woke} wake-ups in 1 s`)
    // Polling the parent pid every 50 ms was 20 a second.
    expect(woke).toBeLessThanOrEqual(5)
  })
})
