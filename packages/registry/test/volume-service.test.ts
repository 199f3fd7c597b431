import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger } from '@forklift/log'
import { Service } from '@forklift/supervisor/service'
import { readJsonLines, tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  HeartbeatReporter,
  openRegistry,
  type Registry,
  RegistryError,
  VOLUME_BINARY,
  VolumeService,
  type VolumeServiceOptions,
} from '../src/index.js'

const FIXTURES = join(import.meta.dirname, 'fixtures')

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

function volumeService(
  o: Partial<VolumeServiceOptions> & { connection: string },
  logger: ReturnType<typeof createLogger>,
) {
  const svc = new VolumeService(
    {
      backend: 'a',
      host: 'node1@a',
      volumeDriver: './counting-driver.mjs#createDriver',
      baseDir: FIXTURES,
      reportInterval: 0.05,
      periodicInterval: 0.05,
      periodicFuzzyDelay: 0,
      serviceDownTime: 1,
      ...o,
    },
    logger,
  )
  onTestFinished(() => svc.stop())
  return svc
}

async function reportCount(registry: Registry, host: string): Promise<number> {
  return (await registry.getService(host, VOLUME_BINARY))?.reportCount ?? -1
}

describe('HeartbeatReporter', () => {
  it('counts up on its service timer and stops with the service', async () => {
    const { registry } = setup()
    const service = new Service()
    const reporter = new HeartbeatReporter({
      registry,
      service: { host: 'h@a', binary: VOLUME_BINARY },
      reportInterval: 0.05,
    })
    reporter.attach(service)
    await waitFor(async () => (await reportCount(registry, 'h@a')) >= 3, 'three heartbeats')
    await service.stop(true)
    const after = await reportCount(registry, 'h@a')
    await new Promise((r) => setTimeout(r, 200)) // would have been ~4 more heartbeats
    expect(await reportCount(registry, 'h@a')).toBe(after)
  })

  it('logs a database outage once, retries every interval and says when it recovered', async () => {
    const { dir, logger, messages } = setup()
    const blocker = join(dir, 'db')
    writeFileSync(blocker, 'not a directory') // the registry file cannot be created under it
    const registry = openRegistry(`sqlite:///${join(blocker, 'registry.sqlite')}`)
    onTestFinished(() => registry.close())
    const reporter = new HeartbeatReporter({
      registry,
      service: { host: 'h@a', binary: VOLUME_BINARY },
      reportInterval: 1,
      logger,
    })
    expect(await reporter.reportOnce()).toBeUndefined()
    expect(await reporter.reportOnce()).toBeUndefined()
    expect(messages().filter((m) => m === 'model server went away')).toHaveLength(1)
    rmSync(blocker)
    mkdirSync(blocker)
    expect((await reporter.reportOnce())?.reportCount).toBe(1)
    expect(messages()).toContain('Recovered model server connection!')
  })

  it('sends nothing while the manager is not working, and says so each interval', async () => {
    const { registry, logger, messages } = setup()
    const reporter = new HeartbeatReporter({
      registry,
      service: { host: 'h@a', binary: VOLUME_BINARY },
      reportInterval: 1,
      isWorking: () => false,
      logger,
    })
    expect(await reporter.reportOnce()).toBeUndefined()
    expect(await reporter.reportOnce()).toBeUndefined()
    expect(await registry.getService('h@a', VOLUME_BINARY)).toBeUndefined()
    expect(messages()).toEqual([
      'Manager for service forklift-volume h@a is reporting problems, not sending heartbeat. Service will appear "down".',
      'Manager for service forklift-volume h@a is reporting problems, not sending heartbeat. Service will appear "down".',
    ])
  })

  it('recreates a record an operator deleted', async () => {
    const { registry } = setup()
    const reporter = new HeartbeatReporter({
      registry,
      service: { host: 'h@a', binary: VOLUME_BINARY },
      reportInterval: 1,
    })
    await reporter.reportOnce()
    await registry.removeService('h@a', VOLUME_BINARY)
    expect((await reporter.reportOnce())?.reportCount).toBe(1)
  })
})

describe('VolumeService', () => {
  it('registers, heartbeats, runs periodic tasks and stops the driver', async () => {
    const { url, logger, registry } = setup()
    const countFile = join(tempDir(), 'count')
    writeFileSync(countFile, '')
    const svc = volumeService(
      { connection: url, cluster: 'c@a', config: { count_file: countFile } },
      logger,
    )
    await svc.start()
    expect(svc.isWorking).toBe(true)
    await waitFor(async () => (await reportCount(registry, 'node1@a')) >= 3, 'heartbeats')
    await waitFor(
      () =>
        readFileSync(countFile, 'utf8')
          .split('\n')
          .filter((l) => l === 'periodic').length >= 2,
      'periodic tasks',
    )
    const rec = await registry.getService('node1@a', VOLUME_BINARY)
    expect(rec).toMatchObject({ cluster: 'c@a', topic: VOLUME_BINARY, id: svc.record?.id })
    await svc.stop(true)
    await svc.wait()
    expect(readFileSync(countFile, 'utf8')).toMatch(/stop\n$/)
  })

  it('runs the shipped sample driver, which logs the free space of volume_dir', async () => {
    const { url, logger, messages } = setup()
    const svc = volumeService(
      {
        connection: url,
        volumeDriver: '@forklift/registry/sample-driver#createDriver',
        config: { volume_dir: tempDir() },
      },
      logger,
    )
    await svc.start()
    await waitFor(() => messages().includes('free space'), 'the free space line')
  })

  it('keeps running without heartbeats when the driver fails to initialise', async () => {
    const { url, logger, registry, messages } = setup()
    const svc = volumeService(
      { connection: url, volumeDriver: './failing-setup-driver.mjs#createDriver' },
      logger,
    )
    await svc.start()
    expect(svc.isWorking).toBe(false)
    expect(messages()).toContain('Failed to initialize driver.')
    await waitFor(
      () =>
        messages().filter((m) => m.includes('is reporting problems, not sending heartbeat'))
          .length >= 3,
      'repeated not-working lines',
    )
    expect(await reportCount(registry, 'node1@a')).toBe(0)
    expect((await registry.listServices())[0]?.up).toBe(false)
  })

  it('fails to start when the driver cannot be loaded or built', async () => {
    const { url, logger } = setup()
    const missing = volumeService(
      { connection: url, volumeDriver: './nope.mjs#createDriver' },
      logger,
    )
    const e1 = (await missing.start().catch((e: unknown) => e)) as RegistryError
    expect(e1).toBeInstanceOf(RegistryError)
    expect(e1.code).toBe('E_DRIVER_LOAD')
    expect(e1.message).toBe('cannot load volume_driver "./nope.mjs#createDriver"')
    const noExport = volumeService(
      { connection: url, volumeDriver: './counting-driver.mjs#nothing' },
      logger,
    )
    expect(((await noExport.start().catch((e: unknown) => e)) as RegistryError).message).toBe(
      'volume_driver "./counting-driver.mjs#nothing": module has no function export "nothing"',
    )
    const throwing = volumeService(
      { connection: url, volumeDriver: './throwing-factory-driver.mjs#createDriver' },
      logger,
    )
    const e3 = (await throwing.start().catch((e: unknown) => e)) as RegistryError
    expect(e3.code).toBe('E_DRIVER_START')
    expect(e3.message).toBe('volume driver for node1@a failed to start: cannot construct driver')
  })
})
