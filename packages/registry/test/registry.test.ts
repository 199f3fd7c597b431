import { fork } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'
import { silentLogger } from '@forklift/log'
import { killOnFinish, tempDir, waitFor } from '@forklift/test-utils'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createKysely } from '../src/_dialects.js'
import { migrate } from '../src/_schema.js'
import { openRegistry, parseConnectionUrl, RegistryError, SCHEMA_VERSION } from '../src/index.js'
import { withClient, withMysql } from '../src/testing.js'
import { backends, open, pgBase } from './helpers.js'

const FIXTURE = join(import.meta.dirname, 'fixtures', 'open-and-heartbeat.mjs')
const BINARY = 'forklift-volume'
const POOL = { poolSize: 1, connectTimeoutMs: 5000 }
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function forkChild(url: string, host: string) {
  return killOnFinish(
    fork(FIXTURE, [url, host], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  )
}

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(RegistryError)
  return err as RegistryError
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
        availabilityZone: 'nova',
        reportCount: 0,
        disabled: false,
        frozen: false,
        replicationStatus: 'not-capable',
        activeBackendId: null,
        lastHeartbeat: null,
        crashedAt: null,
        deleted: false,
        deletedAt: null,
      })
      expect(a.uuid).toMatch(UUID)
      expect(a.createdAt).toBeInstanceOf(Date)
      await r.heartbeat(a.id)
      const again = await r.register({
        host: 'node1@lvm',
        binary: BINARY,
        cluster: 'c1@lvm',
        availabilityZone: 'az2',
      })
      expect(again.id).toBe(a.id)
      expect(again.uuid).toBe(a.uuid)
      expect(again.cluster).toBe('c1@lvm')
      expect(again.availabilityZone).toBe('az2')
      expect(again.reportCount).toBe(1)
      const other = await r.register({ host: 'node1@nfs', binary: BINARY })
      expect(other.id).not.toBe(a.id)
      expect(other.uuid).not.toBe(a.uuid)
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

  it.skipIf(backend.skip)('a crash mark is down until the next heartbeat', async () => {
    const r = open(await backend.url())
    const rec = await r.register({ host: 'h@a', binary: BINARY })
    await r.heartbeat(rec.id)
    const up = async () => (await r.listServices({ serviceDownTime: 60 }))[0]!.up
    expect(await up()).toBe(true)
    expect(await r.markCrashed('h@a', BINARY)).toBe(true)
    expect(await up()).toBe(false) // well within service_down_time
    expect((await r.getService('h@a', BINARY))?.crashedAt).toBeInstanceOf(Date)
    await waitFor(async () => {
      await r.heartbeat(rec.id)
      return up()
    }, 'a heartbeat newer than the crash')
    expect(await r.markCrashed('nobody@a', BINARY)).toBe(false)
  })

  it.skipIf(backend.skip)('disables and enables by host and binary', async () => {
    const r = open(await backend.url())
    await r.register({ host: 'h@a', binary: BINARY })
    const off = await r.setDisabled('h@a', BINARY, true, 'maintenance')
    expect(off).toMatchObject({ disabled: true, disabledReason: 'maintenance' })
    expect((await r.getService('h@a', BINARY))?.disabled).toBe(true)
    const on = await r.setDisabled('h@a', BINARY, false)
    expect(on).toMatchObject({ disabled: false, disabledReason: null })
    const err = await rejection(r.setDisabled('nope@x', BINARY, true))
    expect(err.code).toBe('E_REGISTRY_NOT_FOUND')
    expect(err.message).toBe('no service "forklift-volume" on host "nope@x"')
  })

  it.skipIf(backend.skip)(
    'removes a service softly: unlisted, its id dead, a new record when it registers again',
    async () => {
      const r = open(await backend.url())
      const old = await r.register({ host: 'h@a', binary: BINARY })
      await r.heartbeat(old.id)
      expect(await r.removeService('h@a', BINARY)).toBe(true)
      expect(await r.removeService('h@a', BINARY)).toBe(false)
      expect(await r.getService('h@a', BINARY)).toBeUndefined()
      expect(await r.listServices()).toEqual([])
      expect(await r.heartbeat(old.id)).toBeUndefined()
      await rejection(r.setDisabled('h@a', BINARY, true))
      const fresh = await r.register({ host: 'h@a', binary: BINARY })
      expect(fresh.id).not.toBe(old.id)
      expect(fresh.uuid).not.toBe(old.uuid)
      expect(fresh.reportCount).toBe(0)
      // Removed again, and again: soft-deleted rows never collide with each other.
      expect(await r.removeService('h@a', BINARY)).toBe(true)
      await r.register({ host: 'h@a', binary: BINARY })
      expect(await r.removeService('h@a', BINARY)).toBe(true)
      expect(await r.listServices()).toEqual([])
    },
  )

  it.skipIf(backend.skip)(
    "creates a cluster with its first service, and copies the cluster's state to later ones",
    async () => {
      const url = await backend.url()
      const r = open(url)
      expect(await r.listClusters()).toEqual([])
      const a = await r.register({ host: 'n1@lvm', binary: BINARY, cluster: 'c1@lvm' })
      const clusters = await r.listClusters({ serviceDownTime: 60 })
      expect(clusters).toEqual([
        expect.objectContaining({
          name: 'c1@lvm',
          binary: BINARY,
          disabled: false,
          frozen: false,
          replicationStatus: 'not-capable',
          numHosts: 1,
          numDownHosts: 1,
          lastHeartbeat: null,
          up: false,
        }),
      ])
      await r.heartbeat(a.id)
      const b = await r.register({ host: 'n2@lvm', binary: BINARY, cluster: 'c1@lvm' })
      expect(await r.listClusters({ serviceDownTime: 60 })).toEqual([
        expect.objectContaining({
          id: clusters[0]!.id,
          numHosts: 2,
          numDownHosts: 1,
          up: true,
          lastHeartbeat: expect.any(Date),
        }),
      ])
      expect(b.frozen).toBe(false)
      // A cluster frozen by an operator (cinder's failover freeze): a joining service takes it on.
      await freezeCluster(backend.name, url, 'c1@lvm')
      const c = await r.register({ host: 'n3@lvm', binary: BINARY, cluster: 'c1@lvm' })
      expect(c).toMatchObject({ frozen: true, replicationStatus: 'failed-over' })
      // Same name, other binary: another cluster.
      await r.register({ host: 'n1@lvm', binary: 'forklift-backup', cluster: 'c1@lvm' })
      expect((await r.listClusters()).map((x) => [x.binary, x.name, x.numHosts])).toEqual([
        ['forklift-backup', 'c1@lvm', 1],
        [BINARY, 'c1@lvm', 3],
      ])
    },
  )

  it.skipIf(backend.skip)(
    'removes a cluster only without hosts, or with --recursive its hosts too',
    async () => {
      const r = open(await backend.url())
      await r.register({ host: 'n1@lvm', binary: BINARY, cluster: 'c1@lvm' })
      await r.register({ host: 'n2@lvm', binary: BINARY, cluster: 'c1@lvm' })
      await r.register({ host: 'n1@nfs', binary: BINARY, cluster: 'c1@nfs' })
      const busy = await rejection(r.removeCluster(BINARY, 'c1@lvm'))
      expect([busy.code, busy.message]).toEqual([
        'E_REGISTRY_CLUSTER_HAS_HOSTS',
        'cluster "c1@lvm" still has 2 service(s)',
      ])
      expect(await r.removeCluster(BINARY, 'c1@lvm', { recursive: true })).toEqual({
        removedServices: 2,
      })
      expect((await r.listServices()).map((s) => s.host)).toEqual(['n1@nfs'])
      expect((await r.listClusters()).map((c) => c.name)).toEqual(['c1@nfs'])
      const missing = await rejection(r.removeCluster(BINARY, 'c1@lvm'))
      expect([missing.code, missing.message]).toEqual([
        'E_REGISTRY_NOT_FOUND',
        'no cluster "c1@lvm" of binary "forklift-volume"',
      ])
      await r.removeService('n1@nfs', BINARY)
      expect(await r.removeCluster(BINARY, 'c1@nfs')).toEqual({ removedServices: 0 })
      // A service of a removed cluster that registers again recreates it.
      await r.register({ host: 'n1@lvm', binary: BINARY, cluster: 'c1@lvm' })
      expect((await r.listClusters()).map((c) => [c.name, c.numHosts])).toEqual([['c1@lvm', 1]])
    },
  )

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
      expect(SCHEMA_VERSION).toBe(2)
    },
  )

  it.skipIf(backend.skip)(
    'upgrades a schema 1 database in place: rows keep their ids and gain uuids and defaults',
    async () => {
      const url = await backend.url()
      const { db } = createKysely(parseConnectionUrl(url), url, POOL, silentLogger())
      await migrate(db, backend.name, 1)
      const now = new Date().toISOString().slice(0, 19).replace('T', ' ')
      for (const host of ['old1@a', 'old2@a']) {
        await db
          .insertInto('forklift_services')
          .values({
            host,
            binary: BINARY,
            topic: BINARY,
            cluster: host === 'old1@a' ? 'c@a' : null,
            report_count: 7,
            disabled: false,
            created_at: now,
            updated_at: now,
          } as never)
          .execute()
      }
      const before = await db.selectFrom('forklift_services').select(['id', 'host']).execute()
      await db.destroy()
      const r = open(url)
      const after = await r.listServices()
      expect(after.map((s) => [s.id, s.host, s.reportCount, s.availabilityZone])).toEqual(
        before.map((b) => [Number(b.id), b.host, 7, 'nova']),
      )
      expect(after.every((s) => UUID.test(s.uuid))).toBe(true)
      expect(new Set(after.map((s) => s.uuid)).size).toBe(2)
      const again = await r.register({ host: 'old1@a', binary: BINARY, cluster: 'c@a' })
      expect(again.id).toBe(after[0]!.id)
      expect((await r.listClusters()).map((c) => c.name)).toEqual(['c@a'])
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
    } else if (backend.name === 'postgres') {
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
    } else {
      // Each test has its own database: its sessions are the child's, then ours too.
      const database = new URL(url).pathname.slice(1)
      const sessions = () =>
        withMysql(url, async (c) => {
          const [rows] = await c.query(
            'select count(*) as n from information_schema.processlist where db = ? and id <> connection_id()',
            [database],
          )
          return Number((rows as Array<{ n: number }>)[0]!.n)
        })
      expect(await sessions()).toBe(1)
      await parent.listServices()
      expect(await sessions()).toBe(2)
    }
    child.send('exit')
    await once(child, 'exit')
  })
})

