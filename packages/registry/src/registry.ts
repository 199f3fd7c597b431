import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { type MinimalLogger as Logger, silentLogger } from '@forklift/log'
import { type Kysely, type RawBuilder, type Selectable, sql, type Transaction } from 'kysely'
import { createKysely } from './_dialects.js'
import type { NodeSqliteDialect } from './_node-sqlite-dialect.js'
import {
  type ClustersTable,
  migrate,
  type RegistryDatabase,
  type ServicesTable,
} from './_schema.js'
import { RegistryError } from './errors.js'
import { isServiceUp } from './liveness.js'
import { type DbKind, parseConnectionUrl, type RegistryTarget, redactUrl } from './url.js'

/** cinder's default `storage_availability_zone`. */
export const DEFAULT_AVAILABILITY_ZONE = 'nova'

/** cinder's replication states that a service keeps even when its cluster says otherwise. */
const REPLICATION_ERROR_STATES = ['error', 'failover-error']

/** What services and clusters both carry: operator state and record times. */
export interface ManagedState {
  disabled: boolean
  disabledReason: string | null
  /** cinder's failover freeze: no management operations while true. */
  frozen: boolean
  /** cinder's replication status (`not-capable`, `enabled`, `failed-over`, …). */
  replicationStatus: string
  activeBackendId: string | null
  createdAt: Date
  updatedAt: Date
}

/** A service record, normalised (UTC `Date`s, real booleans) whatever the database. */
export interface ServiceRecord extends ManagedState {
  id: number
  /** Stable across restarts of the service, unique in the registry. */
  uuid: string
  host: string
  binary: string
  topic: string
  /** `null` when the service is in no cluster. */
  cluster: string | null
  availabilityZone: string
  reportCount: number
  /** The last heartbeat; `null` until the first one. */
  lastHeartbeat: Date | null
  /** When a launcher last saw the service's process die; it is down until a later heartbeat. */
  crashedAt: Date | null
  /** Soft-deleted (`service remove`): kept for the record, never listed as live. */
  deleted: boolean
  deletedAt: Date | null
}

/** A record with its liveness, as `service-list` shows it. */
export interface ServiceStatus extends ServiceRecord {
  up: boolean
}

/** A cluster record with what its services say, as `cluster list` shows it. */
export interface ClusterStatus extends ManagedState {
  id: number
  name: string
  binary: string
  /** The newest heartbeat of its services. */
  lastHeartbeat: Date | null
  numHosts: number
  numDownHosts: number
  /** Up while at least one of its services is. */
  up: boolean
}

/** What a service registers as; (host, binary) identifies the record. */
export interface ServiceIdentity {
  host: string
  binary: string
  /** Default: the binary. */
  topic?: string
  /** `cluster@backend`; the cluster record is created with its first service. */
  cluster?: string | null
  /** Default {@link DEFAULT_AVAILABILITY_ZONE}. */
  availabilityZone?: string
}

export interface OpenRegistryOptions {
  logger?: Logger
  /** Base for relative `sqlite:///` paths; default `process.cwd()`. */
  cwd?: string
  /** Network database connections per process (default 2: heartbeats are sequential). */
  poolSize?: number
  /** Give up connecting to PostgreSQL or MySQL after this long (default 5000 ms). */
  connectTimeoutMs?: number
  /**
   * Refuse to create a SQLite file that does not exist yet (E_REGISTRY_CONNECT):
   * for readers such as service-list, where a mistyped path should not
   * silently show an empty, brand-new registry. Default false.
   */
  mustExist?: boolean
}

/** Liveness options of the listings. */
export interface ListOptions {
  /** Seconds; default 60. */
  serviceDownTime?: number
  binary?: string
}

/**
 * Opens a registry handle. Nothing is connected here: the database is opened
 * (and the schema created or migrated) on first use, in the process that uses
 * it. Node has no fork(), so a handle never crosses into a worker; each worker
 * opens its own, and `close()` before handing work to children is not needed.
 */
export function openRegistry(connection: string, options: OpenRegistryOptions = {}): Registry {
  return new Registry(parseConnectionUrl(connection, options.cwd), options)
}

type Db = Kysely<RegistryDatabase>

/** The service registry: records, heartbeats, clusters and up/down over SQLite, PostgreSQL or MySQL. */
export class Registry {
  readonly kind: DbKind
  /** The connection URL with its password redacted. */
  readonly url: string
  readonly #target: RegistryTarget
  readonly #options: OpenRegistryOptions
  readonly #log: Logger
  #ready: Promise<Db> | undefined
  #db: Db | undefined
  #sqlite: NodeSqliteDialect | undefined
  #closed = false

