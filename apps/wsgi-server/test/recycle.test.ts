// Workers that recycle themselves (max_requests + jitter, max_worker_rss),
// seamlessly: under concurrent load no request fails while they are replaced.
import { Agent } from 'node:http'
import { join } from 'node:path'
import { alive, childPids, tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { get, serverSocket, startBin, waitFor, writeConf } from './helpers.js'

const WHOAMI_APP = `${join(import.meta.dirname, 'fixtures/whoami.mjs')}#app`
const REPLACED = /Worker (\d+) replaced worker (\d+)/g

async function startServer(extra: string) {
  const socket = serverSocket()
  const conf = writeConf(tempDir(), { port: socket.port, extra, app: WHOAMI_APP })
  const p = startBin('swift-object-server', [conf], {}, [], socket)
  await p.ready()
  return { p, port: socket.port }
}

/** 8 keep-alive clients hammering `/` until stopped; counts answers, failures and the pids that answered. */
function load(port: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 8 })
  onTestFinished(() => agent.destroy())
  const stats = { ok: 0, failures: [] as string[], pids: new Set<number>() }
  let running = true
  const client = async () => {
    while (running) {
      try {
        const r = await get(`http://127.0.0.1:${port}/`, { agent })
        if (r.status !== 200) stats.failures.push(`status ${r.status}`)
        else {
          stats.ok++
          stats.pids.add(Number(/pid=(\d+)/.exec(r.body)?.[1]))
        }
      } catch (err) {
        stats.failures.push((err as Error).message)
      }
    }
  }
  const clients = Array.from({ length: 8 }, client)
  return {
    stats,
    async stop() {
      running = false
      await Promise.all(clients)
    },
  }
}

describe('worker recycling', () => {
  it('max_requests with jitter: several recycles under concurrent load, zero failed requests', async () => {
    const { p, port } = await startServer(
      'workers = 2\nmax_requests = 40\nmax_requests_jitter = 20',
    )
    const first = childPids(p.pid)
    const l = load(port)
    await waitFor(
      () => [...p.stderr().matchAll(REPLACED)].length >= 4,
      'four workers to be replaced',
      60_000,
    )
    await l.stop()
    expect(l.stats.failures).toEqual([])
    const replaced = [...p.stderr().matchAll(REPLACED)]
    // Every replacement is a new worker, and the first ones are among those replaced.
    const olds = replaced.map((m) => Number(m[2]))
    for (const pid of first) expect(olds).toContain(pid)
    expect(p.stderr()).toMatch(
      /Recycling worker \d+: served (4\d|5\d|60) requests \(max_requests\)/,
    )
    // Seamless: more pids answered than there are slots, and two workers serve at the end.
    expect(l.stats.pids.size).toBeGreaterThan(2)
    await waitFor(() => olds.every((pid) => !alive(pid)), 'the recycled workers to exit', 20_000)
    await waitFor(() => childPids(p.pid).length === 2, 'two workers', 20_000)
  }, 120_000)

  it('max_worker_rss: the worker that grew past it is replaced under load, zero failed requests', async () => {
    const { p, port } = await startServer('workers = 2\nmax_worker_rss = 150')
    const l = load(port)
    await waitFor(() => l.stats.ok >= 50, 'the load to run')
    const grown = Number(
      /pid=(\d+)/.exec((await get(`http://127.0.0.1:${port}/grow?mb=200`)).body)?.[1],
    )
    const m = await waitFor(
      () => new RegExp(`Recycling worker ${grown}: RSS (\\d+) MiB above 150 MiB`).exec(p.stderr()),
      'the grown worker to be recycled',
      30_000,
    )
    expect(Number(m[1])).toBeGreaterThan(150)
    await waitFor(() => !alive(grown), 'the grown worker to exit', 30_000)
    const okAtExit = l.stats.ok
    await waitFor(() => l.stats.ok >= okAtExit + 100, 'answers after the replacement')
    await l.stop()
    expect(l.stats.failures).toEqual([])
    expect(childPids(p.pid)).toHaveLength(2)
    // Only the grown worker went: the other one is below the ceiling.
    expect([...p.stderr().matchAll(/Recycling worker/g)]).toHaveLength(1)
  }, 90_000)
})
