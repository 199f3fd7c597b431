import { fork } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { killOnFinish, tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { openRegistry, type Registry, RegistryError, SCHEMA_VERSION } from '../src/index.js'
import { PG_SKIP_MESSAGE, testPgUrl, withClient } from '../src/testing.js'
import { pgSchemaUrl } from './helpers.js'

const pgBase = testPgUrl()
if (!pgBase) console.warn(PG_SKIP_MESSAGE)

const FIXTURE = join(import.meta.dirname, 'fixtures', 'open-and-heartbeat.mjs')
const BINARY = 'forklift-volume'

interface Backend {
  name: string
  skip: boolean
  url(): Promise<string>
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    skip: false,
    url: async () => `sqlite:///${join(tempDir(), 'state', 'registry.sqlite')}`,
  },
  { name: 'postgres', skip: !pgBase, url: () => pgSchemaUrl(pgBase!) },
]

function open(url: string): Registry {
  const r = openRegistry(url)
  onTestFinished(() => r.close())
  return r
}

function forkChild(url: string, host: string) {
  return killOnFinish(
    fork(FIXTURE, [url, host], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  )
}

describe.each(backends)('registry on $name', (backend) => {
  it.skipIf(backend.skip)(
    'creates a record once and reuses it for the same host and binary',
    async () => {
      const r = open(await backend.url())
      const a = await r.register({ host: 'node1@lvm', binary: BINARY })
      expect(a).toMatchObject({
        host: 'node1@lvm',
        binary: BINARY,
        topic: BINARY,
        cluster: null,
        reportCount: 0,
        disabled: false,
        lastHeartbeat: null,
      })
      expect(a.createdAt).toBeInstanceOf(Date)
      await r.heartbeat(a.id)
      const again = await r.register({ host: 'node1@lvm', binary: BINARY, cluster: 'c1@lvm' })
      expect(again.id).toBe(a.id)
      expect(again.cluster).toBe('c1@lvm')
      expect(again.reportCount).toBe(1)
      const other = await r.register({ host: 'node1@nfs', binary: BINARY })
      expect(other.id).not.toBe(a.id)
    },
  )

  it.skipIf(backend.skip)(
    'heartbeats count up, stamp the database clock and judge up/down',
    async () => {
      const r = open(await backend.url())
      const rec = await r.register({ host: 'h@a', binary: BINARY })
      expect((await r.listServices())[0]).toMatchObject({ up: false }) // never reported
      const t0 = await r.now()
      const one = await r.heartbeat(rec.id)
      const two = await r.heartbeat(rec.id)
      expect([one?.reportCount, two?.reportCount]).toEqual([1, 2])
      expect(two!.lastHeartbeat!.getTime()).toBeGreaterThanOrEqual(t0.getTime() - 5)
      expect(Math.abs(two!.lastHeartbeat!.getTime() - Date.now())).toBeLessThan(60_000)
      expect((await r.listServices({ serviceDownTime: 60 }))[0]).toMatchObject({
        host: 'h@a',
        reportCount: 2,
        up: true,
      })
      // No more heartbeats: down once service_down_time (0.3 s) has passed.
      await waitFor(
        async () => (await r.listServices({ serviceDownTime: 0.3 }))[0]?.up === false,
        'the service to turn down',
      )
      expect(await r.heartbeat(9999)).toBeUndefined()
    },
  )

  it.skipIf(backend.skip)('disables and enables by host and binary', async () => {
    const r = open(await backend.url())
    await r.register({ host: 'h@a', binary: BINARY })
    const off = await r.setDisabled('h@a', BINARY, true, 'maintenance')
    expect(off).toMatchObject({ disabled: true, disabledReason: 'maintenance' })
    expect((await r.getService('h@a', BINARY))?.disabled).toBe(true)
    const on = await r.setDisabled('h@a', BINARY, false)
    expect(on).toMatchObject({ disabled: false, disabledReason: null })
    const err = await r.setDisabled('nope@x', BINARY, true).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RegistryError)
    expect((err as RegistryError).code).toBe('E_REGISTRY_NOT_FOUND')
    expect((err as Error).message).toBe('no service "forklift-volume" on host "nope@x"')
    expect(await r.removeService('h@a', BINARY)).toBe(true)
    expect(await r.getService('h@a', BINARY)).toBeUndefined()
  })

  it.skipIf(backend.skip)(
    'migrates once when several processes open a fresh database at the same time',
    async () => {
      const url = await backend.url()
      const children = Array.from({ length: 4 }, (_, i) => forkChild(url, `host${i}@a`))
      const reports = await Promise.all(
        children.map(
          async (c) => (await once(c, 'message'))[0] as { id: number; reportCount: number },
        ),
      )
      expect(new Set(reports.map((m) => m.id)).size).toBe(4)
      expect(reports.every((m) => m.reportCount === 1)).toBe(true)
      for (const c of children) c.send('exit')
      await Promise.all(children.map((c) => once(c, 'exit')))
      const r = open(url)
      expect((await r.listServices()).map((s) => s.host)).toEqual([
        'host0@a',
        'host1@a',
        'host2@a',
        'host3@a',
      ])
      expect(SCHEMA_VERSION).toBe(1)
    },
  )

  it.skipIf(backend.skip)('opens connections lazily, in the process that uses them', async () => {
    const url = await backend.url()
    const parent = open(url) // a handle, nothing connected yet
    expect(parent.kind).toBe(backend.name)
    const child = forkChild(url, 'child@a')
    const [msg] = (await once(child, 'message')) as [{ pid: number }]
    expect(msg.pid).toBe(child.pid)
    if (backend.name === 'sqlite') {
      const dbFile = url.slice('sqlite:///'.length)
      const fdsOf = (pid: number | 'self') =>
        readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
          try {
            return [readlinkSync(`/proc/${pid}/fd/${fd}`)]
          } catch {
            return []
          }
        })
      expect(fdsOf(child.pid!)).toContain(dbFile)
      expect(fdsOf('self')).not.toContain(dbFile)
      await parent.listServices()
      expect(fdsOf('self')).toContain(dbFile)
    } else {
      const names = () =>
        withClient(pgBase!, async (c) => {
          const res = await c.query<{ application_name: string }>(
            "select application_name from pg_stat_activity where application_name like 'forklift-registry[%'",
          )
          return res.rows.map((r) => r.application_name)
        })
      expect(await names()).toContain(`forklift-registry[${child.pid}]`)
      // Earlier tests' connections from this process close asynchronously on the server side.
      await waitFor(
        async () => !(await names()).includes(`forklift-registry[${process.pid}]`),
        'no connection of this process',
        5000,
      )
      await parent.listServices()
      expect(await names()).toContain(`forklift-registry[${process.pid}]`)
    }
    child.send('exit')
    await once(child, 'exit')
  })
})