  constructor(target: RegistryTarget, options: OpenRegistryOptions = {}) {
    this.#target = target
    this.#options = options
    this.kind = target.kind
    this.url = redactUrl(target.url)
    this.#log = options.logger ?? silentLogger()
  }

  /** Opens the database and migrates the schema; done implicitly by every query. */
  async open(): Promise<void> {
    await this.#kysely()
  }

  /**
   * Creates the live record for (host, binary) or returns it, updating topic,
   * cluster and availability zone. With a cluster, its record is created too
   * when this is its first service (copying the service's disabled and
   * replication state), and an existing cluster's frozen and replication
   * state is copied to the service, as cinder does.
   */
  async register(identity: ServiceIdentity): Promise<ServiceRecord> {
    return this.#query('register', (db) =>
      db.transaction().execute(async (trx) => {
        const now = this.#now()
        const topic = identity.topic ?? identity.binary
        const cluster = identity.cluster ?? null
        const zone = identity.availabilityZone ?? DEFAULT_AVAILABILITY_ZONE
        const insert = trx.insertInto('forklift_services').values({
          uuid: randomUUID(),
          host: identity.host,
          binary: identity.binary,
          topic,
          cluster,
          availability_zone: zone,
          report_count: 0,
          disabled: false,
          created_at: now,
          updated_at: now,
        })
        const update = { topic, cluster, availability_zone: zone, updated_at: now }
        if (this.kind === 'mysql') {
          await insert.onDuplicateKeyUpdate(update).execute()
        } else {
          await insert
            .onConflict((oc) =>
              oc.columns(['host', 'binary', 'race_preventer']).doUpdateSet(update),
            )
            .execute()
        }
        let row = await this.#liveService(trx, identity.host, identity.binary)
        if (cluster !== null) row = await this.#joinCluster(trx, row, cluster)
        return toRecord(row)
      }),
    )
  }

  /**
   * One heartbeat: report_count + 1 and last_heartbeat = the database's now.
   * Resolves `undefined` when the record is gone (removed by an operator).
   * On SQLite every call first checks that the file is still the one opened
   * and still a database (E_REGISTRY_MOVED, E_REGISTRY_CORRUPT); after such
   * a failure the next call opens the path afresh.
   */
  async heartbeat(id: number): Promise<ServiceRecord | undefined> {
    return this.#query('heartbeat', async (db) => {
      const now = this.#now()
      const set = {
        report_count: sql<number>`report_count + 1`,
        last_heartbeat: now,
        updated_at: now,
      }
      if (this.kind === 'mysql') {
        const res = await db
          .updateTable('forklift_services')
          .set(set)
          .where('id', '=', id)
          .where('deleted', '=', false)
          .executeTakeFirst()
        if (Number(res.numUpdatedRows) === 0) return undefined
        const row = await db
          .selectFrom('forklift_services')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirst()
        return row && toRecord(row)
      }
      const row = await db
        .updateTable('forklift_services')
        .set(set)
        .where('id', '=', id)
        .where('deleted', '=', false)
        .returningAll()
        .executeTakeFirst()
      return row && toRecord(row)
    })
  }

  /** The live record for (host, binary), if any. */
  async getService(host: string, binary: string): Promise<ServiceRecord | undefined> {
    return this.#query('get service', async (db) => {
      const row = await this.#liveServiceQuery(db, host, binary).executeTakeFirst()
      return row && toRecord(row)
    })
  }

  /**
   * Every live record (optionally one binary's), sorted by binary and host,
   * with `up` judged against the database's clock: heartbeats are stamped
   * with it too, so hosts whose clocks disagree do not see each other as down.
   */
  async listServices(options: ListOptions = {}): Promise<ServiceStatus[]> {
    const downTime = options.serviceDownTime ?? 60
    return this.#query('list services', async (db) => {
      const now = await this.#dbNow(db)
      let q = db.selectFrom('forklift_services').selectAll().where('deleted', '=', false)
      if (options.binary !== undefined) q = q.where('binary', '=', options.binary)
      const rows = await q.orderBy('binary').orderBy('host').execute()
      return rows.map((r) => {
        const rec = toRecord(r)
        return { ...rec, up: isRecordUp(rec, now, downTime) }
      })
    })
  }

  /** Disables or enables (host, binary); RegistryError E_REGISTRY_NOT_FOUND if there is no such service. */
  async setDisabled(
    host: string,
    binary: string,
    disabled: boolean,
    reason?: string | null,
  ): Promise<ServiceRecord> {
    const row = await this.#query('update service', (db) =>
      db.transaction().execute(async (trx) => {
        const res = await trx
          .updateTable('forklift_services')
          .set({
            disabled,
            disabled_reason: disabled ? (reason ?? null) : null,
            updated_at: this.#now(),
          })
          .where('host', '=', host)
          .where('binary', '=', binary)
          .where('race_preventer', '=', 0)
          .executeTakeFirst()
        if (Number(res.numUpdatedRows) === 0) return undefined
        return this.#liveServiceQuery(trx, host, binary).executeTakeFirst()
      }),
    )
    if (!row) throw notFound(host, binary)
    return toRecord(row)
  }

  /**
   * Soft-deletes (host, binary), as `cinder-manage service remove`: the row
   * stays (deleted, deleted_at) but is no longer listed, and a service that
   * registers again gets a new record. Resolves whether a live record was removed.
   */
  async removeService(host: string, binary: string): Promise<boolean> {
    return this.#query('remove service', async (db) => {
      const res = await db
        .updateTable('forklift_services')
        .set(this.#softDelete())
        .where('host', '=', host)
        .where('binary', '=', binary)
        .where('race_preventer', '=', 0)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    })
  }

  /**
   * Records that the live (host, binary)'s process died (a launcher saw it):
   * the service is down from now until it heartbeats again, instead of
   * looking up for service_down_time. Resolves whether a record was marked.
   */
  async markCrashed(host: string, binary: string): Promise<boolean> {
    return this.#query('mark crashed', async (db) => {
      const res = await db
        .updateTable('forklift_services')
        .set({ crashed_at: this.#now() })
        .where('host', '=', host)
        .where('binary', '=', binary)
        .where('race_preventer', '=', 0)
        .executeTakeFirst()
      return Number(res.numUpdatedRows) > 0
    })
  }

  /** Every live cluster, sorted by binary and name, with its hosts counted and `up` judged as for services. */
  async listClusters(options: ListOptions = {}): Promise<ClusterStatus[]> {
    const services = await this.listServices(options)
    return this.#query('list clusters', async (db) => {
      let q = db.selectFrom('forklift_clusters').selectAll().where('deleted', '=', false)
      if (options.binary !== undefined) q = q.where('binary', '=', options.binary)
      const rows = await q.orderBy('binary').orderBy('name').execute()
      return rows.map((r) => {
        const members = services.filter((s) => s.cluster === r.name && s.binary === r.binary)
        const beats = members.flatMap((s) => (s.lastHeartbeat ? [s.lastHeartbeat.getTime()] : []))
        return {
          ...toCluster(r),
          lastHeartbeat: beats.length ? new Date(Math.max(...beats)) : null,
          numHosts: members.length,
          numDownHosts: members.filter((s) => !s.up).length,
          up: members.some((s) => s.up),
        }
      })
    })
  }

  /**
   * Soft-deletes the cluster (name, binary), as `cinder-manage cluster remove`:
   * E_REGISTRY_NOT_FOUND when there is none, E_REGISTRY_CLUSTER_HAS_HOSTS
   * while live services belong to it, unless `recursive` removes them too.
   * Resolves how many services were removed with it.
   */
  async removeCluster(
    binary: string,
    name: string,
    options: { recursive?: boolean } = {},
  ): Promise<{ removedServices: number }> {
    return this.#query('remove cluster', (db) =>
      db.transaction().execute(async (trx) => {
        const cluster = await trx
          .selectFrom('forklift_clusters')
          .select('id')
          .where('name', '=', name)
          .where('binary', '=', binary)
          .where('race_preventer', '=', 0)
          .executeTakeFirst()
        if (!cluster) {
          throw new RegistryError(
            'E_REGISTRY_NOT_FOUND',
            `no cluster ${JSON.stringify(name)} of binary ${JSON.stringify(binary)}`,
          )
        }
        const members = trx
          .updateTable('forklift_services')
          .where('cluster', '=', name)
          .where('binary', '=', binary)
          .where('race_preventer', '=', 0)
        let removedServices = 0
        if (options.recursive) {
          removedServices = Number(
            (await members.set(this.#softDelete()).executeTakeFirst()).numUpdatedRows,
          )
        } else {
          const hosts = await trx
            .selectFrom('forklift_services')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('cluster', '=', name)
            .where('binary', '=', binary)
            .where('race_preventer', '=', 0)
            .executeTakeFirst()
          if (Number(hosts?.n ?? 0) > 0) {
            throw new RegistryError(
              'E_REGISTRY_CLUSTER_HAS_HOSTS',
              `cluster ${JSON.stringify(name)} still has ${Number(hosts!.n)} service(s)`,
            )
          }
        }
        await trx
          .updateTable('forklift_clusters')
          .set(this.#softDelete())
          .where('id', '=', cluster.id)
          .execute()
        return { removedServices }
      }),
    )
  }

  /** The database's current time (UTC). */
  async now(): Promise<Date> {
    return this.#query('read clock', (db) => this.#dbNow(db))
  }

  /** Closes this process's connections; idempotent. The handle cannot be reused. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#drop()
  }

  async #drop(): Promise<void> {
    const db = this.#db
    this.#db = undefined
    this.#sqlite = undefined
    this.#ready = undefined
    if (db) await db.destroy()
  }

  async #kysely(): Promise<Db> {
    if (this.#closed) throw new RegistryError('E_REGISTRY_CLOSED', `registry ${this.url} is closed`)
    this.#ready ??= this.#connect().catch((err: unknown) => {
      // Forget the failure so the next call (the next heartbeat) tries again.
      this.#ready = undefined
      throw err
    })
    return this.#ready
  }

  async #connect(): Promise<Db> {
    const t = this.#target
    if (t.kind === 'sqlite' && this.#options.mustExist && !existsSync(t.path)) {
      throw new RegistryError(
        'E_REGISTRY_CONNECT',
        `registry ${this.url} does not exist (no service has registered there yet)`,
      )
    }
    const { db, sqlite } = createKysely(
      t,
      this.url,
      {
        poolSize: this.#options.poolSize ?? 2,
        connectTimeoutMs: this.#options.connectTimeoutMs ?? 5000,
      },
      this.#log,
    )
    try {
      const before = await migrate(db, t.kind)
      this.#log.debug({ registry: this.url, schemaVersionBefore: before }, 'registry opened')
    } catch (cause) {
      await db.destroy().catch(() => {})
      if (cause instanceof RegistryError) throw cause
      throw new RegistryError('E_REGISTRY_CONNECT', `cannot open registry ${this.url}`, { cause })
    }
    if (this.#closed) {
      await db.destroy()
      throw new RegistryError('E_REGISTRY_CLOSED', `registry ${this.url} is closed`)
    }
    this.#db = db
    this.#sqlite = sqlite
    return db
  }

  /**
   * Runs one operation. On SQLite it first checks the file; a file found
   * moved or damaged is closed, so the next call opens the path afresh (a
   * replaced file is picked up, a corrupt one fails again, loudly).
   */
  async #query<T>(what: string, fn: (db: Db) => Promise<T>): Promise<T> {
    const db = await this.#kysely()
    try {
      this.#sqlite?.check()
      return await fn(db)
    } catch (cause) {
      if (this.#sqlite && fileGone(cause)) await this.#drop().catch(() => {})
      if (cause instanceof RegistryError) throw cause
      throw new RegistryError('E_REGISTRY_QUERY', `registry ${this.url}: ${what} failed`, { cause })
    }
  }

  #liveServiceQuery(db: Db | Transaction<RegistryDatabase>, host: string, binary: string) {
    return db
      .selectFrom('forklift_services')
      .selectAll()
      .where('host', '=', host)
      .where('binary', '=', binary)
      .where('race_preventer', '=', 0)
  }

  async #liveService(
    trx: Transaction<RegistryDatabase>,
    host: string,
    binary: string,
  ): Promise<Selectable<ServicesTable>> {
    return this.#liveServiceQuery(trx, host, binary).executeTakeFirstOrThrow()
  }

  /** cinder's _ensure_cluster_exists, inside register's transaction. */
  async #joinCluster(
    trx: Transaction<RegistryDatabase>,
    service: Selectable<ServicesTable>,
    name: string,
  ): Promise<Selectable<ServicesTable>> {
    const now = this.#now()
    const insert = trx.insertInto('forklift_clusters').values({
      name,
      binary: service.binary,
      disabled: service.disabled,
      replication_status: service.replication_status,
      active_backend_id: service.active_backend_id,
      frozen: service.frozen,
      created_at: now,
      updated_at: now,
    })
    // Another service of the cluster may have created it first: then it is kept.
    await (this.kind === 'mysql'
      ? insert.onDuplicateKeyUpdate({ updated_at: sql`updated_at` })
      : insert.onConflict((oc) => oc.columns(['name', 'binary', 'race_preventer']).doNothing())
    ).execute()
    const cluster = await trx
      .selectFrom('forklift_clusters')
      .selectAll()
      .where('name', '=', name)
      .where('binary', '=', service.binary)
      .where('race_preventer', '=', 0)
      .executeTakeFirstOrThrow()
    if (REPLICATION_ERROR_STATES.includes(service.replication_status)) return service
    const same =
      service.replication_status === cluster.replication_status &&
      service.active_backend_id === cluster.active_backend_id &&
      toBool(service.frozen) === toBool(cluster.frozen)
    if (same) return service
    await trx
      .updateTable('forklift_services')
      .set({
        replication_status: cluster.replication_status,
        active_backend_id: cluster.active_backend_id,
        frozen: toBool(cluster.frozen),
      })
      .where('id', '=', service.id)
      .execute()
    return this.#liveService(trx, service.host, service.binary)
  }

  #softDelete() {
    return {
      deleted: true,
      deleted_at: this.#now(),
      race_preventer: sql<number>`id`,
    }
  }

  /** The database's clock as a value expression, so every writer stamps with one clock. */
  #now(): RawBuilder<string> {
    if (this.kind === 'postgres') return sql<string>`statement_timestamp()`
    if (this.kind === 'mysql') return sql<string>`utc_timestamp(6)`
    return sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`
  }

  async #dbNow(db: Db): Promise<Date> {
    const row = await sql<{ now: Date | string }>`select ${this.#now()} as now`.execute(db)
    return toDate(row.rows[0]!.now)
  }
}

