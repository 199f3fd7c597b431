// worker_timeout: a worker whose event loop an app blocks is killed, logged
// with its pid and how long it was stuck, and replaced by the normal respawn.
import { connect } from 'node:net'
import { join } from 'node:path'
import { alive, childPids, tempDir } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { get, serverSocket, startBin, waitFor, writeConf } from './helpers.js'

const WHOAMI_APP = `${join(import.meta.dirname, 'fixtures/whoami.mjs')}#app`

describe('worker_timeout', () => {
  it('kills a worker stuck in a blocking request, logs its pid and how long, and respawns it', async () => {
    const socket = serverSocket()
    const conf = writeConf(tempDir(), {
      port: socket.port,
      extra: 'workers = 2\nworker_timeout = 2',
      app: WHOAMI_APP,
    })
    const p = startBin('swift-object-server', [conf], {}, [], socket)
    await p.ready()
    const before = childPids(p.pid)
    expect(before).toHaveLength(2)

    // One request blocks its worker's event loop for a minute.
    const blocked = connect(socket.port, '127.0.0.1')
    onTestFinished(() => {
      blocked.destroy()
    })
    blocked.on('error', () => {})
    let blockedClosed = false
    blocked.on('close', () => {
      blockedClosed = true
    })
    blocked.write('GET /block?ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n')

    const line = await waitFor(
      () => /Worker (\d+) stuck for (\d+) ms/.exec(p.stderr()),
      'the stuck worker to be logged',
      30_000,
    )
    const stuckPid = Number(line[1])
    expect(before).toContain(stuckPid)
    expect(Number(line[2])).toBeGreaterThanOrEqual(2000)
    await waitFor(() => !alive(stuckPid), 'the stuck worker to be gone', 10_000)
    await waitFor(() => blockedClosed, 'its connection to be closed', 10_000)

    // Replaced through the normal respawn: two workers again, one of them new, both serving.
    await waitFor(
      () => {
        const now = childPids(p.pid)
        return now.length === 2 && !now.includes(stuckPid) && now
      },
      'a replacement worker',
      20_000,
    )
    const after = childPids(p.pid)
    const seen = new Set<number>()
    await waitFor(
      async () => {
        const r = await get(`http://127.0.0.1:${socket.port}/`)
        seen.add(Number(/pid=(\d+)/.exec(r.body)?.[1]))
        return after.every((pid) => seen.has(pid))
      },
      'both workers to answer',
      20_000,
    )
    expect(p.child.exitCode).toBeNull()
  }, 90_000)

  it('a worker busy for less than worker_timeout is left alone', async () => {
    const socket = serverSocket()
    const conf = writeConf(tempDir(), {
      port: socket.port,
      extra: 'workers = 1\nworker_timeout = 5',
      app: WHOAMI_APP,
    })
    const p = startBin('swift-object-server', [conf], {}, [], socket)
    await p.ready()
    const [worker] = childPids(p.pid)
    const r = await get(`http://127.0.0.1:${socket.port}/block?ms=1500`)
    expect(r.body).toContain(`pid=${worker}`)
    expect(childPids(p.pid)).toEqual([worker])
    expect(p.stderr()).not.toMatch(/stuck for/)
  }, 30_000)
})
