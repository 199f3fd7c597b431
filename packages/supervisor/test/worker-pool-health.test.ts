// The pool's worker health options: workerTimeoutMs (hung workers),
// maxRequests/maxRssBytes (seamless recycling) and the workers'
// maxConnections (accepting paused at the limit).
import { once } from 'node:events'
import { rmSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, onTestFinished, test } from 'vitest'
import type { PoolWorkerExit } from '../dist/worker-pool.js'
import { fixture } from './helpers.js'
import { get, handoffSocket, recordingLogger, testPool } from './worker-pool-helpers.js'

const HEALTH = fixture('pool-worker-health.mjs')

/** A raw keep-alive connection that sends one GET and resolves the pid that answered. */
async function holdConnection(port: number): Promise<{ socket: Socket; pid: number }> {
  const socket = connect(port, '127.0.0.1')
  onTestFinished(() => {
    socket.destroy()
  })
  socket.on('error', () => {})
  await once(socket, 'connect')
  let data = ''
  socket.setEncoding('latin1')
  socket.on('data', (c: string) => {
    data += c
  })
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  await waitFor(() => /"pid":\d+/.test(data), 'an answer')
  return { socket, pid: Number(/"pid":(\d+)/.exec(data)![1]) }
}

describe('WorkerPool worker health', () => {
  test('workerTimeoutMs: a worker whose event loop is blocked is killed, logged and respawned', async () => {
    const socket = handoffSocket()
    const { logger, lines } = recordingLogger()
    const pool = testPool({ socket, module: HEALTH, workers: 1, workerTimeoutMs: 800, logger })
    await pool.start()
    const [stuck] = pool.pids()
    const exits: PoolWorkerExit[] = []
    pool.on('exit', (e) => exits.push(e))
    void get(socket.port, '/block?ms=60000').catch(() => {})
    await waitFor(() => exits.length === 1, 'the stuck worker to be killed', 20_000)
    expect(exits[0]).toMatchObject({ pid: stuck, signal: 'SIGKILL', expected: false })
    const line = lines.find((l) => /^Worker \d+ stuck for \d+ ms/.test(l.msg))
    expect(line?.level).toBe('error')
    expect(line?.msg).toContain(`Worker ${stuck} stuck for`)
    expect(Number(/stuck for (\d+) ms/.exec(line!.msg)![1])).toBeGreaterThan(800)
    await waitFor(() => pool.pids().length === 1 && pool.pids()[0] !== stuck, 'a replacement')
    const answer = await waitFor(() => get(socket.port).catch(() => undefined), 'an answer')
    expect(answer.body.pid).not.toBe(stuck)
  })

  test('maxRequests: workers are replaced seamlessly under load, no request fails', async () => {
    const socket = handoffSocket()
    const { logger, lines } = recordingLogger()
    const pool = testPool({
      socket,
      module: HEALTH,
      workers: 2,
      maxRequests: 10,
      maxRequestsJitter: 5,
      logger,
    })
    await pool.start()
    const agent = new Agent({ keepAlive: true, maxSockets: 6 })
    onTestFinished(() => agent.destroy())
    const pids = new Set<number>()
    let failures = 0
    let running = true
    const client = async () => {
      while (running) {
        try {
          pids.add((await get(socket.port, '/', agent)).body.pid)
        } catch {
          failures++
        }
      }
    }
    const clients = Array.from({ length: 6 }, client)
    const replaced = () => lines.filter((l) => /^Worker \d+ replaced worker \d+$/.test(l.msg))
    await waitFor(() => replaced().length >= 4, 'four replacements', 30_000)
    running = false
    await Promise.all(clients)
    expect(failures).toBe(0)
    expect(pids.size).toBeGreaterThanOrEqual(4)
    expect(lines.some((l) => /served 1\d requests \(max_requests\)/.test(l.msg))).toBe(true)
    await waitFor(() => pool.workers().every((w) => w.state === 'listening'), 'old ones gone')
    expect(pool.pids()).toHaveLength(2)
  })

  test('a replacement that fails to start leaves the old worker serving, and is tried again', async () => {
    const socket = handoffSocket()
    const { logger, lines } = recordingLogger()
    const broken = join(tempDir(), 'broken')
    const pool = testPool({
      socket,
      module: HEALTH,
      workers: 1,
      maxRequests: 3,
      args: ['', broken],
      logger,
    })
    await pool.start()
    const [old] = pool.pids()
    writeFileSync(broken, '')
    for (let i = 0; i < 3; i++) expect((await get(socket.port)).body.pid).toBe(old)
    await waitFor(
      () => lines.some((l) => l.msg.startsWith(`replacement for worker ${old} failed`)),
      'the replacement to fail',
    )
    expect((await get(socket.port)).body.pid).toBe(old)
    expect(pool.pids()).toEqual([old])
    rmSync(broken)
    await waitFor(() => pool.pids()[0] !== old, 'the retry to replace it', 20_000)
    expect((await get(socket.port)).body.pid).toBe(pool.pids()[0])
  })

  test('maxRssBytes: a worker above the ceiling is replaced, the replacement listening first', async () => {
    const socket = handoffSocket()
    const { logger, lines } = recordingLogger()
    // 1 byte: every worker is above it, so they keep being replaced.
    const pool = testPool({
      socket,
      module: HEALTH,
      workers: 1,
      maxRssBytes: 1,
      rssCheckIntervalMs: 200,
      logger,
    })
    await pool.start()
    const [first] = pool.pids()
    await waitFor(
      () =>
        lines.some((l) =>
          new RegExp(`^Recycling worker ${first}: RSS \\d+ MiB above 0 MiB`).test(l.msg),
        ),
      'the first worker to be recycled',
    )
    await waitFor(() => !pool.pids().includes(first!), 'a replacement in its slot')
    expect((await get(socket.port)).status).toBe(200)
  })

  test('maxConnections = 1, 2 workers: a worker holding a connection leaves the next one to its sibling', async () => {
    const socket = handoffSocket()
    const pool = testPool({ socket, module: HEALTH, workers: 2, args: ['1'] })
    await pool.start()
    for (let round = 0; round < 5; round++) {
      const a = await holdConnection(socket.port)
      const b = await holdConnection(socket.port)
      expect(pool.pids()).toContain(a.pid)
      expect(b.pid, `round ${round}`).not.toBe(a.pid)
      a.socket.destroy()
      b.socket.destroy()
      // Both accept again once they saw their connection close.
      await waitFor(async () => {
        const c = await holdConnection(socket.port)
        c.socket.destroy()
        return true
      }, 'a worker accepting again')
    }
  })
})