/**
 * Up: a heartbeat within `serviceDownTime` of `now` (cinder's service_is_up)
 * that is newer than the last crash a launcher recorded.
 */
export function isRecordUp(
  record: Pick<ServiceRecord, 'lastHeartbeat' | 'crashedAt'>,
  now: Date,
  serviceDownTime: number,
): boolean {
  if (!isServiceUp(record.lastHeartbeat, now, serviceDownTime)) return false
  return !record.crashedAt || record.crashedAt.getTime() < record.lastHeartbeat!.getTime()
}

/** A SQLite failure after which this connection is no use: the file went away or is damaged. */
function fileGone(err: unknown): boolean {
  if (err instanceof RegistryError) {
    return err.code === 'E_REGISTRY_MOVED' || err.code === 'E_REGISTRY_CORRUPT'
  }
  // node:sqlite's errcode: SQLITE_IOERR 10, SQLITE_CORRUPT 11, SQLITE_NOTADB 26 (primary codes).
  const code = Number((err as { errcode?: unknown }).errcode) & 0xff
  return code === 10 || code === 11 || code === 26
}

function notFound(host: string, binary: string): RegistryError {
  return new RegistryError(
    'E_REGISTRY_NOT_FOUND',
    `no service ${JSON.stringify(binary)} on host ${JSON.stringify(host)}`,
  )
}