describe('registry errors', () => {
  it('rejects unsupported and malformed URLs with one line', () => {
    expect(() => openRegistry('mysql://u:secret@h/db')).toThrow(
      'unsupported connection URL mysql://u:***@h/db: MySQL is not supported (use sqlite:// or postgresql://)',
    )
    expect(() => openRegistry('sqlite://relative.db')).toThrow(/bad SQLite connection URL/)
    expect(() => openRegistry('/var/lib/x.sqlite')).toThrow(/unsupported connection URL/)
  })

  it('reports an unreachable database as E_REGISTRY_CONNECT, and a later call tries again', async () => {
    const r = open('postgresql://forklift:secret@127.0.0.1:1/none')
    const err = (await r.listServices().catch((e: unknown) => e)) as RegistryError
    expect(err.code).toBe('E_REGISTRY_CONNECT')
    expect(err.message).toBe('cannot open registry postgres://forklift:***@127.0.0.1:1/none')
    const again = (await r.listServices().catch((e: unknown) => e)) as RegistryError
    expect(again.code).toBe('E_REGISTRY_CONNECT')
  })

  it('with mustExist, refuses to create a SQLite registry that is not there', async () => {
    const path = join(tempDir(), 'typo.sqlite')
    const r = openRegistry(`sqlite:///${path}`, { mustExist: true })
    onTestFinished(() => r.close())
    const err = (await r.listServices().catch((e: unknown) => e)) as RegistryError
    expect(err.code).toBe('E_REGISTRY_CONNECT')
    expect(err.message).toBe(
      `registry sqlite:///${path} does not exist (no service has registered there yet)`,
    )
    expect(existsSync(path)).toBe(false)
  })

  it('refuses a schema newer than it understands', async () => {
    const url = `sqlite:///${join(tempDir(), 'r.sqlite')}`
    const a = open(url)
    await a.open()
    await a.close()
    const { DatabaseSync } = await import('node:sqlite')
    const db = new DatabaseSync(url.slice('sqlite:///'.length))
    db.exec('insert into forklift_registry_schema (version) values (99)')
    db.close()
    const err = (await open(url)
      .open()
      .catch((e: unknown) => e)) as RegistryError
    expect(err.code).toBe('E_REGISTRY_SCHEMA')
    expect(err.message).toBe(
      'registry schema version 99 is newer than this forklift understands (1)',
    )
  })
})