/** Sets a cluster frozen and failed over behind the API's back, as an operator's failover would. */
async function freezeCluster(kind: string, url: string, name: string): Promise<void> {
  const statement = `update forklift_clusters set frozen = ${kind === 'postgres' ? 'true' : '1'}, replication_status = 'failed-over' where name = '${name}'`
  if (kind === 'postgres') await withClient(url, (c) => c.query(statement))
  else if (kind === 'mysql') await withMysql(url, (c) => c.query(statement))
  else {
    const { DatabaseSync } = await import('node:sqlite')
    const db = new DatabaseSync(url.slice('sqlite:///'.length))
    db.exec('PRAGMA busy_timeout = 5000')
    db.exec(statement)
    db.close()
  }
}

describe('registry errors', () => {
  it('names a malformed or unsupported URL in one line, password redacted', () => {
    expect(() => openRegistry('oracle://u:secret@h/db')).toThrow(
      'unsupported connection URL "oracle://u:***@h/db": expected sqlite:///…, postgresql://… or mysql://…',
    )
    expect(() => openRegistry('mysql://u:secret@h:3306')).toThrow(
      'bad MySQL connection URL mysql://u:***@h:3306: it names no database (mysql://user:pass@host:3306/<database>)',
    )
    expect(() => openRegistry('sqlite://relative.db')).toThrow(/bad SQLite connection URL/)
    expect(() => openRegistry('/var/lib/x.sqlite')).toThrow(/unsupported connection URL/)
  })

  it('reports an unreachable database as E_REGISTRY_CONNECT, and a later call tries again', async () => {
    for (const [url, shown] of [
      ['postgresql://forklift:secret@127.0.0.1:1/none', 'postgres://forklift:***@127.0.0.1:1/none'],
      ['mysql://forklift:secret@127.0.0.1:1/none', 'mysql://forklift:***@127.0.0.1:1/none'],
    ] as const) {
      const r = open(url)
      const err = await rejection(r.listServices())
      expect(err.code).toBe('E_REGISTRY_CONNECT')
      expect(err.message).toBe(`cannot open registry ${shown}`)
      expect((await rejection(r.listServices())).code).toBe('E_REGISTRY_CONNECT')
    }
  })

  it('with mustExist, refuses to create a SQLite registry that is not there', async () => {
    const path = join(tempDir(), 'typo.sqlite')
    const r = openRegistry(`sqlite:///${path}`, { mustExist: true })
    onTestFinished(() => r.close())
    const err = await rejection(r.listServices())
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
    const err = await rejection(open(url).open())
    expect(err.code).toBe('E_REGISTRY_SCHEMA')
    expect(err.message).toBe(
      'registry schema version 99 is newer than this forklift understands (2)',
    )
  })
})
