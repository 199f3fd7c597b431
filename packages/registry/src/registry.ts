import { existsSync } from 'node:fs'
import { type MinimalLogger as Logger, silentLogger } from '@forklift/log'
import { Kysely, PostgresDialect, type RawBuilder, type Selectable, sql } from 'kysely'
import pg from 'pg'
import { NodeSqliteDialect } from './_node-sqlite-dialect.js'
import { type DbKind, migrate, type RegistryDatabase, type ServicesTable } from './_schema.js'
import { RegistryError } from './errors.js'
import { isServiceUp } from './liveness.js'
import { parseConnectionUrl, type RegistryTarget, redactUrl } from './url.js'

/** A service record, normalised (UTC `Date`s, real booleans) whatever the database. */
export interface ServiceRecord {
  id: number
  host: string
  binary: string
  topic: string
  /** `null` when the service is in no cluster. */
  cluster: string | null
  reportCount: number
  disabled: boolean
  disabledReason: string | null
  createdAt: Date
  updatedAt: Date
  /** The last heartbeat; `null` until the first one. */
  lastHeartbeat: Date | null
}

/** A record with its liveness, as `service-list` shows it. */
export interface ServiceStatus extends ServiceRecord {
  up: boolean
}

/** What a service registers as; (host, binary) identifies the record. */
export interface ServiceIdentity {
  host: string
  binary: string
  /** Default: the binary. */
  topic?: string
  cluster?: string | null
}

export interface OpenRegistryOptions {
  logger?: Logger
  /** Base for relative `sqlite:///` paths; default `process.cwd()`. */
  cwd?: string
  /** PostgreSQL connections per process (default 2: heartbeats are sequential). */
  poolSize?: number
  /** Give up connecting to PostgreSQL after this long (default 5000 ms). */
  connectTimeoutMs?: number
  /**
   * Refuse to create a SQLite file that does not exist yet (E_REGISTRY_CONNECT):
   * for readers such as service-list, where a mistyped path should not
   * silently show an empty, brand-new registry. Default false.
   */
  mustExist?: boolean
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

/** The service registry: records, heartbeats and up/down over SQLite or PostgreSQL. */
export class Registry {
  readonly kind: DbKind
  /** The connection URL with its password redacted. */
  readonly url: string
  readonly #target: RegistryTarget
  readonly #options: OpenRegistryOptions
  readonly #log: Logger
  #ready: Promise<Kysely<RegistryDatabase>> | undefined
  #db: Kysely<RegistryDatabase> | undefined
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

  /** Creates the record for (host, binary) or returns the existing one, updating topic and cluster. */
  async register(identity: ServiceIdentity): Promise<ServiceRecord> {
    return this.#query('register', async (db) => {
      const now = this.#now()
      const topic = identity.topic ?? identity.binary
      const cluster = identity.cluster ?? null
      const row = await db
        .insertInto('forklift_services')
        .values({
          host: identity.host,
          binary: identity.binary,
          topic,
          cluster,
          report_count: 0,
          disabled: false,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.columns(['host', 'binary']).doUpdateSet({ topic, cluster, updated_at: now }),
        )
        .returningAll()
        .executeTakeFirstOrThrow()
      return toRecord(row)
    })
  }

