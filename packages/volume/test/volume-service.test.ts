import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger } from '@forklift/log'
import { openRegistry, type Registry } from '@forklift/registry'
import { readJsonLines, tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  VOLUME_BINARY,
  VolumeError,
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

describe('VolumeService', () => {
  it('registers, heartbeats, runs periodic tasks and stops the driver', async () => {
    const { url, logger, registry } = setup()
    const countFile = join(tempDir(), 'count')
    writeFileSync(countFile, '')
    const svc = volumeService(
      {
        connection: url,
        cluster: 'c@a',
        availabilityZone: 'az1',
        volumeDriver: './counting-driver.mjs#activeActive',
        config: { count_file: countFile },
      },
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
    expect(rec).toMatchObject({
      cluster: 'c@a',
      availabilityZone: 'az1',
      topic: VOLUME_BINARY,
      id: svc.record?.id,
    })
    expect((await registry.listClusters()).map((c) => c.name)).toEqual(['c@a'])
    await svc.stop(true)
    await svc.wait()
    expect(readFileSync(countFile, 'utf8')).toMatch(/stop\n$/)
  })

  it('runs the shipped sample driver, which logs the free space of volume_dir', async () => {
    const { url, logger, messages } = setup()
    const svc = volumeService(
      {
        connection: url,
        volumeDriver: '@forklift/volume/sample-driver#createDriver',
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
    const e1 = (await missing.start().catch((e: unknown) => e)) as VolumeError
    expect(e1).toBeInstanceOf(VolumeError)
    expect(e1.code).toBe('E_DRIVER_LOAD')
    expect(e1.message).toBe('cannot load volume_driver "./nope.mjs#createDriver"')
    const noExport = volumeService(
      { connection: url, volumeDriver: './counting-driver.mjs#nothing' },
      logger,
    )
    expect(((await noExport.start().catch((e: unknown) => e)) as VolumeError).message).toBe(
      'volume_driver "./counting-driver.mjs#nothing": module has no function export "nothing"',
    )
    const throwing = volumeService(
      { connection: url, volumeDriver: './throwing-factory-driver.mjs#createDriver' },
      logger,
    )
    const e3 = (await throwing.start().catch((e: unknown) => e)) as VolumeError
    expect(e3.code).toBe('E_DRIVER_START')
    expect(e3.message).toBe('volume driver for node1@a failed to start: cannot construct driver')
  })

  it("refuses a cluster for a driver that does not declare active-active support, with cinder's message", async () => {
    const { url, logger, registry } = setup()
    const svc = volumeService(
      { connection: url, cluster: 'c@a', volumeDriver: './counting-driver.mjs#createDriver' },
      logger,
    )
    const err = (await svc.start().catch((e: unknown) => e)) as VolumeError
    expect(err).toBeInstanceOf(VolumeError)
    expect([err.code, err.message]).toEqual([
      'E_DRIVER_ACTIVE_ACTIVE',
      'Active-Active configuration is not currently supported by driver ./counting-driver.mjs#createDriver.',
    ])
    expect(await registry.listServices()).toEqual([]) // refused before registering, as cinder
  })
})