function toRecord(row: Selectable<ServicesTable>): ServiceRecord {
  return {
    id: Number(row.id),
    uuid: row.uuid ?? '',
    host: row.host,
    binary: row.binary,
    topic: row.topic,
    cluster: row.cluster ?? null,
    availabilityZone: row.availability_zone,
    reportCount: Number(row.report_count),
    ...toManagedState(row),
    lastHeartbeat: toDateOrNull(row.last_heartbeat),
    crashedAt: toDateOrNull(row.crashed_at),
    deleted: toBool(row.deleted),
    deletedAt: toDateOrNull(row.deleted_at),
  }
}

function toCluster(
  row: Selectable<ClustersTable>,
): Omit<ClusterStatus, 'lastHeartbeat' | 'numHosts' | 'numDownHosts' | 'up'> {
  return { id: Number(row.id), name: row.name, binary: row.binary, ...toManagedState(row) }
}

function toManagedState(row: Selectable<ServicesTable> | Selectable<ClustersTable>): ManagedState {
  return {
    disabled: toBool(row.disabled),
    disabledReason: row.disabled_reason ?? null,
    frozen: toBool(row.frozen),
    replicationStatus: row.replication_status,
    activeBackendId: row.active_backend_id ?? null,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  }
}

function toBool(v: boolean | number): boolean {
  return v === true || Number(v) === 1
}

function toDate(v: Date | string): Date {
  return v instanceof Date ? v : new Date(v)
}

function toDateOrNull(v: Date | string | null | undefined): Date | null {
  return v == null ? null : toDate(v)
}