  /**
   * One heartbeat: report_count + 1 and last_heartbeat = the database's now.
   * Resolves `undefined` when the record is gone (deleted by an operator).
   */
  async heartbeat(id: number): Promise<ServiceRecord | undefined> {
    return this.#query('heartbeat', async (db) => {
      const now = this.#now()
      const row = await db
        .updateTable('forklift_services')
        .set({ report_count: sql`report_count + 1`, last_heartbeat: now, updated_at: now })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst()
      return row && toRecord(row)
    })
  }

  /** The record for (host, binary), if any. */
  async getService(host: string, binary: string): Promise<ServiceRecord | undefined> {
    return this.#query('get service', async (db) => {
      const row = await db
        .selectFrom('forklift_services')
        .selectAll()
        .where('host', '=', host)
        .where('binary', '=', binary)
        .executeTakeFirst()
      return row && toRecord(row)
    })
  }

  /**
   * Every record (optionally one binary's), sorted by binary and host, with
   * `up` judged against the database's clock: heartbeats are stamped with it
   * too, so hosts whose clocks disagree do not see each other as down.
   */
  async listServices(
    options: { serviceDownTime?: number; binary?: string } = {},
  ): Promise<ServiceStatus[]> {
    const downTime = options.serviceDownTime ?? 60
    return this.#query('list services', async (db) => {
      const now = await this.#dbNow(db)
      let q = db.selectFrom('forklift_services').selectAll()
      if (options.binary !== undefined) q = q.where('binary', '=', options.binary)
      const rows = await q.orderBy('binary').orderBy('host').execute()
      return rows.map((r) => {
        const rec = toRecord(r)
        return { ...rec, up: isServiceUp(rec.lastHeartbeat, now, downTime) }
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
    const row = await this.#query('update service', async (db) =>
      db
        .updateTable('forklift_services')
        .set({
          disabled,
          disabled_reason: disabled ? (reason ?? null) : null,
          updated_at: this.#now(),
        })
        .where('host', '=', host)
        .where('binary', '=', binary)
        .returningAll()
        .executeTakeFirst(),
    )
    if (!row) {
      throw new RegistryError(
        'E_REGISTRY_NOT_FOUND',
        `no service ${JSON.stringify(binary)} on host ${JSON.stringify(host)}`,
      )
    }
    return toRecord(row)
  }

  /** Deletes (host, binary); resolves whether a record was removed. */
  async removeService(host: string, binary: string): Promise<boolean> {
    return this.#query('remove service', async (db) => {
      const res = await db
        .deleteFrom('forklift_services')
        .where('host', '=', host)
        .where('binary', '=', binary)
        .executeTakeFirst()
      return Number(res.numDeletedRows) > 0
    })
  }

  /** The database's current time (UTC). */
  async now(): Promise<Date> {
    return this.#query('read clock', (db) => this.#dbNow(db))
  }

  /** Closes this process's connections; idempotent. The handle cannot be reused. */
  async close(): Promise<void> {
    this.#closed = true
    const db = this.#db
    this.#db = undefined
    this.#ready = undefined
    if (db) await db.destroy()
  }

  async #kysely(): Promise<Kysely<RegistryDatabase>> {
    if (this.#closed) throw new RegistryError('E_REGISTRY_CLOSED', `registry ${this.url} is closed`)
    this.#ready ??= this.#connect().catch((err: unknown) => {
      // Forget the failure so the next call (the next heartbeat) tries again.
      this.#ready = undefined
      throw err
    })
    return this.#ready
  }

  async #connect(): Promise<Kysely<RegistryDatabase>> {
    const t = this.#target
    let db: Kysely<RegistryDatabase>
    if (t.kind === 'sqlite') {
      if (this.#options.mustExist && !existsSync(t.path)) {
        throw new RegistryError(
          'E_REGISTRY_CONNECT',
          `registry ${this.url} does not exist (no service has registered there yet)`,
        )
      }
      db = new Kysely({ dialect: new NodeSqliteDialect(t.path) })
    } else {
      const pool = new pg.Pool({
        connectionString: t.url,
        max: this.#options.poolSize ?? 2,
        connectionTimeoutMillis: this.#options.connectTimeoutMs ?? 5000,
        idleTimeoutMillis: 30_000,
        application_name: `forklift-registry[${process.pid}]`,
      })
      // An idle client losing its server emits 'error' on the pool; unhandled, it would kill the process.
      pool.on('error', (err) => this.#log.warn({ err: err.message }, 'registry connection lost'))
      db = new Kysely({ dialect: new PostgresDialect({ pool }) })
    }
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
    return db
  }

  async #query<T>(what: string, fn: (db: Kysely<RegistryDatabase>) => Promise<T>): Promise<T> {
    const db = await this.#kysely()
    try {
      return await fn(db)
    } catch (cause) {
      throw new RegistryError('E_REGISTRY_QUERY', `registry ${this.url}: ${what} failed`, { cause })
    }
  }

  /** The database's clock as a value expression, so every writer stamps with one clock. */
  #now(): RawBuilder<string> {
    return this.kind === 'postgres'
      ? sql<string>`statement_timestamp()`
      : sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`
  }

  async #dbNow(db: Kysely<RegistryDatabase>): Promise<Date> {
    const row = await sql<{ now: Date | string }>`select ${this.#now()} as now`.execute(db)
    return toDate(row.rows[0]!.now)
  }
}

function toRecord(row: Selectable<ServicesTable>): ServiceRecord {
  return {
    id: Number(row.id),
    host: row.host,
    binary: row.binary,
    topic: row.topic,
    cluster: row.cluster ?? null,
    reportCount: Number(row.report_count),
    disabled: row.disabled === true || Number(row.disabled) === 1,
    disabledReason: row.disabled_reason ?? null,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    lastHeartbeat: row.last_heartbeat == null ? null : toDate(row.last_heartbeat),
  }
}

function toDate(v: Date | string): Date {
  return v instanceof Date ? v : new Date(v)
}
