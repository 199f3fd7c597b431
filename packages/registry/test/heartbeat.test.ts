import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger } from '@forklift/log'
import { readJsonLines, tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { HeartbeatReporter, openRegistry, type Registry, type TimerHost } from '../src/index.js'

const BINARY = 'forklift-volume'

function setup() {
  const dir = tempDir()
  const url = `sqlite:///${join(dir, 'registry.sqlite')}`
  const logFile = join(dir, 'log.jsonl')
  const logger = createLogger({ name: 'test', file: logFile, verbose: true })
  const registry = openRegistry(url)
  onTestFinished(() => registry.close())
  const messages = () => readJsonLines(logFile).map((l) => String(l.msg))
  return { dir, url, logger, registry, messages }
}

/** The smallest TimerHost: interval timers, all cancelled by stop(). */
function timers(): TimerHost & { stop(): void } {
  const cancels = new Set<() => void>()
  const host = {
    addTimer(intervalMs: number, fn: () => unknown, o: { initialDelayMs?: number } = {}) {
      let interval: NodeJS.Timeout | undefined
      const first = setTimeout(() => {
        void fn()
        interval = setInterval(() => void fn(), intervalMs)
      }, o.initialDelayMs ?? intervalMs)
      const cancel = () => {
        clearTimeout(first)
        clearInterval(interval)
      }
      cancels.add(cancel)
      return cancel
    },
    stop() {
      for (const c of cancels) c()
    },
  }
  onTestFinished(() => host.stop())
  return host
}

async function reportCount(registry: Registry, host: string): Promise<number> {
  return (await registry.getService(host, BINARY))?.reportCount ?? -1
}

describe('HeartbeatReporter', () => {
  it("counts up on its host's timers, the first after one interval, and stops with them", async () => {
    const { registry } = setup()
    const host = timers()
    const reporter = new HeartbeatReporter({
      registry,
      service: { host: 'h@a', binary: BINARY },
      reportInterval: 0.05,
    })
    const delays: number[] = []
    reporter.attach({
      addTimer: (ms, fn, o) => {
        delays.push(o?.initialDelayMs ?? -1)
        return host.addTimer(ms, fn, o)
      },
    })
    expect(delays).toEqual([50]) // cinder's initial_delay = report_interval
    await waitFor(async () => (await reportCount(registry, 'h@a')) >= 3, 'three heartbeats')
    host.stop()
    const after = await reportCount(registry, 'h@a')
    await new Promise((r) => setTimeout(r, 200)) // would have been ~4 more heartbeats
    expect(await reportCount(registry, 'h@a')).toBe(after)
  })

  it('logs every heartbeat that cannot be stored, and says when it recovered', async () => {
    const { dir, logger, messages } = setup()
    const blocker = join(dir, 'db')
    writeFileSync(blocker, 'not a directory') // the registry file cannot be created under it
    const registry = openRegistry(`sqlite:///${join(blocker, 'registry.sqlite')}`)
    onTestFinished(() => registry.close())
    const reporter = new HeartbeatReporter({
      registry,
      service: { host: 'h@a', binary: BINARY },
      reportInterval: 1,
      logger,
    })
    for (let i = 0; i < 3; i++) expect(await reporter.reportOnce()).toBeUndefined()
    expect(messages()).toEqual([
      'model server went away',
      'Heartbeat not stored: service will appear "down"',
      'Heartbeat not stored: service will appear "down"',
    ])
    rmSync(blocker)
    mkdirSync(blocker)
    expect((await reporter.reportOnce())?.reportCount).toBe(1)
    expect(messages().at(-1)).toBe('Recovered model server connection!')
  })

  it('sends nothing while the manager is not working, and says so each interval', async () => {
    const { registry, logger, messages } = setup()
    const reporter = new HeartbeatReporter({
      registry,
      service: { host: 'h@a', binary: BINARY },
      reportInterval: 1,
      isWorking: () => false,
      logger,
    })
    expect(await reporter.reportOnce()).toBeUndefined()
    expect(await reporter.reportOnce()).toBeUndefined()
    expect(await registry.getService('h@a', BINARY)).toBeUndefined()
    expect(messages()).toEqual([
      'Manager for service forklift-volume h@a is reporting problems, not sending heartbeat. Service will appear "down".',
      'Manager for service forklift-volume h@a is reporting problems, not sending heartbeat. Service will appear "down".',
    ])
  })

  it('recreates a record an operator removed', async () => {
    const { registry } = setup()
    const reporter = new HeartbeatReporter({
      registry,
      service: { host: 'h@a', binary: BINARY },
      reportInterval: 1,
    })
    const first = await reporter.reportOnce()
    await registry.removeService('h@a', BINARY)
    const again = await reporter.reportOnce()
    expect(again?.reportCount).toBe(1)
    expect(again?.id).not.toBe(first?.id)
  })
})
